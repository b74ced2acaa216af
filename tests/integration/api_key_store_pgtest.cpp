#include "db/api_key_store_pg.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>
#include <pqxx/except>

using iotreg::test::fresh_db;
namespace db = iotreg::db;

namespace {
std::array<std::uint8_t, 32> hash_of(std::uint8_t seed) {
  std::array<std::uint8_t, 32> h{};  // mostly 0x00 on purpose
  h[0] = seed;
  h[17] = 0xff;
  return h;
}
}  // namespace

TEST_CASE("api_key_store/insert, find_active, count_active", "[pg][api_key]") {
  fresh_db d;
  db::pg_api_key_store keys{d.pool()};
  CHECK(keys.count_active("admin") == 0);
  CHECK_FALSE(keys.find_active(hash_of(1)).has_value());

  const auto id = keys.insert("bootstrap", "admin", hash_of(1));
  CHECK(id > 0);
  const auto k = keys.find_active(hash_of(1));
  REQUIRE(k.has_value());
  CHECK(k->id == id);
  CHECK(k->name == "bootstrap");
  CHECK(k->role == "admin");
  CHECK(keys.count_active("admin") == 1);
  CHECK(keys.count_active("tenant") == 0);
  CHECK_FALSE(keys.find_active(hash_of(2)).has_value());
  CHECK(d.scalar("SELECT octet_length(key_hash) FROM api_keys") == 32);

  SECTION("error/the same hash twice throws") {
    CHECK_THROWS_AS(keys.insert("again", "admin", hash_of(1)), pqxx::unique_violation);
  }
  SECTION("a revoked key is not active") {
    d.exec("UPDATE api_keys SET revoked_at = now()");
    CHECK_FALSE(keys.find_active(hash_of(1)).has_value());
    CHECK(keys.count_active("admin") == 0);
  }
  SECTION("an expired key is not active") {
    d.exec("UPDATE api_keys SET expires_at = now() - interval '1 second'");
    CHECK_FALSE(keys.find_active(hash_of(1)).has_value());
    CHECK(keys.count_active("admin") == 0);
  }
  SECTION("a key expiring later is active") {
    d.exec("UPDATE api_keys SET expires_at = now() + interval '1 hour'");
    CHECK(keys.find_active(hash_of(1)).has_value());
    CHECK(keys.count_active("admin") == 1);
  }
}
