#pragma once
// A minimal DER (X.690 §10) TLV writer and reader: single-byte tags only, definite lengths in the
// shortest form (long form from 128 bytes on). Enough for the IoT SAFE payload
// (registry/iotsafe_der.hpp), which SIM applets parse as BER-TLV. Pure C++, no OpenSSL.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace iotreg::registry::der {

// Universal and context tags used by the payload (X.690 §8.1.2).
inline constexpr std::uint8_t tag_integer = 0x02;
inline constexpr std::uint8_t tag_octet_string = 0x04;
inline constexpr std::uint8_t tag_utf8_string = 0x0c;
inline constexpr std::uint8_t tag_ia5_string = 0x16;
inline constexpr std::uint8_t tag_sequence = 0x30;
/// [n] EXPLICIT, constructed, context-specific (n < 31).
constexpr std::uint8_t tag_context(std::uint8_t n) noexcept { return static_cast<std::uint8_t>(0xa0 | n); }

/// Appends tag, DER length and `content` to `out`. Never throws except std::bad_alloc.
void append_tlv(std::vector<std::uint8_t>& out, std::uint8_t tag, std::span<const std::uint8_t> content);
/// Appends an INTEGER holding the non-negative `value` (minimal two's complement).
void append_integer(std::vector<std::uint8_t>& out, std::uint64_t value);
/// Appends a string type (IA5String, UTF8String, OCTET STRING) with `text`'s bytes.
void append_string(std::vector<std::uint8_t>& out, std::uint8_t tag, std::string_view text);

/// One element read by reader::next: its tag, its content octets and its complete encoding.
struct tlv {
  std::uint8_t tag = 0;
  std::span<const std::uint8_t> content;
  std::span<const std::uint8_t> encoding;  // tag + length + content: e.g. an embedded certificate
};

/// Reads consecutive DER elements from a buffer it does not own (which must outlive it).
/// Strict: rejects multi-byte tags, the indefinite length, non-minimal lengths, lengths of more
/// than 4 octets and lengths past the end of the buffer. Not thread-safe (a cursor); cheap.
class reader {
 public:
  explicit reader(std::span<const std::uint8_t> data) noexcept : rest_(data) {}
  /// The next element, or nullopt (the reader is then unusable) if the bytes are malformed or
  /// none are left.
  std::optional<tlv> next() noexcept;
  /// The next element if it has tag `tag`; nullopt otherwise (nothing consumed on a wrong tag).
  std::optional<tlv> next_if(std::uint8_t tag) noexcept;
  /// The tag of the next element without consuming it; nullopt at the end.
  std::optional<std::uint8_t> peek_tag() const noexcept;
  bool at_end() const noexcept { return rest_.empty(); }

 private:
  std::span<const std::uint8_t> rest_;
};

/// The value of a non-negative INTEGER content that fits 64 bits; nullopt for a negative,
/// non-minimal, empty or too large encoding.
std::optional<std::uint64_t> read_unsigned(std::span<const std::uint8_t> content) noexcept;

}  // namespace iotreg::registry::der
