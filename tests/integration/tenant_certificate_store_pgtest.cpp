// db::pg_tenant_certificate_store (migration 009): certificate credentials as rows of api_keys,
// with their audit rows, against a real PostgreSQL. The DER here is arbitrary bytes: the store
// keeps what the service checked, and the schema ties key_hash to sha256(certificate).

#include "db/api_key_store_pg.hpp"
#include "db/tenant_certificate_store_pg.hpp"
#include "db/tenant_store_pg.hpp"
#include "pki/digest.hpp"
#include "registry/request_context.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>
#include <pqxx/except>

using iotreg::test::fresh_db;
namespace db = iotreg::db;
namespace registry = iotreg::registry;

namespace {

std::vector<std::uint8_t> fake_der(std::uint8_t seed) { return {0x30, 0x03, 0x02, 0x01, seed, 0x00}; }

registry::fingerprint sha256_of(const std::vector<std::uint8_t>& der) { return iotreg::pki::sha256(der); }

}  // namespace

TEST_CASE("tenant_certificate_store: insert, find_active, list, revoke, audit", "[pg][tenant_certificate]") {
  fresh_db d;
  db::pg_tenant_store tenants{d.pool()};
  db::pg_tenant_certificate_store certs{d.pool()};
  db::pg_api_key_store keys{d.pool()};
  const auto mno = tenants.create_tenant("operator", "mno");
  const auto asp = tenants.create_tenant("fleet", "asp");
  const auto der = fake_der(1);
  const auto fp = sha256_of(der);
  const auto expires = registry::clock::now() + std::chrono::hours(24);

  std::int64_t id = 0;
  {
    const registry::request_scope scope({"req-register", 77});
    auto r = certs.insert(mno.id, "CN=platform", fp, der, expires);
    REQUIRE(r.has_value());
    id = *r;
  }
  CHECK(
      d.scalar("SELECT count(*) FROM api_keys WHERE kind = 'certificate' AND role = 'mno' AND tenant_id = " +
               std::to_string(mno.id)) == 1);
  CHECK(d.scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'tenant.certificate.register' AND api_key_id = 77 "
            "AND request_id = 'req-register' AND (detail->>'credential_id')::bigint = " +
            std::to_string(id) +
            " AND detail->>'fingerprint' = encode(sha256('\\x300302010100'::bytea), 'hex')") == 1);

  auto who = certs.find_active(fp);
  REQUIRE(who.has_value());
  CHECK(who->id == id);
  CHECK(who->role == "mno");
  CHECK(who->tenant_id == mno.id);
  // A certificate credential is no API key, and the API-key statements ignore it.
  CHECK_FALSE(keys.find_active(fp).has_value());
  CHECK(keys.count_active("mno") == 0);
  CHECK_FALSE(tenants.revoke_key(id));
  CHECK(certs.find_active(fp).has_value());

  SECTION("the same certificate again, for any tenant: exists, nothing written") {
    auto again = certs.insert(asp.id, "x", fp, der, expires);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == registry::errc::client_certificate_exists);
    CHECK(d.scalar("SELECT count(*) FROM api_keys") == 1);
    CHECK(d.scalar("SELECT count(*) FROM audit_log") == 1);
  }
  SECTION("an unknown tenant") {
    auto r = certs.insert(999999, "x", sha256_of(fake_der(2)), fake_der(2), expires);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == registry::errc::tenant_not_found);
    CHECK(d.scalar("SELECT count(*) FROM api_keys") == 1);
  }
  SECTION("the schema ties the fingerprint to the certificate") {
    CHECK_THROWS_AS(certs.insert(mno.id, "x", sha256_of(fake_der(3)), fake_der(4), expires),
                    pqxx::check_violation);
  }
  SECTION("list: oldest first, with DER, expiry and revocation") {
    REQUIRE(certs.insert(mno.id, "second", sha256_of(fake_der(2)), fake_der(2), expires).has_value());
    const auto all = certs.list(mno.id);
    REQUIRE(all.size() == 2);
    CHECK(all[0].id == id);
    CHECK(all[0].der == der);
    CHECK(all[0].sha256 == fp);
    CHECK(std::chrono::abs(all[0].expires_at - expires) < std::chrono::milliseconds(1));
    CHECK_FALSE(all[0].revoked_at.has_value());
    CHECK(certs.list(asp.id).empty());
  }
  SECTION("expired, disabled tenant") {
    d.exec("UPDATE api_keys SET expires_at = now() - interval '1 second'");
    CHECK_FALSE(certs.find_active(fp).has_value());
    d.exec("UPDATE api_keys SET expires_at = now() + interval '1 hour'");
    CHECK(certs.find_active(fp).has_value());
    d.exec("UPDATE tenants SET disabled_at = now() WHERE kind = 'mno'");
    CHECK_FALSE(certs.find_active(fp).has_value());
  }
  SECTION("revoke: only under its tenant, once, with an audit row") {
    CHECK_FALSE(certs.revoke(asp.id, fp).has_value());
    {
      const registry::request_scope scope({"req-revoke", 78});
      CHECK(certs.revoke(mno.id, fp) == id);
    }
    CHECK_FALSE(certs.revoke(mno.id, fp).has_value());
    CHECK_FALSE(certs.find_active(fp).has_value());
    CHECK(certs.list(mno.id).at(0).revoked_at.has_value());
    CHECK(d.scalar(
              "SELECT count(*) FROM audit_log WHERE action = 'tenant.certificate.revoke' AND api_key_id = 78 "
              "AND request_id = 'req-revoke'") == 1);
    // Revoked stays revoked: registering it again is a conflict.
    auto again = certs.insert(mno.id, "x", fp, der, expires);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == registry::errc::client_certificate_exists);
  }
}
