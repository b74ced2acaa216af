#pragma once
// Answering DNS messages from a zone snapshot: queries, AXFR, and IXFR from a journal of diffs.
// No ldns here: the server module includes this header. Pure function of its inputs.

#include <cstdint>
#include <span>
#include <vector>

namespace iotreg::dns {

class journal;
class zone_snapshot;
struct tsig_key;

enum class transport { udp, tcp };

struct query_context {
  transport via = transport::udp;
  bool transfer_allowed = false;  ///< the caller decided (address ACL) that AXFR/IXFR may be served
  /// When set, AXFR/IXFR also need a valid TSIG (RFC 8945) with this key, and signed messages of
  /// any kind are checked against it. Must outlive the call.
  const tsig_key* transfer_key = nullptr;
  std::uint64_t now = 0;  ///< Unix time for TSIG checks; 0: the system clock
  /// Diffs of the published zone for IXFR (dns/journal.hpp); null: IXFR is always answered with
  /// a full transfer. Need not match the zone: chains are looked up by serial up to the zone's
  /// serial. Must outlive the call.
  const journal* ixfr_journal = nullptr;
};

/// Answers one DNS message (without the TCP length prefix). Returns no message (drop: a response
/// with QR=1, or fewer than 12 octets), one message, or several (zone transfer over TCP).
/// Never throws for hostile input; allocation failure may still throw std::bad_alloc.
///
/// - Malformed (truncated, bad label type, compression loop or forward pointer, name > 255
///   octets, trailing data, more than one OPT, an authority SOA with bad RDATA, message > 65535
///   octets) or QDCOUNT != 1 → FORMERR echoing the ID. Opcode other than QUERY → NOTIMP
///   (NOTIFY comes later).
/// - EDNS version > 0 → BADVERS. A query with OPT gets an OPT back (UDP size 1232, DO echoed).
/// - zone == nullptr (not loaded yet) → SERVFAIL (checked after the message parsed).
/// - qclass not IN or ANY, or qname not at or under the apex → REFUSED.
/// - Otherwise authoritative (AA=1, RA=0, ID/RD/CD echoed, question copied, owners compressed):
///   positive answer (+RRSIGs with DO); NODATA (SOA with TTL min(SOA TTL, MINIMUM) + RRSIG, and
///   with DO the NSEC3 matching qname); NXDOMAIN (SOA, and with DO the RFC 5155 §7.2.2 closest
///   encloser proof: NSEC3s matching the closest encloser and covering the next closer name and
///   the wildcard, deduplicated, each signed). Empty non-terminals answer NODATA.
///   qtype ANY returns every RRset at the name (+RRSIGs with DO); qtype RRSIG returns the
///   name's RRSIGs; qtype NSEC3 at an NSEC3 owner returns that NSEC3 (other queries treat NSEC3
///   owners as non-existent, RFC 5155 §7.2.8). Meta types OPT/TSIG/TKEY as qtype → FORMERR,
///   MAILA/MAILB → NOTIMP.
/// - UDP: a reply larger than the client's limit (512 without EDNS, else the EDNS size clamped
///   to 512..1232) becomes header + question (+OPT) with TC=1.
/// - AXFR: over TCP with ctx.transfer_allowed, qname = apex: the whole zone (RRSIG, NSEC3,
///   DNSKEY included) from SOA to SOA in messages of at most 16 KiB, question in the first only.
///   Otherwise REFUSED (AXFR over UDP too).
/// - TSIG (RFC 8945, hmac-sha256): a message with a TSIG record is checked against
///   ctx.transfer_key. Unknown key or algorithm → NOTAUTH with TSIG error BADKEY, wrong MAC →
///   BADSIG (both unsigned), time outside the fudge → BADTIME (signed, our time in Other Data).
///   Answers to a valid signed message are signed, every message of a transfer. With
///   ctx.transfer_key set, an unsigned AXFR/IXFR → NOTAUTH (after the address check: REFUSED).
/// - IXFR (RFC 1995), same address and TSIG rules as AXFR (else REFUSED / NOTAUTH). The
///   client's serial is that of the SOA in the authority section.
///   - Client serial equal to ours or newer (RFC 1982): the current SOA alone (UDP and TCP).
///   - UDP otherwise: the current SOA alone, which tells the client to retry over TCP (§2).
///   - TCP, and ctx.ixfr_journal holds the chain from the client's serial to ours: the
///     incremental reply (§4): new SOA, then per diff old SOA, removed records, new SOA, added
///     records, and the new SOA again; in messages of at most 16 KiB like AXFR, each signed when
///     the query was. The SOA of a diff's start and end is the current SOA with that serial:
///     this assumes only the serial of the SOA changes while the journal lasts (the journal is
///     cleared by every full build, which is when other SOA fields can change).
///   - TCP otherwise (no journal, client older than the journal, no SOA in the authority
///     section): an AXFR-style full transfer (§4).
std::vector<std::vector<std::uint8_t>> handle_message(const zone_snapshot* zone,
                                                      std::span<const std::uint8_t> query,
                                                      const query_context& ctx);

}  // namespace iotreg::dns
