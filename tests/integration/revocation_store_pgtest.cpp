#include "db/device_store_pg.hpp"
#include "db/revocation_store_pg.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using iotreg::test::fresh_db;
using iotreg::test::sample_enrollment;
namespace db = iotreg::db;
namespace registry = iotreg::registry;

namespace {
constexpr const char* zone = "iotregistry.test.";

registry::stored_crl fake_crl(std::uint64_t number, std::size_t entries) {
  registry::stored_crl c;
  c.number = number;
  c.der = {0x30, static_cast<std::uint8_t>(entries)};
  c.this_update = iotreg::test::now_us();
  c.next_update = c.this_update + std::chrono::hours(24);
  return c;
}
}  // namespace

TEST_CASE("revocation_store: reasons, status, revoked list and growing CRL numbers", "[pg][revocation]") {
  fresh_db d;
  db::pg_device_store devices{d.pool()};
  db::pg_revocation_store store{d.pool()};
  const auto e1 = sample_enrollment(zone, "89049032000001000000000000000001", 1);
  const auto e2 = sample_enrollment(zone, "89049032000001000000000000000002", 2);
  REQUIRE(devices.insert_enrollment(e1).has_value());
  REQUIRE(devices.insert_enrollment(e2).has_value());
  const auto& issuer = e1.certificate.issuer_key_id_hex;
  REQUIRE(issuer == e2.certificate.issuer_key_id_hex);

  // Issued, not revoked: a state without revocation time; never issued: nullopt.
  auto s = store.status(issuer, e1.certificate.serial_hex);
  REQUIRE(s.has_value());
  CHECK_FALSE(s->revoked_at.has_value());
  CHECK_FALSE(store.status(issuer, "abcdef").has_value());
  CHECK_FALSE(store.status("00", e1.certificate.serial_hex).has_value());
  CHECK(store.revoked(issuer).empty());
  CHECK_FALSE(store.current_crl(issuer).has_value());

  REQUIRE(devices.revoke(zone, e1.device_id, 1).has_value());
  s = store.status(issuer, e1.certificate.serial_hex);
  REQUIRE(s.has_value());
  CHECK(s->revoked_at.has_value());
  CHECK(s->reason == 1);
  CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE detail->>'reason_code' = '1'") == 1);
  auto list = store.revoked(issuer);
  REQUIRE(list.size() == 1);
  CHECK(list[0].serial_hex == e1.certificate.serial_hex);
  CHECK(list[0].reason == 1);

  // First CRL: number 1, given the revoked list.
  std::uint64_t seen_number = 0;
  std::size_t seen_entries = 99;
  auto c =
      store.replace_crl(issuer, [&](std::uint64_t n, const std::vector<registry::revoked_certificate>& r) {
        seen_number = n;
        seen_entries = r.size();
        return fake_crl(n, r.size());
      });
  CHECK(seen_number == 1);
  CHECK(seen_entries == 1);
  auto stored = store.current_crl(issuer);
  REQUIRE(stored.has_value());
  CHECK(stored->number == 1);
  CHECK(stored->der == c.der);
  CHECK(stored->this_update == c.this_update);
  CHECK(stored->next_update == c.next_update);

  REQUIRE(devices.revoke(zone, e2.device_id, 5).has_value());
  store.replace_crl(issuer, [&](std::uint64_t n, const std::vector<registry::revoked_certificate>& r) {
    seen_number = n;
    seen_entries = r.size();
    return fake_crl(n, r.size());
  });
  CHECK(seen_number == 2);
  CHECK(seen_entries == 2);
  CHECK(store.current_crl(issuer)->number == 2);

  // A maker that throws or returns another number stores nothing.
  CHECK_THROWS(store.replace_crl(issuer, [](std::uint64_t, const auto&) -> registry::stored_crl {
    throw std::runtime_error("signing failed");
  }));
  CHECK_THROWS(store.replace_crl(issuer, [](std::uint64_t n, const auto&) { return fake_crl(n + 5, 0); }));
  CHECK(store.current_crl(issuer)->number == 2);

  // The schema refuses a reason code outside RFC 5280's and a revocation time without one.
  CHECK_THROWS(d.scalar("UPDATE certificates SET revocation_reason = 7 RETURNING 1"));
  CHECK_THROWS(
      d.scalar("UPDATE certificates SET revocation_reason = NULL WHERE revoked_at IS NOT NULL RETURNING 1"));
}
