// service_endpoint_store on PostgreSQL (migration 008): put replaces endpoint and records in one
// transaction with an audit row, find reads them in order, remove cascades, an unknown tenant
// is refused by the foreign key and leaves nothing behind.

#include "db/service_endpoint_store_pg.hpp"
#include "db/tenant_store_pg.hpp"
#include "registry/request_context.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>

using iotreg::test::fresh_db;
namespace db = iotreg::db;
namespace registry = iotreg::registry;

TEST_CASE("service_endpoint_store: put, replace, find, remove, with audit rows", "[pg][iotsafe]") {
  fresh_db d;
  db::pg_tenant_store tenants{d.pool()};
  db::pg_service_endpoint_store store{d.pool()};
  const auto asp = tenants.create_tenant("asp", "asp");
  CHECK_FALSE(store.find(asp.id));

  const registry::service_endpoint first{
      "svc.example",
      8443,
      {{3, 1, 1, std::vector<std::uint8_t>(32, 0xab)}, {2, 0, 2, std::vector<std::uint8_t>(64, 1)}}};
  {
    const registry::request_scope scope({"req-1", 7});
    store.put(asp.id, first, 7);
  }
  CHECK(store.find(asp.id) == first);
  CHECK(d.scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'tenant.service_endpoint.set' AND api_key_id = 7 "
            "AND request_id = 'req-1' AND (detail->>'tenant_id')::bigint = " +
            std::to_string(asp.id)) == 1);

  const registry::service_endpoint second{
      "other.example", 443, {{3, 1, 1, std::vector<std::uint8_t>(32, 0xcd)}}};
  store.put(asp.id, second, std::nullopt);
  CHECK(store.find(asp.id) == second);  // the old records are gone
  CHECK(d.scalar("SELECT count(*) FROM service_endpoint_tlsa") == 1);

  CHECK(store.remove(asp.id, 7));
  CHECK_FALSE(store.find(asp.id));
  CHECK(d.scalar("SELECT count(*) FROM service_endpoint_tlsa") == 0);
  CHECK_FALSE(store.remove(asp.id, 7));
  CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE action = 'tenant.service_endpoint.delete'") == 1);

  // An unknown tenant: the foreign key refuses, nothing (not even the audit row) is written.
  CHECK_THROWS(store.put(asp.id + 100, first, 7));
  CHECK(d.scalar("SELECT count(*) FROM service_endpoints") == 0);
  CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'tenant.service_endpoint.%'") ==
        3);  // two sets, one delete
  // The CHECKs are the last guard.
  CHECK_THROWS(d.exec("INSERT INTO service_endpoints (tenant_id, host, port) VALUES (" +
                      std::to_string(asp.id) + ", 'x.example', 0)"));
}
