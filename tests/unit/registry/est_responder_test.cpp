// EST enrollment through est_responder (registry/est_responder.hpp) with the real registry
// service and the real activation rule (device_lifecycle::authorize_activation): an MNO key
// enrolls a device an ASP registered, another MNO's or an ASP's key is refused before anything
// is issued; re-enrollment refuses the certificate of a device that is not active.

#include "registry/est_responder.hpp"
#include "pki/est_encoding.hpp"
#include "registry/tenancy_service.hpp"
#include "service_fixture.hpp"

#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include <map>

using namespace iotreg;
using namespace iotreg::registry;

namespace {

constexpr const char* eid = "89049032123451234512345678901235";

/// A DER CSR for `key` whose subject CN is `cn`.
std::vector<std::uint8_t> csr_der(const pki::private_key& key, const std::string& cn) {
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_version(req, 0);
  X509_REQ_set_pubkey(req, key.native());
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_sign(req, key.native(), EVP_sha256());
  unsigned char* out = nullptr;
  const int n = i2d_X509_REQ(req, &out);
  std::vector<std::uint8_t> der(out, out + n);
  OPENSSL_free(out);
  X509_REQ_free(req);
  return der;
}

/// Ownership rows as the tenant tables hold them; changes are not used by these tests.
struct fake_lifecycle_store final : lifecycle_store {
  std::map<std::string, device_ownership> rows;
  std::optional<device_ownership> ownership(std::string_view, std::string_view id) override {
    const auto it = rows.find(std::string(id));
    if (it == rows.end()) return std::nullopt;
    return it->second;
  }
  result<std::optional<std::int64_t>> change(std::string_view, std::string_view, const decider&) override {
    throw std::logic_error("not used");
  }
  std::vector<registration_outcome> register_devices(std::string_view, const std::vector<std::string>&,
                                                     std::int64_t, std::optional<std::int64_t>) override {
    throw std::logic_error("not used");
  }
};

/// Every certificate is known and not revoked unless listed.
struct fake_revocations final : revocation_store {
  std::vector<std::string> revoked_serials;
  std::vector<revoked_certificate> revoked(std::string_view) override { return {}; }
  std::optional<certificate_state> status(std::string_view, std::string_view serial) override {
    certificate_state s;
    for (const auto& r : revoked_serials)
      if (r == serial) s.revoked_at = clock::now();
    return s;
  }
  std::optional<stored_crl> current_crl(std::string_view) override { return std::nullopt; }
  stored_crl replace_crl(std::string_view, const crl_maker&) override { throw std::logic_error("not used"); }
};

/// The registry service, except that get() reports the state the test sets (the memory store
/// knows only active and revoked).
struct status_override final : enrollment_service {
  enrollment_service& inner;
  std::optional<device_status> status;
  explicit status_override(enrollment_service& s) : inner(s) {}
  result<enrollment> enroll(const enroll_request& r) override { return inner.enroll(r); }
  result<enrollment> get(std::string_view id) override {
    auto e = inner.get(id);
    if (e && status) e->status = *status;
    return e;
  }
  result<revocation> revoke(std::string_view id, pki::revocation_reason r) override {
    return inner.revoke(id, r);
  }
  result<enrollment> renew(const renew_request& r) override { return inner.renew(r); }
  result<enrollment> rekey(const rekey_request& r) override { return inner.rekey(r); }
  result<confirmation> confirm(std::string_view id, std::string_view s) override {
    return inner.confirm(id, s);
  }
  result<expiring_page> expiring(const api_key& k, time_point b, const std::optional<expiring_cursor>& a,
                                 std::size_t l) override {
    return inner.expiring(k, b, a, l);
  }
};

constexpr std::int64_t asp1 = 10, mno1 = 20, mno2 = 21;

struct est_fixture {
  testing::service_fixture f;
  fake_lifecycle_store owners;
  device_lifecycle lifecycle{{.zone = testing::service_fixture::zone}, owners, f.publisher};
  fake_revocations revocations;
  status_override svc{f.service};
  est_responder est{{.zone = testing::service_fixture::zone}, svc, revocations, f.issuing.cert, f.root.cert};
  api_key admin{1, "ops", "admin", 1};
  api_key asp{2, "asp", "asp", asp1};
  api_key mno{3, "mno", "mno", mno1};
  api_key other_mno{4, "mno2", "mno", mno2};

  est_fixture() {
    est.set_lifecycle(&lifecycle);
    device_ownership d;
    d.id = eid;
    d.status = device_status::registered;
    d.asp_tenant_id = asp1;
    owners.rows[eid] = d;
  }
  /// The ownership row after the enrollment the store would have written.
  void activated_by(std::int64_t m) {
    owners.rows[eid].status = device_status::active;
    owners.rows[eid].mno_tenant_id = m;
  }
};

}  // namespace

TEST_CASE("est_responder: an MNO key enrolls a registered device and becomes its MNO", "[est]") {
  est_fixture t;
  auto key = pki::private_key::generate_p256();
  auto issued = t.est.enroll(csr_der(key, std::string(eid) + "._device.iotregistry.test"), t.mno);
  REQUIRE(issued.has_value());
  CHECK(issued->device_id == eid);
  CHECK(pki::certificates_from_pkcs7(issued->pkcs7_der).size() == 1);
  // The enrollment recorded the MNO: the store scopes the MNO's expiring list by it.
  auto mine = t.f.service.expiring(t.mno, clock::now() + std::chrono::days(4000), std::nullopt, 10);
  REQUIRE(mine.has_value());
  CHECK(mine->items.size() == 1);
  auto theirs = t.f.service.expiring(t.other_mno, clock::now() + std::chrono::days(4000), std::nullopt, 10);
  REQUIRE(theirs.has_value());
  CHECK(theirs->items.empty());

  SECTION("error/another MNO on the now active device: 404, as if it did not exist") {
    t.activated_by(mno1);
    auto again = t.est.enroll(csr_der(pki::private_key::generate_p256(), eid), t.other_mno);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == errc::device_not_found);
  }
  SECTION("error/the same MNO again: 409 invalid transition") {
    t.activated_by(mno1);
    auto again = t.est.enroll(csr_der(pki::private_key::generate_p256(), eid), t.mno);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == errc::invalid_transition);
  }
}

TEST_CASE("est_responder: enrollment refusals issue nothing", "[est]") {
  est_fixture t;
  auto key = pki::private_key::generate_p256();
  const auto csr = csr_der(key, eid);
  auto expect = [&](const api_key& k, errc code) {
    auto r = t.est.enroll(csr, k);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == code);
    auto kg = t.est.server_keygen(csr, k, "a long enough password");
    REQUIRE_FALSE(kg.has_value());
    CHECK(kg.error().code == code);
    CHECK_FALSE(t.f.service.get(eid).has_value());
  };
  SECTION("an ASP key: 403, ASPs do not enroll (even with a CSR that does not parse)") {
    expect(t.asp, errc::forbidden);
    auto r = t.est.enroll(std::vector<std::uint8_t>{0x30, 0x00}, t.asp);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::forbidden);
  }
  SECTION("an MNO on an id nobody registered: 404") {
    t.owners.rows.clear();
    expect(t.mno, errc::device_not_found);
  }
  SECTION("an MNO on another MNO's device: 404") {
    t.activated_by(mno1);
    expect(t.other_mno, errc::device_not_found);
  }
  SECTION("an MNO on a suspended device it activated: 409") {
    t.activated_by(mno1);
    t.owners.rows[eid].status = device_status::suspended;
    expect(t.mno, errc::invalid_transition);
  }
  SECTION("without tenancy only the admin enrolls") {
    t.est.set_lifecycle(nullptr);
    expect(t.mno, errc::forbidden);
    CHECK(t.est.enroll(csr, t.admin).has_value());
  }
}

TEST_CASE("est_responder: serverkeygen with an MNO key", "[est]") {
  est_fixture t;
  auto made =
      t.est.server_keygen(csr_der(pki::private_key::generate_p256(), eid), t.mno, "a long enough password");
  REQUIRE(made.has_value());
  CHECK(made->device_id == eid);
  CHECK_FALSE(made->encrypted_pkcs8_der.empty());
}

TEST_CASE("est_responder: re-enrollment refuses a device that is not active", "[est]") {
  est_fixture t;
  auto key = pki::private_key::generate_p256();
  auto issued = t.est.enroll(csr_der(key, eid), t.admin);
  REQUIRE(issued.has_value());
  const auto cert = pki::certificates_from_pkcs7(issued->pkcs7_der).at(0);
  const auto cert_der = cert.der();
  const auto renewal_csr = [&] {
    return csr_der(pki::private_key::generate_p256(), cert.subject_common_name());
  };

  CHECK(t.est.device_scope(cert_der) == std::string("device:") + eid);
  CHECK(t.est.device_scope(std::vector<std::uint8_t>{1, 2, 3}).empty());
  CHECK(t.est.device_scope({}).empty());

  SECTION("active: re-enrolled") { CHECK(t.est.reenroll(renewal_csr(), cert_der).has_value()); }
  for (auto s : {device_status::suspended, device_status::deleted, device_status::revoked}) {
    DYNAMIC_SECTION("error/" << to_string(s)) {
      t.svc.status = s;
      auto r = t.est.reenroll(renewal_csr(), cert_der);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == errc::forbidden);
    }
  }
  SECTION("error/a revoked certificate of an active device") {
    t.revocations.revoked_serials.push_back(cert.serial_hex());
    auto r = t.est.reenroll(renewal_csr(), cert_der);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::forbidden);
  }
  SECTION("error/a device revoked through the registry") {
    REQUIRE(t.f.service.revoke(eid, pki::revocation_reason::key_compromise).has_value());
    auto r = t.est.reenroll(renewal_csr(), cert_der);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::forbidden);
  }
}
