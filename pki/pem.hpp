#pragma once
// Strict framing of one PEM block (RFC 7468) for untrusted input. OpenSSL's PEM reader is lax
// (skips anything, ignores trailing data), so parsers of client input go through this first.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::pki {

enum class pem_status {
  ok,
  not_pem,    // no "-----BEGIN <label>-----" line at all
  malformed,  // broken boundary, missing END, bad base64, headers, or anything after the block
};

struct pem_block {
  pem_status status = pem_status::not_pem;
  std::string label;               // e.g. "CERTIFICATE REQUEST"; set when status == ok
  std::vector<std::uint8_t> data;  // decoded body; set when status == ok
};

/// Finds exactly one PEM block in `text`. Explanatory text before the BEGIN line is ignored as
/// RFC 7468 §2 requires; after the END line only whitespace is allowed. The body must be strict
/// base64 (whitespace between characters allowed, '=' only at the end, no header lines) and
/// non-empty. Never throws except bad_alloc.
pem_block parse_single_pem_block(std::string_view text);

/// Strict base64 (RFC 4648 alphabet, padded, ASCII whitespace ignored). Returns false on any
/// other character, misplaced padding or a length that is not a multiple of four.
bool decode_base64(std::string_view in, std::vector<std::uint8_t>& out);

}  // namespace iotreg::pki
