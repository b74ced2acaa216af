#include "db/migrate.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>
#include <pqxx/except>
#include <pqxx/transaction>

#include <atomic>
#include <thread>
#include <vector>

using iotreg::test::fresh_db;
namespace db = iotreg::db;

namespace {
std::vector<std::pair<int, std::string>> embedded_versions() {
  std::vector<std::pair<int, std::string>> out;
  for (const auto& m : db::embedded_migrations()) out.emplace_back(m.version, std::string{m.name});
  return out;
}
}  // namespace

TEST_CASE("migrate/embedded migrations are numbered from 1, in increasing order", "[pg][migrate]") {
  const auto& all = db::embedded_migrations();
  REQUIRE_FALSE(all.empty());
  CHECK(all.front().version == 1);
  CHECK(all.front().name == "init");
  // Strictly increasing; a gap is possible while parallel branches each add a migration.
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i].version > all[i - 1].version);
}

TEST_CASE("migrate/applies every migration once; a second run is a no-op", "[pg][migrate]") {
  fresh_db d{false};
  auto c = d.connect();
  CHECK(db::applied_migrations(c).empty());

  db::migrate(c);
  const auto first = db::applied_migrations(c);
  CHECK(first == embedded_versions());
  const auto applied_at =
      d.scalar("SELECT (extract(epoch FROM max(applied_at)) * 1000000)::bigint FROM schema_migrations");

  db::migrate(c);
  CHECK(db::applied_migrations(c) == first);
  CHECK(d.scalar("SELECT (extract(epoch FROM max(applied_at)) * 1000000)::bigint "
                 "FROM schema_migrations") == applied_at);
  for (const char* table :
       {"api_keys", "devices", "certificates", "zone_changes", "zone_state", "audit_log"}) {
    INFO(table);
    CHECK(d.scalar(std::string{"SELECT count(*) FROM "} + table) == 0);
  }
}

TEST_CASE("migrate/nodes starting at once apply each migration exactly once", "[pg][migrate]") {
  fresh_db d{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> nodes;
  for (int i = 0; i < 6; ++i) {
    nodes.emplace_back([&] {
      try {
        pqxx::connection c{d.dsn()};
        db::migrate(c);
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& t : nodes) t.join();
  CHECK(failures == 0);
  auto c = d.connect();
  CHECK(db::applied_migrations(c) == embedded_versions());
}

TEST_CASE("migrate/a renamed applied migration is refused", "[pg][migrate]") {
  fresh_db d;
  d.exec("UPDATE schema_migrations SET name = 'renamed' WHERE version = 1");
  auto c = d.connect();
  CHECK_THROWS_AS(db::migrate(c), std::runtime_error);
}

TEST_CASE("schema/audit_log is append-only", "[pg][schema]") {
  fresh_db d;
  d.exec("INSERT INTO audit_log (action, zone, device_id) VALUES ('test', 'z.', 'd')");
  CHECK_THROWS_AS(d.exec("UPDATE audit_log SET action = 'forged'"), pqxx::sql_error);
  CHECK_THROWS_AS(d.exec("DELETE FROM audit_log"), pqxx::sql_error);
  CHECK_THROWS_AS(d.exec("TRUNCATE audit_log"), pqxx::sql_error);
  CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE action = 'test'") == 1);
}

TEST_CASE("schema/constraints", "[pg][schema]") {
  fresh_db d;
  SECTION("error/api key hash not 32 bytes") {
    CHECK_THROWS_AS(d.exec("INSERT INTO api_keys (name, role, key_hash) "
                           "VALUES ('k', 'admin', '\\x00'::bytea)"),
                    pqxx::check_violation);
  }
  SECTION("error/unknown device status") {
    CHECK_THROWS_AS(d.exec("INSERT INTO devices (zone, device_id, status) VALUES ('z.', 'd', 'lost')"),
                    pqxx::check_violation);
  }
  SECTION("error/upper-case device id") {
    CHECK_THROWS_AS(d.exec("INSERT INTO devices (zone, device_id) VALUES ('z.', 'D')"),
                    pqxx::check_violation);
  }
  SECTION("error/zone serial beyond 32 bits") {
    CHECK_THROWS_AS(d.exec("INSERT INTO zone_state (zone, serial) VALUES ('z.', 4294967296)"),
                    pqxx::check_violation);
  }
  SECTION("error/unknown zone change op") {
    CHECK_THROWS_AS(d.exec("INSERT INTO zone_changes (zone, device_id, op, tlsa_usage, "
                           "tlsa_selector, tlsa_matching, tlsa_data) "
                           "VALUES ('z.', 'd', 'update', 3, 1, 1, '\\x00')"),
                    pqxx::check_violation);
  }
}
