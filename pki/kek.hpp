#pragma once
// The key encryption key (KEK): a 32-byte AES-256-GCM key, read from a private file (or a
// systemd credential), that seals private keys stored in the database. Every node that shares
// the database holds the same KEK; the database alone never reveals a private key.
//
// Sealed format, version 1 (all lengths fixed):
//   0x01 | nonce (12 random bytes) | ciphertext (as long as the plaintext) | GCM tag (16 bytes)
// The associated data the caller gives (e.g. zone and key tag) is authenticated, not stored: a
// sealed blob opens only with the same associated data, so a row cannot be moved to another key.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::pki {

/// A KEK that cannot be loaded (missing, wrong size, too open) or a blob that does not open
/// (tampered, wrong KEK, wrong associated data). The message names the file or what the caller
/// said the blob is; it never holds key material.
class kek_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bytes that are wiped (OPENSSL_cleanse) when destroyed: a decrypted private key. Movable, not
/// copyable, so that no stray copy outlives its wiping.
class secret_bytes {
 public:
  secret_bytes() = default;
  explicit secret_bytes(std::size_t n) : data_(n) {}
  secret_bytes(secret_bytes&&) noexcept = default;
  secret_bytes& operator=(secret_bytes&& other) noexcept;
  secret_bytes(const secret_bytes&) = delete;
  secret_bytes& operator=(const secret_bytes&) = delete;
  ~secret_bytes();

  std::uint8_t* data() noexcept { return data_.data(); }
  const std::uint8_t* data() const noexcept { return data_.data(); }
  std::size_t size() const noexcept { return data_.size(); }
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(data_.data()), data_.size()};
  }

 private:
  std::vector<std::uint8_t> data_;
};

/// A loaded KEK. Movable, not copyable; the key bytes are wiped when it is destroyed.
/// @par Thread safety: seal and open are const and may run concurrently.
class key_encryption_key {
 public:
  static constexpr std::size_t key_size = 32;
  static constexpr std::uint8_t format_version = 1;
  static constexpr std::size_t nonce_size = 12;
  static constexpr std::size_t tag_size = 16;
  static constexpr std::size_t overhead = 1 + nonce_size + tag_size;

  /// Reads the KEK from `file` (blocking). The file holds the 32 key bytes, raw, or as 64 hex
  /// digits (surrounding whitespace ignored, e.g. from `openssl rand -hex 32`). It must be a
  /// regular file of mode 0600 or stricter (no group or other permission bits, not executable).
  /// @throws kek_error naming the file when it is missing, unreadable, too open or malformed.
  static key_encryption_key load_file(const std::filesystem::path& file);

  /// Creates `file` with 32 random bytes (RAND_priv_bytes), atomically and with mode 0600 from its
  /// first moment; the directory must exist. Returns false, changing nothing, if `file` exists,
  /// also when another process creates it meanwhile: a KEK file is never replaced.
  /// @throws kek_error (random generator) or std::system_error (I/O).
  static bool create_file(const std::filesystem::path& file);

  /// A KEK from raw bytes (tests). @throws kek_error unless `key` has 32 bytes.
  static key_encryption_key from_bytes(std::span<const std::uint8_t> key);

  key_encryption_key(key_encryption_key&&) noexcept = default;
  key_encryption_key& operator=(key_encryption_key&&) noexcept = default;
  ~key_encryption_key() = default;

  /// Encrypts `plaintext` with a fresh random nonce; `associated_data` is authenticated with it.
  /// @throws kek_error if OpenSSL fails (never for valid input).
  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> plaintext,
                                 std::string_view associated_data) const;

  /// Decrypts a blob made by seal() with the same KEK and associated data.
  /// @param what names the blob in the error message ("DNSSEC key 12345 of zone example.").
  /// @throws kek_error "cannot decrypt <what>: ..." when the blob is malformed, was altered, or
  ///         was sealed with another KEK or other associated data (GCM cannot tell these apart).
  secret_bytes open(std::span<const std::uint8_t> sealed, std::string_view associated_data,
                    std::string_view what) const;

 private:
  explicit key_encryption_key(secret_bytes key) noexcept : key_(std::move(key)) {}
  secret_bytes key_;
};

/// Whether `mode` (st_mode) is "0600 or stricter": no permission for group or others and no
/// execute permission for the owner. Exposed for tests and for checks of other secret files.
bool is_private_mode(unsigned mode) noexcept;

}  // namespace iotreg::pki
