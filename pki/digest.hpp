#pragma once
// Hashes, randomness and hex for the rest of iotreg (TLSA digests, serials, tokens).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace iotreg::pki {

/// SHA-256 of `data`. Thread-safe. Throws ossl_error if the digest is unavailable.
std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data);

/// SHA-1 of `data` (only for RFC 5280 key identifiers, never for security). Throws ossl_error.
std::array<std::uint8_t, 20> sha1(std::span<const std::uint8_t> data);

/// `n` bytes from OpenSSL's CSPRNG (RAND_bytes). Thread-safe.
/// Throws ossl_error if the generator fails or is not seeded; std::length_error past INT_MAX.
std::vector<std::uint8_t> random_bytes(std::size_t n);

/// Lower-case hex of `b`, two digits per byte, no separators. Never throws except bad_alloc.
std::string to_hex(std::span<const std::uint8_t> b);

}  // namespace iotreg::pki
