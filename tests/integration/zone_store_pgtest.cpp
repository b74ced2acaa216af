#include "db/device_store_pg.hpp"
#include "db/zone_store_pg.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <vector>

using iotreg::test::fresh_db;
using iotreg::test::sample_enrollment;
namespace db = iotreg::db;
namespace registry = iotreg::registry;

namespace {
constexpr const char* zone_a = "a.iotregistry.test.";
constexpr const char* zone_b = "b.iotregistry.test.";

std::vector<std::int64_t> ids_of(const std::vector<registry::zone_change>& changes) {
  std::vector<std::int64_t> out;
  for (const auto& c : changes) out.push_back(c.id);
  return out;
}
}  // namespace

TEST_CASE("zone_store/pending_changes is per zone, oldest first, at most limit", "[pg][zone]") {
  fresh_db d;
  db::pg_device_store devices{d.pool()};
  db::pg_zone_store zones{d.pool()};
  std::vector<std::int64_t> added;
  for (int i = 0; i < 5; ++i) {
    const auto e = sample_enrollment(zone_a, "dev-" + std::to_string(i), i);
    added.push_back(devices.insert_enrollment(e).value());
    devices.insert_enrollment(sample_enrollment(zone_b, "b-" + std::to_string(i), 100 + i)).value();
  }

  const auto three = zones.pending_changes(zone_a, 3);
  CHECK(ids_of(three) == std::vector<std::int64_t>(added.begin(), added.begin() + 3));
  REQUIRE(three.size() == 3);
  CHECK(three[0].device_id == "dev-0");
  CHECK(three[0].op == registry::zone_change::kind::add);
  CHECK(three[0].tlsa == sample_enrollment(zone_a, "dev-0", 0).tlsa);

  CHECK(ids_of(zones.pending_changes(zone_a, 100)) == added);
  CHECK(zones.pending_changes(zone_a, 0).empty());
  CHECK(zones.pending_changes(zone_b, 100).size() == 5);
  CHECK(zones.pending_changes("empty.test.", 100).empty());
}

TEST_CASE("zone_store/mark_published", "[pg][zone]") {
  fresh_db d;
  db::pg_device_store devices{d.pool()};
  db::pg_zone_store zones{d.pool()};
  for (int i = 0; i < 4; ++i) {
    devices.insert_enrollment(sample_enrollment(zone_a, "dev-" + std::to_string(i), i)).value();
  }
  devices.insert_enrollment(sample_enrollment(zone_b, "b-0", 50)).value();
  CHECK_FALSE(zones.last_serial(zone_a).has_value());

  const auto first = ids_of(zones.pending_changes(zone_a, 2));
  zones.mark_published(zone_a, 2025010100, first, nullptr, 0);
  CHECK(zones.last_serial(zone_a) == 2025010100u);
  CHECK_FALSE(zones.last_serial(zone_b).has_value());
  CHECK(zones.pending_changes(zone_a, 100).size() == 2);
  CHECK(devices.find(zone_a, "dev-0")->zone_serial == 2025010100u);
  CHECK(devices.find(zone_a, "dev-1")->zone_serial == 2025010100u);
  CHECK_FALSE(devices.find(zone_a, "dev-2")->zone_serial.has_value());

  const auto rest = ids_of(zones.pending_changes(zone_a, 100));
  zones.mark_published(zone_a, 4294967295u, rest, nullptr, 0);  // the largest serial round-trips
  CHECK(zones.pending_changes(zone_a, 100).empty());
  CHECK(zones.last_serial(zone_a) == 4294967295u);
  CHECK(devices.find(zone_a, "dev-3")->zone_serial == 4294967295u);

  SECTION("a published change keeps the first serial that published it") {
    zones.mark_published(zone_a, 7, first, nullptr, 0);
    CHECK(zones.last_serial(zone_a) == 7u);
    CHECK(devices.find(zone_a, "dev-0")->zone_serial == 2025010100u);
  }
  SECTION("ids of another zone are not touched") {
    const auto other = ids_of(zones.pending_changes(zone_b, 100));
    zones.mark_published(zone_a, 8, other, nullptr, 0);
    CHECK(zones.pending_changes(zone_b, 100).size() == 1);
  }
  SECTION("no ids: only the serial moves") {
    zones.mark_published(zone_b, 1, {}, nullptr, 0);
    CHECK(zones.last_serial(zone_b) == 1u);
    CHECK(zones.pending_changes(zone_b, 100).size() == 1);
  }
  SECTION("a revocation is pending again and does not change zone_serial") {
    devices.revoke(zone_a, "dev-0").value();
    const auto pending = zones.pending_changes(zone_a, 100);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].op == registry::zone_change::kind::remove);
    CHECK(devices.find(zone_a, "dev-0")->zone_serial == 2025010100u);
  }
}

TEST_CASE("zone_store/active_tlsa lists active devices of the zone only", "[pg][zone]") {
  fresh_db d;
  db::pg_device_store devices{d.pool()};
  db::pg_zone_store zones{d.pool()};
  for (int i = 0; i < 3; ++i) {
    devices.insert_enrollment(sample_enrollment(zone_a, "dev-" + std::to_string(i), i)).value();
  }
  devices.insert_enrollment(sample_enrollment(zone_b, "b-0", 9)).value();
  devices.revoke(zone_a, "dev-1").value();

  const auto active = zones.active_tlsa(zone_a);
  REQUIRE(active.size() == 2);
  CHECK(active[0].device_id == "dev-0");
  CHECK(active[0].tlsa == sample_enrollment(zone_a, "dev-0", 0).tlsa);
  CHECK(active[1].device_id == "dev-2");
  CHECK(active[1].tlsa == sample_enrollment(zone_a, "dev-2", 2).tlsa);
  CHECK(zones.active_tlsa(zone_b).size() == 1);
  CHECK(zones.active_tlsa("empty.test.").empty());
}

namespace {

registry::journal_entry entry(std::uint32_t from, std::uint32_t to) {
  // Arbitrary octets, zeros included: storage treats the encoding as opaque.
  return {from, to, {0, static_cast<std::uint8_t>(from), 0xff, static_cast<std::uint8_t>(to), 0}};
}

std::vector<std::uint32_t> ends_of(const std::vector<registry::journal_entry>& j) {
  std::vector<std::uint32_t> out;
  for (const auto& e : j) out.push_back(e.to_serial);
  return out;
}

}  // namespace

TEST_CASE("zone_store/the IXFR journal is written with the serial, bounded, and cleared by full builds",
          "[pg][zone]") {
  fresh_db d;
  db::pg_device_store devices{d.pool()};
  db::pg_zone_store zones{d.pool()};
  CHECK(zones.journal(zone_a).empty());
  zones.mark_published(zone_a, 100, {}, nullptr, 3);  // a full build: nothing to chain from
  for (std::uint32_t s = 101; s <= 105; ++s) {
    const auto e = entry(s - 1, s);
    zones.mark_published(zone_a, s, {}, &e, 3);
  }
  const auto j = zones.journal(zone_a);
  CHECK(ends_of(j) == std::vector<std::uint32_t>{103, 104, 105});  // the newest 3, oldest first
  REQUIRE(j.size() == 3);
  CHECK(j[0].from_serial == 102);
  CHECK(j[0].diff == entry(102, 103).diff);
  CHECK(zones.last_serial(zone_a) == 105u);
  CHECK(zones.journal(zone_b).empty());

  SECTION("serials wrap: order is by insertion, and the full range round-trips") {
    const auto a = entry(105, 4294967295u);
    zones.mark_published(zone_a, 4294967295u, {}, &a, 10);
    const auto b = entry(4294967295u, 0);
    zones.mark_published(zone_a, 0, {}, &b, 10);
    CHECK(ends_of(zones.journal(zone_a)) == std::vector<std::uint32_t>{103, 104, 105, 4294967295u, 0});
  }
  SECTION("a diff that does not continue the journal replaces it") {
    const auto e = entry(500, 501);
    zones.mark_published(zone_a, 501, {}, &e, 3);
    CHECK(ends_of(zones.journal(zone_a)) == std::vector<std::uint32_t>{501});
  }
  SECTION("a full build empties the journal of its zone only") {
    const auto other = entry(1, 2);
    zones.mark_published(zone_b, 2, {}, &other, 3);
    zones.mark_published(zone_a, 106, {}, nullptr, 3);
    CHECK(zones.journal(zone_a).empty());
    CHECK(ends_of(zones.journal(zone_b)) == std::vector<std::uint32_t>{2});
  }
  SECTION("history 0 keeps nothing") {
    const auto e = entry(105, 106);
    zones.mark_published(zone_a, 106, {}, &e, 0);
    CHECK(zones.journal(zone_a).empty());
  }
  SECTION("the journal entry commits with the serial and the outbox stamps, or not at all") {
    devices.insert_enrollment(sample_enrollment(zone_a, "dev-x", 9)).value();
    const auto ids = ids_of(zones.pending_changes(zone_a, 100));
    // A journal insert that fails (a constraint added for the test) fails the whole call.
    const registry::journal_entry bad = entry(105, 106);
    d.exec("ALTER TABLE zone_journal ADD CONSTRAINT no_106 CHECK (to_serial <> 106)");
    CHECK_THROWS(zones.mark_published(zone_a, 106, ids, &bad, 3));
    CHECK(zones.last_serial(zone_a) == 105u);
    CHECK(zones.pending_changes(zone_a, 100).size() == 1);
    CHECK(ends_of(zones.journal(zone_a)) == std::vector<std::uint32_t>{103, 104, 105});
  }
}
