#pragma once
// Where iotregctl and iotregd find the key encryption key that seals the DNSSEC private keys in
// the database: a systemd credential when the service has one, else [dnssec] kek_file.

#include "config/settings.hpp"
#include "pki/kek.hpp"

#include <filesystem>

namespace iotreg::tools {

/// The systemd credential name (LoadCredential=iotreg-kek:/path, or LoadCredentialEncrypted=).
inline constexpr const char* kek_credential_name = "iotreg-kek";

struct kek_location {
  std::filesystem::path file;
  bool systemd_credential = false;  // $CREDENTIALS_DIRECTORY/iotreg-kek
};

/// $CREDENTIALS_DIRECTORY/iotreg-kek when that variable is set and the file exists, else
/// s.dnssec.kek_file. Reads the environment; does not open the file.
kek_location locate_kek(const config::settings& s);

/// Loads the KEK from locate_kek(s) (blocking).
/// @throws pki::kek_error naming the file (missing, mode wider than 0600, malformed).
pki::key_encryption_key load_kek(const config::settings& s);

}  // namespace iotreg::tools
