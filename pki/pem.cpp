#include "pki/pem.hpp"

#include <array>

namespace iotreg::pki {
namespace {

constexpr std::string_view begin_marker = "-----BEGIN ";
constexpr std::string_view dashes = "-----";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool only_space(std::string_view s) {
  for (const char c : s) {
    if (!is_space(c)) return false;
  }
  return true;
}

// Position of `needle` at the start of a line in `text`, searching from `from`.
std::size_t find_at_line_start(std::string_view text, std::string_view needle, std::size_t from) {
  for (std::size_t pos = text.find(needle, from); pos != std::string_view::npos;
       pos = text.find(needle, pos + 1)) {
    if (pos == 0 || text[pos - 1] == '\n') return pos;
  }
  return std::string_view::npos;
}

// The line starting at `pos`, without its end-of-line and trailing blanks; `next` = start of the next line.
std::string_view line_at(std::string_view text, std::size_t pos, std::size_t& next) {
  std::size_t end = text.find('\n', pos);
  next = end == std::string_view::npos ? text.size() : end + 1;
  if (end == std::string_view::npos) end = text.size();
  std::string_view line = text.substr(pos, end - pos);
  while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
  return line;
}

constexpr std::array<std::int8_t, 256> make_b64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto b64_table = make_b64_table();

}  // namespace

bool decode_base64(std::string_view in, std::vector<std::uint8_t>& out) {
  out.clear();
  std::uint32_t acc = 0;
  std::size_t count = 0;    // significant characters seen, including '='
  std::size_t padding = 0;  // '=' seen
  for (const char c : in) {
    if (is_space(c)) continue;
    if (c == '=') {
      ++padding;
      ++count;
      acc <<= 6;
    } else {
      const std::int8_t v = b64_table[static_cast<unsigned char>(c)];
      if (v < 0 || padding != 0) return false;  // bad character, or data after padding
      acc = (acc << 6) | static_cast<std::uint32_t>(v);
      ++count;
    }
    if (count % 4 == 0) {
      if (padding > 2) return false;
      out.push_back(static_cast<std::uint8_t>(acc >> 16));
      if (padding < 2) out.push_back(static_cast<std::uint8_t>(acc >> 8));
      if (padding < 1) out.push_back(static_cast<std::uint8_t>(acc));
      acc = 0;
    } else if (padding != 0 && count % 4 < 3) {
      return false;  // "=" in the first two positions of a quantum
    }
  }
  return count % 4 == 0;
}

pem_block parse_single_pem_block(std::string_view text) {
  pem_block result;
  const std::size_t begin = find_at_line_start(text, begin_marker, 0);
  if (begin == std::string_view::npos) return result;  // not_pem
  result.status = pem_status::malformed;

  std::size_t body_start = 0;
  const std::string_view begin_line = line_at(text, begin, body_start);
  if (begin_line.size() <= begin_marker.size() + dashes.size() || !begin_line.ends_with(dashes))
    return result;
  const std::string_view label =
      begin_line.substr(begin_marker.size(), begin_line.size() - begin_marker.size() - dashes.size());

  const std::string end_line = "-----END " + std::string(label) + "-----";
  const std::size_t end = find_at_line_start(text, end_line, body_start);
  if (end == std::string_view::npos) return result;
  std::size_t after = 0;
  if (line_at(text, end, after) != end_line) return result;
  if (!only_space(text.substr(after))) return result;  // trailing garbage or a second block

  const std::string_view body = text.substr(body_start, end - body_start);
  if (!decode_base64(body, result.data) || result.data.empty()) {
    result.data.clear();
    return result;
  }
  result.label = std::string(label);
  result.status = pem_status::ok;
  return result;
}

}  // namespace iotreg::pki
