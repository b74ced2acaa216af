#include "pki/key_export.hpp"

#include "pki/kek.hpp"

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <stdexcept>

namespace iotreg::pki {
namespace {

using pkcs8_info_ptr = ossl_ptr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;
using x509_algor_ptr = ossl_ptr<X509_ALGOR, X509_ALGOR_free>;
using x509_sig_ptr = ossl_ptr<X509_SIG, X509_SIG_free>;
using pkcs12_ptr = ossl_ptr<PKCS12, PKCS12_free>;

void x509_stack_free(STACK_OF(X509) * s) noexcept { sk_X509_free(s); }
using x509_stack_ptr = ossl_ptr<STACK_OF(X509), x509_stack_free>;

// RFC 8018 recommends at least 8 salt bytes; OpenSSL 3.0 uses 8 by default, later releases 16.
constexpr int salt_bytes = 16;

void check_export_arguments(std::string_view password, int iterations) {
  if (auto problem = export_password_problem(password)) throw std::invalid_argument(*problem);
  if (iterations < 1) throw std::invalid_argument("key export: iterations must be at least 1");
}

int password_length(std::string_view password) {
  // Bounded by export_password_problem, so the cast cannot truncate.
  return static_cast<int>(password.size());
}

}  // namespace

std::optional<std::string> export_password_problem(std::string_view password) {
  if (password.size() < min_export_password_bytes || password.size() > max_export_password_bytes) {
    return "the password must be " + std::to_string(min_export_password_bytes) + " to " +
           std::to_string(max_export_password_bytes) + " bytes long";
  }
  if (password.find('\0') != std::string_view::npos) return std::string("the password must not contain NUL");
  return std::nullopt;
}

std::string encrypted_pkcs8_pem(const private_key& key, std::string_view password, int iterations) {
  check_export_arguments(password, iterations);

  // The clear PrivateKeyInfo: OpenSSL cleanses its key octets when it is freed, and
  // PKCS8_set0_pbe cleanses the DER it encrypts.
  const pkcs8_info_ptr info(EVP_PKEY2PKCS8(key.native()));
  if (!info) throw_ossl("EVP_PKEY2PKCS8");

  std::array<unsigned char, salt_bytes> salt{};
  if (RAND_bytes(salt.data(), salt_bytes) != 1) throw_ossl("RAND_bytes");
  // No IV given: PKCS5_pbe2_set_iv draws a random one.
  x509_algor_ptr pbe(
      PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), iterations, salt.data(), salt_bytes, nullptr, NID_hmacWithSHA256));
  if (!pbe) throw_ossl("PKCS5_pbe2_set_iv");

  const x509_sig_ptr encrypted(
      PKCS8_set0_pbe(password.data(), password_length(password), info.get(), pbe.get()));
  if (!encrypted) throw_ossl("PKCS8_set0_pbe");
  (void)pbe.release();  // owned by `encrypted` from here on

  const bio_ptr bio = make_write_bio();  // ciphertext only: an ordinary memory BIO will do
  if (PEM_write_bio_PKCS8(bio.get(), encrypted.get()) != 1) throw_ossl("PEM_write_bio_PKCS8");
  return bio_contents(bio.get());
}

std::vector<std::uint8_t> pkcs12_bundle(const private_key& key, const certificate& cert,
                                        std::span<const certificate> chain, std::string_view password,
                                        std::string_view friendly_name, int iterations) {
  check_export_arguments(password, iterations);
  if (X509_check_private_key(cert.native(), key.native()) != 1) {
    clear_ossl_errors();
    throw std::invalid_argument("pkcs12_bundle: the key is not the certificate's key");
  }

  // PKCS12_create wants C strings: the password goes into a buffer that is wiped when done.
  secret_bytes pass(password.size() + 1);
  std::memcpy(pass.data(), password.data(), password.size());
  pass.data()[password.size()] = 0;
  const std::string name(friendly_name);

  const x509_stack_ptr cas(sk_X509_new_null());
  if (!cas) throw_ossl("sk_X509_new_null");
  for (const auto& c : chain) {
    // The stack borrows the certificates: sk_X509_free does not free its elements.
    if (sk_X509_push(cas.get(), c.native()) <= 0) throw_ossl("sk_X509_push");
  }

  // NID_aes_256_cbc for both bags selects PBES2 with PBKDF2-HMAC-SHA256 (OpenSSL 3 default
  // PRF); the MAC is HMAC-SHA256, with the same iteration count as the bags.
  const pkcs12_ptr p12(PKCS12_create(reinterpret_cast<const char*>(pass.data()),
                                     name.empty() ? nullptr : name.c_str(), key.native(), cert.native(),
                                     cas.get(), NID_aes_256_cbc, NID_aes_256_cbc, iterations, iterations, 0));
  if (!p12) throw_ossl("PKCS12_create");
  return to_der(i2d_PKCS12, p12.get());
}

}  // namespace iotreg::pki
