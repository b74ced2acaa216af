#include "api/base64.hpp"

#include <array>

namespace iotreg::api {
namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto table = make_table();

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

}  // namespace

std::string base64_lines(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4 * 66 / 64 + 2);
  std::size_t col = 0;
  auto put = [&](char c) {
    out.push_back(c);
    if (++col == 64) {
      out += "\r\n";
      col = 0;
    }
  };
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    put(alphabet[(v >> 18) & 63]);
    put(alphabet[(v >> 12) & 63]);
    put(alphabet[(v >> 6) & 63]);
    put(alphabet[v & 63]);
  }
  if (const auto rest = data.size() - i; rest != 0) {
    std::uint32_t v = data[i] << 16;
    if (rest == 2) v |= data[i + 1] << 8;
    put(alphabet[(v >> 18) & 63]);
    put(alphabet[(v >> 12) & 63]);
    put(rest == 2 ? alphabet[(v >> 6) & 63] : '=');
    put('=');
  }
  if (col != 0) out += "\r\n";
  return out;
}

std::optional<std::vector<std::uint8_t>> decode_base64_lenient(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int n = 0;     // sextets in acc
  int pads = 0;  // '=' seen
  for (const char c : text) {
    if (is_space(c)) continue;
    if (c == '=') {
      ++pads;
      continue;
    }
    const auto v = table[static_cast<unsigned char>(c)];
    if (v < 0 || pads != 0) return std::nullopt;  // not base64, or data after padding
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++n == 4) {
      out.push_back(static_cast<std::uint8_t>(acc >> 16));
      out.push_back(static_cast<std::uint8_t>(acc >> 8));
      out.push_back(static_cast<std::uint8_t>(acc));
      acc = 0;
      n = 0;
    }
  }
  // The final quantum: 2 or 3 sextets, padded to four with '=' or not padded at all.
  if (n == 1) return std::nullopt;
  if (pads != 0 && n + pads != 4) return std::nullopt;
  if (n == 0 && pads != 0) return std::nullopt;
  if (n == 2) {
    if ((acc & 0xf) != 0) return std::nullopt;  // non-canonical trailing bits
    out.push_back(static_cast<std::uint8_t>(acc >> 4));
  } else if (n == 3) {
    if ((acc & 0x3) != 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(acc >> 10));
    out.push_back(static_cast<std::uint8_t>(acc >> 2));
  }
  return out;
}

}  // namespace iotreg::api
