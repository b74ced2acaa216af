#include "pki/ocsp.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <openssl/ocsp.h>

#include <chrono>
#include <map>

using namespace iotreg::pki;
using namespace std::chrono_literals;

namespace {

using ocsp_request_ptr = ossl_ptr<OCSP_REQUEST, OCSP_REQUEST_free>;
using ocsp_response_ptr = ossl_ptr<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using ocsp_basicresp_ptr = ossl_ptr<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using ocsp_certid_ptr = ossl_ptr<OCSP_CERTID, OCSP_CERTID_free>;

time_point test_now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

struct pki_fixture {
  time_point now = test_now();
  certificate_authority root = create_root_ca("Test Root", std::chrono::days(3650), now);
  certificate_authority ca;
  certificate_authority other_ca = create_issuing_ca(root, "Other Issuing", std::chrono::days(365), now);
  certificate good_cert, revoked_cert, unknown_cert;

  explicit pki_fixture(key_type kt = key_type::ec_p256)
      : ca(create_issuing_ca(root, ca_name{"Test Issuing", ""}, private_key::generate(kt),
                             std::chrono::days(365), now)),
        good_cert(issue("good")),
        revoked_cert(issue("revoked")),
        unknown_cert(issue("unknown")) {}

  certificate issue(const std::string& label) {
    const auto key = private_key::generate_p256();
    auto csr = parse_csr_pem(test::make_csr_pem(key.native()));
    REQUIRE(csr.has_value());
    return issue_device_certificate(ca, *csr, label + "._device.iotregistry.test", std::chrono::days(30),
                                    now);
  }

  ocsp_lookup lookup() {
    return [this](const certificate_authority& issuer, const std::string& serial) {
      CHECK(&issuer == &ca);
      if (serial == good_cert.serial_hex()) return ocsp_status{ocsp_status::kind::good, {}, {}};
      if (serial == revoked_cert.serial_hex())
        return ocsp_status{ocsp_status::kind::revoked, now - 1h, revocation_reason::key_compromise};
      return ocsp_status{};
    };
  }
};

std::vector<std::uint8_t> make_request(const std::vector<const certificate*>& certs,
                                       const certificate& issuer, const EVP_MD* md, bool nonce) {
  ocsp_request_ptr req(OCSP_REQUEST_new());
  REQUIRE(req);
  for (const auto* c : certs) {
    OCSP_CERTID* id = OCSP_cert_to_id(md, c->native(), issuer.native());
    REQUIRE(id != nullptr);
    REQUIRE(OCSP_request_add0_id(req.get(), id) != nullptr);
  }
  if (nonce) REQUIRE(OCSP_request_add1_nonce(req.get(), nullptr, 16) == 1);
  return to_der(i2d_OCSP_REQUEST, req.get());
}

ocsp_response_ptr parse_response(const std::vector<std::uint8_t>& der) {
  const unsigned char* p = der.data();
  ocsp_response_ptr r(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(r);
  return r;
}

struct single_status {
  int status = -2;
  int reason = -2;
  bool found = false;
};

single_status find(OCSP_BASICRESP* bs, const certificate& c, const certificate& issuer, const EVP_MD* md) {
  ocsp_certid_ptr id(OCSP_cert_to_id(md, c.native(), issuer.native()));
  single_status s;
  ASN1_GENERALIZEDTIME *rev = nullptr, *thisupd = nullptr, *nextupd = nullptr;
  s.found = OCSP_resp_find_status(bs, id.get(), &s.status, &s.reason, &rev, &thisupd, &nextupd) == 1;
  if (s.found) {
    CHECK(OCSP_check_validity(thisupd, nextupd, 300, -1) == 1);
    CHECK((rev != nullptr) == (s.status == V_OCSP_CERTSTATUS_REVOKED));
  }
  return s;
}

void verify_signed_by(OCSP_BASICRESP* bs, const certificate_authority& ca, const certificate& root) {
  x509_store_ptr store(X509_STORE_new());
  REQUIRE(X509_STORE_add_cert(store.get(), root.native()) == 1);
  // The response carries the signer (the issuing CA), which chains to the root.
  CHECK(OCSP_basic_verify(bs, nullptr, store.get(), 0) == 1);
  const STACK_OF(X509)* certs = OCSP_resp_get0_certs(bs);
  REQUIRE(sk_X509_num(certs) == 1);
  CHECK(X509_cmp(sk_X509_value(certs, 0), ca.cert.native()) == 0);
  // responderID byKey = SHA-1 of the signer's public key.
  const ASN1_OCTET_STRING* key_id = nullptr;
  const X509_NAME* name = nullptr;
  REQUIRE(OCSP_resp_get0_id(bs, &key_id, &name) == 1);
  CHECK(name == nullptr);
  REQUIRE(key_id != nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  REQUIRE(X509_pubkey_digest(ca.cert.native(), EVP_sha1(), md, &len) == 1);
  CHECK(ASN1_STRING_length(key_id) == static_cast<int>(len));
  CHECK(std::memcmp(ASN1_STRING_get0_data(key_id), md, len) == 0);
  clear_ossl_errors();
}

}  // namespace

TEST_CASE("ocsp_respond: good, revoked with reason, unknown; signed by the issuing CA") {
  for (auto kt : {key_type::ec_p256, key_type::ec_p384, key_type::ed25519, key_type::rsa2048}) {
    INFO("key type " << static_cast<int>(kt));
    pki_fixture f(kt);
    for (const EVP_MD* md : {EVP_sha1(), EVP_sha256()}) {
      const auto req = make_request({&f.good_cert, &f.revoked_cert, &f.unknown_cert}, f.ca.cert, md, true);
      const std::array<const certificate_authority*, 2> cas{&f.other_ca, &f.ca};
      const auto der = ocsp_respond(req, cas, f.lookup(), {.now = f.now, .validity = 1h});
      const auto resp = parse_response(der);
      REQUIRE(OCSP_response_status(resp.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL);
      ocsp_basicresp_ptr bs(OCSP_response_get1_basic(resp.get()));
      REQUIRE(bs);
      verify_signed_by(bs.get(), f.ca, f.root.cert);
      CHECK(OCSP_resp_count(bs.get()) == 3);

      auto s = find(bs.get(), f.good_cert, f.ca.cert, md);
      CHECK(s.found);
      CHECK(s.status == V_OCSP_CERTSTATUS_GOOD);
      s = find(bs.get(), f.revoked_cert, f.ca.cert, md);
      CHECK(s.found);
      CHECK(s.status == V_OCSP_CERTSTATUS_REVOKED);
      CHECK(s.reason == OCSP_REVOKED_STATUS_KEYCOMPROMISE);
      s = find(bs.get(), f.unknown_cert, f.ca.cert, md);
      CHECK(s.found);
      CHECK(s.status == V_OCSP_CERTSTATUS_UNKNOWN);

      // The nonce is echoed.
      const unsigned char* p = req.data();
      ocsp_request_ptr parsed(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(req.size())));
      CHECK(OCSP_check_nonce(parsed.get(), bs.get()) == 1);
    }
  }
}

TEST_CASE("ocsp_respond: no nonce in the request, none in the response") {
  pki_fixture f;
  const auto req = make_request({&f.good_cert}, f.ca.cert, EVP_sha1(), false);
  const std::array<const certificate_authority*, 1> cas{&f.ca};
  const auto resp = parse_response(ocsp_respond(req, cas, f.lookup(), {.now = f.now}));
  REQUIRE(OCSP_response_status(resp.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL);
  ocsp_basicresp_ptr bs(OCSP_response_get1_basic(resp.get()));
  CHECK(OCSP_BASICRESP_get_ext_by_NID(bs.get(), NID_id_pkix_OCSP_Nonce, -1) < 0);
}

TEST_CASE("ocsp_respond: malformed requests and unknown issuers") {
  pki_fixture f;
  const std::array<const certificate_authority*, 1> cas{&f.ca};
  const auto status_of = [&](const std::vector<std::uint8_t>& req) {
    return OCSP_response_status(parse_response(ocsp_respond(req, cas, f.lookup(), {.now = f.now})).get());
  };
  CHECK(status_of({}) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  CHECK(status_of({0x30, 0x03, 0x02, 0x01, 0x01}) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  auto good = make_request({&f.good_cert}, f.ca.cert, EVP_sha1(), true);
  auto trailing = good;
  trailing.push_back(0);
  CHECK(status_of(trailing) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  auto truncated = good;
  truncated.pop_back();
  CHECK(status_of(truncated) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  CHECK(status_of(make_request({}, f.ca.cert, EVP_sha1(), false)) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  std::vector<const certificate*> many(33, &f.good_cert);
  CHECK(status_of(make_request(many, f.ca.cert, EVP_sha1(), false)) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  // A certificate of an issuer we do not serve: nobody here may sign for it.
  const auto foreign = issue_device_certificate(
      f.other_ca, *parse_csr_pem(test::make_csr_pem(private_key::generate_p256().native())), "x._device.test",
      std::chrono::days(1), f.now);
  CHECK(status_of(make_request({&foreign}, f.other_ca.cert, EVP_sha1(), false)) ==
        OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  CHECK(status_of(make_request({&f.good_cert}, f.ca.cert, EVP_md5(), false)) ==
        OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  CHECK(status_of(good) == OCSP_RESPONSE_STATUS_SUCCESSFUL);

  // Mixed: the foreign CertID is answered unknown, ours by the lookup.
  auto mixed = make_request({&f.good_cert}, f.ca.cert, EVP_sha1(), false);
  {
    const unsigned char* p = mixed.data();
    ocsp_request_ptr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(mixed.size())));
    OCSP_request_add0_id(req.get(), OCSP_cert_to_id(EVP_sha1(), foreign.native(), f.other_ca.cert.native()));
    mixed = to_der(i2d_OCSP_REQUEST, req.get());
  }
  const auto resp = parse_response(ocsp_respond(mixed, cas, f.lookup(), {.now = f.now}));
  ocsp_basicresp_ptr bs(OCSP_response_get1_basic(resp.get()));
  REQUIRE(bs);
  CHECK(find(bs.get(), f.good_cert, f.ca.cert, EVP_sha1()).status == V_OCSP_CERTSTATUS_GOOD);
  CHECK(find(bs.get(), foreign, f.other_ca.cert, EVP_sha1()).status == V_OCSP_CERTSTATUS_UNKNOWN);
}

TEST_CASE("ocsp_respond: a failing lookup gives internalError") {
  pki_fixture f;
  const std::array<const certificate_authority*, 1> cas{&f.ca};
  const ocsp_lookup failing = [](const certificate_authority&, const std::string&) -> ocsp_status {
    throw std::runtime_error("database down");
  };
  std::string error;
  const auto der = ocsp_respond(make_request({&f.good_cert}, f.ca.cert, EVP_sha1(), false), cas, failing,
                                {.now = f.now}, &error);
  CHECK(OCSP_response_status(parse_response(der).get()) == OCSP_RESPONSE_STATUS_INTERNALERROR);
  CHECK(error == "database down");
}
