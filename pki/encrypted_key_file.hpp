#pragma once
// CA private keys at rest in a file, encrypted under a passphrase: PKCS#8 EncryptedPrivateKeyInfo
// (RFC 5958) with PBES2 (RFC 8018): PBKDF2-HMAC-SHA256 over a random 16-byte salt, AES-256-CBC.
// The PEM label is "ENCRYPTED PRIVATE KEY" (RFC 7468 §11), so `openssl pkey -in F -passin file:P`
// and GnuTLS read the same file.

#include "pki/key.hpp"

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace iotreg::pki {

/// A key file that cannot be used: unreadable, not encrypted PKCS#8, wrong passphrase or damaged.
/// The message names the file (and where the passphrase came from); it never holds the
/// passphrase or key material.
class key_file_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// PBKDF2 iterations for new files: OWASP's 2023 figure for PBKDF2-HMAC-SHA256. Decrypting costs
/// a few tenths of a second, once per key at start.
inline constexpr unsigned default_pbkdf2_iterations = 600'000;

/// What a key file holds, judged by its PEM label (blocking; no decryption).
enum class key_file_kind { encrypted_pkcs8, plain, unknown };

/// Looks at the first PEM boundary of `file`: "ENCRYPTED PRIVATE KEY" -> encrypted_pkcs8,
/// "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" -> plain, anything else -> unknown.
/// @throws std::system_error if the file cannot be read.
key_file_kind probe_key_file(const std::filesystem::path& file);

/// Writes `key` encrypted under `passphrase` to `file`, atomically and with mode 0600 from its
/// first moment (write_file_atomic). Blocking: PBKDF2 runs `iterations` rounds.
/// @throws std::invalid_argument if the passphrase is empty or iterations < 1000;
///         key_not_exportable for a token key; ossl_error; std::system_error on I/O failure.
void save_encrypted_key_file(const private_key& key, const std::filesystem::path& file,
                             std::string_view passphrase, unsigned iterations = default_pbkdf2_iterations);

/// Reads and decrypts a file written by save_encrypted_key_file (or any PBES2/PBES1 PKCS#8 file).
/// Blocking. Never prompts.
/// @param passphrase_source where the passphrase came from, for the message ("/etc/iotreg/ca.pass").
/// @throws key_file_error "CA key <file>: ..." when the file is unreadable, is not encrypted
///         PKCS#8, or does not decrypt (wrong passphrase or damaged file).
private_key load_encrypted_key_file(const std::filesystem::path& file, std::string_view passphrase,
                                    std::string_view passphrase_source);

}  // namespace iotreg::pki
