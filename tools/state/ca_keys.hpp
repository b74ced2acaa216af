#pragma once
// The CA private keys at rest, as [ca] key_storage says: unencrypted PKCS#8 files ("file"),
// PKCS#8 files encrypted under a passphrase ("encrypted-file"), or a PKCS#11 token ("pkcs11":
// the issuing key of the CA whose certificate matches [ca] issuing_key_uri, the keys that
// `iotregctl ca create|rotate` made in the token, and the root key when [ca] root_key_uri is set;
// other keys stay in files).
//
// Several issuing keys in one token: a key pair made by create_in_token has CKA_ID = the SKI of
// its CA, so its URI is derived from the certificate (token_uri_for: the token attributes of
// issuing_key_uri, then id=<SKI>) and nothing records it. Shared by iotregctl (which creates
// the keys) and iotregd (which loads them); ca_store.cpp reads and writes every CA key file
// through it, so the layout of ca/ (several issuing CAs) is not its business.
//
// Secrets come from a systemd credential when the service has one, else from a file of mode
// 0600: the passphrase from iotreg-ca-passphrase or [ca] key_passphrase_file, the token's PIN
// from iotreg-pkcs11-pin or [ca] pkcs11_pin_file.

#include "config/settings.hpp"
#include "pki/certificate.hpp"
#include "pki/kek.hpp"
#include "pki/key.hpp"
#include "pki/pkcs11.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace iotreg::tools {

/// systemd credential names (LoadCredential= or LoadCredentialEncrypted=).
inline constexpr const char* ca_passphrase_credential_name = "iotreg-ca-passphrase";
inline constexpr const char* pkcs11_pin_credential_name = "iotreg-pkcs11-pin";

/// $CREDENTIALS_DIRECTORY/<name> when that variable is set and the file exists, else `file`
/// (empty: nothing configured). Reads the environment; does not open the file.
std::filesystem::path locate_secret(const char* credential_name, const std::filesystem::path& file);

enum class ca_role { root, issuing };

/// Opens the CA keys' storage. The store must outlive every key it loaded: a token key signs
/// through the token the store holds open (declare the store before the keys).
/// @par Thread safety: none needed; it is used at start, from one thread.
class ca_key_store {
 public:
  /// Opens the PKCS#11 token when a key lives there (blocking: loads the module, reads the PIN).
  /// Passphrases are read only when a file key is loaded or saved. `s` must outlive the store.
  /// @throws pki::secret_file_error (PIN file missing, too open, empty), pki::pkcs11_error.
  explicit ca_key_store(const config::settings& s);

  /// Whether the key of `role` lives in the token (for the issuing role: the key of the one
  /// issuing CA whose certificate matches it; the others have files).
  bool in_token(ca_role role) const;

  /// The token's key of `role` (blocking: a token lookup), nullopt unless in_token(role).
  /// @throws pki::pkcs11_error (wrong PIN, no such key).
  std::optional<pki::private_key> token_key(ca_role role) const;

  /// The URI of the token key of the issuing CA `cert` made by create_in_token: issuing_key_uri's
  /// token, id = the certificate's SKI. Empty unless in_token(issuing) and the SKI is set.
  std::string token_uri_for(const pki::certificate& cert) const;

  /// The key token_uri_for(cert) names, nullopt when the token has none (or the storage is not
  /// pkcs11). Blocking. @throws pki::pkcs11_error for other failures (wrong PIN).
  std::optional<pki::private_key> token_key_for(const pki::certificate& cert) const;

  /// Makes a new key pair of [ca] key_type in the token of issuing_key_uri (labelled `label`,
  /// CKA_ID = its SKI) and loads it. Blocking. Requires in_token(issuing); the token must be
  /// named by token= in issuing_key_uri.
  /// @throws std::runtime_error (no token= attribute), std::invalid_argument (Ed25519),
  ///         pki::pkcs11_error, pki::secret_file_error (the PIN file).
  pki::private_key create_in_token(const std::string& label) const;

  /// "PKCS#11 key pkcs11:..." (the token's key of `role`). Never a secret.
  std::string describe_token(ca_role role) const;
  /// "encrypted file /var/lib/iotreg/ca/private/root.key" or "file ...", as files are written.
  std::string describe_file(const std::filesystem::path& file) const;

  /// The key in `file`, decrypted when the storage wants encrypted files (blocking; PBKDF2).
  /// @throws std::runtime_error when the file is missing; pki::key_file_error naming the file
  ///         (wrong passphrase, not encrypted when it should be, or the reverse),
  ///         pki::secret_file_error, std::system_error.
  pki::private_key load_file(const std::filesystem::path& file) const;

  /// Writes `key` to `file` (mode 0600, atomically), encrypted when the storage says so.
  /// @throws pki::key_not_exportable for a token key; as load_file; std::system_error.
  void save_file(const pki::private_key& key, const std::filesystem::path& file) const;

  /// The key for a new CA of `role`: the token's key when in_token(role) (no file is written),
  /// else a fresh key of [ca] key_type written to `file` (encrypted when the storage says so)
  /// before it is returned. Blocking. @throws as load_file and save_file.
  pki::private_key create(ca_role role, const std::filesystem::path& file) const;

  /// Describes where create(role, file) puts the key (describe_token or describe_file).
  std::string describe(ca_role role, const std::filesystem::path& file) const;

  /// With encrypted files, rewrites the unencrypted key file `file` encrypted (the switch from
  /// "file"); nothing when `file` does not exist. @returns whether it was rewritten. Blocking.
  bool encrypt_if_plain(const std::filesystem::path& file) const;

 private:
  /// Whether file keys are written encrypted: always with "encrypted-file"; with "pkcs11" (a
  /// key kept in a file) when a passphrase is configured.
  bool file_encrypted() const;
  const std::string& uri_of(ca_role role) const;
  pki::secret_bytes passphrase(std::filesystem::path& source) const;
  std::filesystem::path pin_file() const;

  const config::settings& settings_;
  std::unique_ptr<pki::pkcs11_token> token_;
};

}  // namespace iotreg::tools
