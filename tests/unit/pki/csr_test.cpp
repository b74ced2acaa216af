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

TEST_CASE("parse_csr_pem refuses requests for a CA certificate", "[pki][csr][ca-request]") {
  const auto key = test::make_ec_key("P-256");
  struct row {
    const char* name;
    std::vector<std::pair<int, std::string>> extensions;
    bool refused;
  };
  const auto r = GENERATE(values<row>({
      {"error/basicConstraints CA:TRUE", {{NID_basic_constraints, "critical,CA:TRUE"}}, true},
      {"error/basicConstraints CA:TRUE, not critical, pathlen",
       {{NID_basic_constraints, "CA:TRUE,pathlen:0"}},
       true},
      {"error/keyUsage keyCertSign", {{NID_key_usage, "critical,digitalSignature,keyCertSign"}}, true},
      {"error/keyUsage cRLSign", {{NID_key_usage, "cRLSign"}}, true},
      {"error/CA:TRUE among other extensions",
       {{NID_subject_alt_name, "DNS:x.example"}, {NID_basic_constraints, "CA:TRUE"}},
       true},
      {"ok/basicConstraints CA:FALSE", {{NID_basic_constraints, "critical,CA:FALSE"}}, false},
      {"ok/keyUsage digitalSignature", {{NID_key_usage, "critical,digitalSignature,keyAgreement"}}, false},
      {"ok/SAN and EKU", {{NID_subject_alt_name, "DNS:x.example"}, {NID_ext_key_usage, "clientAuth"}}, false},
  }));
  SECTION(r.name) {
    csr_spec spec;
    spec.extensions = r.extensions;
    const auto parsed = parse_csr_pem(make_csr_pem(key.get(), spec));
    if (r.refused) {
      CHECK(error_of(parsed) == csr_errc::ca_requested);
    } else {
      CHECK(parsed.has_value());
    }
  }
  SECTION("error/the request_ca_extensions helper") {
    csr_spec spec;
    spec.request_ca_extensions = true;
    CHECK(error_of(parse_csr_pem(make_csr_pem(key.get(), spec))) == csr_errc::ca_requested);
  }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("parse_csr_pem refuses two extensionRequest attributes", "[pki][csr][ca-request]") {
  // OpenSSL reads only the first one; a CA:TRUE hidden in the second must not slip through.
  // OpenSSL 3 refuses to add a duplicate attribute, so the second one goes in as a
  // challengePassword whose OID (1.2.840.113549.1.9.7) is then patched into extensionRequest
  // (…1.9.14, same length), and the request is signed again.
  const auto key = test::make_ec_key("P-256");
  x509_req_ptr req(X509_REQ_new());
  REQUIRE(req);
  REQUIRE(X509_REQ_set_pubkey(req.get(), key.get()) == 1);
  for (const auto& [nid, value] : {std::pair{NID_ext_req, "critical,CA:FALSE"},
                                   std::pair{NID_pkcs9_challengePassword, "critical,CA:TRUE"}}) {
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, value);
    REQUIRE(e != nullptr);
    REQUIRE(sk_X509_EXTENSION_push(exts, e) > 0);
    unsigned char* der = nullptr;
    const int len = i2d_X509_EXTENSIONS(exts, &der);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    REQUIRE(len > 0);
    const int added = X509_REQ_add1_attr_by_NID(req.get(), nid, V_ASN1_SEQUENCE, der, len);
    OPENSSL_free(der);
    REQUIRE(added == 1);
  }
  REQUIRE(X509_REQ_sign(req.get(), key.get(), EVP_sha256()) > 0);
  std::vector<std::uint8_t> der = to_der(i2d_X509_REQ, req.get());
  REQUIRE(parse_csr_pem(to_pem("CERTIFICATE REQUEST", der)).has_value());  // before the patch: fine
  const std::vector<std::uint8_t> challenge{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07};
  const auto it = std::search(der.begin(), der.end(), challenge.begin(), challenge.end());
  REQUIRE(it != der.end());
  *(it + 10) = 0x0e;
  const unsigned char* p = der.data();
  x509_req_ptr twice(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(twice);
  REQUIRE(X509_REQ_get_attr_by_NID(twice.get(), NID_ext_req,
                                   X509_REQ_get_attr_by_NID(twice.get(), NID_ext_req, -1)) >= 0);
  REQUIRE(X509_REQ_sign(twice.get(), key.get(), EVP_sha256()) > 0);
  const std::string pem = to_pem("CERTIFICATE REQUEST", to_der(i2d_X509_REQ, twice.get()));
  CHECK(error_of(parse_csr_pem(pem)) == csr_errc::malformed);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("parse_csr_pem refuses odd encodings", "[pki][csr][encoding]") {
  const auto key = test::make_ec_key("P-256");
  const std::vector<std::uint8_t> der = make_csr_der(key.get());
  REQUIRE(der.size() > 130);
  REQUIRE(der[0] == 0x30);
  REQUIRE(der[1] == 0x81);  // a P-256 CSR is 128..255 octets long: one length octet
  const std::vector<std::uint8_t> body(der.begin() + 3, der.end());

  SECTION("error/BER indefinite length") {
    std::vector<std::uint8_t> ber{0x30, 0x80};
    ber.insert(ber.end(), body.begin(), body.end());
    ber.insert(ber.end(), {0x00, 0x00});
    CHECK(error_of(parse_csr_pem(to_pem("CERTIFICATE REQUEST", ber))) == csr_errc::malformed);
  }
  SECTION("error/long-form length with a leading zero octet") {
    std::vector<std::uint8_t> ber{0x30, 0x82, 0x00, der[2]};
    ber.insert(ber.end(), body.begin(), body.end());
    CHECK(error_of(parse_csr_pem(to_pem("CERTIFICATE REQUEST", ber))) == csr_errc::malformed);
  }
  SECTION("error/inner length in long form though under 128, correctly signed") {
    // The CertificationRequestInfo re-encoded with one BER length ("31 LL" -> "31 81 LL" in the
    // subject) and signed as such: OpenSSL keeps the signed bytes as received, so it parses the
    // request and verifies its signature.
    REQUIRE(der[3] == 0x30);
    REQUIRE(der[4] < 0x80);  // short-form CertificationRequestInfo
    std::vector<std::uint8_t> info(der.begin() + 3, der.begin() + 5 + der[4]);
    const std::vector<std::uint8_t> sig_alg(der.begin() + 5 + der[4],
                                            der.begin() + 5 + der[4] + 2 + der[6 + der[4]]);
    REQUIRE(sig_alg[0] == 0x30);
    std::size_t pos = 0;  // "31 LL 30": the SET of the first RDN
    for (std::size_t i = 2; i + 2 < info.size(); ++i) {
      if (info[i] == 0x31 && info[i + 1] < 0x80 && info[i + 2] == 0x30) {
        pos = i;
        break;
      }
    }
    REQUIRE(pos >= 2);
    REQUIRE(info[pos - 2] == 0x30);  // the Name
    info.insert(info.begin() + static_cast<std::ptrdiff_t>(pos) + 1, 0x81);
    ++info[pos - 1];
    ++info[1];
    REQUIRE(info[1] < 0x80);

    std::vector<std::uint8_t> sig(128);
    std::size_t sig_len = sig.size();
    ossl_ptr<EVP_MD_CTX, EVP_MD_CTX_free> md(EVP_MD_CTX_new());
    REQUIRE(EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1);
    REQUIRE(EVP_DigestSign(md.get(), sig.data(), &sig_len, info.data(), info.size()) == 1);
    sig.resize(sig_len);

    std::vector<std::uint8_t> content = info;
    content.insert(content.end(), sig_alg.begin(), sig_alg.end());
    content.insert(content.end(), {0x03, static_cast<std::uint8_t>(sig.size() + 1), 0x00});
    content.insert(content.end(), sig.begin(), sig.end());
    REQUIRE(content.size() >= 0x80);
    REQUIRE(content.size() < 0x100);
    std::vector<std::uint8_t> ber{0x30, 0x81, static_cast<std::uint8_t>(content.size())};
    ber.insert(ber.end(), content.begin(), content.end());

    const unsigned char* q = ber.data();
    x509_req_ptr lax(d2i_X509_REQ(nullptr, &q, static_cast<long>(ber.size())));
    REQUIRE(lax != nullptr);
    CHECK(X509_REQ_verify(lax.get(), X509_REQ_get0_pubkey(lax.get())) == 1);
    ERR_clear_error();
    // iotreg refuses it all the same.
    CHECK(error_of(parse_csr_pem(to_pem("CERTIFICATE REQUEST", ber))) == csr_errc::malformed);
  }
  SECTION("error/unknown version v2") {
    csr_spec spec;
    spec.version = 1;
    CHECK(error_of(parse_csr_pem(make_csr_pem(key.get(), spec))) == csr_errc::malformed);
  }
  SECTION("error/a certificate instead of a CSR, labelled as one") {
    // Structurally valid DER, but not a CertificationRequest.
    const std::vector<std::uint8_t> not_req{0x30, 0x03, 0x02, 0x01, 0x01};
    CHECK(error_of(parse_csr_pem(to_pem("CERTIFICATE REQUEST", not_req))) == csr_errc::malformed);
  }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("check_csr_names by policy", "[pki][csr][names]") {
  const std::string id = "89049032000001000000012345678901";
  const std::string dns = id + "._device.iotregistry.test";
  const auto key = test::make_ec_key("P-256");
  const csr_policy check{16 * 1024, csr_name_policy::check};
  const csr_policy ignore{};
  struct row {
    const char* name;
    std::string cn;
    std::vector<std::pair<int, std::string>> extensions;
    bool matches;
  };
  const auto r = GENERATE_COPY(values<row>({
      {"ok/CN = the DNS name", dns, {}, true},
      {"ok/CN = the id", id, {}, true},
      {"ok/CN in upper case with a final dot",
       "89049032000001000000012345678901._DEVICE.IoTRegistry.Test.",
       {},
       true},
      {"ok/CN and SAN dNSName", dns, {{NID_subject_alt_name, "DNS:" + dns + ",DNS:" + id}}, true},
      {"ok/other SAN types are not names of the device",
       id,
       {{NID_subject_alt_name, "IP:192.0.2.1,email:a@b.example"}},
       true},
      {"error/CN of another device", "89049032000001000000012345678902", {}, false},
      {"error/CN of another zone", id + "._device.other.test", {}, false},
      {"error/the id with a final dot", id + ".", {}, false},
      {"error/a SAN dNSName of another name",
       dns,
       {{NID_subject_alt_name, "DNS:" + dns + ",DNS:evil.example"}},
       false},
      {"error/CN with the DNS name as a prefix", dns + ".x", {}, false},
  }));
  SECTION(r.name) {
    csr_spec spec;
    spec.common_name = r.cn;
    spec.extensions = r.extensions;
    const auto parsed = parse_csr_pem(make_csr_pem(key.get(), spec), check);
    REQUIRE(parsed.has_value());
    const auto ec = check_csr_names(*parsed, check, dns, id);
    if (r.matches) {
      CHECK_FALSE(ec);
    } else {
      CHECK(ec == csr_errc::name_mismatch);
    }
    CHECK_FALSE(check_csr_names(*parsed, ignore, dns, id));  // "ignore" never refuses
  }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("csr_errc values for the new checks", "[pki][csr]") {
  CHECK(make_error_code(csr_errc::ca_requested).value() == 6);
  CHECK(make_error_code(csr_errc::name_mismatch).value() == 7);
  CHECK(make_error_code(csr_errc::ca_requested).message() == "certificate request asks for a CA certificate");
}
