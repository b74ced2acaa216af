// reads_store on PostgreSQL (issue 5 item 3): device list with filters and keyset pagination,
// a device's audit history, the zone's counters.

#include "db/device_store_pg.hpp"
#include "db/reads_store_pg.hpp"
#include "db/tenant_store_pg.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <set>

using iotreg::test::fresh_db;
using iotreg::test::sample_enrollment;
namespace db = iotreg::db;
namespace registry = iotreg::registry;

namespace {

const std::string zone = "devices.example.";

/// Every page of `q` (limit as set), following the cursors: the ids in order.
std::vector<std::string> walk(db::pg_reads_store& s, registry::device_query q, int* pages = nullptr) {
  std::vector<std::string> ids;
  q.after.reset();
  int n = 0;
  for (;;) {
    auto rows = s.list_devices(zone, q);
    ++n;
    REQUIRE(rows.size() <= q.limit + 1);
    const bool more = rows.size() > q.limit;
    if (more) rows.resize(q.limit);
    for (const auto& r : rows) ids.push_back(r.first.id);
    if (!more) break;
    q.after = rows.back().second;
    REQUIRE(n < 100);
  }
  if (pages) *pages = n;
  return ids;
}

}  // namespace

TEST_CASE("reads_store: list filters by tenant, state and update time; pages without duplicates",
          "[pg][reads]") {
  fresh_db d;
  db::pg_tenant_store tenants{d.pool()};
  db::pg_lifecycle_store lifecycle{d.pool()};
  db::pg_device_store devices{d.pool()};
  db::pg_reads_store reads{d.pool()};
  const auto a = tenants.create_tenant("asp-a", "asp");
  const auto b = tenants.create_tenant("asp-b", "asp");
  const auto m = tenants.create_tenant("mno", "mno");
  REQUIRE(lifecycle.register_devices(zone, {"a1", "a2", "a3", "a4", "a5"}, a.id, std::nullopt).size() == 5);
  REQUIRE(lifecycle.register_devices(zone, {"b1", "b2"}, b.id, std::nullopt).size() == 2);
  // Same updated_at for several rows: the id breaks the tie, so no row is lost or repeated.
  d.exec("UPDATE devices SET updated_at = '2026-01-01T00:00:00Z' WHERE device_id IN ('a1', 'a2', 'a3')");
  d.exec("UPDATE devices SET updated_at = '2026-06-01T00:00:00Z' WHERE device_id IN ('a4', 'b1')");
  auto e = sample_enrollment(zone, "a5", 1);
  e.mno_tenant_id = m.id;
  REQUIRE(devices.insert_enrollment(e).has_value());

  registry::device_query q;
  q.limit = 1000;
  CHECK(walk(reads, q).size() == 7);

  q.only_asp = a.id;
  q.limit = 2;
  int pages = 0;
  const auto ids = walk(reads, q, &pages);
  CHECK(ids.size() == 5);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 5);
  CHECK(pages == 3);
  CHECK(ids[0] == "a1");  // oldest update first
  CHECK(ids.back() == "a5");

  q.only_asp.reset();
  q.only_mno = m.id;
  CHECK(walk(reads, q) == std::vector<std::string>{"a5"});
  q.only_mno.reset();

  q.filter.status = registry::device_status::active;
  CHECK(walk(reads, q) == std::vector<std::string>{"a5"});
  q.filter.status = registry::device_status::registered;
  CHECK(walk(reads, q).size() == 6);
  q.filter.status.reset();

  q.filter.asp_tenant_id = b.id;
  CHECK(walk(reads, q).size() == 2);
  q.only_asp = a.id;  // an ASP asking for another's devices sees none
  CHECK(walk(reads, q).empty());
  q.only_asp.reset();
  q.filter.asp_tenant_id.reset();

  q.filter.updated_since = registry::time_point(std::chrono::seconds(1780272000));  // 2026-06-01
  const auto recent = walk(reads, q);
  CHECK(std::set<std::string>(recent.begin(), recent.end()) == std::set<std::string>{"a4", "b1", "b2", "a5"});

  // Another zone's devices never show.
  CHECK(reads.list_devices("other.example.", registry::device_query{}).empty());
}

TEST_CASE("reads_store: history oldest first with id pagination; zone counters", "[pg][reads]") {
  fresh_db d;
  db::pg_tenant_store tenants{d.pool()};
  db::pg_lifecycle_store lifecycle{d.pool()};
  db::pg_device_store devices{d.pool()};
  db::pg_reads_store reads{d.pool()};
  const auto a = tenants.create_tenant("asp-a", "asp");
  REQUIRE(lifecycle.register_devices(zone, {"a1", "a2"}, a.id, std::nullopt).size() == 2);
  REQUIRE(devices.insert_enrollment(sample_enrollment(zone, "a1", 1)).has_value());
  d.exec(
      "INSERT INTO audit_log (api_key_id, action, zone, device_id, detail, request_id) "
      "VALUES (7, 'device.test', 'devices.example.', 'a1', '{\"x\": 1}', 'req-1')");

  const auto all = reads.history(zone, "a1", 0, 100);
  REQUIRE(all.size() >= 3);
  CHECK(all.front().action == "device.register");
  CHECK(all.back().action == "device.test");
  CHECK(all.back().api_key_id == 7);
  CHECK(all.back().request_id == std::optional<std::string>{"req-1"});
  CHECK(all.back().detail_json == "{\"x\": 1}");
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].id < all[i].id);

  const auto first = reads.history(zone, "a1", 0, 1);
  REQUIRE(first.size() == 2);  // limit + 1: another page follows
  const auto rest = reads.history(zone, "a1", first[0].id, 100);
  CHECK(rest.size() == all.size() - 1);
  CHECK(reads.history(zone, "nope", 0, 10).empty());

  auto c = reads.counts(zone);
  CHECK_FALSE(c.serial);
  CHECK(c.active_devices == 1);
  CHECK(c.tlsa_records == 1);
  d.exec(
      "INSERT INTO zone_state (zone, serial, published_at) VALUES ('devices.example.', 4000000000, now())");
  c = reads.counts(zone);
  CHECK(c.serial == std::optional<std::uint32_t>{4000000000u});
  CHECK(c.published_at);
}
