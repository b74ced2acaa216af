#include "dns/nsec3_chain.hpp"

#include "dns/rr_types.hpp"

namespace iotreg::dns::detail {
namespace {

using chain = std::map<nsec3_hash, nsec3_record>;

chain::iterator successor(chain& c, chain::iterator it) {
  ++it;
  return it == c.end() ? c.begin() : it;
}

chain::iterator predecessor(chain& c, chain::iterator it) {
  if (it == c.begin()) it = c.end();
  return --it;
}

/// Recomputes the RDATA from the fields; re-signs and returns true if it changed.
bool refresh(chain& c, chain::iterator it, std::uint32_t ttl, const rrset_signer& signer) {
  nsec3_record& r = it->second;
  r.next = successor(c, it)->first;
  bytes rdata = nsec3_rdata(r.next, r.types);
  if (rdata == r.rdata && !r.rrsig.empty()) return false;
  r.rdata = std::move(rdata);
  r.rrsig = signer.sign(r.owner, rr_type::nsec3, ttl, {r.rdata});
  return true;
}

nsec3_record make_record(const zone_data& z, name_view name, const nsec3_hash& h) {
  nsec3_record r;
  r.owner = nsec3_owner(h, z.apex);
  r.original.assign(name.begin(), name.end());
  r.types = nsec3_types(z, name);
  return r;
}

}  // namespace

bool name_exists(const zone_data& z, name_view name) {
  const auto it = z.nodes.lower_bound(name);
  return it != z.nodes.end() && is_at_or_below(it->first, name);
}

std::vector<std::uint16_t> nsec3_types(const zone_data& z, name_view name) {
  const auto it = z.nodes.find(name);
  if (it == z.nodes.end() || it->second.rrsets.empty()) return {};
  auto types = it->second.types();
  types.push_back(rr_type::rrsig);
  std::sort(types.begin(), types.end());
  return types;
}

std::map<nsec3_hash, nsec3_record>::const_iterator nsec3_predecessor(const zone_data& z,
                                                                     const nsec3_hash& h) {
  auto it = z.nsec3.lower_bound(h);
  if (it == z.nsec3.begin()) it = z.nsec3.end();
  return --it;
}

void rebuild_nsec3_chain(zone_data& z, const rrset_signer& signer) {
  z.nsec3.clear();
  for (const auto& [owner, n] : z.nodes) {
    // The owner and each empty non-terminal between it and the apex.
    name_view name = owner;
    while (true) {
      const nsec3_hash h = nsec3_hash_of(name);
      if (z.nsec3.contains(h)) break;  // ancestors are already in (canonical order: parents first)
      z.nsec3.emplace(h, make_record(z, name, h));
      if (canonical_compare(name, z.apex) == 0 || label_count(name) <= label_count(z.apex)) break;
      name = parent_of(name);
    }
  }
  for (auto it = z.nsec3.begin(); it != z.nsec3.end(); ++it) {
    refresh(z.nsec3, it, z.nsec3_ttl, signer);
  }
}

std::size_t update_nsec3_chain(zone_data& z, const name_set& touched, const rrset_signer& signer) {
  std::set<nsec3_hash> dirty;
  for (const auto& name : touched) {
    const nsec3_hash h = nsec3_hash_of(name);
    auto it = z.nsec3.find(h);
    if (name_exists(z, name)) {
      if (it == z.nsec3.end()) {
        it = z.nsec3.emplace(h, make_record(z, name, h)).first;
        dirty.insert(h);
        dirty.insert(predecessor(z.nsec3, it)->first);
      } else if (auto types = nsec3_types(z, name); types != it->second.types) {
        it->second.types = std::move(types);
        dirty.insert(h);
      }
    } else if (it != z.nsec3.end()) {
      const nsec3_hash pred = predecessor(z.nsec3, it)->first;
      z.nsec3.erase(it);
      dirty.erase(h);
      if (pred != h) dirty.insert(pred);
    }
  }
  std::size_t signed_count = 0;
  for (const auto& h : dirty) {
    const auto it = z.nsec3.find(h);
    if (it != z.nsec3.end() && refresh(z.nsec3, it, z.nsec3_ttl, signer)) ++signed_count;
  }
  return signed_count;
}

}  // namespace iotreg::dns::detail
