#include "pki/der_check.hpp"

namespace iotreg::pki {
namespace {

constexpr std::uint8_t class_mask = 0xc0;
constexpr std::uint8_t universal = 0x00;
constexpr std::uint8_t constructed_bit = 0x20;
constexpr std::uint8_t tag_number_mask = 0x1f;

enum : std::uint8_t {
  tag_boolean = 1,
  tag_integer = 2,
  tag_bit_string = 3,
  tag_null = 5,
  tag_oid = 6,
  tag_enumerated = 10,
  tag_sequence = 16,
  tag_set = 17,
};

bool primitive_ok(std::uint8_t number, std::span<const std::uint8_t> v) noexcept {
  switch (number) {
    case tag_boolean: return v.size() == 1 && (v[0] == 0x00 || v[0] == 0xff);
    case tag_integer:
    case tag_enumerated:
      // Minimal two's complement: the first nine bits are not all equal.
      return !v.empty() && !(v.size() > 1 &&
                             ((v[0] == 0x00 && (v[1] & 0x80) == 0) || (v[0] == 0xff && (v[1] & 0x80) != 0)));
    case tag_null: return v.empty();
    case tag_bit_string: {
      if (v.empty() || v[0] > 7) return false;
      if (v.size() == 1) return v[0] == 0;
      const auto pad_mask = static_cast<std::uint8_t>((1u << v[0]) - 1);
      return (v.back() & pad_mask) == 0;
    }
    case tag_oid: {
      if (v.empty() || (v.back() & 0x80) != 0) return false;
      bool start = true;  // at the first octet of a sub-identifier
      for (const std::uint8_t b : v) {
        if (start && b == 0x80) return false;  // leading zero septet
        start = (b & 0x80) == 0;
      }
      return true;
    }
    case tag_sequence:
    case tag_set: return false;  // always constructed
    default: return true;
  }
}

struct tlv_header {
  std::uint8_t id = 0;
  std::size_t header_size = 0;
  std::size_t length = 0;
};

// Reads the identifier and length octets at the start of `in`; false unless they are DER and the
// value fits in `in`.
bool read_header(std::span<const std::uint8_t> in, tlv_header& h) noexcept {
  if (in.size() < 2) return false;
  h.id = in[0];
  if ((h.id & tag_number_mask) == tag_number_mask) return false;  // high-tag-number form: not in PKIX
  h.header_size = 2;
  h.length = in[1];
  if (h.length == 0x80) return false;  // indefinite length (BER only)
  if (h.length > 0x80) {
    const std::size_t n = h.length & 0x7f;
    if (n > 4 || in.size() < 2 + n || in[2] == 0) return false;
    h.length = 0;
    for (std::size_t i = 0; i < n; ++i) h.length = (h.length << 8) | in[2 + i];
    if (h.length < 0x80) return false;  // the short form was required
    h.header_size += n;
  }
  return h.length <= in.size() - h.header_size;
}

// Checks the TLVs that fill `in` exactly; `depth` counts the nesting levels still allowed.
bool check_contents(std::span<const std::uint8_t> in, std::size_t depth) noexcept {
  while (!in.empty()) {
    tlv_header h;
    if (!read_header(in, h)) return false;
    const auto value = in.subspan(h.header_size, h.length);
    const std::uint8_t number = h.id & tag_number_mask;
    const bool is_universal = (h.id & class_mask) == universal;
    if ((h.id & constructed_bit) != 0) {
      // DER forbids constructed strings: in the universal class only SEQUENCE and SET are constructed.
      if (is_universal && number != tag_sequence && number != tag_set) return false;
      if (depth == 0 || !check_contents(value, depth - 1)) return false;
    } else if (is_universal && (number == 0 || !primitive_ok(number, value))) {
      return false;  // universal tag 0 is end-of-contents, a BER-only marker
    }
    in = in.subspan(h.header_size + h.length);
  }
  return true;
}

}  // namespace

bool is_strict_der(std::span<const std::uint8_t> der, std::size_t max_depth) noexcept {
  tlv_header h;
  if (!read_header(der, h) || h.header_size + h.length != der.size()) return false;  // exactly one TLV
  return check_contents(der, max_depth);
}

}  // namespace iotreg::pki
