// reads_store on PostgreSQL (issue 5 item 3): device list with filters and keyset pagination,
// a device's audit history, the zone's counters.

#include "db/device_store_pg.hpp"
#include "db/reads_store_pg.hpp"
#include "db/tenant_store_pg.hpp"
#include "db/zone_store_pg.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

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
    for (const auto& r : rows) ids.push_back(r.device.id);
    if (!more) break;
    q.after = rows.back().pos;
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

TEST_CASE("reads_store: list items carry the TLSA of every live certificate, in one statement",
          "[pg][reads]") {
  using namespace std::chrono_literals;
  fresh_db d;
  db::pg_tenant_store tenants{d.pool()};
  db::pg_lifecycle_store lifecycle{d.pool()};
  db::pg_device_store devices{d.pool()};
  db::pg_zone_store zones{d.pool()};
  db::pg_reads_store reads{d.pool()};
  const auto a = tenants.create_tenant("asp-a", "asp");
  REQUIRE(lifecycle.register_devices(zone, {"reg"}, a.id, std::nullopt).size() == 1);
  const std::string dev = "89049032000001000000000000000001";
  REQUIRE(devices.insert_enrollment(sample_enrollment(zone, dev, 1)).has_value());
  REQUIRE(devices.insert_enrollment(sample_enrollment(zone, "one", 5)).has_value());
  // A rekey (new TLSA) and a renewal (same TLSA as the first): three live certificates, two
  // distinct records; then a revoked device whose certificates are no longer live.
  const auto far = iotreg::test::now_us() + 24h * 400;
  for (const auto& [n, n_key, action] : {std::tuple{2, 3, "rekey"}, std::tuple{4, 1, "renew"}}) {
    registry::new_certificate c;
    c.zone = zone;
    c.device_id = dev;
    c.tlsa = sample_enrollment(zone, dev, n_key).tlsa;
    c.certificate = sample_enrollment(zone, dev, n).certificate;
    c.certificate.not_after = far;
    c.action = action;
    REQUIRE(devices.insert_certificate(c).has_value());
  }
  REQUIRE(devices.insert_enrollment(sample_enrollment(zone, "gone", 6)).has_value());
  REQUIRE(devices.revoke(zone, "gone").has_value());

  registry::device_query q;
  q.limit = 100;
  std::map<std::string, std::vector<registry::tlsa_data>> listed;
  for (auto& r : reads.list_devices(zone, q)) listed[r.device.id] = r.tlsa;
  REQUIRE(listed.size() == 4);
  CHECK(listed.at("reg").empty());   // registered: no certificate
  CHECK(listed.at("gone").empty());  // revoked: no live certificate
  REQUIRE(listed.at("one").size() == 1);
  CHECK(listed.at("one")[0] == sample_enrollment(zone, "one", 5).tlsa);
  // The rekeyed device: its two distinct records, ordered by their bytes, and exactly what the
  // zone publishes for it (zone_active_tlsa, the source of a full zone build).
  const auto& two = listed.at(dev);
  REQUIRE(two.size() == 2);
  std::vector<registry::tlsa_data> expected{sample_enrollment(zone, dev, 1).tlsa,
                                            sample_enrollment(zone, dev, 3).tlsa};
  std::sort(expected.begin(), expected.end(),
            [](const auto& x, const auto& y) { return x.association < y.association; });
  CHECK(two == expected);
  std::vector<registry::tlsa_data> published;
  for (const auto& t : zones.active_tlsa(zone))
    if (t.device_id == dev) published.push_back(t.tlsa);
  CHECK(two == published);
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
