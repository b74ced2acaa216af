#pragma once
// NOTIFY (RFC 1996) messages a primary sends, and recognising their responses. No ldns here:
// the server module includes this header.

#include <cstdint>
#include <span>
#include <vector>

namespace iotreg::dns {

class zone_snapshot;
struct tsig_key;

/// A NOTIFY for `zone`: opcode 4, AA, ID `id`, question (apex, SOA, IN) and the zone's SOA
/// (serial `zone.serial()`) in the answer section as a hint (RFC 1996 §3.7). Signed with TSIG
/// when `key` is not null (`now`: Unix time for the signature).
std::vector<std::uint8_t> make_notify(const zone_snapshot& zone, std::uint16_t id, const tsig_key* key,
                                      std::uint64_t now);

/// Whether `msg` answers our NOTIFY with ID `id`: a response (QR=1) with opcode NOTIFY and that ID
/// (RFC 1996 §4.7). The RCODE is not judged here: any response ends the retransmissions.
bool is_notify_response(std::span<const std::uint8_t> msg, std::uint16_t id) noexcept;

/// The RCODE of a message of at least 4 octets.
std::uint8_t response_rcode(std::span<const std::uint8_t> msg) noexcept;

}  // namespace iotreg::dns
