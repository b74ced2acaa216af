// zone_signer::set_keys and the IXFR diff it leaves (zone_signer::last_diff): a key change that
// only touches the apex must yield a diff that turns the previous snapshot into the new one; a
// ZSK change re-signs everything and yields none (a journal starts over with a full transfer).

#include "dns/rr_types.hpp"
#include "dns/signer.hpp"
#include "dns/wire_name.hpp"
#include "dns/zone_snapshot.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <openssl/crypto.h>

#include <initializer_list>
#include <map>
#include <set>

using namespace iotreg::dns;
using namespace iotreg::dns::test;
namespace d = iotreg::dns::detail;

namespace {

// A fixed time, so that runs are reproducible (2030-01-01T00:00:00Z).
const time_point t0 = time_point(std::chrono::seconds(1893456000));

/// The zone's keys by name, each set_keys call getting its own copies (dnssec_key is move-only).
struct key_store {
  std::map<std::string, std::string> private_texts;
  ~key_store() {
    for (auto& [name, text] : private_texts) OPENSSL_cleanse(text.data(), text.size());
  }
  void add(const std::string& name, key_role role) {
    private_texts[name] = dnssec_key::generate(13, role, zone_apex).private_text();
  }
  dnssec_key load(const std::string& name) const {
    return dnssec_key::from_private_text(private_texts.at(name), zone_apex, name);
  }
  /// What a rollover step does with one published key.
  struct use {
    const char* name;
    bool sign;
    bool cds;
  };
  /// The zone's keys for set_keys: each named key, published, signing and in CDS as given.
  std::vector<zone_key> keys(std::initializer_list<use> uses) const {
    std::vector<zone_key> out;
    for (const auto& u : uses) out.push_back(zone_key{load(u.name), true, u.sign, u.cds});
    return out;
  }
};

/// A zone signed by ksk1 and zsk1, with three devices, at serial 1.
struct fixture {
  key_store keys;
  zone_signer signer;
  explicit fixture(key_store k) : keys(std::move(k)), signer(make_params(), initial_keys()) {
    signer.build(
        std::vector<device_record>{make_device("dev-1", 1), make_device("dev-2", 2), make_device("dev-3", 3)},
        1, t0);
  }
  std::vector<dnssec_key> initial_keys() const {
    std::vector<dnssec_key> out;
    out.push_back(keys.load("ksk1"));
    out.push_back(keys.load("zsk1"));
    return out;
  }
  /// Calls set_keys and checks that last_diff() replays the step exactly; returns the diff's
  /// removed and added record types.
  std::pair<std::multiset<std::uint16_t>, std::multiset<std::uint16_t>> step(std::vector<zone_key> ks,
                                                                             std::uint32_t serial) {
    const auto before = signer.snapshot();
    auto records = diffable_records(*before);
    const auto before_records = records;
    signer.set_keys(std::move(ks), serial, t0 + std::chrono::hours(serial));
    REQUIRE(signer.serial() == serial);
    const zone_diff* diff = signer.last_diff();
    REQUIRE(diff != nullptr);
    CHECK(diff->from_serial == before->serial());
    CHECK(diff->to_serial == serial);
    replay_diff(records, *diff);
    CHECK(records == diffable_records(*signer.snapshot()));
    CHECK(diffable_records(*before) == before_records);  // the old snapshot never changes
    std::multiset<std::uint16_t> removed;
    std::multiset<std::uint16_t> added;
    for (const auto& r : diff->removed) removed.insert(r.type);
    for (const auto& r : diff->added) added.insert(r.type);
    // Only the apex and its NSEC3 change.
    const auto apex = d::name_from_text(zone_apex).value();
    for (const auto* list : {&diff->removed, &diff->added}) {
      for (const auto& r : *list) {
        if (r.type != d::rr_type::nsec3 && !(r.type == d::rr_type::rrsig && r.rdata.size() >= 2 &&
                                             ((r.rdata[0] << 8) | r.rdata[1]) == d::rr_type::nsec3)) {
          CHECK(r.owner == apex);
        }
      }
    }
    return {removed, added};
  }
};

key_store standard_keys() {
  key_store k;
  k.add("ksk1", key_role::ksk);
  k.add("zsk1", key_role::zsk);
  k.add("ksk2", key_role::ksk);
  k.add("zsk2", key_role::zsk);
  return k;
}

}  // namespace

TEST_CASE("set_keys/an apex-only key change leaves a diff that replays to the new snapshot") {
  fixture f(standard_keys());

  SECTION("publishing a new ZSK without signing with it") {
    auto ks = f.keys.keys({{"ksk1", true, false}, {"zsk1", true, false}, {"zsk2", false, false}});
    const auto [removed, added] = f.step(std::move(ks), 2);
    // The DNSKEY RRset gains a record and is re-signed; the SOA's signature changes with it.
    CHECK(added.count(d::rr_type::dnskey) == 1);
    CHECK(removed.count(d::rr_type::dnskey) == 0);
    CHECK(added.count(d::rr_type::rrsig) >= 2);
    CHECK(removed.count(d::rr_type::rrsig) == added.count(d::rr_type::rrsig));
    CHECK(added.count(d::rr_type::cds) == 0);

    SECTION("then adding a KSK that is in CDS/CDNSKEY") {
      auto ks2 = f.keys.keys(
          {{"ksk1", true, false}, {"ksk2", true, true}, {"zsk1", true, false}, {"zsk2", false, false}});
      const auto [removed2, added2] = f.step(std::move(ks2), 3);
      CHECK(added2.count(d::rr_type::dnskey) == 1);
      CHECK(added2.count(d::rr_type::cds) == 1);
      CHECK(added2.count(d::rr_type::cdnskey) == 1);
      // The apex NSEC3 bitmap gains CDS and CDNSKEY: that NSEC3 is replaced.
      CHECK(removed2.count(d::rr_type::nsec3) == 1);
      CHECK(added2.count(d::rr_type::nsec3) == 1);

      SECTION("and withdrawing CDS/CDNSKEY again") {
        auto ks3 = f.keys.keys(
            {{"ksk1", true, false}, {"ksk2", true, false}, {"zsk1", true, false}, {"zsk2", false, false}});
        const auto [removed3, added3] = f.step(std::move(ks3), 4);
        CHECK(removed3.count(d::rr_type::cds) == 1);
        CHECK(removed3.count(d::rr_type::cdnskey) == 1);
        CHECK(added3.count(d::rr_type::cds) == 0);
        CHECK(added3.count(d::rr_type::nsec3) == 1);
      }
    }
  }
}

TEST_CASE("set_keys/a change of the signing ZSKs re-signs everything and leaves no diff") {
  fixture f(standard_keys());
  auto ks = f.keys.keys({{"ksk1", true, false}, {"zsk1", true, false}, {"zsk2", false, false}});
  f.step(std::move(ks), 2);  // pre-publish zsk2: a diff
  REQUIRE(f.signer.last_diff() != nullptr);

  const auto before = f.signer.snapshot();
  auto swap = f.keys.keys({{"ksk1", true, false}, {"zsk1", false, false}, {"zsk2", true, false}});
  f.signer.set_keys(std::move(swap), 3, t0 + std::chrono::hours(3));
  CHECK(f.signer.serial() == 3);
  CHECK(f.signer.last_diff() == nullptr);
  CHECK(diffable_records(*before) != diffable_records(*f.signer.snapshot()));

  SECTION("the next apply() leaves a diff from the re-signed zone") {
    const std::vector<change> changes = {upsert("dev-4", 4)};
    auto records = diffable_records(*f.signer.snapshot());
    f.signer.apply(changes, 4, t0 + std::chrono::hours(4));
    const zone_diff* diff = f.signer.last_diff();
    REQUIRE(diff != nullptr);
    CHECK(diff->from_serial == 3);
    replay_diff(records, *diff);
    CHECK(records == diffable_records(*f.signer.snapshot()));
  }
}
