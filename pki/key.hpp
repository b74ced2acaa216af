#pragma once
// Private keys: generation, PKCS#8 PEM import/export and the public half as SPKI DER.

#include "pki/ossl.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::pki {

/// pem() or save_pem_file() on a key whose private half lives in a hardware token (PKCS#11):
/// there is nothing to export, and what OpenSSL would encode is not the key.
class key_not_exportable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class key_type { ec_p256, ec_p384, ed25519, rsa2048, rsa3072, rsa4096 };

/// The configuration name of `t`: "ec-p256", "ec-p384", "ed25519", "rsa2048", "rsa3072", "rsa4096".
std::string_view key_type_name(key_type t) noexcept;
/// The key_type named `name` (exactly one of the names above); nullopt otherwise. Never throws.
std::optional<key_type> key_type_from_name(std::string_view name) noexcept;

/// Human-readable key type of `key`: "EC P-256", "EC P-384", "RSA 2048", "Ed25519", "Ed448",
/// "EC <curve>" or the OpenSSL type name otherwise. `key` must not be null. Never throws except bad_alloc.
std::string describe_key(const EVP_PKEY* key);

/// An asymmetric private key. Movable, not copyable; a moved-from key may only be destroyed or
/// assigned to. Const member functions are safe to call from several threads at once.
class private_key {
 public:
  /// Takes ownership of `key`, which must hold a private key. Throws std::invalid_argument if null.
  explicit private_key(evp_pkey_ptr key);

  /// Wraps a key held by a hardware token (an EVP_PKEY from a PKCS#11 engine or provider). It
  /// signs and gives its public half like any key, but pem() and save_pem_file() throw
  /// key_not_exportable: libp11 keys would otherwise encode as a bogus private scalar of zero.
  /// Throws std::invalid_argument if null.
  static private_key in_token(evp_pkey_ptr key);

  /// A fresh ECDSA P-256 key (named curve). Throws ossl_error.
  static private_key generate_p256();
  /// A fresh key of type `t`. RSA keys use e = 65537. Throws ossl_error.
  static private_key generate(key_type t);
  /// Parses an unencrypted private key in PEM (PKCS#8 "PRIVATE KEY" or a traditional
  /// "EC/RSA PRIVATE KEY"). Never prompts for a passphrase: an encrypted key fails.
  /// Throws ossl_error if `pem` holds no usable private key.
  static private_key from_pem(std::string_view pem);
  /// Reads `p` and parses it with from_pem (blocking). Throws std::system_error, ossl_error.
  static private_key load_pem_file(const std::filesystem::path& p);

  /// Writes the key as unencrypted PKCS#8 PEM to `p` atomically (see write_file_atomic): the file
  /// has mode 0600 from its creation on, whatever the umask. Blocking.
  /// Throws std::system_error on I/O failure, ossl_error if encoding fails, key_not_exportable
  /// for a token key.
  void save_pem_file(const std::filesystem::path& p) const;

  /// Unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). Secret: keep it out of logs and
  /// cleanse it when done. Throws ossl_error, key_not_exportable for a token key.
  std::string pem() const;
  /// DER SubjectPublicKeyInfo of the public half. Throws ossl_error.
  std::vector<std::uint8_t> spki_der() const;
  /// "EC P-256", "RSA 2048", ... (see describe_key).
  std::string description() const { return describe_key(key_.get()); }
  /// The key, owned by this object. Never null unless moved from.
  EVP_PKEY* native() const noexcept { return key_.get(); }
  /// False for a key made by in_token(): its private half cannot leave the token.
  bool exportable() const noexcept { return exportable_; }

 private:
  evp_pkey_ptr key_;
  bool exportable_ = true;
};

}  // namespace iotreg::pki
