#include "dns/nsec3.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "dns/errors.hpp"

#include <openssl/evp.h>

namespace iotreg::dns::detail {

namespace {
constexpr char b32hex[] = "0123456789abcdefghijklmnopqrstuv";

int b32hex_value(std::uint8_t c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'v') return c - 'a' + 10;
  if (c >= 'A' && c <= 'V') return c - 'A' + 10;
  return -1;
}
}  // namespace

nsec3_hash nsec3_hash_of(name_view name) {
  const wire_name canon = lowercase(name);
  nsec3_hash h{};
  unsigned int len = 0;
  if (EVP_Digest(canon.data(), canon.size(), h.data(), &len, EVP_sha1(), nullptr) != 1 || len != h.size()) {
    throw_error(errc::crypto_failure, "SHA-1 for NSEC3 failed");
  }
  return h;
}

std::string base32hex(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const std::uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += b32hex[(acc >> (bits - 5)) & 0x1f];
      bits -= 5;
    }
  }
  if (bits > 0) out += b32hex[(acc << (5 - bits)) & 0x1f];
  return out;
}

std::optional<nsec3_hash> base32hex_hash(std::span<const std::uint8_t> label) {
  if (label.size() != 32) return std::nullopt;  // 160 bits = exactly 32 symbols
  nsec3_hash h{};
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t n = 0;
  for (const std::uint8_t c : label) {
    const int v = b32hex_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      h[n++] = static_cast<std::uint8_t>(acc >> (bits - 8));
      bits -= 8;
    }
  }
  return h;
}

wire_name nsec3_owner(const nsec3_hash& hash, name_view apex) {
  return prepend_label(std::string_view(base32hex(hash)), apex);
}

bytes type_bitmap(std::span<const std::uint16_t> types) {
  bytes out;
  std::size_t i = 0;
  while (i < types.size()) {
    const std::uint8_t window = static_cast<std::uint8_t>(types[i] >> 8);
    std::array<std::uint8_t, 32> bitmap{};
    std::size_t used = 0;
    for (; i < types.size() && (types[i] >> 8) == window; ++i) {
      const std::uint8_t low = static_cast<std::uint8_t>(types[i] & 0xff);
      bitmap[low / 8] |= static_cast<std::uint8_t>(0x80U >> (low % 8));
      used = low / 8U + 1;
    }
    out.push_back(window);
    out.push_back(static_cast<std::uint8_t>(used));
    out.insert(out.end(), bitmap.begin(), bitmap.begin() + static_cast<std::ptrdiff_t>(used));
  }
  return out;
}

bytes nsec3_rdata(const nsec3_hash& next, std::span<const std::uint16_t> types) {
  const bytes bm = type_bitmap(types);
  // Hash algorithm 1 (SHA-1), flags 0, 0 iterations, no salt (RFC 9276), then the next hash.
  const std::array<std::uint8_t, 6> fixed{1, 0, 0, 0, 0, static_cast<std::uint8_t>(next.size())};
  bytes out;
  out.reserve(fixed.size() + next.size() + bm.size());
  out.insert(out.end(), fixed.begin(), fixed.end());
  out.insert(out.end(), next.begin(), next.end());
  out.insert(out.end(), bm.begin(), bm.end());
  return out;
}

namespace {
// nsec3_rdata's layout: algorithm, flags, iterations (2), salt length 0, hash length, next hash.
constexpr std::size_t next_offset = 6;
}  // namespace

nsec3_hash nsec3_next(std::span<const std::uint8_t> rdata) {
  nsec3_hash h{};
  if (rdata.size() < next_offset + h.size()) throw std::invalid_argument("not an RDATA of nsec3_rdata");
  std::copy_n(rdata.begin() + next_offset, h.size(), h.begin());
  return h;
}

std::vector<std::uint16_t> nsec3_types_of(std::span<const std::uint8_t> rdata) {
  const std::size_t bitmap = next_offset + nsec3_hash{}.size();
  if (rdata.size() < bitmap) throw std::invalid_argument("not an RDATA of nsec3_rdata");
  std::vector<std::uint16_t> types;
  // RFC 4034 §4.1.2: (window, length, bits)*, bit 0 of the first octet = type window*256 + 0.
  for (std::size_t i = bitmap; i + 2 <= rdata.size();) {
    const unsigned window = rdata[i];
    const std::size_t len = rdata[i + 1];
    i += 2;
    for (std::size_t o = 0; o < len && i + o < rdata.size(); ++o) {
      for (unsigned bit = 0; bit < 8; ++bit) {
        if ((rdata[i + o] & (0x80U >> bit)) != 0)
          types.push_back(static_cast<std::uint16_t>(window * 256 + o * 8 + bit));
      }
    }
    i += len;
  }
  return types;
}

bytes nsec3_with_next(std::span<const std::uint8_t> rdata, const nsec3_hash& next) {
  if (rdata.size() < next_offset + next.size()) throw std::invalid_argument("not an RDATA of nsec3_rdata");
  bytes out(rdata.begin(), rdata.end());
  std::copy(next.begin(), next.end(), out.begin() + next_offset);
  return out;
}

bytes nsec3param_rdata() { return {1, 0, 0, 0, 0}; }

}  // namespace iotreg::dns::detail
