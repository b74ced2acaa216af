#include "pki/key.hpp"

#include "test_support.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <system_error>

using namespace iotreg::pki;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Restores the process umask when the test ends.
struct umask_guard {
  explicit umask_guard(mode_t m) : old(::umask(m)) {}
  umask_guard(const umask_guard&) = delete;
  umask_guard& operator=(const umask_guard&) = delete;
  ~umask_guard() { ::umask(old); }
  mode_t old;
};

}  // namespace

TEST_CASE("generate: each key type, PEM round trip keeps the public key", "[pki][key]") {
  struct row {
    key_type type;
    const char* description;
  };
  const auto r = GENERATE(row{key_type::ec_p256, "EC P-256"}, row{key_type::ec_p384, "EC P-384"},
                          row{key_type::ed25519, "Ed25519"}, row{key_type::rsa2048, "RSA 2048"},
                          row{key_type::rsa3072, "RSA 3072"}, row{key_type::rsa4096, "RSA 4096"});
  SECTION(r.description) {
    const private_key k = private_key::generate(r.type);
    CHECK(k.description() == r.description);
    const std::string pem = k.pem();
    CHECK(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));  // PKCS#8, unencrypted
    const private_key back = private_key::from_pem(pem);
    CHECK(back.spki_der() == k.spki_der());
    CHECK(EVP_PKEY_eq(back.native(), k.native()) == 1);
  }
}

TEST_CASE("key type names: the [ca] key_type values", "[pki][key]") {
  for (const auto t : {key_type::ec_p256, key_type::ec_p384, key_type::ed25519, key_type::rsa2048,
                       key_type::rsa3072, key_type::rsa4096}) {
    CHECK(key_type_from_name(key_type_name(t)) == t);
  }
  CHECK(key_type_name(key_type::ec_p256) == "ec-p256");
  CHECK(key_type_name(key_type::rsa4096) == "rsa4096");
  CHECK(key_type_from_name("ed25519") == key_type::ed25519);
  CHECK_FALSE(key_type_from_name("rsa1024"));
  CHECK_FALSE(key_type_from_name("EC-P256"));
  CHECK_FALSE(key_type_from_name(""));
}

TEST_CASE("generate_p256 gives fresh P-256 keys", "[pki][key]") {
  const private_key a = private_key::generate_p256();
  const private_key b = private_key::generate_p256();
  CHECK(a.description() == "EC P-256");
  CHECK(a.spki_der() != b.spki_der());
  CHECK(a.spki_der().size() == 91);  // SEQUENCE { id-ecPublicKey prime256v1, BIT STRING 65 bytes }
}

TEST_CASE("save_pem_file writes mode 0600 whatever the umask, and reloads", "[pki][key]") {
  const test::temp_dir dir;
  const std::string path = dir.path() + "/ca.key";
  const private_key k = private_key::generate_p256();

  SECTION("new file, permissive umask") {
    const umask_guard g(0);
    k.save_pem_file(path);
    CHECK(mode_of(path) == 0600);
  }
  SECTION("replaces a world-readable file") {
    std::ofstream(path) << "old";
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    k.save_pem_file(path);
    CHECK(mode_of(path) == 0600);
  }
  CHECK(private_key::load_pem_file(path).spki_der() == k.spki_der());
  // Nothing else left in the directory (no temporary file).
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);
}

TEST_CASE("save_pem_file into a missing directory throws system_error", "[pki][key]") {
  const test::temp_dir dir;
  const private_key k = private_key::generate_p256();
  CHECK_THROWS_AS(k.save_pem_file(dir.path() + "/missing/ca.key"), std::system_error);
  CHECK_THROWS_AS(private_key::load_pem_file(dir.path() + "/missing.key"), std::system_error);
}

TEST_CASE("from_pem refuses junk and encrypted keys, draining the error queue", "[pki][key]") {
  SECTION("junk") { CHECK_THROWS_AS(private_key::from_pem("hello"), ossl_error); }
  SECTION("public key only") {
    const private_key k = private_key::generate_p256();
    const bio_ptr bio = make_write_bio();
    REQUIRE(PEM_write_bio_PUBKEY(bio.get(), k.native()) == 1);
    CHECK_THROWS_AS(private_key::from_pem(bio_contents(bio.get())), ossl_error);
  }
  SECTION("encrypted: fails, never prompts") {
    const private_key k = private_key::generate_p256();
    const bio_ptr bio = make_write_bio();
    char pass[] = "secret";
    REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio.get(), k.native(), EVP_aes_256_cbc(), pass, 6, nullptr,
                                          nullptr) == 1);
    CHECK_THROWS_AS(private_key::from_pem(bio_contents(bio.get())), ossl_error);
  }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("throw_ossl carries the OpenSSL queue in its message", "[pki][ossl]") {
  ERR_raise_data(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE, "detail-%d", 42);
  try {
    throw_ossl("context");
    FAIL("throw_ossl returned");
  } catch (const ossl_error& e) {
    const std::string msg = e.what();
    CHECK(msg.starts_with("context: error:"));
    CHECK(msg.find("cert already in hash table") != std::string::npos);
    CHECK(msg.find("detail-42") != std::string::npos);
  }
  CHECK(ERR_peek_error() == 0);
  CHECK_THROWS_WITH(throw_ossl("empty"), "empty: no OpenSSL error recorded");
}
