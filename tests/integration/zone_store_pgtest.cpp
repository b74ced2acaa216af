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
  zones.mark_published(zone_a, 2025010100, first);
  CHECK(zones.last_serial(zone_a) == 2025010100u);
  CHECK_FALSE(zones.last_serial(zone_b).has_value());
  CHECK(zones.pending_changes(zone_a, 100).size() == 2);
  CHECK(devices.find(zone_a, "dev-0")->zone_serial == 2025010100u);
  CHECK(devices.find(zone_a, "dev-1")->zone_serial == 2025010100u);
  CHECK_FALSE(devices.find(zone_a, "dev-2")->zone_serial.has_value());

  const auto rest = ids_of(zones.pending_changes(zone_a, 100));
  zones.mark_published(zone_a, 4294967295u, rest);  // the largest serial round-trips
  CHECK(zones.pending_changes(zone_a, 100).empty());
  CHECK(zones.last_serial(zone_a) == 4294967295u);
  CHECK(devices.find(zone_a, "dev-3")->zone_serial == 4294967295u);

  SECTION("a published change keeps the first serial that published it") {
    zones.mark_published(zone_a, 7, first);
    CHECK(zones.last_serial(zone_a) == 7u);
    CHECK(devices.find(zone_a, "dev-0")->zone_serial == 2025010100u);
  }
  SECTION("ids of another zone are not touched") {
    const auto other = ids_of(zones.pending_changes(zone_b, 100));
    zones.mark_published(zone_a, 8, other);
    CHECK(zones.pending_changes(zone_b, 100).size() == 1);
  }
  SECTION("no ids: only the serial moves") {
    zones.mark_published(zone_b, 1, {});
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
