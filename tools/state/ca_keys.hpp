#pragma once
// The CA private keys at rest, as [ca] key_storage says: unencrypted PKCS#8 files ("file"),
// PKCS#8 files encrypted under a passphrase ("encrypted-file"), or a PKCS#11 token ("pkcs11":
// the issuing key, and the root key when [ca] root_key_uri is set). Shared by iotregctl init
// (which creates the keys) and iotregd (which loads the issuing key).
//
// Secrets come from a systemd credential when the service has one, else from a file of mode
// 0600: the passphrase from iotreg-ca-passphrase or [ca] key_passphrase_file, the token's PIN
// from iotreg-pkcs11-pin or [ca] pkcs11_pin_file.

#include "config/settings.hpp"
#include "pki/kek.hpp"
#include "pki/key.hpp"
#include "pki/pkcs11.hpp"
#include "tools/state/state_layout.hpp"

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
  ca_key_store(const config::settings& s, const state_layout& layout);

  /// Whether the key of `role` lives in the token (no file).
  bool in_token(ca_role role) const;

  /// Where the key of `role` is, for messages and logs: "PKCS#11 key pkcs11:..." or
  /// "encrypted file /var/lib/iotreg/ca/private/issuing.key". Never a secret.
  std::string describe(ca_role role) const;

  /// The key of `role`, from the token or its file (blocking; PBKDF2 for an encrypted file).
  /// @throws pki::key_file_error naming the file (wrong passphrase, not encrypted when it should
  ///         be, or the reverse), pki::secret_file_error, pki::pkcs11_error, std::system_error.
  pki::private_key load(ca_role role) const;

  /// The key for a new CA of `role`: the token's key, or a fresh P-256 key written to its file
  /// (encrypted when the storage says so) before it is returned. Blocking.
  /// @throws as load, and std::system_error when the file cannot be written.
  pki::private_key create(ca_role role) const;

  /// With "encrypted-file", rewrites an unencrypted key file of `role` encrypted (the switch from
  /// "file"). @returns whether a file was rewritten. Blocking.
  bool encrypt_if_plain(ca_role role) const;

 private:
  /// Whether file keys are written encrypted: always with "encrypted-file"; with "pkcs11" (a
  /// root key kept in a file) when a passphrase is configured.
  bool file_encrypted() const;
  const std::filesystem::path& file_of(ca_role role) const;
  const std::string& uri_of(ca_role role) const;
  pki::secret_bytes passphrase(std::filesystem::path& source) const;

  const config::ca_settings& ca_;
  std::filesystem::path root_file_, issuing_file_;
  std::unique_ptr<pki::pkcs11_token> token_;
};

/// The issuing CA with the key from `keys` and the root certificate, as iotregd needs them;
/// checks that the key belongs to the certificate.
/// @throws std::runtime_error naming the missing file or the mismatch; as ca_key_store::load.
ca_material load_ca_material(const state_layout& layout, const ca_key_store& keys);

}  // namespace iotreg::tools
