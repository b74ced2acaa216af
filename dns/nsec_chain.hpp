#pragma once
// Internal: keeps a zone's NSEC chain (RFC 4034 §4, zone_parameters::denial == nsec) in step with
// its owners. The NSEC record is an ordinary RRset (type 47) in each owner's node, so that
// serving, transfers, zone files and the signer's refresh index treat it like any other RRset.
// Every owner has one; empty non-terminals have none (RFC 4035 §2.3: only names that own RRsets
// are in the chain). The chain follows canonical order and is closed (the last owner points to
// the apex).

#include "dns/nsec3_chain.hpp"
#include "dns/rrset_signer.hpp"
#include "dns/zone_data.hpp"

#include <vector>

namespace iotreg::dns::detail {

/// NSEC RDATA: the next owner name (uncompressed wire form) and the type bitmap.
bytes nsec_rdata(name_view next, std::span<const std::uint16_t> types);

/// The NSEC bitmap types of a node: its RRset types plus NSEC and RRSIG, ascending.
std::vector<std::uint16_t> nsec_types(const node& n);

/// The owner whose NSEC covers `name` (the greatest owner canonically before it, wrapping to
/// the last owner). Precondition: z.nodes is not empty.
node_map::const_iterator nsec_predecessor(const zone_data& z, name_view name);

/// Puts an unsigned NSEC RRset with TTL `ttl` into every node of `leaves` (the leaves of a
/// node_map in the making: all owners, canonical order), replacing any there. O(n), no lookup, on
/// build_threads() threads.
void add_nsec_records(std::vector<std::vector<node_map::value_type>>& leaves, std::uint32_t ttl);

/// After the RRsets of the owners in `touched` changed (nodes may have appeared, or lost all
/// but their NSEC), removes nodes left with only an NSEC, gives new owners their NSEC, fixes
/// the predecessors' next names and re-signs exactly the NSEC RRsets whose RDATA changed.
/// @returns every owner whose NSEC RRset may differ from before (including owners that went),
///          for the caller's change set.
/// @throw as rrset_signer::sign; `z` may then be partly updated (callers edit a copy).
name_set update_nsec_chain(zone_data& z, const name_set& touched, const rrset_signer& signer);

}  // namespace iotreg::dns::detail
