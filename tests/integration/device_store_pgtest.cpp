#include "db/api_key_store_pg.hpp"
#include "db/device_store_pg.hpp"
#include "db/zone_store_pg.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>
#include <pqxx/except>

#include <chrono>
#include <thread>

using iotreg::test::fresh_db;
using iotreg::test::sample_enrollment;
namespace db = iotreg::db;
namespace registry = iotreg::registry;
using registry::errc;

namespace {
constexpr const char* zone = "iotregistry.test.";

std::int64_t rows(const fresh_db& d, const std::string& table) {
  return d.scalar("SELECT count(*) FROM " + table);
}
}  // namespace

TEST_CASE("device_store/insert_enrollment then find returns every field", "[pg][device]") {
  fresh_db d;
  db::pg_device_store store{d.pool()};
  auto e = sample_enrollment(zone, "89049032000001000000000000000001", 1);
  // Every byte value, NULs first and last, through bytea.
  e.tlsa.association.clear();
  e.tlsa.association.push_back(0x00);
  for (int b = 0; b < 256; ++b) e.tlsa.association.push_back(static_cast<std::uint8_t>(b));
  e.tlsa.association.push_back(0x00);
  e.tlsa.usage = 0;
  e.tlsa.selector = 255;
  e.tlsa.matching = 2;

  const auto before = iotreg::test::now_us() - std::chrono::seconds{5};
  const auto change = store.insert_enrollment(e);
  REQUIRE(change.has_value());
  CHECK(*change > 0);

  const auto dev = store.find(zone, e.device_id);
  REQUIRE(dev.has_value());
  CHECK(dev->zone == zone);
  CHECK(dev->id == e.device_id);
  CHECK(dev->status == registry::device_status::active);
  CHECK(dev->tlsa == e.tlsa);
  CHECK(dev->tlsa.association.size() == 258);
  CHECK(dev->certificate.serial_hex == e.certificate.serial_hex);
  CHECK(dev->certificate.pem == e.certificate.pem);
  CHECK(dev->certificate.issuer_key_id_hex == e.certificate.issuer_key_id_hex);
  CHECK(dev->certificate.not_before == e.certificate.not_before);
  CHECK(dev->certificate.not_after == e.certificate.not_after);
  CHECK_FALSE(dev->certificate.revoked_at.has_value());
  CHECK_FALSE(dev->zone_serial.has_value());
  CHECK(dev->created_at >= before);
  CHECK(dev->created_at <= iotreg::test::now_us() + std::chrono::seconds{5});
  CHECK(dev->updated_at == dev->created_at);

  CHECK(rows(d, "certificates") == 1);
  CHECK(d.scalar("SELECT count(*) FROM zone_changes WHERE op = 'add' AND id = " + std::to_string(*change)) ==
        1);
  CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE action = 'device.enroll' "
                 "AND detail->>'change_id' = '" +
                 std::to_string(*change) + "'") == 1);

  CHECK_FALSE(store.find(zone, "nosuchdevice").has_value());
  CHECK_FALSE(store.find("other.test.", e.device_id).has_value());
}

TEST_CASE("device_store/insert_enrollment records the api key in device and audit rows", "[pg][device]") {
  fresh_db d;
  db::pg_device_store store{d.pool()};
  db::pg_api_key_store keys{d.pool()};
  std::array<std::uint8_t, 32> hash{};
  hash[31] = 1;
  const auto key = keys.insert("ops", "admin", hash);
  auto e = sample_enrollment(zone, "dev-a", 1);
  e.api_key_id = key;
  REQUIRE(store.insert_enrollment(e).has_value());
  CHECK(d.scalar("SELECT created_by FROM devices") == key);
  CHECK(d.scalar("SELECT api_key_id FROM audit_log") == key);

  SECTION("error/unknown api key throws and leaves nothing behind") {
    auto bad = sample_enrollment(zone, "dev-b", 2);
    bad.api_key_id = key + 1000;
    CHECK_THROWS_AS(store.insert_enrollment(bad), pqxx::foreign_key_violation);
    CHECK(rows(d, "devices") == 1);
    CHECK(rows(d, "certificates") == 1);
    CHECK(rows(d, "zone_changes") == 1);
    CHECK(rows(d, "audit_log") == 1);
  }
}

TEST_CASE("device_store/duplicate device is device_exists and leaves nothing behind", "[pg][device]") {
  fresh_db d;
  db::pg_device_store store{d.pool()};
  REQUIRE(store.insert_enrollment(sample_enrollment(zone, "dev-1", 1)).has_value());

  const auto again = store.insert_enrollment(sample_enrollment(zone, "dev-1", 2));
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == errc::device_exists);
  CHECK_FALSE(again.error().detail.empty());
  CHECK(rows(d, "devices") == 1);
  CHECK(rows(d, "certificates") == 1);
  CHECK(rows(d, "zone_changes") == 1);
  CHECK(rows(d, "audit_log") == 1);
  CHECK(store.find(zone, "dev-1")->certificate.serial_hex ==
        sample_enrollment(zone, "dev-1", 1).certificate.serial_hex);

  SECTION("the same id in another zone is another device") {
    CHECK(store.insert_enrollment(sample_enrollment("other.test.", "dev-1", 3)).has_value());
  }
  SECTION("error/a reused certificate serial throws (a bug, not a conflict) and rolls back") {
    CHECK_THROWS_AS(store.insert_enrollment(sample_enrollment(zone, "dev-2", 1)), pqxx::unique_violation);
    CHECK_FALSE(store.find(zone, "dev-2").has_value());
    CHECK(rows(d, "devices") == 1);
    CHECK(rows(d, "zone_changes") == 1);
    CHECK(rows(d, "audit_log") == 1);
  }
}

TEST_CASE("device_store/revoke", "[pg][device]") {
  fresh_db d;
  db::pg_device_store store{d.pool()};
  db::pg_zone_store zones{d.pool()};
  const auto e = sample_enrollment(zone, "dev-1", 1);
  const auto added = store.insert_enrollment(e);
  REQUIRE(added.has_value());

  SECTION("error/unknown device") {
    const auto r = store.revoke(zone, "nosuchdevice");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::device_not_found);
    CHECK(rows(d, "zone_changes") == 1);
  }
  SECTION("error/known id in another zone") {
    const auto r = store.revoke("other.test.", "dev-1");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::device_not_found);
  }
  SECTION("ok, then already revoked") {
    const auto r = store.revoke(zone, "dev-1");
    REQUIRE(r.has_value());
    CHECK(*r > *added);

    const auto dev = store.find(zone, "dev-1");
    REQUIRE(dev.has_value());
    CHECK(dev->status == registry::device_status::revoked);
    REQUIRE(dev->certificate.revoked_at.has_value());
    CHECK(dev->updated_at >= dev->created_at);
    CHECK(*dev->certificate.revoked_at == dev->updated_at);  // both now() of one transaction

    const auto pending = zones.pending_changes(zone, 10);
    REQUIRE(pending.size() == 2);
    CHECK(pending[1].id == *r);
    CHECK(pending[1].op == registry::zone_change::kind::remove);
    CHECK(pending[1].device_id == "dev-1");
    CHECK(pending[1].tlsa == e.tlsa);
    CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE action = 'device.revoke'") == 1);

    const auto again = store.revoke(zone, "dev-1");
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == errc::device_already_revoked);
    CHECK(rows(d, "zone_changes") == 2);
    CHECK(rows(d, "audit_log") == 2);
  }
  SECTION("concurrent revocations: exactly one wins") {
    registry::result<std::int64_t> a = registry::error{}, b = registry::error{};
    std::thread t1{[&] { a = store.revoke(zone, "dev-1"); }};
    std::thread t2{[&] { b = store.revoke(zone, "dev-1"); }};
    t1.join();
    t2.join();
    CHECK(a.has_value() != b.has_value());
    const auto& loser = a.has_value() ? b : a;
    REQUIRE_FALSE(loser.has_value());
    CHECK(loser.error().code == errc::device_already_revoked);
    CHECK(d.scalar("SELECT count(*) FROM zone_changes WHERE op = 'remove'") == 1);
  }
}
