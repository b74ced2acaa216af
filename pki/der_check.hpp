#pragma once
// A structural DER check for untrusted input. OpenSSL's decoder also takes BER (indefinite
// lengths, long-form lengths with leading zeros, constructed strings) and keeps the original bytes
// of the signed part, so an oddly encoded CSR would be accepted, verified over its BER bytes and
// re-encoded differently. Requests are checked with this before they reach OpenSSL.

#include <cstddef>
#include <cstdint>
#include <span>

namespace iotreg::pki {

/// Whether `der` is exactly one DER TLV (X.690 §10) at every level of nesting: low-tag-number
/// identifiers only; definite lengths in the shortest form (no indefinite length, no long form
/// for lengths under 128, no leading zero length octets, at most 4 length octets); constructed
/// encodings only for SEQUENCE, SET and non-universal tags; BOOLEAN of one octet 00 or FF;
/// INTEGER and ENUMERATED non-empty and minimal; NULL empty; BIT STRING with at most 7 unused
/// bits (none when empty) and zero padding bits; OBJECT IDENTIFIER non-empty with minimal
/// sub-identifiers. Nesting deeper than `max_depth` fails. SET OF ordering and DEFAULT values
/// are not checked. Pure; never throws.
bool is_strict_der(std::span<const std::uint8_t> der, std::size_t max_depth = 32) noexcept;

}  // namespace iotreg::pki
