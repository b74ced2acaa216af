#include "db/dnssec_key_store_pg.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <thread>
#include <vector>

using iotreg::test::fresh_db;
using iotreg::test::now_us;
namespace db = iotreg::db;
namespace registry = iotreg::registry;
using registry::dnssec_key_record;
using registry::dnssec_key_role;

namespace {

constexpr const char* zone_a = "a.iotregistry.test.";
constexpr const char* zone_b = "b.iotregistry.test.";

/// A row with recognisable bytes (0x00 included: bytea must carry every byte).
dnssec_key_record sample_key(const std::string& zone, std::uint16_t tag, dnssec_key_role role) {
  dnssec_key_record k;
  k.zone = zone;
  k.key_tag = tag;
  k.algorithm = 13;
  k.role = role;
  k.dnskey_rdata = {
      1, static_cast<std::uint8_t>(role == dnssec_key_role::ksk ? 1 : 0), 3, 13, 0, 0xff, 0x00, 0x42};
  k.sealed_private_key.assign(60, 0);
  k.sealed_private_key[0] = 1;
  k.sealed_private_key[10] = static_cast<std::uint8_t>(tag);
  return k;
}

}  // namespace

TEST_CASE("dnssec_key_store/insert and list round-trip every column", "[pg][dnssec]") {
  fresh_db d;
  db::pg_dnssec_key_store store{d.pool()};
  CHECK(store.list(zone_a).empty());

  const auto t0 = now_us();
  using std::chrono::hours;
  auto ksk = sample_key(zone_a, 65535, dnssec_key_role::ksk);
  ksk.timeline = {.generated = t0,
                  .published = t0 + hours(1),
                  .ready = t0 + hours(2),
                  .active = t0 + hours(3),
                  .retired = t0 + hours(4),
                  .removed = t0 + hours(5),
                  .ds_submitted = t0 + hours(6),
                  .ds_seen = t0 + hours(7)};
  ksk.rollover_requested = t0 + hours(8);
  const auto zsk = sample_key(zone_a, 0, dnssec_key_role::zsk);  // all times null
  const auto id1 = store.insert(ksk);
  const auto id2 = store.insert(zsk);
  REQUIRE(id1);
  REQUIRE(id2);
  CHECK(*id2 > *id1);
  store.insert(sample_key(zone_b, 7, dnssec_key_role::zsk)).value();

  const auto rows = store.list(zone_a);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == *id1);
  CHECK(rows[0].zone == zone_a);
  CHECK(rows[0].key_tag == 65535);
  CHECK(rows[0].algorithm == 13);
  CHECK(rows[0].role == dnssec_key_role::ksk);
  CHECK(rows[0].dnskey_rdata == ksk.dnskey_rdata);
  CHECK(rows[0].sealed_private_key == ksk.sealed_private_key);
  CHECK(rows[0].timeline == ksk.timeline);
  CHECK(rows[0].rollover_requested == ksk.rollover_requested);
  CHECK(rows[1].key_tag == 0);
  CHECK(rows[1].role == dnssec_key_role::zsk);
  CHECK(rows[1].timeline == registry::dnssec_key_timeline{});
  CHECK_FALSE(rows[1].rollover_requested);
  CHECK(store.list(zone_b).size() == 1);

  // The columns the brief names, as SQL sees them.
  CHECK(d.scalar("SELECT count(*) FROM dnssec_keys WHERE zone = 'a.iotregistry.test.' AND role = 'ksk' "
                 "AND generated IS NOT NULL AND published IS NOT NULL AND ready IS NOT NULL "
                 "AND active IS NOT NULL AND retired IS NOT NULL AND removed IS NOT NULL "
                 "AND ds_submitted IS NOT NULL AND ds_seen IS NOT NULL AND rollover_requested IS NOT NULL") ==
        1);
}

TEST_CASE("dnssec_key_store/a key tag names one key of a zone", "[pg][dnssec]") {
  fresh_db d;
  db::pg_dnssec_key_store store{d.pool()};
  REQUIRE(store.insert(sample_key(zone_a, 4711, dnssec_key_role::ksk)));
  CHECK_FALSE(store.insert(sample_key(zone_a, 4711, dnssec_key_role::zsk)));  // taken: nullopt, no throw
  CHECK(store.insert(sample_key(zone_b, 4711, dnssec_key_role::zsk)));        // other zone: fine
  CHECK(store.list(zone_a).size() == 1);
  // The schema refuses what the model cannot hold.
  CHECK_THROWS(
      d.exec("INSERT INTO dnssec_keys (zone, key_tag, algorithm, role, dnskey, private_key) "
             "VALUES ('x.', 1, 13, 'csk', '\\x0101030d00'::bytea, decode(repeat('00', 40), 'hex'))"));
  CHECK_THROWS(
      d.exec("INSERT INTO dnssec_keys (zone, key_tag, algorithm, role, dnskey, private_key) "
             "VALUES ('x.', 65536, 13, 'ksk', '\\x0101030d00'::bytea, decode(repeat('00', 40), 'hex'))"));
}

TEST_CASE("dnssec_key_store/insert_first_keys stores only into an empty zone, once", "[pg][dnssec]") {
  fresh_db d{true, 8};
  db::pg_dnssec_key_store store{d.pool()};
  const std::vector<dnssec_key_record> first{sample_key(zone_a, 1, dnssec_key_role::ksk),
                                             sample_key(zone_a, 2, dnssec_key_role::zsk)};
  CHECK(store.insert_first_keys(zone_a, first));
  CHECK(store.list(zone_a).size() == 2);
  const std::vector<dnssec_key_record> again{sample_key(zone_a, 3, dnssec_key_role::ksk),
                                             sample_key(zone_a, 4, dnssec_key_role::zsk)};
  CHECK_FALSE(store.insert_first_keys(zone_a, again));
  CHECK(store.list(zone_a).size() == 2);

  SECTION("two keys with one tag: nothing stored") {
    const std::vector<dnssec_key_record> clash{sample_key(zone_b, 9, dnssec_key_role::ksk),
                                               sample_key(zone_b, 9, dnssec_key_role::zsk)};
    CHECK_THROWS_AS(store.insert_first_keys(zone_b, clash), std::invalid_argument);
    CHECK(store.list(zone_b).empty());
  }
  SECTION("a key of another zone is refused") {
    CHECK_THROWS_AS(store.insert_first_keys(zone_b, first), std::invalid_argument);
  }
  SECTION("nodes racing: exactly one wins") {
    std::vector<std::future<bool>> racers;
    for (int n = 0; n < 6; ++n) {
      racers.push_back(std::async(std::launch::async, [&store, n] {
        const std::vector<dnssec_key_record> keys{
            sample_key(zone_b, static_cast<std::uint16_t>(100 + 2 * n), dnssec_key_role::ksk),
            sample_key(zone_b, static_cast<std::uint16_t>(101 + 2 * n), dnssec_key_role::zsk)};
        return store.insert_first_keys(zone_b, keys);
      }));
    }
    int winners = 0;
    for (auto& f : racers) winners += f.get() ? 1 : 0;
    CHECK(winners == 1);
    CHECK(store.list(zone_b).size() == 2);
  }
}

TEST_CASE("dnssec_key_store/update_timeline, rollover request, ds_seen", "[pg][dnssec]") {
  fresh_db d;
  db::pg_dnssec_key_store store{d.pool()};
  const auto t0 = now_us();
  using std::chrono::hours;
  auto ksk = sample_key(zone_a, 10, dnssec_key_role::ksk);
  ksk.timeline = {.generated = t0, .published = t0, .ready = t0, .active = t0};
  auto zsk = sample_key(zone_a, 11, dnssec_key_role::zsk);
  zsk.timeline = ksk.timeline;
  auto old_zsk = sample_key(zone_a, 12, dnssec_key_role::zsk);
  old_zsk.timeline = {.active = t0 - hours(3), .retired = t0 - hours(2), .removed = t0 - hours(1)};
  auto leaving = sample_key(zone_a, 13, dnssec_key_role::zsk);  // retirement scheduled: still current
  leaving.timeline = {.active = t0 - hours(3), .retired = t0 + hours(2)};
  const auto ksk_id = store.insert(ksk).value();
  const auto zsk_id = store.insert(zsk).value();
  store.insert(old_zsk).value();
  store.insert(leaving).value();
  store.insert(sample_key(zone_b, 11, dnssec_key_role::zsk)).value();

  SECTION("update_timeline replaces all eight columns") {
    const registry::dnssec_key_timeline t{
        .generated = t0 - hours(1), .published = t0, .retired = t0 + hours(1)};
    CHECK(store.update_timeline(zsk_id, t));
    CHECK(store.list(zone_a)[1].timeline == t);
    CHECK(store.list(zone_a)[0].timeline == ksk.timeline);  // others untouched
    CHECK_FALSE(store.update_timeline(999999, t));
  }
  SECTION("request_rollover stamps the current keys of the role, once") {
    const auto at = t0 + hours(1);
    CHECK(store.request_rollover(zone_a, dnssec_key_role::zsk, at) == 2);  // 11 and 13, not removed 12
    auto rows = store.list(zone_a);
    CHECK(rows[0].rollover_requested == std::nullopt);  // the KSK
    CHECK(rows[1].rollover_requested == at);
    CHECK(rows[2].rollover_requested == std::nullopt);
    CHECK(rows[3].rollover_requested == at);
    CHECK(store.list(zone_b)[0].rollover_requested == std::nullopt);
    CHECK(store.request_rollover(zone_a, dnssec_key_role::zsk, at + hours(1)) == 0);  // already asked
    CHECK(store.list(zone_a)[1].rollover_requested == at);
    CHECK(store.clear_rollover_request(zsk_id));
    CHECK(store.list(zone_a)[1].rollover_requested == std::nullopt);
    CHECK_FALSE(store.clear_rollover_request(999999));
    CHECK(store.request_rollover(zone_a, dnssec_key_role::ksk, at) == 1);
    CHECK(store.list(zone_a)[0].rollover_requested == at);
  }
  SECTION("mark_ds_seen: KSKs only, the first time is kept") {
    CHECK_FALSE(store.mark_ds_seen(zone_a, 11, t0));  // a ZSK
    CHECK_FALSE(store.mark_ds_seen(zone_a, 99, t0));  // no such key
    CHECK_FALSE(store.mark_ds_seen(zone_b, 10, t0));  // other zone
    CHECK(store.mark_ds_seen(zone_a, 10, t0));
    CHECK(store.mark_ds_seen(zone_a, 10, t0 + hours(1)));
    CHECK(store.list(zone_a)[0].timeline.ds_seen == t0);
    CHECK(ksk_id == store.list(zone_a)[0].id);
  }
}

TEST_CASE("dnssec_key_store/with_zone_lock: one holder per zone across nodes", "[pg][dnssec]") {
  fresh_db d;
  db::pg_dnssec_key_store node1{d.pool()};
  db::pool other_pool(d.dsn(), 2);  // another node: its own connections
  db::pg_dnssec_key_store node2{other_pool};

  bool ran = false, inner_a = true, inner_b = false;
  CHECK(node1.with_zone_lock(zone_a, [&] {
    ran = true;
    CHECK(node1.insert(sample_key(zone_a, 7, dnssec_key_role::zsk)));  // the store works inside
    inner_a = node2.with_zone_lock(zone_a, [] { FAIL("ran under another holder's lock"); });
    inner_b = node2.with_zone_lock(zone_b, [] {});
  }));
  CHECK(ran);
  CHECK_FALSE(inner_a);  // held by node 1: not run, no wait
  CHECK(inner_b);        // other zones are not locked
  CHECK(node2.list(zone_a).size() == 1);
  CHECK(node2.with_zone_lock(zone_a, [] {}));  // released at the end

  CHECK_THROWS_AS(node1.with_zone_lock(zone_a, [] { throw std::runtime_error("boom"); }), std::runtime_error);
  CHECK(node2.with_zone_lock(zone_a, [] {}));  // released after an exception too

  db::pool tiny(d.dsn(), 1);
  db::pg_dnssec_key_store small{tiny};
  CHECK_THROWS_AS(small.with_zone_lock(zone_a, [] {}), std::logic_error);
}
