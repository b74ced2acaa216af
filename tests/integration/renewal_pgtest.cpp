// Several live certificates per device (migration 005) in PostgreSQL: renewal and rekey add
// certificates with an `add` only for a new TLSA, confirm and the expiry sweep withdraw with a
// `remove` only for a TLSA no live certificate keeps, revoke removes every live TLSA, and the
// full build lists each (device, TLSA) once.

#include "db/device_store_pg.hpp"
#include "db/zone_store_pg.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using iotreg::test::fresh_db;
using iotreg::test::sample_enrollment;
namespace db = iotreg::db;
namespace registry = iotreg::registry;
using registry::errc;
using namespace std::chrono_literals;

namespace {

constexpr const char* zone = "iotregistry.test.";
constexpr const char* dev = "89049032000001000000000000000001";

/// A certificate for `dev` numbered n: same TLSA as sample_enrollment(n_key).
registry::new_certificate sample_certificate(int n, int n_key, registry::time_point not_after,
                                             const char* action = "rekey") {
  const auto base = sample_enrollment(zone, dev, n_key);
  registry::new_certificate c;
  c.zone = zone;
  c.device_id = dev;
  c.tlsa = base.tlsa;
  c.certificate = sample_enrollment(zone, dev, n).certificate;
  c.certificate.not_before = std::min(c.certificate.not_before, not_after - 1h);
  c.certificate.not_after = not_after;
  c.action = action;
  return c;
}

std::int64_t count(const fresh_db& d, const std::string& where) {
  return d.scalar("SELECT count(*) FROM zone_changes WHERE " + where);
}

std::size_t live_tlsa(db::pg_zone_store& zones, const std::string& device) {
  std::size_t n = 0;
  for (const auto& t : zones.active_tlsa(zone)) n += t.device_id == device;
  return n;
}

}  // namespace

TEST_CASE("renewal/several certificates: add only for a new TLSA, confirm withdraws older ones",
          "[pg][renewal]") {
  fresh_db d;
  db::pg_device_store store{d.pool()};
  db::pg_zone_store zones{d.pool()};
  REQUIRE(store.insert_enrollment(sample_enrollment(zone, dev, 1)).has_value());
  const auto far = iotreg::test::now_us() + 24h * 400;

  // Renewal: same TLSA, no zone change.
  auto renewed = store.insert_certificate(sample_certificate(2, 1, far, "renew"));
  REQUIRE(renewed.has_value());
  CHECK_FALSE(renewed->has_value());
  CHECK(count(d, "op = 'add'") == 1);
  CHECK(live_tlsa(zones, dev) == 1);
  // Rekey: a new TLSA, one add.
  auto rekeyed = store.insert_certificate(sample_certificate(3, 3, far));
  REQUIRE(rekeyed.has_value());
  REQUIRE(rekeyed->has_value());
  CHECK(count(d, "op = 'add'") == 2);
  CHECK(live_tlsa(zones, dev) == 2);
  // find() shows the newest certificate.
  CHECK(store.find(zone, dev)->certificate.serial_hex ==
        sample_enrollment(zone, dev, 3).certificate.serial_hex);
  CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE action IN ('device.renew', 'device.rekey')") == 2);

  // Errors.
  CHECK(store.confirm_certificate(zone, dev, "ffff").error().code == errc::certificate_not_found);
  CHECK(store.confirm_certificate(zone, "nodevice", "ffff").error().code == errc::device_not_found);

  // Confirm #3: #1 and #2 are withdrawn; they share one TLSA, which gets ONE remove.
  const auto serial3 = sample_enrollment(zone, dev, 3).certificate.serial_hex;
  auto ids = store.confirm_certificate(zone, dev, serial3);
  REQUIRE(ids.has_value());
  CHECK(ids->size() == 1);
  CHECK(count(d, "op = 'remove'") == 1);
  CHECK(live_tlsa(zones, dev) == 1);
  CHECK(d.scalar("SELECT count(*) FROM certificates WHERE withdrawn_at IS NOT NULL") == 2);
  CHECK(d.scalar("SELECT count(*) FROM certificates WHERE confirmed_at IS NOT NULL") == 1);
  CHECK(store.confirm_certificate(zone, dev, sample_enrollment(zone, dev, 1).certificate.serial_hex)
            .error()
            .code == errc::certificate_not_live);
  // Confirming again changes nothing.
  auto again = store.confirm_certificate(zone, dev, serial3);
  REQUIRE(again.has_value());
  CHECK(again->empty());
}

TEST_CASE("renewal/confirm keeps a TLSA that the confirmed certificate carries", "[pg][renewal]") {
  fresh_db d;
  db::pg_device_store store{d.pool()};
  db::pg_zone_store zones{d.pool()};
  REQUIRE(store.insert_enrollment(sample_enrollment(zone, dev, 1)).has_value());
  const auto far = iotreg::test::now_us() + 24h * 400;
  REQUIRE(store.insert_certificate(sample_certificate(2, 1, far, "renew")).has_value());
  auto ids = store.confirm_certificate(zone, dev, sample_enrollment(zone, dev, 2).certificate.serial_hex);
  REQUIRE(ids.has_value());
  CHECK(ids->empty());
  CHECK(count(d, "op = 'remove'") == 0);
  CHECK(live_tlsa(zones, dev) == 1);
}

TEST_CASE("renewal/the expiry sweep withdraws expired certificates, one remove per unused TLSA",
          "[pg][renewal]") {
  fresh_db d;
  db::pg_device_store store{d.pool()};
  db::pg_zone_store zones{d.pool()};
  const auto now = iotreg::test::now_us();
  auto e = sample_enrollment(zone, dev, 1);
  e.certificate.not_after = now + 1h;
  REQUIRE(store.insert_enrollment(e).has_value());
  // A renewal of the same key that expires later, and a rekeyed certificate that expires first.
  REQUIRE(store.insert_certificate(sample_certificate(2, 1, now + 3h, "renew")).has_value());
  REQUIRE(store.insert_certificate(sample_certificate(3, 3, now + 2h)).has_value());
  // Another device, never expiring within the test.
  REQUIRE(store.insert_enrollment(sample_enrollment(zone, "other", 9)).has_value());

  // The expiring list, paged by (not_after, id).
  auto all = store.expiring(zone, now + 5h, std::nullopt, 10, {});
  REQUIRE(all.size() == 3);
  CHECK(all[0].not_after == e.certificate.not_after);
  CHECK(all[1].serial_hex == sample_enrollment(zone, dev, 3).certificate.serial_hex);
  auto page =
      store.expiring(zone, now + 5h, registry::expiring_cursor{all[0].not_after, all[0].row_id}, 1, {});
  REQUIRE(page.size() == 1);
  CHECK(page[0].row_id == all[1].row_id);

  CHECK(store.withdraw_expired(zone, now, 100).empty());
  // +1h30: #1 expired, but #2 carries the same TLSA: withdrawn, no remove.
  CHECK(store.withdraw_expired(zone, now + 90min, 100).empty());
  CHECK(d.scalar("SELECT count(*) FROM certificates WHERE withdrawn_at IS NOT NULL") == 1);
  CHECK(live_tlsa(zones, dev) == 2);
  // +2h30: #3 expired, its TLSA is its own: one remove.
  CHECK(store.withdraw_expired(zone, now + 150min, 100).size() == 1);
  CHECK(live_tlsa(zones, dev) == 1);
  // +4h: every certificate of the device has expired.
  CHECK(store.withdraw_expired(zone, now + 4h, 100).size() == 1);
  CHECK(live_tlsa(zones, dev) == 0);
  CHECK(live_tlsa(zones, "other") == 1);
  CHECK(store.withdraw_expired(zone, now + 4h, 100).empty());
  CHECK(store.expiring(zone, now + 5h, std::nullopt, 10, {}).empty());
  CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE action = 'certificate.expire'") == 3);

  // Revoking a device whose certificates all expired writes no change (id 0).
  auto rv = store.revoke(zone, dev, 1);
  REQUIRE(rv.has_value());
  CHECK(*rv == 0);
}

TEST_CASE("renewal/revoke removes every live TLSA of the device", "[pg][renewal]") {
  fresh_db d;
  db::pg_device_store store{d.pool()};
  db::pg_zone_store zones{d.pool()};
  REQUIRE(store.insert_enrollment(sample_enrollment(zone, dev, 1)).has_value());
  const auto far = iotreg::test::now_us() + 24h * 400;
  REQUIRE(store.insert_certificate(sample_certificate(2, 1, far, "renew")).has_value());
  REQUIRE(store.insert_certificate(sample_certificate(3, 3, far)).has_value());
  auto rv = store.revoke(zone, dev, 0);
  REQUIRE(rv.has_value());
  CHECK(count(d, "op = 'remove'") == 2);  // two distinct TLSA, three certificates
  CHECK(d.scalar("SELECT max(id) FROM zone_changes WHERE op = 'remove'") == *rv);
  CHECK(live_tlsa(zones, dev) == 0);
  CHECK(d.scalar("SELECT count(*) FROM certificates WHERE revoked_at IS NULL") == 0);
  CHECK(store.insert_certificate(sample_certificate(4, 4, far)).error().code == errc::device_already_revoked);
  CHECK(store.confirm_certificate(zone, dev, "1f100003").error().code == errc::device_already_revoked);
}

TEST_CASE("renewal/two nodes sweeping at once write each remove once", "[pg][renewal]") {
  fresh_db d;
  db::pg_device_store store{d.pool()};
  const auto now = iotreg::test::now_us();
  constexpr int devices = 40;
  for (int i = 0; i < devices; ++i) {
    auto e = sample_enrollment(zone, "dev-" + std::to_string(i), i + 1);
    e.certificate.not_after = now + 1min;
    REQUIRE(store.insert_enrollment(e).has_value());
  }
  std::vector<std::int64_t> a, b;
  std::thread t1([&] {
    for (int i = 0; i < 10; ++i) {
      auto ids = store.withdraw_expired(zone, now + 1h, 3);
      a.insert(a.end(), ids.begin(), ids.end());
    }
  });
  std::thread t2([&] {
    for (int i = 0; i < 10; ++i) {
      auto ids = store.withdraw_expired(zone, now + 1h, 3);
      b.insert(b.end(), ids.begin(), ids.end());
    }
  });
  t1.join();
  t2.join();
  CHECK(a.size() + b.size() == devices);
  CHECK(count(d, "op = 'remove'") == devices);
}

TEST_CASE("renewal/the expiring list restricted to a tenant, paged", "[pg][renewal][tenants]") {
  fresh_db d;
  db::pg_device_store store{d.pool()};
  d.exec(
      "INSERT INTO tenants (name, kind) VALUES ('asp1', 'asp'), ('asp2', 'asp'), ('mno1', 'mno'), "
      "('mno2', 'mno')");
  auto tenant = [&](const char* name) {
    return d.scalar(std::string("SELECT id FROM tenants WHERE name = '") + name + "'");
  };
  const auto asp1 = tenant("asp1"), asp2 = tenant("asp2"), mno1 = tenant("mno1"), mno2 = tenant("mno2");
  const auto now = iotreg::test::now_us();
  // Devices 1..3 of (asp1, mno1), 4..5 of (asp2, mno2), expiring one hour apart.
  for (int n = 1; n <= 5; ++n) {
    const std::string id = "8904903200000100000000000000001" + std::to_string(n);
    auto e = sample_enrollment(zone, id, n);
    e.certificate.not_after = now + std::chrono::hours(n);
    e.mno_tenant_id = n <= 3 ? mno1 : mno2;
    REQUIRE(store.insert_enrollment(e).has_value());
    d.exec("UPDATE devices SET asp_tenant_id = " + std::to_string(n <= 3 ? asp1 : asp2) +
           " WHERE device_id = '" + id + "'");
  }
  // A device with no tenant (the admin's): only the admin sees it.
  REQUIRE(
      store.insert_enrollment(sample_enrollment(zone, "89049032000001000000000000000019", 9)).has_value());

  const auto before = now + 24h * 400;
  CHECK(store.expiring(zone, before, std::nullopt, 100, {}).size() == 6);

  auto ids_of = [](const std::vector<registry::expiring_certificate>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.device_id.substr(r.device_id.size() - 1));
    return out;
  };
  SECTION("an MNO sees the devices it activated, with their owners, paged") {
    const registry::listing_scope only{std::nullopt, mno1};
    auto all = store.expiring(zone, before, std::nullopt, 100, only);
    CHECK(ids_of(all) == std::vector<std::string>{"1", "2", "3"});
    for (const auto& r : all) {
      CHECK(r.mno_tenant_id == mno1);
      CHECK(r.asp_tenant_id == asp1);
    }
    // Pages of two: every row once, in order, none of the other tenant's.
    auto p1 = store.expiring(zone, before, std::nullopt, 2, only);
    REQUIRE(p1.size() == 2);
    auto p2 = store.expiring(zone, before, registry::expiring_cursor{p1[1].not_after, p1[1].row_id}, 2, only);
    CHECK(ids_of(p2) == std::vector<std::string>{"3"});
  }
  SECTION("an ASP sees its devices") {
    auto rows = store.expiring(zone, before, std::nullopt, 100, {asp2, std::nullopt});
    CHECK(ids_of(rows) == std::vector<std::string>{"4", "5"});
    CHECK(rows[0].asp_tenant_id == asp2);
    // A cursor taken inside another tenant's rows does not leak them.
    auto p = store.expiring(zone, before, registry::expiring_cursor{now, 0}, 1, {asp2, std::nullopt});
    CHECK(ids_of(p) == std::vector<std::string>{"4"});
  }
  SECTION("a tenant of neither kind matching sees nothing") {
    CHECK(store.expiring(zone, before, std::nullopt, 100, {std::nullopt, asp1}).empty());
  }
}
