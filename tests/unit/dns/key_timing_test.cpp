#include "dns/key_timing.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace iotreg::dns;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::system_clock;
using std::chrono::year;

namespace {

const time_point t0 = sys_days{year{2026} / std::chrono::January / 1};

key_policy policy() {
  key_policy p;
  p.zsk_lifetime = days(30);
  p.ksk_lifetime = days(0);  // manual
  return p;
}

/// Runs key_step, "generating" requested keys with consecutive tags, until nothing is to be
/// generated; returns the last plan.
struct sim {
  key_policy p = policy();
  std::vector<key_timeline> keys;
  std::uint16_t next_tag = 100;

  key_plan step(time_point now, rollover_request req = {}) {
    for (;;) {
      auto plan = key_step(p, keys, now, req);
      keys = plan.keys;
      if (plan.generate.empty()) return plan;
      CHECK(plan.next_event == now);
      for (const auto role : plan.generate) {
        key_timeline k;
        k.key_tag = next_tag++;
        k.algorithm = p.algorithm;
        k.role = role;
        k.generated = now;
        keys.push_back(k);
      }
    }
  }
  key_timeline& key(std::uint16_t tag) {
    auto it = std::find_if(keys.begin(), keys.end(), [&](const key_timeline& k) { return k.key_tag == tag; });
    REQUIRE(it != keys.end());
    return *it;
  }
};

}  // namespace

TEST_CASE("key_timing/intervals follow RFC 7583") {
  const auto p = policy();
  CHECK(publication_interval(p) == seconds(3600 + 300 + 3600));
  CHECK(zsk_retire_interval(p) == seconds(3600 + 300 + 3600));
  CHECK(ds_wait_interval(p) == seconds(86400 + 3600));
  CHECK(ksk_retire_interval(p) == seconds(3600 + 86400 + 3600));
}

TEST_CASE("key_timing/bootstrap publishes and activates one KSK and one ZSK at once") {
  sim s;
  const auto plan = s.step(t0);
  REQUIRE(s.keys.size() == 2);
  const auto& ksk = s.key(100);
  const auto& zsk = s.key(101);
  CHECK(ksk.role == key_role::ksk);
  CHECK(zsk.role == key_role::zsk);
  for (const auto* k : {&ksk, &zsk}) {
    CHECK(k->published == t0);
    CHECK(k->ready == t0);
    CHECK(k->active == t0);
    CHECK_FALSE(k->retired);
  }
  CHECK(ksk.ds_submitted == t0);
  CHECK(key_use_at(ksk).cds);
  CHECK(key_use_at(ksk).sign);
  CHECK(key_use_at(zsk).sign);
  CHECK_FALSE(key_use_at(zsk).cds);
  // Nothing until the ZSK's successor is due; no KSK lifetime.
  CHECK(plan.next_event == t0 + days(30) - publication_interval(s.p));
  CHECK_FALSE(plan.awaiting_ds);
  // A second call at the same time changes nothing.
  const auto again = key_step(s.p, s.keys, t0);
  CHECK_FALSE(again.changed);
  CHECK(again.generate.empty());
}

TEST_CASE("key_timing/ZSK pre-publication rollover") {
  sim s;
  s.step(t0);
  const auto ipub = publication_interval(s.p);
  const auto start = t0 + days(30) - ipub;
  CHECK(s.step(start - seconds(1)).generate.empty());
  REQUIRE(s.keys.size() == 2);
  auto plan = s.step(start);
  REQUIRE(s.keys.size() == 3);
  CHECK(s.key(102).published == start);
  CHECK_FALSE(s.key(102).active);
  CHECK(key_use_at(s.key(102)).publish);
  CHECK_FALSE(key_use_at(s.key(102)).sign);
  CHECK(plan.next_event == start + ipub);

  plan = s.step(start + ipub - seconds(1));
  CHECK_FALSE(plan.changed);
  CHECK_FALSE(s.key(102).active);
  plan = s.step(start + ipub);
  CHECK(s.key(102).active == t0 + days(30));
  CHECK(s.key(101).retired == t0 + days(30));
  CHECK(key_use_at(s.key(101)).publish);
  CHECK_FALSE(key_use_at(s.key(101)).sign);
  CHECK(key_use_at(s.key(102)).sign);
  const auto removal = t0 + days(30) + zsk_retire_interval(s.p);
  CHECK(plan.next_event == removal);
  s.step(removal - seconds(1));
  CHECK_FALSE(s.key(101).removed);
  s.step(removal);
  CHECK(s.key(101).removed == removal);
  CHECK_FALSE(key_use_at(s.key(101)).publish);
  // The KSK was never touched.
  CHECK_FALSE(s.key(100).retired);
}

TEST_CASE("key_timing/manual KSK rollover waits for the parent's DS") {
  sim s;
  s.step(t0);
  const auto t1 = t0 + days(3);
  auto plan = s.step(t1, {false, true});
  REQUIRE(s.keys.size() == 3);
  auto& k2 = s.key(102);
  CHECK(k2.role == key_role::ksk);
  CHECK(k2.published == t1);
  CHECK(key_use_at(k2).sign);  // double-KSK: signs the DNSKEY RRset from publication
  CHECK_FALSE(key_use_at(k2).cds);
  // A second request while the rollover runs is ignored.
  CHECK(s.step(t1 + seconds(1), {false, true}).generate.empty());
  REQUIRE(s.keys.size() == 3);

  const auto ready = t1 + publication_interval(s.p);
  plan = s.step(ready);
  CHECK(s.key(102).ready == ready);
  CHECK(s.key(102).ds_submitted == ready);
  CHECK(key_use_at(s.key(102)).cds);
  CHECK(key_use_at(s.key(100)).cds);  // both until the old one retires
  CHECK(plan.awaiting_ds == std::optional<std::uint16_t>(102));
  // Without ds_seen nothing happens, however long we wait.
  plan = s.step(ready + days(20));
  CHECK_FALSE(s.key(102).active);
  CHECK_FALSE(s.key(100).retired);

  const auto seen = ready + days(21);
  s.key(102).ds_seen = seen;
  plan = s.step(seen);
  CHECK(plan.next_event == seen + ds_wait_interval(s.p));
  s.step(seen + ds_wait_interval(s.p) - seconds(1));
  CHECK_FALSE(s.key(102).active);
  plan = s.step(seen + ds_wait_interval(s.p));
  const auto act = seen + ds_wait_interval(s.p);
  CHECK(s.key(102).active == act);
  CHECK(s.key(100).retired == act);
  CHECK_FALSE(key_use_at(s.key(100)).cds);
  CHECK(key_use_at(s.key(100)).sign);  // still in the RRset, still signing it
  CHECK(plan.next_event == act + ksk_retire_interval(s.p));
  s.step(act + ksk_retire_interval(s.p));
  CHECK(s.key(100).removed == act + ksk_retire_interval(s.p));
  CHECK_FALSE(key_use_at(s.key(100)).publish);
  CHECK_FALSE(key_use_at(s.key(100)).sign);
}

TEST_CASE("key_timing/KSK lifetime starts a rollover; a manual ZSK roll starts at once") {
  sim s;
  s.p.ksk_lifetime = days(365);
  s.step(t0);
  const auto due = t0 + days(365) - publication_interval(s.p);
  s.step(t0 + days(1), {true, false});
  REQUIRE(s.keys.size() == 3);
  CHECK(s.key(102).role == key_role::zsk);
  CHECK(s.key(102).published == t0 + days(1));
  // Bring the ZSK roll to an end, then wait for the KSK's end of life.
  s.step(t0 + days(1) + publication_interval(s.p));
  CHECK(s.key(102).active);
  const auto plan = s.step(t0 + days(20));
  CHECK(plan.next_event == std::min(due, *s.key(102).active + days(30) - publication_interval(s.p)));
  s.step(due);
  bool ksk_successor = false;
  for (const auto& k : s.keys) ksk_successor |= k.role == key_role::ksk && k.key_tag != 100;
  CHECK(ksk_successor);
}
