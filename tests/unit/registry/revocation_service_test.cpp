#include "registry/revocation_service.hpp"

#include "pki/ca.hpp"
#include "pki/crl.hpp"
#include "pki/digest.hpp"
#include "pki/ocsp.hpp"

#include <catch2/catch.hpp>

#include <openssl/ocsp.h>

#include <map>
#include <mutex>

using namespace iotreg;
using namespace std::chrono_literals;

namespace {

/// In-memory revocation_store with the same promises (one mutex = one transaction).
class memory_revocation_store final : public registry::revocation_store {
 public:
  struct cert {
    std::string issuer, serial;
    std::optional<registry::time_point> revoked_at;
    std::uint8_t reason = 0;
  };
  std::vector<cert> certs;
  std::map<std::string, registry::stored_crl> crls;
  int replaced = 0;

  std::vector<registry::revoked_certificate> revoked(std::string_view issuer) override {
    std::lock_guard lock(m_);
    return revoked_locked(issuer);
  }
  std::optional<registry::certificate_state> status(std::string_view issuer,
                                                    std::string_view serial) override {
    std::lock_guard lock(m_);
    for (const auto& c : certs) {
      if (c.issuer == issuer && c.serial == serial)
        return registry::certificate_state{c.revoked_at, c.reason};
    }
    return std::nullopt;
  }
  std::optional<registry::stored_crl> current_crl(std::string_view issuer) override {
    std::lock_guard lock(m_);
    auto it = crls.find(std::string(issuer));
    if (it == crls.end()) return std::nullopt;
    return it->second;
  }
  registry::stored_crl replace_crl(std::string_view issuer, const crl_maker& make) override {
    std::lock_guard lock(m_);
    auto it = crls.find(std::string(issuer));
    const std::uint64_t n = (it == crls.end() ? 0 : it->second.number) + 1;
    auto c = make(n, revoked_locked(issuer));
    crls[std::string(issuer)] = c;
    ++replaced;
    return c;
  }

 private:
  std::vector<registry::revoked_certificate> revoked_locked(std::string_view issuer) const {
    std::vector<registry::revoked_certificate> out;
    for (const auto& c : certs) {
      if (c.issuer == issuer && c.revoked_at) out.push_back({c.serial, *c.revoked_at, c.reason});
    }
    return out;
  }
  std::mutex m_;
};

struct fixture {
  registry::time_point now = std::chrono::floor<std::chrono::seconds>(registry::clock::now());
  pki::certificate_authority root = pki::create_root_ca("Root", std::chrono::days(3650), now);
  pki::certificate_authority ca = pki::create_issuing_ca(root, "Issuing", std::chrono::days(365), now);
  pki::certificate_authority old_ca =
      pki::create_issuing_ca(root, "Old Issuing", std::chrono::days(365), now);
  memory_revocation_store store;
  registry::revocation_service service{
      {.crl_validity = std::chrono::days(7), .crl_refresh_before = std::chrono::days(3)},
      store,
      {&ca, &old_ca},
      [this] { return now; }};
  std::string ca_hex = pki::to_hex(ca.cert.subject_key_id());
  std::string ca_text = pki::key_id_text(ca.cert.subject_key_id());
};

}  // namespace

TEST_CASE("revocation_service: CRL per CA by key id text, made when missing, stored") {
  fixture f;
  CHECK(f.service.find_ca(f.ca_text) == &f.ca);
  CHECK(f.service.find_ca(pki::key_id_text(f.old_ca.cert.subject_key_id())) == &f.old_ca);
  CHECK(f.service.find_ca(f.ca_hex) == nullptr);  // no dashes: not the URL form
  CHECK_FALSE(f.service.crl("00-11").has_value());

  f.store.certs.push_back({f.ca_hex, "1a2b", f.now - 1h, 1});
  f.store.certs.push_back({f.ca_hex, "3c", std::nullopt, 0});
  auto der = f.service.crl(f.ca_text);
  REQUIRE(der.has_value());
  auto info = pki::read_crl_info(*der);
  CHECK(info.number == 1);
  CHECK(info.entries == 1);
  CHECK(info.next_update == f.now + std::chrono::days(7));
  // Served from the store the second time.
  CHECK(f.service.crl(f.ca_text) == der);
  CHECK(f.store.replaced == 1);
  // Past its nextUpdate it is remade on demand.
  f.now += std::chrono::days(8);
  der = f.service.crl(f.ca_text);
  CHECK(pki::read_crl_info(*der).number == 2);
}

TEST_CASE("revocation_service: refresh makes missing, stale and incomplete CRLs only") {
  fixture f;
  CHECK(f.service.refresh() == 2);  // both CAs had none
  CHECK(f.service.refresh() == 0);
  f.now += std::chrono::days(3);  // 4 days left: still fresh
  CHECK(f.service.refresh() == 0);
  f.now += std::chrono::days(1) + 1s;  // under 3 days left
  CHECK(f.service.refresh() == 2);
  CHECK(f.service.refresh() == 0);
  // A revocation whose regeneration never happened is caught by the count.
  f.store.certs.push_back({f.ca_hex, "ff", f.now, 0});
  CHECK(f.service.refresh() == 1);
  CHECK(pki::read_crl_info(f.store.crls.at(f.ca_hex).der).entries == 1);
  f.service.regenerate();
  CHECK(f.store.crls.at(f.ca_hex).number == 4);
}

TEST_CASE("revocation_service: OCSP answers from the store") {
  fixture f;
  // A certificate of `ca` for the status lookups (the CSR path is tested in pki).
  auto x = pki::create_issuing_ca(f.ca, "Not a device, but issued by ca", std::chrono::days(1), f.now);
  f.store.certs.push_back({f.ca_hex, x.cert.serial_hex(), f.now - 1h, 1});
  OCSP_REQUEST* req = OCSP_REQUEST_new();
  OCSP_request_add0_id(req, OCSP_cert_to_id(EVP_sha1(), x.cert.native(), f.ca.cert.native()));
  const auto req_der = pki::to_der(i2d_OCSP_REQUEST, req);
  OCSP_REQUEST_free(req);
  const auto resp_der = f.service.ocsp(req_der);
  const unsigned char* p = resp_der.data();
  OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(resp_der.size()));
  REQUIRE(resp != nullptr);
  CHECK(OCSP_response_status(resp) == OCSP_RESPONSE_STATUS_SUCCESSFUL);
  OCSP_BASICRESP* bs = OCSP_response_get1_basic(resp);
  REQUIRE(bs != nullptr);
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), x.cert.native(), f.ca.cert.native());
  int status = -1, reason = -1;
  CHECK(OCSP_resp_find_status(bs, id, &status, &reason, nullptr, nullptr, nullptr) == 1);
  CHECK(status == V_OCSP_CERTSTATUS_REVOKED);
  CHECK(reason == OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  OCSP_CERTID_free(id);
  OCSP_BASICRESP_free(bs);
  OCSP_RESPONSE_free(resp);
}

TEST_CASE("revocation_service: documents for HTTP caching (RFC 5019 §6)") {
  fixture f;
  auto crl = f.service.crl_document(f.ca_text);
  REQUIRE(crl.has_value());
  CHECK(crl->this_update == f.now);
  CHECK(crl->next_update == f.now + std::chrono::days(7));
  CHECK(crl->etag == '"' + pki::to_hex(pki::sha256(crl->der)) + '"');
  CHECK(f.service.crl_document(f.ca_text)->etag == crl->etag);  // the stored CRL: same tag
  CHECK_FALSE(f.service.crl_document("00-11").has_value());

  auto x = pki::create_issuing_ca(f.ca, "Not a device, but issued by ca", std::chrono::days(1), f.now);
  OCSP_REQUEST* req = OCSP_REQUEST_new();
  OCSP_request_add0_id(req, OCSP_cert_to_id(EVP_sha1(), x.cert.native(), f.ca.cert.native()));
  const auto req_der = pki::to_der(i2d_OCSP_REQUEST, req);
  OCSP_REQUEST_free(req);
  const auto ok = f.service.ocsp_document(req_der);
  CHECK(pki::ocsp_response_successful(ok.der));
  CHECK(ok.this_update == f.now);
  CHECK(ok.next_update == f.now + std::chrono::hours(1));
  CHECK(ok.etag == '"' + pki::to_hex(pki::sha256(ok.der)) + '"');
  // A malformed request: an error response, not cacheable.
  const std::vector<std::uint8_t> garbage{1, 2, 3};
  const auto bad = f.service.ocsp_document(garbage);
  CHECK_FALSE(pki::ocsp_response_successful(bad.der));
  CHECK_FALSE(bad.this_update.has_value());
  CHECK_FALSE(bad.next_update.has_value());
}
