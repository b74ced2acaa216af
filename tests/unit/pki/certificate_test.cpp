#include "pki/certificate.hpp"

#include "pki/ca.hpp"
#include "test_support.hpp"

#include <openssl/err.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <chrono>

using namespace iotreg::pki;
using namespace std::chrono_literals;

namespace {

time_point test_now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

// A bare, self-signed certificate with a chosen serial and no extensions.
certificate bare_certificate(const std::vector<std::uint8_t>& serial, time_point not_after) {
  const private_key key = private_key::generate_p256();
  x509_ptr x(X509_new());
  REQUIRE(x);
  const bignum_ptr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  const asn1_integer_ptr s(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  REQUIRE(X509_set_serialNumber(x.get(), s.get()) == 1);
  REQUIRE(X509_set_pubkey(x.get(), key.native()) == 1);
  REQUIRE(ASN1_TIME_set(X509_getm_notBefore(x.get()), 0) != nullptr);
  REQUIRE(ASN1_TIME_set(X509_getm_notAfter(x.get()), std::chrono::system_clock::to_time_t(not_after)) !=
          nullptr);
  REQUIRE(X509_sign(x.get(), key.native(), EVP_sha256()) > 0);
  return certificate(std::move(x));
}

}  // namespace

TEST_CASE("certificate encodings round trip", "[pki][certificate]") {
  const certificate_authority root = create_root_ca("root", std::chrono::days(10), test_now());
  const certificate& c = root.cert;
  const std::string pem = c.pem();
  CHECK(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
  CHECK(pem.ends_with("-----END CERTIFICATE-----\n"));
  CHECK(certificate::from_pem(pem).der() == c.der());
  CHECK(certificate::from_der(c.der()).der() == c.der());
  CHECK(c.spki_der() == root.key.spki_der());

  SECTION("error/from_der with trailing bytes") {
    auto der = c.der();
    der.push_back(0);
    CHECK_THROWS_AS(certificate::from_der(der), ossl_error);
  }
  SECTION("error/from_der junk") {
    const std::vector<std::uint8_t> junk{1, 2, 3};
    CHECK_THROWS_AS(certificate::from_der(junk), ossl_error);
  }
  SECTION("error/from_pem junk") { CHECK_THROWS_AS(certificate::from_pem("hello"), ossl_error); }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("certificate copies share the X509", "[pki][certificate]") {
  const certificate_authority root = create_root_ca("root", std::chrono::days(10), test_now());
  std::vector<std::uint8_t> der;
  certificate copy = root.cert;
  {
    const certificate inner = root.cert;
    CHECK(inner.native() == root.cert.native());
    der = inner.der();
    copy = inner;
  }
  CHECK(copy.der() == der);
  certificate moved = std::move(copy);
  CHECK(moved.der() == der);
}

TEST_CASE("certificate save_pem_file writes 0644 and reloads", "[pki][certificate]") {
  const test::temp_dir dir;
  const std::string path = dir.path() + "/root.pem";
  const certificate_authority root = create_root_ca("root", std::chrono::days(10), test_now());
  root.cert.save_pem_file(path);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
  CHECK(certificate::load_pem_file(path).der() == root.cert.der());
}

TEST_CASE("serial_hex is lower case without leading zeros", "[pki][certificate]") {
  struct row {
    std::vector<std::uint8_t> serial;
    const char* hex;
  };
  const auto r = GENERATE(row{{0x0a, 0xbc}, "abc"}, row{{0x01}, "1"}, row{{0x00}, "0"},
                          row{{0x7f, 0xff, 0x00, 0xde, 0xad}, "7fff00dead"});
  const certificate c = bare_certificate(r.serial, test_now());
  CHECK(c.serial_hex() == r.hex);
}

TEST_CASE("accessors on a certificate without extensions", "[pki][certificate]") {
  const certificate c = bare_certificate({0x01}, test_now());
  CHECK(c.subject_key_id().empty());
  CHECK(c.authority_key_id().empty());
  CHECK(c.subject_common_name().empty());
  CHECK(c.not_before() == std::chrono::system_clock::from_time_t(0));
}

TEST_CASE("validity past 2049 uses GeneralizedTime and reads back", "[pki][certificate]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("root", std::chrono::days(365 * 40), now);
  CHECK(ASN1_STRING_type(X509_get0_notBefore(root.cert.native())) == V_ASN1_UTCTIME);
  CHECK(ASN1_STRING_type(X509_get0_notAfter(root.cert.native())) == V_ASN1_GENERALIZEDTIME);
  CHECK(root.cert.not_after() == now + std::chrono::days(365 * 40));
}

TEST_CASE("key_id_text is lower-case hex joined by '-' (PKIX-CD)", "[pki][certificate]") {
  const std::vector<std::uint8_t> id{0x0a, 0x1b, 0xff, 0x00};
  CHECK(key_id_text(id) == "0a-1b-ff-00");
  CHECK(key_id_text(std::vector<std::uint8_t>{0x7f}) == "7f");
  CHECK(key_id_text({}).empty());
  // A real SKI (20 bytes, SHA-1 method): 59 characters, the form openssl prints with ':' and upper case.
  const auto ca = create_root_ca("key id test", std::chrono::days(1), test_now());
  const std::string text = key_id_text(ca.cert.subject_key_id());
  CHECK(text.size() == 59);
  CHECK(text.find_first_not_of("0123456789abcdef-") == std::string::npos);
}
