// PKCS#11 keys through OpenSSL's pkcs11 engine, against a SoftHSM2 token made for each test in a
// temporary directory (SOFTHSM2_CONF points there, never at the system token store). Needs
// softhsm2, opensc (pkcs11-tool) and libengine-pkcs11-openssl (scripts/install-deps); fails
// without them.
//
// The engine and the PKCS#11 module are process-wide and keep state across tokens (SoftHSM2
// keeps its login and configuration until the process ends), so each case that opens a token
// is hidden ("[.]") and run by CTest in a process of its own (tests/unit/pki/CMakeLists.txt).

#include "pki/pkcs11.hpp"
#include "pki/pkcs11_keygen.hpp"

#include "pki/ca.hpp"
#include "pki/file_io.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace iotreg::pki;
namespace fs = std::filesystem;

namespace {

const fs::path softhsm_module = "/usr/lib/softhsm/libsofthsm2.so";
const std::string pin = "4711-unit-pin";
const std::string issuing_uri = "pkcs11:token=iotreg-unit;object=issuing;type=private";
const std::string rsa_uri = "pkcs11:token=iotreg-unit;object=rsa;type=private";

/// Runs a shell command; returns its exit status and stdout+stderr.
std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, ""};
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  const int rc = ::pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

/// A SoftHSM2 token "iotreg-unit" in a temporary directory with an EC P-256 key "issuing" and an
/// RSA 2048 key "rsa", made by softhsm2-util and pkcs11-tool.
struct softhsm_token {
  test::temp_dir dir;
  softhsm_token() {
    REQUIRE(fs::exists(softhsm_module));
    fs::create_directory(dir.path() + "/tokens");
    const std::string conf = dir.path() + "/softhsm2.conf";
    {
      FILE* f = std::fopen(conf.c_str(), "w");
      REQUIRE(f != nullptr);
      std::fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n",
                   dir.path().c_str());
      std::fclose(f);
    }
    ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
    auto [rc, out] =
        run("softhsm2-util --init-token --free --label iotreg-unit --so-pin 12345678 --pin " + pin);
    INFO(out);
    REQUIRE(rc == 0);
    const std::string tool = "pkcs11-tool --module " + softhsm_module.string() +
                             " --token-label iotreg-unit --login --pin " + pin + " --keypairgen ";
    std::tie(rc, out) = run(tool + "--key-type EC:prime256v1 --label issuing --id 01");
    INFO(out);
    REQUIRE(rc == 0);
    std::tie(rc, out) = run(tool + "--key-type rsa:2048 --label rsa --id 02");
    INFO(out);
    REQUIRE(rc == 0);
  }
};

std::string pkcs11_error_of(const auto& f) {
  try {
    f();
  } catch (const pkcs11_error& e) {
    return e.what();
  }
  return "";
}

template <class T, auto I2d>
std::string pem_of(T* obj) {
  const bio_ptr bio = make_write_bio();
  REQUIRE(I2d(bio.get(), obj) == 1);
  return bio_contents(bio.get());
}

}  // namespace

TEST_CASE("pkcs11/URIs: pkcs11: scheme required, PIN refused", "[pkcs11]") {
  CHECK(check_pkcs11_key_uri(issuing_uri).empty());
  CHECK(check_pkcs11_key_uri("PKCS11:object=x").empty());
  CHECK_FALSE(check_pkcs11_key_uri("/var/lib/iotreg/ca/private/issuing.key").empty());
  CHECK_FALSE(check_pkcs11_key_uri("pkcs11:").empty());
  CHECK(check_pkcs11_key_uri("pkcs11:object=x?pin-value=1234").find("PIN") != std::string::npos);
  CHECK_FALSE(check_pkcs11_key_uri("pkcs11:object=x?pin-source=file:/p").empty());
}

TEST_CASE(
    "pkcs11/the token key signs an issuing CA, a device certificate, a CRL and an OCSP response; no export",
    "[.][pkcs11-sign]") {
  softhsm_token t;
  const auto now = std::chrono::system_clock::now();
  pkcs11_token token(softhsm_module, pin, "/etc/iotreg/pin");
  CHECK_THROWS_AS(pkcs11_token(softhsm_module, pin, "x"), pkcs11_error);  // one at a time

  auto key = token.load_private_key(issuing_uri);
  CHECK(key.description() == "EC P-256");
  CHECK_FALSE(key.exportable());
  CHECK_THROWS_AS(key.pem(), key_not_exportable);

  // The issuing CA: a file root signs a certificate for the token's key ...
  const auto root = create_root_ca("unit root", std::chrono::days(30), now);
  const auto issuing = create_issuing_ca(root, ca_name{"unit issuing (token)", {}}, std::move(key),
                                         std::chrono::days(30), now);
  CHECK(X509_verify(issuing.cert.native(), X509_get0_pubkey(root.cert.native())) == 1);
  CHECK(X509_check_private_key(issuing.cert.native(), issuing.key.native()) == 1);

  // ... and the token's key signs a device certificate, which chains to the root.
  const auto device_key = test::make_ec_key("P-256");
  const auto req = parse_csr_pem(test::make_csr_pem(device_key.get()));
  REQUIRE(req.has_value());
  const auto device = issue_device_certificate(
      issuing, *req, "89049032000000000000000000000001._device.example", std::chrono::days(1), now);
  CHECK(X509_verify(device.native(), X509_get0_pubkey(issuing.cert.native())) == 1);

  // A CRL signed in the token (what the revocation code does with X509_CRL_sign).
  ossl_ptr<X509_CRL, X509_CRL_free> crl(X509_CRL_new());
  REQUIRE(crl);
  REQUIRE(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1);
  REQUIRE(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuing.cert.native())) == 1);
  const asn1_string_ptr last(ASN1_TIME_set(nullptr, std::time(nullptr)));
  const asn1_string_ptr next(ASN1_TIME_adj(nullptr, std::time(nullptr), 1, 0));
  REQUIRE(X509_CRL_set1_lastUpdate(crl.get(), last.get()) == 1);
  REQUIRE(X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1);
  X509_REVOKED* rev = X509_REVOKED_new();
  REQUIRE(X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(device.native())) == 1);
  REQUIRE(X509_REVOKED_set_revocationDate(rev, last.get()) == 1);
  REQUIRE(X509_CRL_add0_revoked(crl.get(), rev) == 1);
  REQUIRE(X509_CRL_sort(crl.get()) == 1);
  REQUIRE(X509_CRL_sign(crl.get(), issuing.key.native(), EVP_sha256()) > 0);
  CHECK(X509_CRL_verify(crl.get(), X509_get0_pubkey(issuing.cert.native())) == 1);

  // An OCSP response signed in the token (what the OCSP responder does with OCSP_basic_sign),
  // verified against the root as trust anchor.
  ossl_ptr<OCSP_BASICRESP, OCSP_BASICRESP_free> bs(OCSP_BASICRESP_new());
  REQUIRE(bs);
  OCSP_CERTID* id = OCSP_cert_to_id(nullptr, device.native(), issuing.cert.native());
  REQUIRE(id != nullptr);
  const bool added =
      OCSP_basic_add1_status(bs.get(), id, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                             last.get(), last.get(), next.get()) != nullptr;
  OCSP_CERTID_free(id);
  REQUIRE(added);
  REQUIRE(OCSP_basic_sign(bs.get(), issuing.cert.native(), issuing.key.native(), EVP_sha256(), nullptr, 0) ==
          1);
  const x509_store_ptr store(X509_STORE_new());
  REQUIRE(X509_STORE_add_cert(store.get(), root.cert.native()) == 1);
  CHECK(OCSP_basic_verify(bs.get(), nullptr, store.get(), 0) == 1);

  // Independent check with the openssl command line: the CRL verifies against the issuing CA
  // certificate, and the device certificate is revoked by it.
  const std::string d = t.dir.path();
  write_file_atomic(d + "/crl.pem", pem_of<X509_CRL, PEM_write_bio_X509_CRL>(crl.get()),
                    fs::perms::owner_all);
  write_file_atomic(d + "/chain.pem", issuing.cert.pem() + root.cert.pem(), fs::perms::owner_all);
  write_file_atomic(d + "/device.pem", device.pem(), fs::perms::owner_all);
  auto [rc, out] = run("openssl crl -in " + d + "/crl.pem -CAfile " + d + "/chain.pem -noout -verify");
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("verify OK") != std::string::npos);
  std::tie(rc, out) = run("openssl verify -crl_check -CAfile " + d + "/chain.pem -CRLfile " + d +
                          "/crl.pem " + d + "/device.pem");
  INFO(out);
  CHECK(out.find("certificate revoked") != std::string::npos);
}

TEST_CASE("pkcs11/an RSA key in the token signs and cannot be exported", "[.][pkcs11-rsa]") {
  softhsm_token t;
  pkcs11_token token(softhsm_module, pin, "pin file");
  auto key = token.load_private_key(rsa_uri);
  CHECK(key.description() == "RSA 2048");
  CHECK_THROWS_AS(key.pem(), key_not_exportable);
  const auto root = create_root_ca(ca_name{"rsa token root", {}}, std::move(key), std::chrono::days(1),
                                   std::chrono::system_clock::now());
  CHECK(X509_verify(root.cert.native(), X509_get0_pubkey(root.cert.native())) == 1);
}

TEST_CASE("pkcs11/a wrong PIN: the error names the URI and the PIN's file, never the PIN",
          "[.][pkcs11-pin]") {
  softhsm_token t;
  pkcs11_token token(softhsm_module, "9999-wrong-pin", "/etc/iotreg/pkcs11.pin");
  const std::string msg = pkcs11_error_of([&] { token.load_private_key(issuing_uri); });
  CHECK(msg.find(issuing_uri) != std::string::npos);
  CHECK(msg.find("/etc/iotreg/pkcs11.pin") != std::string::npos);
  CHECK(msg.find("PIN incorrect") != std::string::npos);
  CHECK(msg.find("9999-wrong-pin") == std::string::npos);
}

TEST_CASE("pkcs11/missing object, PIN in the URI, bad module: clear errors, never the PIN",
          "[.][pkcs11-errors]") {
  softhsm_token t;
  {
    pkcs11_token token(softhsm_module, pin, "pin file");
    const std::string uri = "pkcs11:token=iotreg-unit;object=nothere;type=private";
    const std::string msg = pkcs11_error_of([&] { token.load_private_key(uri); });
    CHECK(msg.find(uri) != std::string::npos);
    CHECK(msg.find("object not found") != std::string::npos);
    CHECK(msg.find(pin) == std::string::npos);
    CHECK(pkcs11_error_of([&] {
            token.load_private_key("pkcs11:object=issuing?pin-value=" + pin);
          }).find("must not carry the PIN") != std::string::npos);
    // The token still works after the failures.
    CHECK(token.load_private_key(issuing_uri).description() == "EC P-256");
  }
  const std::string msg =
      pkcs11_error_of([&] { pkcs11_token token(t.dir.path() + "/no-such-module.so", pin, "pin file"); });
  CHECK(msg.find("no-such-module.so") != std::string::npos);
  CHECK(msg.find(pin) == std::string::npos);
}

TEST_CASE("pkcs11/URI attributes and the key URI derived from an id", "[pkcs11]") {
  const std::string uri = "pkcs11:token=iotreg%20unit;object=issuing;type=private;id=%01?module-path=/x";
  CHECK(pkcs11_uri_attribute(uri, "token") == "iotreg unit");
  CHECK(pkcs11_uri_attribute(uri, "object") == "issuing");
  CHECK_FALSE(pkcs11_uri_attribute(uri, "serial"));
  CHECK_FALSE(pkcs11_uri_attribute(uri, "module-path"));  // a query attribute, not the path's
  const std::array<std::uint8_t, 3> id{0x0a, 0xff, 0x00};
  CHECK(pkcs11_key_uri_for_id(uri, id) == "pkcs11:token=iotreg%20unit;id=%0a%ff%00;type=private");
  CHECK(pkcs11_key_uri_for_id("pkcs11:object=x", id) == "pkcs11:id=%0a%ff%00;type=private");
}

TEST_CASE("pkcs11/key pairs made in the token: CKA_ID = SKI, sign, never leave the token",
          "[.][pkcs11-keygen]") {
  softhsm_token t;
  const auto now = std::chrono::system_clock::now();
  pkcs11_token token(softhsm_module, pin, "pin file");
  // The engine's key first: key generation shares the module the engine initialised.
  auto root_key = token.load_private_key(issuing_uri);
  const auto root =
      create_root_ca(ca_name{"keygen root", {}}, std::move(root_key), std::chrono::days(2), now);
  for (const auto type : {key_type::ec_p256, key_type::ec_p384, key_type::rsa2048}) {
    CAPTURE(key_type_name(type));
    const auto id = pkcs11_generate_key_pair(softhsm_module, "iotreg-unit", pin, type,
                                             "issuing " + std::string(key_type_name(type)));
    REQUIRE(id.size() == 20);
    auto key = token.load_private_key(pkcs11_key_uri_for_id(issuing_uri, id));
    CHECK_FALSE(key.exportable());
    const auto ca =
        create_issuing_ca(root, ca_name{"keygen issuing", {}}, std::move(key), std::chrono::days(1), now);
    // The id is the SKI the certificate carries: the URI is derived from the certificate.
    CHECK(ca.cert.subject_key_id() == id);
    CHECK(X509_verify(ca.cert.native(), X509_get0_pubkey(root.cert.native())) == 1);
    // The new key signs (a device certificate verifies against the new CA).
    const auto device_key = test::make_ec_key("P-256");
    const auto req = parse_csr_pem(test::make_csr_pem(device_key.get()));
    REQUIRE(req.has_value());
    const auto dev = issue_device_certificate(ca, *req, "d._device.example", std::chrono::days(1), now);
    CHECK(X509_verify(dev.native(), X509_get0_pubkey(ca.cert.native())) == 1);
  }
  auto [rc, out] = run("pkcs11-tool --module " + softhsm_module.string() +
                       " --token-label iotreg-unit --login --pin " + pin + " --list-objects --type privkey");
  INFO(out);
  CHECK(out.find("label:      issuing ec-p384") != std::string::npos);
  CHECK(out.find("Access:     sensitive, always sensitive, never extractable, local") != std::string::npos);
  CHECK_THROWS_AS(pkcs11_generate_key_pair(softhsm_module, "iotreg-unit", pin, key_type::ed25519, "x"),
                  std::invalid_argument);
  CHECK_THROWS_WITH(pkcs11_generate_key_pair(softhsm_module, "no-such-token", pin, key_type::ec_p256, "x"),
                    Catch::Contains("token 'no-such-token': no such token"));
}
