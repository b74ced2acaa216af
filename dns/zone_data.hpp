#pragma once
// Internal: the zone as the signer edits it and snapshots publish it. Every record is kept in wire
// form (uncompressed, owner lower-cased) so that signing, serving and writing need no re-parsing,
// and so that a snapshot is plain data that many threads may read at once.
//
// Keyed for incremental change: owners in canonical order (O(log n) insert/erase, and all
// descendants of a name follow it contiguously, which makes empty non-terminal and closest
// encloser checks a single lower_bound); NSEC3 records by raw hash, whose byte order is the
// canonical order of their base32hex owners, so predecessor/successor lookups are O(log n).
// Both maps are persistent (persistent_map.hpp): copying a zone_data is O(1) and the copy shares
// everything that later edits do not touch, so publishing a batch costs O(changes · log n).

#include "dns/nsec3.hpp"
#include "dns/persistent_map.hpp"
#include "dns/wire_name.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace iotreg::dns::detail {

/// One RRset and its signatures.
struct rrset {
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::vector<bytes> rdata;  ///< canonical order (RFC 4034 §6.3), no duplicates
  std::vector<bytes> rrsig;  ///< RRSIG RDATA covering this RRset, one per signing key

  /// Sorts rdata canonically and drops duplicates.
  void canonicalize() {
    std::sort(rdata.begin(), rdata.end());  // lexicographic unsigned octets = canonical order
    rdata.erase(std::unique(rdata.begin(), rdata.end()), rdata.end());
  }
};

/// All RRsets at one owner name, sorted by type.
struct node {
  std::vector<rrset> rrsets;

  const rrset* find(std::uint16_t type) const noexcept {
    for (const auto& s : rrsets) {
      if (s.type == type) return &s;
    }
    return nullptr;
  }
  rrset* find(std::uint16_t type) noexcept {
    for (auto& s : rrsets) {
      if (s.type == type) return &s;
    }
    return nullptr;
  }
  /// Inserts or replaces the RRset of s.type, keeping type order.
  void put(rrset s) {
    auto it = std::lower_bound(rrsets.begin(), rrsets.end(), s.type,
                               [](const rrset& r, std::uint16_t t) { return r.type < t; });
    if (it != rrsets.end() && it->type == s.type)
      *it = std::move(s);
    else
      rrsets.insert(it, std::move(s));
  }
  /// Types present, ascending.
  std::vector<std::uint16_t> types() const {
    std::vector<std::uint16_t> t;
    t.reserve(rrsets.size());
    for (const auto& s : rrsets) t.push_back(s.type);
    return t;
  }
};

/// One NSEC3 record (RFC 5155) for an existing name, with its signatures. Only the RDATA is
/// kept: the owner follows from the map key (nsec3_owner) and the next hashed owner from the
/// RDATA (nsec3_next). At a million devices that is ~160 bytes less per device than holding
/// owner, next hash and type list beside it.
struct nsec3_record {
  bytes rdata;  ///< nsec3_rdata(): 1 0 0 - <next> <type bitmap>
  std::vector<bytes> rrsig;
};

using node_map = persistent_map<wire_name, node, canonical_less>;
using nsec3_map = persistent_map<nsec3_hash, nsec3_record, std::less<>>;

struct zone_data {
  wire_name apex;
  node_map nodes;
  nsec3_map nsec3;
  std::uint32_t nsec3_ttl = 0;  ///< min(SOA MINIMUM, SOA TTL) (RFC 9077); also the NSEC and negative TTL
  /// NSEC mode (zone_parameters::denial): every owner node holds an NSEC RRset (type 47) like
  /// any other RRset, and `nsec3` stays empty. Otherwise no node holds NSEC.
  bool nsec = false;

  const rrset* soa() const noexcept {
    const node* n = nodes.get(apex);
    return n == nullptr ? nullptr : n->find(6);
  }
};

}  // namespace iotreg::dns::detail
