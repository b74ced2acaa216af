// The key manager against an in-memory key store, on a simulated clock: rollovers requested as
// `iotregctl dnssec rollover` does run to completion through the RFC 7583 states.
#include "registry/key_manager.hpp"
#include "dns/journal.hpp"
#include "dns/zone_snapshot.hpp"
#include "memory_key_store.hpp"
#include "memory_store.hpp"
#include "registry/dnssec_keyring.hpp"
#include "registry/zone_publisher.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace iotreg;
using registry::dnssec_key_record;
using registry::dnssec_key_role;
using registry::dnssec_key_timeline;

namespace {

using registry::testing::memory_key_store;

const std::string zone = "keys.test.";

pki::key_encryption_key test_kek() {
  return pki::key_encryption_key::from_bytes(std::vector<std::uint8_t>(32, 7));
}

/// Short timings, so that a rollover takes simulated hours; lifetimes long (manual rolls only).
dns::key_policy short_policy() {
  dns::key_policy p;
  p.zsk_lifetime = std::chrono::days(3650);
  p.ksk_lifetime = std::chrono::seconds(0);
  p.dnskey_ttl = std::chrono::seconds(60);
  p.max_zone_ttl = std::chrono::seconds(60);
  p.zone_propagation_delay = std::chrono::seconds(10);
  p.parent_ds_ttl = std::chrono::seconds(120);
  p.parent_propagation_delay = std::chrono::seconds(30);
  p.publish_safety = std::chrono::seconds(5);
  p.retire_safety = std::chrono::seconds(5);
  p.signature_validity = std::chrono::hours(2);
  return p;
}

/// A zone's first KSK and ZSK, in service since `at` (as `iotregctl init` stores them).
std::pair<std::uint16_t, std::uint16_t> init_zone(memory_key_store& store, const pki::key_encryption_key& kek,
                                                  registry::time_point at) {
  const dnssec_key_timeline in_service{.generated = at, .published = at, .ready = at, .active = at};
  std::uint16_t tags[2] = {};
  int i = 0;
  for (auto role : {dnssec_key_role::ksk, dnssec_key_role::zsk}) {
    auto key = registry::generate_dnssec_key(13, role, zone, store.rows);
    REQUIRE(store.insert(registry::seal_dnssec_key(key, kek, in_service)));
    tags[i++] = key.key_tag();
  }
  return {tags[0], tags[1]};
}

struct use {
  bool publish, sign, cds;
};

/// key tag -> use, from what step() returned.
std::map<std::uint16_t, use> uses(const std::vector<dns::zone_key>& keys) {
  std::map<std::uint16_t, use> out;
  for (const auto& k : keys) out[k.key.key_tag()] = {k.publish, k.sign, k.cds};
  return out;
}

}  // namespace

TEST_CASE("key manager: a requested ZSK rollover runs to completion", "[key_manager]") {
  memory_key_store store;
  const auto kek = test_kek();
  auto now = registry::clock::now();
  const auto [ksk, zsk] = init_zone(store, kek, now - std::chrono::hours(1));
  registry::key_manager km(
      {.zone = zone, .policy = short_policy(), .poll_interval = std::chrono::seconds(60)}, store, kek);

  auto first = km.step(now);
  REQUIRE(first);  // the first step always says which keys the zone has
  CHECK(first->size() == 2);
  km.applied();
  CHECK_FALSE(km.step(now + std::chrono::seconds(1)));  // nothing changed
  km.applied();
  CHECK(km.next_due() <= now + std::chrono::seconds(61));

  now += std::chrono::minutes(5);
  REQUIRE(store.request_rollover(zone, dnssec_key_role::zsk, now) == 1);
  auto keys = km.step(now);
  REQUIRE(keys);
  km.applied();
  REQUIRE(store.rows.size() == 3);  // the successor, stored sealed
  const auto successor = store.rows.back().key_tag;
  CHECK(store.rows.back().role == dnssec_key_role::zsk);
  CHECK_FALSE(store.rows.back().sealed_private_key.empty());
  CHECK_FALSE(store.by_tag(zsk).rollover_requested);  // handled
  auto u = uses(*keys);
  REQUIRE(u.size() == 3);
  CHECK(u[successor].publish);
  CHECK_FALSE(u[successor].sign);  // pre-publication: published, not signing yet
  CHECK(u[zsk].sign);
  CHECK(u[ksk].sign);

  // Follow next_due() until the old ZSK is removed; the successor takes over on the way.
  bool saw_both_published_new_signing = false;
  int steps = 0;
  for (; steps < 1000 && !store.by_tag(zsk).timeline.removed; ++steps) {
    now = std::max(now, km.next_due());
    if (auto k = km.step(now)) {
      km.applied();
      u = uses(*k);
      CHECK(u[ksk].sign);
      if (u.count(zsk) && u[zsk].publish && !u[zsk].sign && u[successor].sign)
        saw_both_published_new_signing = true;
      // Exactly one ZSK signs at any time.
      CHECK((u.count(zsk) && u[zsk].sign) != u[successor].sign);
    }
  }
  CHECK(steps < 1000);
  CHECK(saw_both_published_new_signing);  // the old ZSK stays published after its retirement
  const auto& old_t = store.by_tag(zsk).timeline;
  const auto& new_t = store.by_tag(successor).timeline;
  REQUIRE(old_t.retired);
  REQUIRE(old_t.removed);
  REQUIRE(new_t.active);
  CHECK(*new_t.active == *old_t.retired);
  // Ipub, then Iret (TTL + propagation + safety, RFC 7583 §3.2.1) at least.
  CHECK(*new_t.active - *new_t.published >= dns::publication_interval(short_policy()));
  CHECK(*old_t.removed - *old_t.retired >= dns::zsk_retire_interval(short_policy()));
  CHECK(store.rows.size() == 3);  // no further key
}

TEST_CASE("key manager: a KSK rollover waits for ds-seen", "[key_manager]") {
  memory_key_store store;
  const auto kek = test_kek();
  auto now = registry::clock::now();
  const auto [ksk, zsk] = init_zone(store, kek, now - std::chrono::hours(1));
  registry::key_manager km(
      {.zone = zone, .policy = short_policy(), .poll_interval = std::chrono::seconds(60)}, store, kek);
  REQUIRE(km.step(now));
  km.applied();
  REQUIRE(store.request_rollover(zone, dnssec_key_role::ksk, now) == 1);
  REQUIRE(km.step(now));
  km.applied();
  REQUIRE(store.rows.size() == 3);
  const auto successor = store.rows.back().key_tag;
  CHECK(store.rows.back().role == dnssec_key_role::ksk);

  // A day of simulated time: the new KSK reaches CDS, but without ds-seen nothing retires.
  std::map<std::uint16_t, use> u;
  const auto until = now + std::chrono::hours(24);
  while (now < until) {
    now = std::max(now + std::chrono::seconds(1), km.next_due());
    if (auto k = km.step(now)) {
      km.applied();
      u = uses(*k);
    }
  }
  CHECK(u[successor].publish);
  CHECK(u[successor].sign);  // double-KSK: both sign the DNSKEY RRset
  CHECK(u[successor].cds);
  CHECK(u[ksk].cds);
  CHECK_FALSE(store.by_tag(ksk).timeline.retired);
  CHECK(store.by_tag(successor).timeline.ds_submitted);
  CHECK_FALSE(store.by_tag(successor).timeline.active);

  REQUIRE(store.mark_ds_seen(zone, successor, now));
  for (int steps = 0; steps < 100 && !store.by_tag(ksk).timeline.removed; ++steps) {
    now = std::max(now + std::chrono::seconds(1), km.next_due());
    if (auto k = km.step(now)) {
      km.applied();
      u = uses(*k);
    }
  }
  REQUIRE(store.by_tag(ksk).timeline.removed);
  CHECK(store.by_tag(successor).timeline.active);
  CHECK(u.count(ksk) == 0);  // the old KSK left the zone
  CHECK(u[successor].sign);
  CHECK(u[successor].cds);
  CHECK(u[zsk].sign);  // the ZSK was not touched
}

TEST_CASE("key manager: another node holding the lock runs the policy", "[key_manager]") {
  memory_key_store store;
  const auto kek = test_kek();
  auto now = registry::clock::now();
  init_zone(store, kek, now - std::chrono::hours(1));
  registry::key_manager km(
      {.zone = zone, .policy = short_policy(), .poll_interval = std::chrono::seconds(60)}, store, kek);
  REQUIRE(km.step(now));
  km.applied();
  store.request_rollover(zone, dnssec_key_role::zsk, now);
  store.locked_elsewhere = true;
  CHECK_FALSE(km.step(now + std::chrono::seconds(1)));  // no successor from this node
  CHECK(store.rows.size() == 2);
  CHECK(km.next_due() == now + std::chrono::seconds(61));  // looks again at the poll interval
  store.locked_elsewhere = false;
  CHECK(km.step(now + std::chrono::seconds(2)));
  CHECK(store.rows.size() == 3);
}

TEST_CASE("key manager in the publisher: a key change is a serial with its IXFR diff", "[key_manager]") {
  memory_key_store keys;
  registry::testing::memory_store zones;
  const auto kek = test_kek();
  auto now = registry::clock::now();
  init_zone(keys, kek, now - std::chrono::hours(1));
  std::vector<dns::dnssec_key> loaded;
  for (auto& k : registry::load_dnssec_keys(keys, kek, zone, now)) loaded.push_back(std::move(k.key));
  dns::zone_parameters params;
  params.apex = zone;
  params.soa_mname = "ns1." + zone;
  params.soa_rname = "hostmaster." + zone;
  params.ns = {"ns1." + zone};
  registry::key_manager km(
      {.zone = zone, .policy = short_policy(), .poll_interval = std::chrono::seconds(60)}, keys, kek);
  registry::zone_publisher publisher({.zone = zone, .zone_file = {}}, zones,
                                     dns::zone_signer(params, std::move(loaded)), [&] { return now; });
  publisher.set_key_manager(&km);
  publisher.rebuild();
  const auto s0 = publisher.snapshot()->serial();
  CHECK(publisher.step() == 0);
  CHECK(publisher.snapshot()->serial() == s0);  // nothing due, no serial

  keys.request_rollover(zone, dnssec_key_role::zsk, now);
  now += std::chrono::seconds(61);  // the next poll of the key manager
  publisher.step();
  const auto s1 = publisher.snapshot()->serial();
  CHECK(s1 == s0 + 1);
  CHECK(zones.last_serial(zone) == s1);  // the database has the serial
  const auto journal = zones.journal(zone);
  REQUIRE(journal.size() == 1);
  CHECK(journal[0].from_serial == s0);
  CHECK(journal[0].to_serial == s1);
  const auto diff = dns::decode_diff(journal[0].diff);
  REQUIRE(diff);
  const auto dnskeys_added = std::count_if(diff->added.begin(), diff->added.end(),
                                           [](const dns::rr_record& r) { return r.type == 48; });
  CHECK(dnskeys_added == 1);  // the successor ZSK's DNSKEY
  CHECK(std::none_of(diff->removed.begin(), diff->removed.end(),
                     [](const dns::rr_record& r) { return r.type == 48; }));  // no DNSKEY leaves
  CHECK(publisher.journal()->newest_serial() == s1);
}
