#pragma once
// Internal: visits every record of a zone in the order zone files and AXFR use: the SOA first
// (then its RRSIGs), then all owners in canonical order, NSEC3 owners merged in, each RRset
// followed by its RRSIGs.

#include "dns/nsec3.hpp"
#include "dns/rr_types.hpp"
#include "dns/zone_data.hpp"

#include <cstdint>
#include <span>

namespace iotreg::dns::detail {

struct rr_ref {
  name_view owner;
  std::uint16_t type;
  std::uint32_t ttl;
  std::span<const std::uint8_t> rdata;
};

template <class F>
void for_each_rrset_records(name_view owner, const rrset& s, F& f) {
  for (const auto& rd : s.rdata) f(rr_ref{owner, s.type, s.ttl, rd});
  for (const auto& sig : s.rrsig) f(rr_ref{owner, rr_type::rrsig, s.ttl, sig});
}

/// Calls f(rr_ref) for every record; see the file comment for the order.
template <class F>
void for_each_record(const zone_data& z, F&& f) {
  if (const rrset* soa = z.soa()) for_each_rrset_records(z.apex, *soa, f);
  auto n = z.nodes.begin();
  auto h = z.nsec3.begin();
  // The owner of *h (records keep only their hash, see nsec3_record).
  wire_name h_owner = h == z.nsec3.end() ? wire_name{} : nsec3_owner(h->first, z.apex);
  while (n != z.nodes.end() || h != z.nsec3.end()) {
    const bool take_node =
        h == z.nsec3.end() || (n != z.nodes.end() && canonical_compare(n->first, h_owner) < 0);
    if (take_node) {
      for (const auto& s : n->second.rrsets) {
        if (s.type == rr_type::soa && n->first == z.apex) continue;
        for_each_rrset_records(n->first, s, f);
      }
      ++n;
    } else {
      const nsec3_record& r = h->second;
      f(rr_ref{h_owner, rr_type::nsec3, z.nsec3_ttl, r.rdata});
      for (const auto& sig : r.rrsig) f(rr_ref{h_owner, rr_type::rrsig, z.nsec3_ttl, sig});
      if (++h != z.nsec3.end()) h_owner = nsec3_owner(h->first, z.apex);
    }
  }
}

}  // namespace iotreg::dns::detail
