// Renewal, rekey, confirmation and expiry against the in-memory ports and a real signer: during
// an overlap the device's RRset holds every live certificate's TLSA, and a record leaves only when
// no live certificate of the device still carries it.

#include "dns/names.hpp"
#include "dns/rr_types.hpp"
#include "dns/wire_name.hpp"
#include "dns/zone_snapshot.hpp"
#include "pki/certificate.hpp"
#include "pki/digest.hpp"
#include "pki/key.hpp"
#include "service_fixture.hpp"
#include "tests/unit/registry/test_csr.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <thread>

using namespace iotreg;
using namespace std::chrono_literals;

namespace {

constexpr const char* eid = "89049032123451234512345678901235";
constexpr const char* eid2 = "89086030202200000022000023022943";
using fixture = registry::testing::service_fixture;

/// The association data (hex) of the device's served TLSA records.
std::set<std::string> served(const fixture& f, const std::string& id) {
  std::set<std::string> out;
  const auto snap = f.publisher.snapshot();
  const auto owner = dns::detail::name_from_text(dns::device_owner(fixture::zone, id));
  REQUIRE(owner.has_value());
  const auto* node = snap->data().nodes.get(*owner);
  if (node == nullptr) return out;
  const auto* set = node->find(dns::detail::rr_type::tlsa);
  if (set == nullptr) return out;
  for (const auto& rd : set->rdata) {
    REQUIRE(rd.size() == 35);
    CHECK((rd[0] == 3 && rd[1] == 1 && rd[2] == 1));
    out.insert(pki::to_hex(std::span<const std::uint8_t>(rd).subspan(3)));
  }
  return out;
}

/// The sweep does not wait for publication: polls the running publisher for up to 5 s.
bool served_soon(const fixture& f, const std::string& id, const std::set<std::string>& want) {
  for (int i = 0; i < 500; ++i) {
    if (served(f, id) == want) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::string spki_hash(const pki::private_key& k) { return pki::to_hex(pki::sha256(k.spki_der())); }

std::string spki_hash_of(const std::string& cert_pem) {
  return pki::to_hex(pki::sha256(pki::certificate::from_pem(cert_pem).spki_der()));
}

}  // namespace

TEST_CASE("renewal/renew keeps the key and the record, with a new serial") {
  fixture f;
  auto key = pki::private_key::generate_p256();
  auto e = f.service.enroll({eid, registry::testing::csr_pem(key), std::nullopt});
  REQUIRE(e.has_value());
  const auto changes = f.store.change_count();
  const auto serial_before = f.publisher.snapshot()->serial();

  auto r = f.service.renew({eid, std::nullopt});
  REQUIRE(r.has_value());
  CHECK(r->serial_hex != e->serial_hex);
  CHECK(r->certificate_pem != e->certificate_pem);
  CHECK(spki_hash_of(r->certificate_pem) == spki_hash(key));
  CHECK(r->tlsa == e->tlsa);
  CHECK(r->zone_serial == e->zone_serial);
  // Same SPKI hash: no zone change, no new serial.
  CHECK(f.store.change_count() == changes);
  CHECK(f.publisher.snapshot()->serial() == serial_before);
  CHECK(served(f, eid) == std::set<std::string>{spki_hash(key)});
  // get() shows the newest certificate.
  CHECK(f.service.get(eid)->certificate_pem == r->certificate_pem);

  // Confirming the renewed certificate withdraws the old one, but its record stays: the new
  // certificate carries the same TLSA.
  auto c = f.service.confirm(eid, r->serial_hex);
  REQUIRE(c.has_value());
  CHECK(c->removed_records == 0);
  CHECK(f.store.change_count() == changes);
  CHECK(served(f, eid) == std::set<std::string>{spki_hash(key)});
  auto certs = f.store.certificates(fixture::zone, eid);
  REQUIRE(certs.size() == 2);
  CHECK(certs[0].withdrawn_at.has_value());
  CHECK_FALSE(certs[1].withdrawn_at.has_value());
  CHECK(certs[1].confirmed_at.has_value());
}

TEST_CASE("renewal/rekey serves both records until the new certificate is confirmed") {
  fixture f;
  auto old_key = pki::private_key::generate_p256();
  auto new_key = pki::private_key::generate_p256();
  auto e = f.service.enroll({eid, registry::testing::csr_pem(old_key), std::nullopt});
  REQUIRE(e.has_value());
  REQUIRE(
      f.service.enroll({eid2, registry::testing::csr_pem(pki::private_key::generate_p256()), std::nullopt})
          .has_value());

  auto r = f.service.rekey({eid, registry::testing::csr_pem(new_key), std::nullopt});
  REQUIRE(r.has_value());
  REQUIRE(r->zone_serial.has_value());
  CHECK(*r->zone_serial == f.publisher.snapshot()->serial());
  CHECK(spki_hash_of(r->certificate_pem) == spki_hash(new_key));
  CHECK(served(f, eid) == std::set<std::string>{spki_hash(old_key), spki_hash(new_key)});

  // Confirming the OLD certificate withdraws nothing (nothing is older than it).
  auto none = f.service.confirm(eid, e->serial_hex);
  REQUIRE(none.has_value());
  CHECK(none->removed_records == 0);
  CHECK(served(f, eid).size() == 2);

  // Serials are accepted in any case and with leading zeros.
  std::string upper = "00" + r->serial_hex;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char ch) { return std::toupper(ch); });
  auto c = f.service.confirm(eid, upper);
  REQUIRE(c.has_value());
  CHECK(c->removed_records == 1);
  CHECK(c->zone_serial == f.publisher.snapshot()->serial());
  CHECK(served(f, eid) == std::set<std::string>{spki_hash(new_key)});
  // The other device is untouched.
  CHECK(served(f, eid2).size() == 1);

  // A withdrawn certificate cannot be confirmed again; unknown serials and bad input are refused.
  CHECK(f.service.confirm(eid, e->serial_hex).error().code == registry::errc::certificate_not_live);
  CHECK(f.service.confirm(eid, "abcdef0123").error().code == registry::errc::certificate_not_found);
  CHECK(f.service.confirm(eid, "xyz").error().code == registry::errc::invalid_request);
  CHECK(f.service.confirm(eid, "000").error().code == registry::errc::invalid_request);
  CHECK(f.service.confirm("89049032123451234512345678901234", r->serial_hex).error().code ==
        registry::errc::device_not_found);
}

TEST_CASE("renewal/rekey checks the CSR as enrollment does, and a same-key CSR acts as renew") {
  fixture f;
  auto key = pki::private_key::generate_p256();
  REQUIRE(f.service.enroll({eid, registry::testing::csr_pem(key), std::nullopt}).has_value());
  const auto changes = f.store.change_count();

  CHECK(f.service.rekey({eid, "not a csr", std::nullopt}).error().code == registry::errc::csr_not_pem);
  CHECK(f.service.rekey({eid2, registry::testing::csr_pem(key), std::nullopt}).error().code ==
        registry::errc::device_not_found);
  CHECK(f.store.change_count() == changes);

  auto same = f.service.rekey({eid, registry::testing::csr_pem(key), std::nullopt});
  REQUIRE(same.has_value());
  CHECK(f.store.change_count() == changes);
  CHECK(served(f, eid) == std::set<std::string>{spki_hash(key)});
}

TEST_CASE("renewal/rekey with a server-generated key") {
  fixture f;
  REQUIRE(f.service.enroll({eid, registry::testing::csr_pem(pki::private_key::generate_p256()), std::nullopt})
              .has_value());
  registry::rekey_request req{
      eid, "", std::nullopt,
      registry::server_keygen_request{"ec-p256", "pkcs8", registry::secret_text("correct horse battery")}};
  auto r = f.service.rekey(req);
  REQUIRE(r.has_value());
  CHECK(r->private_key_format == registry::key_format::pkcs8);
  CHECK_FALSE(r->private_key.empty());
  CHECK(served(f, eid).size() == 2);
  CHECK(served(f, eid).contains(spki_hash_of(r->certificate_pem)));

  req.server_keygen->password = registry::secret_text("short");
  CHECK(f.service.rekey(req).error().code == registry::errc::invalid_server_keygen);
}

TEST_CASE("renewal/revocation removes every record of the device, and refuses later renewals") {
  fixture f;
  auto old_key = pki::private_key::generate_p256();
  REQUIRE(f.service.enroll({eid, registry::testing::csr_pem(old_key), std::nullopt}).has_value());
  REQUIRE(f.service.rekey({eid, registry::testing::csr_pem(pki::private_key::generate_p256()), std::nullopt})
              .has_value());
  REQUIRE(served(f, eid).size() == 2);

  auto rv = f.service.revoke(eid, pki::revocation_reason::key_compromise);
  REQUIRE(rv.has_value());
  CHECK(served(f, eid).empty());
  CHECK(f.service.renew({eid, std::nullopt}).error().code == registry::errc::device_already_revoked);
  CHECK(f.service.rekey({eid, registry::testing::csr_pem(old_key), std::nullopt}).error().code ==
        registry::errc::device_already_revoked);
  CHECK(f.service.confirm(eid, "01").error().code == registry::errc::device_already_revoked);
  // A full build from the store agrees.
  CHECK(f.store.active_tlsa(fixture::zone).empty());
}

TEST_CASE("renewal/the expiry sweep withdraws expired certificates, keeping shared records") {
  fixture f;
  auto now = registry::clock::now();
  // A service whose clock the test moves: certificates it issues expire after device_validity.
  registry::registry_service later({.zone = fixture::zone,
                                    .device_validity = std::chrono::days(10),
                                    .publish_timeout = std::chrono::milliseconds(5000)},
                                   f.store, f.publisher, f.issuing, f.root.cert, [&now] { return now; });
  auto old_key = pki::private_key::generate_p256();
  auto new_key = pki::private_key::generate_p256();
  REQUIRE(later.enroll({eid, registry::testing::csr_pem(old_key), std::nullopt}).has_value());
  now += std::chrono::days(5);
  auto rk = later.rekey({eid, registry::testing::csr_pem(new_key), std::nullopt});
  REQUIRE(rk.has_value());
  REQUIRE(served(f, eid).size() == 2);

  // The expiring list: both live certificates, oldest notAfter first, paged.
  const registry::api_key admin{1, "ops", "admin"};
  auto all = *later.expiring(admin, now + std::chrono::days(30), std::nullopt, 10);
  REQUIRE(all.items.size() == 2);
  CHECK_FALSE(all.next.has_value());
  CHECK(all.items[0].not_after < all.items[1].not_after);
  CHECK(all.items[1].serial_hex == rk->serial_hex);
  auto page1 = *later.expiring(admin, now + std::chrono::days(30), std::nullopt, 1);
  REQUIRE(page1.items.size() == 1);
  REQUIRE(page1.next.has_value());
  auto page2 = *later.expiring(admin, now + std::chrono::days(30), page1.next, 1);
  REQUIRE(page2.items.size() == 1);
  CHECK(page2.items[0].serial_hex == rk->serial_hex);
  CHECK_FALSE(page2.next.has_value());
  CHECK(later.expiring(admin, now + std::chrono::days(6), std::nullopt, 10)->items.size() == 1);

  // Nothing expired yet.
  CHECK(later.sweep_expired() == 0);
  // Day 11: the first certificate has expired, its record leaves; the new one stays.
  now += std::chrono::days(6);
  CHECK(later.sweep_expired() == 1);
  CHECK(served_soon(f, eid, {spki_hash(new_key)}));
  CHECK(later.sweep_expired() == 0);  // idempotent
  CHECK(later.expiring(admin, now + std::chrono::days(30), std::nullopt, 10)->items.size() == 1);

  // A renewal keeps the key: when the renewed-from certificate expires, the record stays.
  auto rn = later.renew({eid, std::nullopt});
  REQUIRE(rn.has_value());
  now += std::chrono::days(5);  // day 16: the rekeyed certificate (day 5 + 10) has expired
  CHECK(later.sweep_expired() == 0);
  CHECK(served(f, eid) == std::set<std::string>{spki_hash(new_key)});
  now += std::chrono::days(10);  // every certificate has expired: the name leaves the zone
  CHECK(later.sweep_expired() == 1);
  CHECK(served_soon(f, eid, {}));
  // Renewing after all expired puts the record back.
  auto back = later.renew({eid, std::nullopt});
  REQUIRE(back.has_value());
  CHECK(served(f, eid) == std::set<std::string>{spki_hash(new_key)});
}

TEST_CASE("renewal/the expiring list is scoped by the caller's tenant") {
  fixture f;
  registry::enroll_request a{eid, registry::testing::csr_pem(pki::private_key::generate_p256()),
                             std::nullopt};
  a.mno_tenant_id = 20;
  REQUIRE(f.service.enroll(a).has_value());
  registry::enroll_request b{eid2, registry::testing::csr_pem(pki::private_key::generate_p256()),
                             std::nullopt};
  b.mno_tenant_id = 21;
  REQUIRE(f.service.enroll(b).has_value());
  const auto later = registry::clock::now() + std::chrono::days(4000);
  auto list = [&](registry::api_key k, std::size_t limit = 10) {
    auto page = f.service.expiring(k, later, std::nullopt, limit);
    REQUIRE(page.has_value());
    std::vector<std::string> ids;
    for (const auto& c : page->items) ids.push_back(c.device_id);
    return ids;
  };
  CHECK(list({1, "ops", "admin", 1}).size() == 2);
  CHECK(list({2, "m", "mno", 20}) == std::vector<std::string>{eid});
  CHECK(list({3, "m2", "mno", 21}) == std::vector<std::string>{eid2});
  // The store has no ASP for these devices: an ASP sees none; a key without a tenant neither.
  CHECK(list({4, "a", "asp", 10}).empty());
  CHECK(list({5, "m", "mno", std::nullopt}).empty());
  // A page of one for an MNO with one certificate has no next page (restricted in the query).
  auto page = f.service.expiring({2, "m", "mno", 20}, later, std::nullopt, 1);
  REQUIRE(page.has_value());
  CHECK(page->items.size() == 1);
  CHECK_FALSE(page->next.has_value());
  auto refused = f.service.expiring({6, "x", "unknown-role", 20}, later, std::nullopt, 10);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == registry::errc::forbidden);
}
