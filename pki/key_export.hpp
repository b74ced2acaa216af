#pragma once
// Private keys handed to a requester (server-side key generation, issue 4 item 3): encrypted
// PKCS#8 PEM and PKCS#12 bundles under the requester's password. Only PBES2 with AES-256-CBC and
// PBKDF2-HMAC-SHA256 is used (never the legacy RC2/3DES PKCS#12 schemes), a format that
// `openssl pkey|pkcs8|pkcs12` and GnuTLS certtool both read.

#include "pki/certificate.hpp"
#include "pki/key.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::pki {

/// Password length bounds, in bytes (the password is UTF-8 text from the requester).
inline constexpr std::size_t min_export_password_bytes = 12;
inline constexpr std::size_t max_export_password_bytes = 1024;

/// PBKDF2 iterations for every derivation (OWASP 2023 figure for PBKDF2-HMAC-SHA256): about a
/// quarter of a second per derivation on one core. The PKCS#12 MAC and certificate bag use the same
/// count, since a cheaper one would give an attacker a cheaper way to test password guesses.
inline constexpr int default_export_iterations = 600'000;

/// Why `password` cannot protect an exported key, or nullopt if it can: shorter than 12 or longer
/// than 1024 bytes, or holding a NUL byte (PKCS#12 passwords are C strings). The message is safe
/// for a client and never contains the password. Never throws except bad_alloc.
std::optional<std::string> export_password_problem(std::string_view password);

/// `key` as encrypted PKCS#8 PEM ("-----BEGIN ENCRYPTED PRIVATE KEY-----"): PBES2, PBKDF2 with
/// HMAC-SHA256, `iterations` rounds and a random 16-byte salt, AES-256-CBC with a random IV.
/// Every buffer that held the clear key is cleansed. Thread-safe, CPU-bound.
/// @throws std::invalid_argument if export_password_problem(password) or iterations < 1 (the
///         message never contains the password); ossl_error otherwise.
std::string encrypted_pkcs8_pem(const private_key& key, std::string_view password,
                                int iterations = default_export_iterations);

/// A DER PKCS#12 (PFX) bundle: `key` in a shrouded key bag, `cert` and then `chain` (issuing CA,
/// root) in an encrypted certificate bag, both PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, with an
/// HMAC-SHA256 MAC; the key and `cert` share a localKeyID and carry `friendly_name` when not
/// empty. Every buffer that held the clear key is cleansed. Thread-safe, CPU-bound.
/// @throws std::invalid_argument if export_password_problem(password), iterations < 1, or `key`
///         is not the key of `cert`; ossl_error otherwise.
std::vector<std::uint8_t> pkcs12_bundle(const private_key& key, const certificate& cert,
                                        std::span<const certificate> chain, std::string_view password,
                                        std::string_view friendly_name = {},
                                        int iterations = default_export_iterations);

}  // namespace iotreg::pki
