#include "pki/csr.hpp"

#include "test_support.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <catch2/catch.hpp>

using namespace iotreg::pki;
using iotreg::pki::test::csr_spec;
using iotreg::pki::test::make_csr_der;
using iotreg::pki::test::make_csr_pem;
using iotreg::pki::test::to_pem;

namespace {

csr_errc error_of(const boost::system::result<csr>& r) {
  REQUIRE(r.has_error());
  REQUIRE(r.error().category() == csr_category());
  return static_cast<csr_errc>(r.error().value());
}

std::string p256_csr() {
  const auto key = test::make_ec_key("P-256");
  return make_csr_pem(key.get());
}

}  // namespace

TEST_CASE("parse_csr_pem accepts allowed keys", "[pki][csr]") {
  struct row {
    const char* name;
    evp_pkey_ptr (*make)();
    const EVP_MD* md;
    const char* description;
  };
  const auto r =
      GENERATE(row{"ok/P-256 SHA-256", [] { return test::make_ec_key("P-256"); }, nullptr, "EC P-256"},
               row{"ok/P-384 SHA-384", [] { return test::make_ec_key("P-384"); }, EVP_sha384(), "EC P-384"},
               row{"ok/P-256 SHA-512", [] { return test::make_ec_key("P-256"); }, EVP_sha512(), "EC P-256"},
               row{"ok/Ed25519", [] { return test::make_raw_key("ED25519"); }, nullptr, "Ed25519"},
               row{"ok/RSA 2048", [] { return test::make_rsa_key(2048); }, nullptr, "RSA 2048"});
  SECTION(r.name) {
    const evp_pkey_ptr key = r.make();
    csr_spec spec;
    spec.md = r.md;
    auto parsed = parse_csr_pem(make_csr_pem(key.get(), spec));
    REQUIRE(parsed.has_value());
    CHECK(parsed->key_description() == r.description);
    CHECK(parsed->spki_der() == to_der(i2d_PUBKEY, key.get()));
    CHECK(parsed->subject_common_name() == "device");
  }
}

TEST_CASE("parse_csr_pem framing variants", "[pki][csr]") {
  const auto key = test::make_ec_key("P-256");
  const auto der = make_csr_der(key.get());
  const std::string pem = to_pem("CERTIFICATE REQUEST", der);

  SECTION("ok/legacy NEW CERTIFICATE REQUEST label") {
    CHECK(parse_csr_pem(to_pem("NEW CERTIFICATE REQUEST", der)).has_value());
  }
  SECTION("ok/explanatory text before, CRLF line ends, trailing newlines") {
    std::string crlf;
    for (const char c : pem) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    CHECK(parse_csr_pem("Certificate Request:\n    Data: ...\n" + crlf + "\r\n\r\n").has_value());
  }
  SECTION("ok/exactly at the size limit") { CHECK(parse_csr_pem(pem, csr_policy{pem.size()}).has_value()); }
  SECTION("ok/re-encoding keeps the DER") { CHECK(parse_csr_pem(pem)->der() == der); }
}

TEST_CASE("parse_csr_pem refusals", "[pki][csr]") {
  const auto key = test::make_ec_key("P-256");
  const auto der = make_csr_der(key.get());
  const std::string pem = to_pem("CERTIFICATE REQUEST", der);

  SECTION("error/not pem") { CHECK(error_of(parse_csr_pem("hello")) == csr_errc::not_pem); }
  SECTION("error/empty") { CHECK(error_of(parse_csr_pem("")) == csr_errc::not_pem); }
  SECTION("error/raw DER instead of PEM") {
    CHECK(error_of(parse_csr_pem(std::string(der.begin(), der.end()))) == csr_errc::not_pem);
  }
  SECTION("error/a certificate, not a request") {
    CHECK(error_of(parse_csr_pem(to_pem("CERTIFICATE", der))) == csr_errc::not_pem);
  }
  SECTION("error/truncated: base64 cut, no END line") {
    CHECK(error_of(parse_csr_pem(pem.substr(0, pem.size() / 2))) == csr_errc::malformed);
  }
  SECTION("error/truncated: base64 cut before END line") {
    const auto end = pem.find("-----END");
    const std::string cut = pem.substr(0, end - 20) + "\n" + pem.substr(end);
    CHECK(error_of(parse_csr_pem(cut)) == csr_errc::malformed);
  }
  SECTION("error/truncated DER, valid base64") {
    const std::vector<std::uint8_t> shorter(der.begin(), der.end() - 3);
    CHECK(error_of(parse_csr_pem(to_pem("CERTIFICATE REQUEST", shorter))) == csr_errc::malformed);
  }
  SECTION("error/DER with trailing bytes") {
    auto longer = der;
    longer.push_back(0);
    CHECK(error_of(parse_csr_pem(to_pem("CERTIFICATE REQUEST", longer))) == csr_errc::malformed);
  }
  SECTION("error/garbage DER") {
    const std::vector<std::uint8_t> junk{0x30, 0x03, 0x02, 0x01, 0x00};
    CHECK(error_of(parse_csr_pem(to_pem("CERTIFICATE REQUEST", junk))) == csr_errc::malformed);
  }
  SECTION("error/trailing garbage after the block") {
    CHECK(error_of(parse_csr_pem(pem + "garbage\n")) == csr_errc::malformed);
  }
  SECTION("error/two blocks") { CHECK(error_of(parse_csr_pem(pem + pem)) == csr_errc::malformed); }
  SECTION("error/too large") {
    CHECK(error_of(parse_csr_pem(std::string(16 * 1024 + 1, 'A'))) == csr_errc::too_large);
    CHECK(error_of(parse_csr_pem(pem, csr_policy{pem.size() - 1})) == csr_errc::too_large);
  }
  SECTION("error/signature byte flipped") {
    auto bad = der;
    bad.back() ^= 0x01;
    CHECK(error_of(parse_csr_pem(to_pem("CERTIFICATE REQUEST", bad))) == csr_errc::bad_signature);
  }
  SECTION("error/subject changed after signing") {
    auto bad = der;
    const std::string_view cn = "device";
    const auto it = std::search(bad.begin(), bad.end(), cn.begin(), cn.end());
    REQUIRE(it != bad.end());
    *it = 'D';
    CHECK(error_of(parse_csr_pem(to_pem("CERTIFICATE REQUEST", bad))) == csr_errc::bad_signature);
  }
  SECTION("error/SHA-1 signature refused") {
    csr_spec spec;
    spec.md = EVP_sha1();
    CHECK(error_of(parse_csr_pem(make_csr_pem(key.get(), spec))) == csr_errc::bad_signature);
  }
  // Whatever failed, nothing is left on this thread's OpenSSL error queue.
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("parse_csr_pem key allow-list", "[pki][csr]") {
  struct row {
    const char* name;
    evp_pkey_ptr (*make)();
  };
  const auto r = GENERATE(row{"error/RSA 1024", [] { return test::make_rsa_key(1024); }},
                          row{"error/RSA 2047", [] { return test::make_rsa_key(2047); }},
                          row{"error/secp256k1", [] { return test::make_ec_key("secp256k1"); }},
                          row{"error/P-521", [] { return test::make_ec_key("P-521"); }},
                          row{"error/Ed448", [] { return test::make_raw_key("ED448"); }});
  SECTION(r.name) {
    const evp_pkey_ptr key = r.make();
    CHECK(error_of(parse_csr_pem(make_csr_pem(key.get()))) == csr_errc::key_not_allowed);
  }
}

TEST_CASE("parse_csr_pem refuses P-256 with explicit curve parameters", "[pki][csr]") {
  const auto key = test::make_ec_key("P-256");
  REQUIRE(EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_ENCODING,
                                         OSSL_PKEY_EC_ENCODING_EXPLICIT) == 1);
  const std::string pem = make_csr_pem(key.get());
  // The request itself is well formed and correctly signed; only the key encoding is refused.
  REQUIRE(pem.size() > p256_csr().size() + 100);
  CHECK(error_of(parse_csr_pem(pem)) == csr_errc::key_not_allowed);
}

TEST_CASE("csr_errc is a boost::system error code", "[pki][csr]") {
  const boost::system::error_code ec = csr_errc::bad_signature;
  CHECK(ec.category().name() == std::string("iotreg.pki.csr"));
  CHECK(ec == csr_errc::bad_signature);
  CHECK(ec != csr_errc::malformed);
  CHECK(ec.message() == "certificate request signature invalid or algorithm refused");
  CHECK(make_error_code(csr_errc::too_large).value() == 5);
}
