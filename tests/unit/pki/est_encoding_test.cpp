#include "pki/est_encoding.hpp"

#include "pki/ca.hpp"
#include "test_support.hpp"

#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>

using namespace iotreg::pki;

namespace {

std::string run(const std::string& cmd, int& exit_code) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + cmd);
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = ::pclose(p);
  exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

struct cas {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  certificate_authority root = create_root_ca("EST test root", std::chrono::days(3650), now);
  certificate_authority issuing = create_issuing_ca(root, "EST test issuing", std::chrono::days(1825), now);
};

cas& fixture() {
  static cas f;
  return f;
}

}  // namespace

TEST_CASE("certs-only PKCS#7: a degenerate SignedData with the certificates in order", "[est]") {
  const std::vector<certificate> chain{fixture().issuing.cert, fixture().root.cert};
  const auto der = certs_only_pkcs7(chain);

  const unsigned char* p = der.data();
  ossl_ptr<PKCS7, PKCS7_free> p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(p7);
  CHECK(p == der.data() + der.size());
  REQUIRE(OBJ_obj2nid(p7->type) == NID_pkcs7_signed);
  const PKCS7_SIGNED* sd = p7->d.sign;
  CHECK(ASN1_INTEGER_get(sd->version) == 1);
  CHECK(sk_X509_ALGOR_num(sd->md_algs) == 0);
  CHECK(sk_PKCS7_SIGNER_INFO_num(sd->signer_info) == 0);
  CHECK(sd->crl == nullptr);
  // encapContentInfo: id-data without content.
  REQUIRE(sd->contents != nullptr);
  CHECK(OBJ_obj2nid(sd->contents->type) == NID_pkcs7_data);
  CHECK(sd->contents->d.data == nullptr);

  const auto back = certificates_from_pkcs7(der);
  REQUIRE(back.size() == 2);
  CHECK(back[0].der() == chain[0].der());
  CHECK(back[1].der() == chain[1].der());

  SECTION("openssl pkcs7 -print_certs reads it") {
    test::temp_dir dir;
    const std::string file = dir.path() + "/certs.p7";
    write_file(file, der);
    int rc = -1;
    const auto out = run("openssl pkcs7 -inform DER -in " + file + " -print_certs -noout", rc);
    CHECK(rc == 0);
    CHECK(out.find("subject=CN = EST test issuing") != std::string::npos);
    CHECK(out.find("subject=CN = EST test root") != std::string::npos);
    CHECK(out.find("EST test issuing") < out.find("subject=CN = EST test root"));
  }
}

TEST_CASE("certs-only PKCS#7: error/no certificate", "[est]") {
  CHECK_THROWS_AS(certs_only_pkcs7({}), std::invalid_argument);
  const std::vector<std::uint8_t> junk{0x30, 0x03, 0x02, 0x01, 0x01};
  CHECK_THROWS_AS(certificates_from_pkcs7(junk), ossl_error);
}

TEST_CASE("csrattrs: OIDs and attributes in one SEQUENCE", "[est]") {
  const std::vector<csr_attr> attrs{{"1.2.840.10045.4.3.2", {}},
                                    {"1.2.840.10045.2.1", {"1.2.840.10045.3.1.7"}}};
  const auto der = encode_csr_attrs(attrs);
  // SEQUENCE { OID ecdsa-with-SHA256, SEQUENCE { OID id-ecPublicKey, SET { OID prime256v1 } } }
  const std::vector<std::uint8_t> expected{
      0x30, 0x21,                                                              // 10 + 23 bytes
      0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,              // ecdsa-with-SHA256
      0x30, 0x15, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,        // id-ecPublicKey
      0x31, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,  // SET { prime256v1 }
  };
  CHECK(der == expected);

  SECTION("openssl asn1parse reads it") {
    test::temp_dir dir;
    const std::string file = dir.path() + "/attrs.der";
    write_file(file, der);
    int rc = -1;
    const auto out = run("openssl asn1parse -inform DER -in " + file, rc);
    CHECK(rc == 0);
    CHECK(out.find("ecdsa-with-SHA256") != std::string::npos);
    CHECK(out.find("id-ecPublicKey") != std::string::npos);
    CHECK(out.find("prime256v1") != std::string::npos);
  }
  SECTION("empty: an empty SEQUENCE") {
    CHECK(encode_csr_attrs({}) == std::vector<std::uint8_t>{0x30, 0x00});
  }
  SECTION("error/names are not OIDs") {
    const std::vector<csr_attr> bad{{"prime256v1", {}}};
    CHECK_THROWS_AS(encode_csr_attrs(bad), std::invalid_argument);
  }
}

TEST_CASE("csrattrs: long-form lengths past 127 bytes", "[est]") {
  std::vector<csr_attr> many(20, csr_attr{"1.2.840.10045.4.3.2", {}});  // 20 x 10 bytes
  const auto der = encode_csr_attrs(many);
  REQUIRE(der.size() == 3 + 200);
  CHECK(der[0] == 0x30);
  CHECK(der[1] == 0x81);
  CHECK(der[2] == 200);
}

TEST_CASE("pem_from_der and same_subject", "[est]") {
  const auto key = private_key::generate_p256();
  const std::string dns = "dev1._device.example.test";
  test::csr_spec spec;
  spec.common_name = dns;
  const auto csr_der = test::make_csr_der(key.native(), spec);
  const auto pem = pem_from_der("CERTIFICATE REQUEST", csr_der);
  CHECK(pem == test::to_pem("CERTIFICATE REQUEST", csr_der));
  auto req = parse_csr_pem(pem);
  REQUIRE(req.has_value());
  const auto cert =
      issue_device_certificate(fixture().issuing, key.native(), dns, std::chrono::days(30), fixture().now);
  CHECK(same_subject(*req, cert));
  spec.common_name = "dev2._device.example.test";
  auto other = parse_csr_pem(test::make_csr_pem(key.native(), spec));
  REQUIRE(other.has_value());
  CHECK_FALSE(same_subject(*other, cert));
}
