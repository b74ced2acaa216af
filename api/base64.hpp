#pragma once
// Base64 bodies of EST (RFC 7030 §4, RFC 8951 §3.3): the API module has no OpenSSL, and these
// are the only binary formats it frames itself.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::api {

/// RFC 4648 base64 with padding, in lines of 64 characters ended by CRLF (the RFC 2045 style
/// RFC 7030's examples show; `openssl base64 -d` reads it). Never throws except bad_alloc.
std::string base64_lines(std::span<const std::uint8_t> data);

/// Decodes RFC 4648 base64, ignoring ASCII whitespace anywhere (line breaks of any length, as
/// RFC 8951 §3.3 asks receivers to accept); padding is optional at the very end. nullopt for any
/// other character, misplaced '=' or a dangling final character. Never throws except bad_alloc.
std::optional<std::vector<std::uint8_t>> decode_base64_lenient(std::string_view text);

}  // namespace iotreg::api
