#include "registry/tenant_certificates.hpp"

namespace iotreg::registry {

std::string fingerprint_text(const fingerprint& f) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(f.size() * 2);
  for (const auto b : f) {
    out += hex[b >> 4];
    out += hex[b & 0xf];
  }
  return out;
}

std::optional<fingerprint> parse_fingerprint(std::string_view text) {
  const auto nibble = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  // Either 64 digits, or 32 pairs joined by ':' (95 characters).
  const bool colons = text.size() == 32 * 3 - 1;
  if (text.size() != 64 && !colons) return std::nullopt;
  fingerprint out{};
  std::size_t pos = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (colons && i != 0 && text[pos++] != ':') return std::nullopt;
    const int hi = nibble(text[pos]);
    const int lo = nibble(text[pos + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    pos += 2;
  }
  return out;
}

}  // namespace iotreg::registry
