// Enrollment with server-side key generation against in-memory ports and a real CA: the key comes
// back encrypted and matches the certificate; refusals are values that never quote the password.

#include "dns/keys.hpp"
#include "dns/signer.hpp"
#include "memory_store.hpp"
#include "pki/ca.hpp"
#include "pki/key.hpp"
#include "registry/registry_service.hpp"
#include "registry/zone_publisher.hpp"
#include "service_fixture.hpp"

#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <catch2/catch.hpp>

using namespace iotreg;
using namespace std::chrono_literals;

namespace {

constexpr const char* zone = "iotregistry.test.";
constexpr const char* eid1 = "89049032123451234512345678901235";
const std::string password = "a password of some length";

using fixture = registry::testing::service_fixture;

registry::enroll_request keygen_request(std::string key_type, std::string format, std::string_view pw) {
  registry::enroll_request r;
  r.device_id = eid1;
  r.server_keygen =
      registry::server_keygen_request{std::move(key_type), std::move(format), registry::secret_text(pw)};
  return r;
}

int pass_cb(char* buf, int size, int, void* u) {
  const auto* pw = static_cast<const std::string*>(u);
  if (static_cast<int>(pw->size()) > size) return -1;
  std::copy(pw->begin(), pw->end(), buf);
  return static_cast<int>(pw->size());
}

}  // namespace

TEST_CASE("registry/server keygen pkcs8: encrypted key for the certificate, published") {
  fixture f;
  auto e = f.service.enroll(keygen_request("ed25519", "pkcs8", password));
  REQUIRE(e.has_value());
  REQUIRE(e->zone_serial.has_value());
  REQUIRE(e->private_key_format == registry::key_format::pkcs8);
  CHECK(e->private_key.view().starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));

  const pki::bio_ptr bio = pki::make_read_bio(e->private_key.view());
  pki::evp_pkey_ptr key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, pass_cb, const_cast<std::string*>(&password)));
  REQUIRE(key);
  CHECK(EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_ED25519);
  const auto cert = pki::certificate::from_pem(e->certificate_pem);
  CHECK(X509_check_private_key(cert.native(), key.get()) == 1);

  // What get() returns (what is stored) carries no key.
  auto again = f.service.get(eid1);
  REQUIRE(again.has_value());
  CHECK(again->private_key.empty());
  CHECK_FALSE(again->private_key_format.has_value());
  CHECK(again->certificate_pem == e->certificate_pem);
}

TEST_CASE("registry/server keygen pkcs12: bundle with the chain; default key type is P-256") {
  fixture f;
  registry::enroll_request r;
  r.device_id = eid1;
  r.server_keygen.emplace();  // key_type and format defaults
  r.server_keygen->format = "pkcs12";
  r.server_keygen->password = registry::secret_text(password);
  auto e = f.service.enroll(r);
  REQUIRE(e.has_value());
  REQUIRE(e->private_key_format == registry::key_format::pkcs12);

  const auto der = e->private_key.bytes();
  const unsigned char* p = der.data();
  pki::ossl_ptr<PKCS12, PKCS12_free> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(p12);
  EVP_PKEY* k = nullptr;
  X509* c = nullptr;
  STACK_OF(X509)* ca = nullptr;
  REQUIRE(PKCS12_parse(p12.get(), password.c_str(), &k, &c, &ca) == 1);
  pki::evp_pkey_ptr key(k);
  pki::x509_ptr cert(c);
  CHECK(pki::describe_key(key.get()) == "EC P-256");
  CHECK(X509_cmp(cert.get(), pki::certificate::from_pem(e->certificate_pem).native()) == 0);
  CHECK(sk_X509_num(ca) == 2);
  sk_X509_pop_free(ca, X509_free);
}

TEST_CASE("registry/server keygen refusals: values, nothing stored, password never quoted") {
  fixture f;
  struct row {
    const char* what;
    std::string key_type;
    std::string format;
    std::string pw;
  };
  const auto r = GENERATE(row{"short password", "ec-p256", "pkcs8", "short-pw-11"},
                          row{"long password", "ec-p256", "pkcs8", std::string(1025, 'p')},
                          row{"NUL in password", "ec-p256", "pkcs12", std::string("twelve\0bytes!", 13)},
                          row{"unknown key type", "dsa1024", "pkcs8", password},
                          row{"unknown format", "ec-p256", "jks", password});
  SECTION(r.what) {
    auto e = f.service.enroll(keygen_request(r.key_type, r.format, r.pw));
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code == registry::errc::invalid_server_keygen);
    CHECK(e.error().detail.find(r.pw) == std::string::npos);
    CHECK_FALSE(f.store.find(zone, eid1).has_value());
  }
}

TEST_CASE("registry/server keygen for a known device: device_exists") {
  fixture f;
  REQUIRE(f.service.enroll(keygen_request("ec-p256", "pkcs8", password)).has_value());
  auto again = f.service.enroll(keygen_request("ec-p256", "pkcs8", password));
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == registry::errc::device_exists);
}

TEST_CASE("registry/server keygen: a publication timeout still hands the key out") {
  // No signer thread: the change is committed but never published within the timeout. A CSR
  // enrollment would answer publication_timeout; here the key would then be lost for good.
  fixture f(false);
  registry::registry_service quick{
      {.zone = zone, .publish_timeout = 50ms}, f.store, f.publisher, f.issuing, f.root.cert};
  auto e = quick.enroll(keygen_request("ec-p256", "pkcs8", password));
  REQUIRE(e.has_value());
  CHECK_FALSE(e->zone_serial.has_value());
  CHECK(e->private_key_format == registry::key_format::pkcs8);
  CHECK_FALSE(e->private_key.empty());
  CHECK(f.store.find(zone, eid1).has_value());
}
