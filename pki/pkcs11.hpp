#pragma once
// Private keys that never leave a PKCS#11 token (an HSM; SoftHSM2 in tests), used through
// OpenSSL's pkcs11 engine (libp11, Debian package libengine-pkcs11-openssl). Debian 12 has no
// pkcs11-provider, so the engine it is; the deprecated ENGINE API is confined to pkcs11.cpp.
//
// A key loaded here is an ordinary EVP_PKEY whose signing calls go to the token: X509_sign,
// X509_CRL_sign and OCSP signing take it like a file key. It is wrapped with
// private_key::in_token, so that exporting it fails instead of writing a bogus file.

#include "pki/key.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace iotreg::pki {

/// The engine or the module cannot be loaded, the login fails, or no key matches the URI. The
/// message names the module, the token URI or the PIN's file; never the PIN.
class pkcs11_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Checks that `uri` is a PKCS#11 URI (RFC 7512) iotreg accepts for a key: it starts with
/// "pkcs11:" and carries no PIN ("pin-value" or "pin-source"), since URIs appear in
/// configuration files and logs.
/// @returns an empty string when acceptable, else why not (for a configuration error).
std::string check_pkcs11_key_uri(std::string_view uri);

/// An open PKCS#11 module with the user logged in (libp11 logs in on the first key load).
/// One per process at a time: the engine is a process-wide OpenSSL object, so a second token
/// while one is open would change the first one's module and PIN. Open it once for the life of
/// the process: modules may keep state after the engine closes them (SoftHSM2 keeps its login
/// and configuration), so a later token in the same process is not guaranteed a fresh start.
///
/// Lifetime: every key loaded from a token uses it until the key is freed, so the token must
/// outlive them all (declare it before the keys).
/// @par Thread safety: load_private_key is not to be called concurrently; the keys it returns
///      may sign from several threads at once (libp11 serialises the token sessions).
class pkcs11_token {
 public:
  /// Loads the engine, points it at `module` (the PKCS#11 library, e.g.
  /// /usr/lib/softhsm/libsofthsm2.so) and hands it the user PIN. Blocking.
  /// @param pin_source where the PIN came from, for messages (a file name).
  /// @throws pkcs11_error if the engine or the module cannot be loaded or another token is open.
  pkcs11_token(const std::filesystem::path& module, std::string_view pin, std::string pin_source);
  ~pkcs11_token();
  pkcs11_token(const pkcs11_token&) = delete;
  pkcs11_token& operator=(const pkcs11_token&) = delete;

  /// The private key object `uri` names (RFC 7512, e.g. "pkcs11:token=iotreg;object=issuing;
  /// type=private"), logging in first. Blocking.
  /// @throws pkcs11_error naming the URI when the URI is refused (check_pkcs11_key_uri), the PIN
  ///         is wrong, or no such key is found.
  private_key load_private_key(std::string_view uri) const;

  const std::filesystem::path& module() const noexcept { return module_; }

 private:
  std::filesystem::path module_;
  std::string pin_source_;
  ENGINE* engine_ = nullptr;  // a functional reference (ENGINE_init) for the token's lifetime
};

}  // namespace iotreg::pki
