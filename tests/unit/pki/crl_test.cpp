#include "pki/crl.hpp"

#include "pki/digest.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

using namespace iotreg::pki;
using namespace std::chrono_literals;

namespace {

using x509_crl_ptr = ossl_ptr<X509_CRL, X509_CRL_free>;

time_point test_now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

x509_crl_ptr parse(const std::vector<std::uint8_t>& der) {
  const unsigned char* p = der.data();
  x509_crl_ptr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(crl);
  REQUIRE(p == der.data() + der.size());
  return crl;
}

long reason_of(X509_REVOKED* r) {
  int critical = -1;
  ossl_ptr<ASN1_ENUMERATED, ASN1_ENUMERATED_free> e(
      static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &critical, nullptr)));
  if (!e) return -1;
  CHECK(critical == 0);
  return ASN1_ENUMERATED_get(e.get());
}

const certificate_authority& root() {
  static const certificate_authority r = create_root_ca("Test Root", std::chrono::days(3650), test_now());
  return r;
}

void write(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
}

}  // namespace

TEST_CASE("revocation reasons: RFC 5280 names and codes") {
  CHECK(to_name(revocation_reason::key_compromise) == "keyCompromise");
  CHECK(revocation_reason_from_name("keyCompromise") == revocation_reason::key_compromise);
  CHECK(revocation_reason_from_name("cessationOfOperation") == revocation_reason::cessation_of_operation);
  CHECK(revocation_reason_from_name("aACompromise") == revocation_reason::aa_compromise);
  CHECK_FALSE(revocation_reason_from_name("keycompromise"));
  CHECK_FALSE(revocation_reason_from_name("removeFromCRL"));
  CHECK_FALSE(revocation_reason_from_name(""));
  CHECK(revocation_reason_from_code(1) == revocation_reason::key_compromise);
  CHECK_FALSE(revocation_reason_from_code(7));
  CHECK_FALSE(revocation_reason_from_code(8));
  CHECK_FALSE(revocation_reason_from_code(11));
  CHECK_FALSE(revocation_reason_from_code(-1));
}

TEST_CASE("key_id_text: lower-case hex bytes joined by dashes") {
  const std::vector<std::uint8_t> id{0x0a, 0x1b, 0xff, 0x00};
  CHECK(key_id_text(id) == "0a-1b-ff-00");
  CHECK(key_id_text(std::span<const std::uint8_t>{}).empty());
}

TEST_CASE("build_crl: v2 CRL with AKI, cRLNumber, entries and reason codes") {
  const auto now = test_now();
  for (auto kt : {key_type::ec_p256, key_type::ec_p384, key_type::ed25519, key_type::rsa2048}) {
    INFO("key type " << static_cast<int>(kt));
    const auto ca = create_issuing_ca(root(), ca_name{"Test Issuing", ""}, private_key::generate(kt),
                                      std::chrono::days(365), now);
    const std::vector<crl_entry> entries{
        {"7fa0", now - 2h, revocation_reason::key_compromise},
        {"1", now - 1h, revocation_reason::unspecified},
        {"00ABCDEF0123456789", now, revocation_reason::cessation_of_operation},
    };
    const auto der =
        build_crl(ca, entries, {.number = 42, .this_update = now, .validity = std::chrono::days(7)});
    const auto crl = parse(der);

    CHECK(X509_CRL_get_version(crl.get()) == X509_CRL_VERSION_2);
    CHECK(X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca.cert.native())) == 0);
    // Signature verifies with the CA key, and with no other.
    CHECK(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert.native())) == 1);
    CHECK(X509_CRL_verify(crl.get(), X509_get0_pubkey(root().cert.native())) != 1);
    const int sig_nid = X509_CRL_get_signature_nid(crl.get());
    if (kt == key_type::ec_p384) CHECK(sig_nid == NID_ecdsa_with_SHA384);
    if (kt == key_type::ec_p256) CHECK(sig_nid == NID_ecdsa_with_SHA256);
    if (kt == key_type::ed25519) CHECK(sig_nid == NID_ED25519);
    if (kt == key_type::rsa2048) CHECK(sig_nid == NID_sha256WithRSAEncryption);

    const auto info = read_crl_info(der);
    CHECK(info.number == 42);
    CHECK(info.entries == 3);
    CHECK(info.this_update == now);
    CHECK(info.next_update == now + std::chrono::days(7));

    int critical = -1;
    authority_keyid_ptr akid(static_cast<AUTHORITY_KEYID*>(
        X509_CRL_get_ext_d2i(crl.get(), NID_authority_key_identifier, &critical, nullptr)));
    REQUIRE(akid);
    CHECK(critical == 0);
    REQUIRE(akid->keyid != nullptr);
    const std::vector<std::uint8_t> keyid(akid->keyid->data, akid->keyid->data + akid->keyid->length);
    CHECK(keyid == ca.cert.subject_key_id());
    CHECK(akid->issuer == nullptr);
    CHECK(X509_CRL_get_ext_count(crl.get()) == 2);

    auto* revoked = X509_CRL_get_REVOKED(crl.get());
    REQUIRE(sk_X509_REVOKED_num(revoked) == 3);
    // Sorted by serial: 1, 7fa0, abcdef0123456789.
    const auto serial_of = [&](int i) {
      bignum_ptr bn(
          ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i)), nullptr));
      ossl_chars_ptr hex(BN_bn2hex(bn.get()));
      return std::string(hex.get());
    };
    CHECK(serial_of(0) == "01");
    CHECK(serial_of(1) == "7FA0");
    CHECK(serial_of(2) == "ABCDEF0123456789");
    CHECK(reason_of(sk_X509_REVOKED_value(revoked, 0)) == -1);  // unspecified: no extension
    CHECK(X509_REVOKED_get_ext_count(sk_X509_REVOKED_value(revoked, 0)) == 0);
    CHECK(reason_of(sk_X509_REVOKED_value(revoked, 1)) == 1);
    CHECK(reason_of(sk_X509_REVOKED_value(revoked, 2)) == 5);
  }
}

TEST_CASE("build_crl: an empty CRL has no revokedCertificates and still verifies") {
  const auto now = test_now();
  const auto ca = create_issuing_ca(root(), "Test Issuing", std::chrono::days(365), now);
  const auto der = build_crl(ca, {}, {.number = 1, .this_update = now});
  const auto crl = parse(der);
  CHECK(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())) <= 0);
  CHECK(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.cert.native())) == 1);
  CHECK(read_crl_info(der).next_update == now + std::chrono::days(7));
}

TEST_CASE("build_crl: refuses bad serials, bad validity and a CA without SKI") {
  const auto now = test_now();
  const auto ca = create_issuing_ca(root(), "Test Issuing", std::chrono::days(365), now);
  const auto one = [&](std::string serial) {
    const std::vector<crl_entry> e{{std::move(serial), now, revocation_reason::unspecified}};
    return build_crl(ca, e, {.number = 1, .this_update = now});
  };
  CHECK_THROWS_AS(one(""), std::invalid_argument);
  CHECK_THROWS_AS(one("12g4"), std::invalid_argument);
  CHECK_THROWS_AS(one("-12"), std::invalid_argument);
  CHECK_THROWS_AS(one(std::string(41, '1')), std::invalid_argument);
  CHECK_NOTHROW(one(std::string(40, 'f')));
  CHECK_THROWS_AS(build_crl(ca, {}, {.number = 1, .this_update = now, .validity = 0s}),
                  std::invalid_argument);
  CHECK_THROWS(read_crl_info(std::vector<std::uint8_t>{0x30, 0x00}));
}

TEST_CASE("build_crl: openssl crl -verify and openssl verify -crl_check accept it") {
  const auto now = test_now();
  const auto ca = create_issuing_ca(root(), "Test Issuing", std::chrono::days(365), now);
  const auto dev_key = private_key::generate_p256();
  const auto csr = parse_csr_pem(test::make_csr_pem(dev_key.native()));
  REQUIRE(csr.has_value());
  const auto dev =
      issue_device_certificate(ca, *csr, "dev1._device.iotregistry.test", std::chrono::days(30), now);
  const auto other =
      issue_device_certificate(ca, *csr, "dev2._device.iotregistry.test", std::chrono::days(30), now);

  test::temp_dir dir;
  const auto path = [&](const char* name) { return dir.path() + "/" + name; };
  write(path("root.pem"), root().cert.pem());
  write(path("ca.pem"), ca.cert.pem());
  write(path("dev.pem"), dev.pem());
  write(path("chain.pem"), ca.cert.pem() + root().cert.pem());

  const std::vector<crl_entry> entries{{other.serial_hex(), now, revocation_reason::key_compromise}};
  const auto der = build_crl(ca, entries, {.number = 7, .this_update = now - 1min});
  write(path("ca.crl"), std::string(der.begin(), der.end()));
  const auto run = [](const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); };
  CHECK(run("openssl crl -inform DER -in " + path("ca.crl") + " -noout -verify -CAfile " +
            path("chain.pem")) == 0);
  CHECK(run("openssl crl -inform DER -in " + path("ca.crl") + " -noout -verify -CAfile " +
            path("root.pem")) != 0);
  CHECK(run("openssl crl -inform DER -in " + path("ca.crl") + " -out " + path("ca.crl.pem")) == 0);
  // dev is not listed: good; the listed serial is refused (checked through the other cert).
  const std::string verify = "openssl verify -crl_check -CRLfile " + path("ca.crl.pem") + " -CAfile " +
                             path("root.pem") + " -untrusted " + path("ca.pem") + " ";
  CHECK(run(verify + path("dev.pem")) == 0);
  write(path("other.pem"), other.pem());
  CHECK(run(verify + path("other.pem")) != 0);
}
