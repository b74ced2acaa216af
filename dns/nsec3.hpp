#pragma once
// Internal: NSEC3 (RFC 5155) with the RFC 9276 parameters iotreg uses: hash 1 (SHA-1), flags 0,
// iterations 0, no salt ("1 0 0 -").

#include "dns/wire_name.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace iotreg::dns::detail {

using nsec3_hash = std::array<std::uint8_t, 20>;

/// SHA-1 of the canonical (lower-cased) wire name: IH(salt="", name, 0).
/// @throw boost::system::system_error errc::crypto_failure.
nsec3_hash nsec3_hash_of(name_view name);

/// RFC 4648 base32hex, lower case, no padding.
std::string base32hex(std::span<const std::uint8_t> data);

/// Decodes a 32-character base32hex label (either case) into a hash; nullopt if not one.
std::optional<nsec3_hash> base32hex_hash(std::span<const std::uint8_t> label);

/// <base32hex(hash)>.<apex>
wire_name nsec3_owner(const nsec3_hash& hash, name_view apex);

/// NSEC/NSEC3 type bit maps (RFC 4034 §4.1.2) for ascending, unique `types`.
bytes type_bitmap(std::span<const std::uint16_t> types);

/// NSEC3 RDATA: 1 0 0 - <next> <types>.
bytes nsec3_rdata(const nsec3_hash& next, std::span<const std::uint16_t> types);

/// The next hashed owner of an RDATA made by nsec3_rdata. Precondition: it was.
nsec3_hash nsec3_next(std::span<const std::uint8_t> rdata);

/// The types of the bitmap of an RDATA made by nsec3_rdata, ascending. Precondition: it was.
std::vector<std::uint16_t> nsec3_types_of(std::span<const std::uint8_t> rdata);

/// `rdata` (made by nsec3_rdata) with its next hashed owner replaced by `next`.
bytes nsec3_with_next(std::span<const std::uint8_t> rdata, const nsec3_hash& next);

/// NSEC3PARAM RDATA: 1 0 0 -.
bytes nsec3param_rdata();

}  // namespace iotreg::dns::detail
