#include "pki/encrypted_key_file.hpp"

#include "pki/file_io.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>

using namespace iotreg::pki;
namespace fs = std::filesystem;

namespace {

// Few iterations keep the tests fast; the default is checked once below.
constexpr unsigned fast = 1000;
const std::string pass = "unit-test passphrase";

std::string error_of(const fs::path& file, std::string_view passphrase) {
  try {
    load_encrypted_key_file(file, passphrase, "/etc/iotreg/ca.pass");
  } catch (const key_file_error& e) {
    return e.what();
  }
  return "";
}

/// The PBES2 parameters of an encrypted PKCS#8 file: KDF, PRF, cipher and iteration count.
struct pbes2_info {
  int scheme = 0, kdf = 0, prf = 0, cipher = 0;
  long iterations = 0;
  int salt_length = 0;
};

pbes2_info inspect(const fs::path& file) {
  const std::string text = read_file(file);
  const bio_ptr bio = make_read_bio(text);
  ossl_ptr<X509_SIG, X509_SIG_free> sig(PEM_read_bio_PKCS8(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(sig);
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sig.get(), &alg, nullptr);
  pbes2_info out;
  out.scheme = OBJ_obj2nid(alg->algorithm);
  ossl_ptr<PBE2PARAM, PBE2PARAM_free> pbe2(
      static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)));
  REQUIRE(pbe2);
  out.kdf = OBJ_obj2nid(pbe2->keyfunc->algorithm);
  out.cipher = OBJ_obj2nid(pbe2->encryption->algorithm);
  ossl_ptr<PBKDF2PARAM, PBKDF2PARAM_free> kdf(static_cast<PBKDF2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)));
  REQUIRE(kdf);
  out.prf = kdf->prf != nullptr ? OBJ_obj2nid(kdf->prf->algorithm) : NID_hmacWithSHA1;
  out.iterations = ASN1_INTEGER_get(kdf->iter);
  out.salt_length = kdf->salt->value.octet_string->length;
  return out;
}

}  // namespace

TEST_CASE("encrypted_key_file/round trip: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, mode 0600") {
  test::temp_dir dir;
  const fs::path file = dir.path() + "/issuing.key";
  const auto key = private_key::generate(key_type::ec_p256);
  save_encrypted_key_file(key, file, pass, fast);

  const std::string text = read_file(file);
  CHECK(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
  CHECK(text.find("-----BEGIN PRIVATE KEY-----") == std::string::npos);
  CHECK(probe_key_file(file) == key_file_kind::encrypted_pkcs8);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);

  const pbes2_info info = inspect(file);
  CHECK(info.scheme == NID_pbes2);
  CHECK(info.kdf == NID_id_pbkdf2);
  CHECK(info.prf == NID_hmacWithSHA256);
  CHECK(info.cipher == NID_aes_256_cbc);
  CHECK(info.iterations == fast);
  CHECK(info.salt_length == 16);

  const auto back = load_encrypted_key_file(file, pass, "test");
  CHECK(back.spki_der() == key.spki_der());
  CHECK(back.pem() == key.pem());
}

TEST_CASE("encrypted_key_file/new files use the default iteration count and fresh salts") {
  test::temp_dir dir;
  const auto key = private_key::generate(key_type::ec_p256);
  save_encrypted_key_file(key, dir.path() + "/a.key", pass);
  save_encrypted_key_file(key, dir.path() + "/b.key", pass, fast);
  CHECK(inspect(dir.path() + "/a.key").iterations == default_pbkdf2_iterations);
  // Same key, same passphrase: another salt and IV, so another file.
  save_encrypted_key_file(key, dir.path() + "/c.key", pass, fast);
  CHECK(read_file(dir.path() + "/b.key") != read_file(dir.path() + "/c.key"));
}

TEST_CASE(
    "encrypted_key_file/a wrong passphrase names the file and the passphrase's source, never a passphrase") {
  test::temp_dir dir;
  const fs::path file = dir.path() + "/root.key";
  save_encrypted_key_file(private_key::generate(key_type::rsa2048), file, pass, fast);
  const std::string msg = error_of(file, "wrong passphrase value");
  CHECK(msg.find("CA key " + file.string()) != std::string::npos);
  CHECK(msg.find("wrong passphrase (read from /etc/iotreg/ca.pass)") != std::string::npos);
  CHECK(msg.find("wrong passphrase value") == std::string::npos);
  CHECK(msg.find(pass) == std::string::npos);
}

TEST_CASE("encrypted_key_file/plain, damaged and missing files are key_file_errors") {
  test::temp_dir dir;
  const fs::path plain = dir.path() + "/plain.key";
  const auto key = private_key::generate(key_type::ec_p256);
  key.save_pem_file(plain);
  CHECK(probe_key_file(plain) == key_file_kind::plain);
  CHECK(error_of(plain, pass).find("not an encrypted PKCS#8 key") != std::string::npos);

  const fs::path damaged = dir.path() + "/damaged.key";
  save_encrypted_key_file(key, damaged, pass, fast);
  std::string text = read_file(damaged);
  // Change one base64 character at the start of the body's last line (the ciphertext's end).
  const auto last_line = text.rfind('\n', text.find("-----END") - 2) + 1;
  text[last_line + 1] = text[last_line + 1] == 'A' ? 'B' : 'A';
  write_file_atomic(damaged, text, fs::perms::owner_read | fs::perms::owner_write);
  CHECK_FALSE(error_of(damaged, pass).empty());

  CHECK(error_of(dir.path() + "/missing.key", pass).find("cannot read") != std::string::npos);
  write_file_atomic(dir.path() + "/cert.pem",
                    "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
                    fs::perms::owner_read | fs::perms::owner_write);
  CHECK(probe_key_file(dir.path() + "/cert.pem") == key_file_kind::unknown);
}

TEST_CASE("encrypted_key_file/refuses an empty passphrase and a token key") {
  test::temp_dir dir;
  const auto key = private_key::generate(key_type::ec_p256);
  CHECK_THROWS_AS(save_encrypted_key_file(key, dir.path() + "/k", "", fast), std::invalid_argument);
  const auto token_like = private_key::in_token(test::make_ec_key("P-256"));
  CHECK_THROWS_AS(save_encrypted_key_file(token_like, dir.path() + "/k", pass, fast), key_not_exportable);
  CHECK_THROWS_AS(token_like.pem(), key_not_exportable);
  CHECK_THROWS_AS(token_like.save_pem_file(dir.path() + "/k"), key_not_exportable);
  CHECK_FALSE(fs::exists(dir.path() + "/k"));
}
