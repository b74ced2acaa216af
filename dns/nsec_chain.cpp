#include "dns/nsec_chain.hpp"

#include "dns/nsec3.hpp"
#include "dns/parallel.hpp"
#include "dns/rr_types.hpp"

#include <algorithm>

namespace iotreg::dns::detail {
namespace {

rrset nsec_rrset(name_view next, const node& n, std::uint32_t ttl) {
  rrset s;
  s.type = rr_type::nsec;
  s.ttl = ttl;
  s.rdata.push_back(nsec_rdata(next, nsec_types(n)));
  return s;
}

/// True if the node holds nothing but its NSEC (its owner is gone from the zone).
bool only_nsec(const node& n) {
  return std::all_of(n.rrsets.begin(), n.rrsets.end(),
                     [](const rrset& s) { return s.type == rr_type::nsec; });
}

}  // namespace

bytes nsec_rdata(name_view next, std::span<const std::uint16_t> types) {
  bytes rd(next.begin(), next.end());
  const bytes bitmap = type_bitmap(types);
  rd.insert(rd.end(), bitmap.begin(), bitmap.end());
  return rd;
}

std::vector<std::uint16_t> nsec_types(const node& n) {
  std::vector<std::uint16_t> types = n.types();
  types.push_back(rr_type::nsec);
  types.push_back(rr_type::rrsig);
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  return types;
}

node_map::const_iterator nsec_predecessor(const zone_data& z, name_view name) {
  auto it = z.nodes.lower_bound(name);
  if (it == z.nodes.begin()) it = z.nodes.end();
  return --it;
}

void add_nsec_records(std::vector<std::vector<node_map::value_type>>& leaves, std::uint32_t ttl) {
  // Each leaf on its own thread: a node's next owner is the following entry, the first of the
  // next non-empty leaf, or the apex (the very first owner). Only keys are read across leaves.
  std::vector<const wire_name*> first_after(leaves.size() + 1, nullptr);  // first owner from leaf l on
  for (std::size_t l = leaves.size(); l-- > 0;) {
    first_after[l] = leaves[l].empty() ? first_after[l + 1] : &leaves[l].front().first;
  }
  const wire_name* apex = first_after[0];
  parallel_for(leaves.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t l = begin; l < end; ++l) {
      auto& leaf = leaves[l];
      for (std::size_t i = 0; i < leaf.size(); ++i) {
        const wire_name* next = i + 1 < leaf.size() ? &leaf[i + 1].first : first_after[l + 1];
        if (next == nullptr) next = apex;
        leaf[i].second.put(nsec_rrset(*next, leaf[i].second, ttl));
      }
    }
  });
}

name_set update_nsec_chain(zone_data& z, const name_set& touched, const rrset_signer& signer) {
  name_set changed;  // owners whose NSEC may differ
  name_set dirty;    // owners whose NSEC must be recomputed (exist in z)
  // First every appearance and disappearance, so that the next names below see the final chain.
  for (const auto& owner : touched) {
    const node* n = z.nodes.get(owner);
    changed.insert(owner);
    if (n != nullptr && only_nsec(*n)) {
      z.nodes.erase(owner);
      n = nullptr;
    }
    if (n != nullptr) dirty.insert(owner);
    // Its predecessor's next name may change whether the owner came or went.
    if (!z.nodes.empty()) dirty.insert(nsec_predecessor(z, owner)->first);
  }
  const std::uint32_t ttl = z.nsec3_ttl;
  for (const auto& owner : dirty) {
    const node* n = z.nodes.get(owner);
    if (n == nullptr) continue;  // cannot happen: dirty owners exist
    auto next_it = z.nodes.find(owner);
    ++next_it;
    const wire_name& next = next_it == z.nodes.end() ? z.nodes.begin()->first : next_it->first;
    rrset s = nsec_rrset(next, *n, ttl);
    const rrset* existing = n->find(rr_type::nsec);
    if (existing != nullptr && existing->rdata == s.rdata && existing->ttl == s.ttl &&
        !existing->rrsig.empty())
      continue;
    signer.sign(owner, s);  // before editing: an exception leaves the node as it was
    z.nodes.update(owner, [&](node& m) { m.put(std::move(s)); });
    changed.insert(owner);
  }
  return changed;
}

}  // namespace iotreg::dns::detail
