#include "registry/der_tlv.hpp"

namespace iotreg::registry::der {

void append_tlv(std::vector<std::uint8_t>& out, std::uint8_t tag, std::span<const std::uint8_t> content) {
  out.push_back(tag);
  const std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    // Long form (X.690 §8.1.3.5): 0x80 | number of length octets, then the length big-endian,
    // in as few octets as possible (DER, §10.1).
    std::uint8_t octets[sizeof(std::size_t)];
    std::size_t count = 0;
    for (std::size_t v = n; v != 0; v >>= 8) octets[count++] = static_cast<std::uint8_t>(v & 0xff);
    out.push_back(static_cast<std::uint8_t>(0x80 | count));
    while (count > 0) out.push_back(octets[--count]);
  }
  out.insert(out.end(), content.begin(), content.end());
}

void append_integer(std::vector<std::uint8_t>& out, std::uint64_t value) {
  std::vector<std::uint8_t> bytes;
  do {
    bytes.insert(bytes.begin(), static_cast<std::uint8_t>(value & 0xff));
    value >>= 8;
  } while (value != 0);
  // A leading 1 bit would make it negative (two's complement).
  if (bytes.front() & 0x80) bytes.insert(bytes.begin(), 0);
  append_tlv(out, tag_integer, bytes);
}

void append_string(std::vector<std::uint8_t>& out, std::uint8_t tag, std::string_view text) {
  append_tlv(out, tag, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::optional<std::uint8_t> reader::peek_tag() const noexcept {
  if (rest_.empty()) return std::nullopt;
  return rest_.front();
}

std::optional<tlv> reader::next() noexcept {
  auto fail = [this]() -> std::optional<tlv> {
    rest_ = {};
    return std::nullopt;
  };
  if (rest_.size() < 2) return fail();
  const std::uint8_t tag = rest_[0];
  if ((tag & 0x1f) == 0x1f) return fail();  // multi-byte tag numbers are not used
  std::size_t pos = 2;
  std::size_t len = rest_[1];
  if (len == 0x80) return fail();  // indefinite length: BER, not DER
  if (len > 0x80) {
    const std::size_t count = len & 0x7f;
    if (count > 4 || rest_.size() < 2 + count) return fail();
    if (rest_[2] == 0) return fail();  // a leading zero octet: not minimal
    len = 0;
    for (std::size_t i = 0; i < count; ++i) len = (len << 8) | rest_[2 + i];
    if (len < 0x80) return fail();  // would fit the short form
    pos += count;
  }
  if (len > rest_.size() - pos) return fail();
  tlv t{tag, rest_.subspan(pos, len), rest_.first(pos + len)};
  rest_ = rest_.subspan(pos + len);
  return t;
}

std::optional<tlv> reader::next_if(std::uint8_t tag) noexcept {
  if (peek_tag() != tag) return std::nullopt;
  return next();
}

std::optional<std::uint64_t> read_unsigned(std::span<const std::uint8_t> c) noexcept {
  if (c.empty() || (c[0] & 0x80)) return std::nullopt;
  if (c.size() > 1 && c[0] == 0 && !(c[1] & 0x80)) return std::nullopt;  // not minimal
  if (c[0] == 0) c = c.subspan(1);
  if (c.size() > 8) return std::nullopt;
  std::uint64_t v = 0;
  for (auto b : c) v = (v << 8) | b;
  return v;
}

}  // namespace iotreg::registry::der
