#pragma once
// Internal: keeps a zone's NSEC3 chain in step with its names. Every existing name (an owner, or
// an empty non-terminal between an owner and the apex) has exactly one NSEC3 record; the chain is
// ordered by hash and closed (the last record points to the first).

#include "dns/rrset_signer.hpp"
#include "dns/zone_data.hpp"

#include <set>
#include <vector>

namespace iotreg::dns::detail {

using name_set = std::set<wire_name, canonical_less>;

/// True if `name` owns RRsets or has descendants that do (an empty non-terminal).
bool name_exists(const zone_data& z, name_view name);

/// The NSEC3 type bitmap content for `name`: its RRset types, plus RRSIG if it has any
/// (everything in this zone is authoritative and signed); empty for empty non-terminals.
std::vector<std::uint16_t> nsec3_types(const zone_data& z, name_view name);

/// The entry whose hash is the greatest one smaller than `h`, wrapping around (the NSEC3 that
/// covers `h` when `h` itself is not in the chain). Precondition: the chain is not empty.
nsec3_map::const_iterator nsec3_predecessor(const zone_data& z, const nsec3_hash& h);

/// Builds the whole chain from the names in z.nodes and signs every record, hashing and signing
/// on build_threads() threads (`signer` must allow concurrent sign() calls).
void rebuild_nsec3_chain(zone_data& z, const rrset_signer& signer);

/// After the names in `touched` may have appeared or disappeared (or changed types), inserts,
/// removes or updates their NSEC3 records, fixes the predecessors' next-hashed-owner fields and
/// re-signs exactly the records whose RDATA changed. Returns how many records were signed.
std::size_t update_nsec3_chain(zone_data& z, const name_set& touched, const rrset_signer& signer);

}  // namespace iotreg::dns::detail
