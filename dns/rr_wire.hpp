#pragma once
// Internal: RDATA builders and the bridge between our wire records and ldns_rr.

#include "dns/ldns.hpp"
#include "dns/wire_name.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace iotreg::dns::detail {

struct soa_fields {
  wire_name mname, rname;
  std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};

bytes soa_rdata(const soa_fields& f);

/// A (4 octets) or AAAA (16 octets) RDATA from text; nullopt if neither. `type` receives 1 or 28.
std::optional<bytes> address_rdata(std::string_view text, std::uint16_t& type);

/// Appends a big-endian integer.
void put16(bytes& out, std::uint16_t v);
void put32(bytes& out, std::uint32_t v);

/// One RR in uncompressed wire form (class IN).
bytes rr_to_wire(name_view owner, std::uint16_t type, std::uint32_t ttl, std::span<const std::uint8_t> rdata);

/// The same RR as an ldns_rr. @throw errc::ldns_failure if ldns rejects it.
ldns_ptr<ldns_rr> rr_to_ldns(name_view owner, std::uint16_t type, std::uint32_t ttl,
                             std::span<const std::uint8_t> rdata);

/// RDATA of an ldns_rr in wire form (uncompressed).
bytes ldns_rdata_wire(const ldns_rr* rr);

}  // namespace iotreg::dns::detail
