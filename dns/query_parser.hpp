#pragma once
// Internal: strict parsing of an incoming DNS message's header, question and OPT record. Reads
// only within the given span; every length and pointer is checked.

#include "dns/wire_name.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace iotreg::dns::detail {

namespace dns_flag {
inline constexpr std::uint16_t qr = 0x8000;
inline constexpr std::uint16_t aa = 0x0400;
inline constexpr std::uint16_t tc = 0x0200;
inline constexpr std::uint16_t rd = 0x0100;
inline constexpr std::uint16_t cd = 0x0010;
}  // namespace dns_flag

inline constexpr std::size_t header_size = 12;

struct edns_info {
  std::uint16_t udp_size = 512;
  std::uint8_t version = 0;
  bool dnssec_ok = false;
};

struct parsed_query {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  std::uint16_t qdcount = 0;
  wire_name qname;  ///< as received (case preserved, decompressed)
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::optional<edns_info> edns;
  std::size_t tsig_offset = 0;  ///< where the TSIG record starts (0: none); it is the last record
  /// The serial of the first SOA record in the authority section: for IXFR, the version the
  /// client has (RFC 1995 §3).
  std::optional<std::uint32_t> authority_soa_serial;

  std::uint8_t opcode() const noexcept { return static_cast<std::uint8_t>((flags >> 11) & 0x0f); }
};

/// Reads a possibly compressed name at `pos` (advanced past it). Pointers must go strictly
/// backwards from where the current run of labels started, so loops are impossible. Returns
/// false on truncation, a bad label type, or a name longer than 255 octets. `out` may be null.
bool read_name(std::span<const std::uint8_t> msg, std::size_t& pos, wire_name* out);

/// Parses header, question (only when QDCOUNT == 1) and all records to find OPT and TSIG (which
/// must be the last record of the additional section, RFC 8945 §5.1) and the serial of an SOA in
/// the authority section (an SOA whose RDATA is malformed makes the message malformed). Precondition:
/// msg.size() >= 12 (id and flags are always filled). Returns false if the message is malformed.
bool parse_query(std::span<const std::uint8_t> msg, parsed_query& out);

}  // namespace iotreg::dns::detail
