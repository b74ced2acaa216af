#include "dns/nsec3_chain.hpp"

#include "dns/parallel.hpp"
#include "dns/rr_types.hpp"

#include <algorithm>
#include <set>

namespace iotreg::dns::detail {
namespace {

/// The key after `h` in the chain, wrapping around. Precondition: `h` is in the chain.
nsec3_hash successor_key(const zone_data& z, const nsec3_hash& h) {
  auto it = z.nsec3.find(h);
  ++it;
  return it == z.nsec3.end() ? z.nsec3.begin()->first : it->first;
}

/// Recomputes the RDATA from the fields; re-signs and returns true if it changed.
bool refresh(zone_data& z, const nsec3_hash& h, const rrset_signer& signer) {
  const nsec3_record& r = *z.nsec3.get(h);
  bytes rdata = nsec3_with_next(r.rdata, successor_key(z, h));
  if (rdata == r.rdata && !r.rrsig.empty()) return false;
  // Sign before editing: an exception leaves the record as it was.
  auto sigs = signer.sign_one(nsec3_owner(h, z.apex), rr_type::nsec3, z.nsec3_ttl, rdata, signer.validity());
  z.nsec3.update(h, [&](nsec3_record& m) {
    m.rdata = std::move(rdata);
    m.rrsig = std::move(sigs);
  });
  return true;
}

/// The bitmap types of a name whose node is `n` (nullptr for an empty non-terminal).
std::vector<std::uint16_t> types_of(const node* n) {
  if (n == nullptr || n->rrsets.empty()) return {};
  auto types = n->types();
  types.push_back(rr_type::rrsig);
  std::sort(types.begin(), types.end());
  return types;
}

/// A new record, unsigned and with no next hash yet: refresh() completes it.
nsec3_record make_record(const node* n) { return {nsec3_rdata(nsec3_hash{}, types_of(n)), {}}; }

}  // namespace

bool name_exists(const zone_data& z, name_view name) {
  const auto it = z.nodes.lower_bound(name);
  return it != z.nodes.end() && is_at_or_below(it->first, name);
}

std::vector<std::uint16_t> nsec3_types(const zone_data& z, name_view name) {
  return types_of(z.nodes.get(name));
}

nsec3_map::const_iterator nsec3_predecessor(const zone_data& z, const nsec3_hash& h) {
  auto it = z.nsec3.lower_bound(h);
  if (it == z.nsec3.begin()) it = z.nsec3.end();
  return --it;
}

void rebuild_nsec3_chain(zone_data& z, const rrset_signer& signer) {
  // Every owner with its node, plus each empty non-terminal between an owner and the apex (few:
  // _device) with none. The node comes along so that making the records needs no lookup.
  std::vector<std::pair<name_view, const node*>> names;
  names.reserve(z.nodes.size());
  std::set<wire_name, canonical_less> empty_non_terminals;
  const std::size_t apex_labels = label_count(z.apex);
  // The parent last found to exist: siblings (a million devices under _device) share it, and a
  // byte comparison is much cheaper than the two O(log n) lookups.
  name_view known_parent;
  for (const auto& [owner, n] : z.nodes) {
    names.emplace_back(owner, &n);
    if (label_count(owner) <= apex_labels) continue;
    const name_view parent = parent_of(owner);
    if (std::ranges::equal(parent, known_parent)) continue;
    for (name_view p = parent;; p = parent_of(p)) {
      if (z.nodes.contains(p) || empty_non_terminals.contains(p)) break;
      names.emplace_back(*empty_non_terminals.emplace(p.begin(), p.end()).first, nullptr);
      if (label_count(p) <= apex_labels + 1) break;
    }
    known_parent = parent;  // exists now; views into z.nodes' keys stay valid
  }
  std::vector<std::pair<nsec3_hash, std::size_t>> order(names.size());  // hash, index in names
  parallel_for(names.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) order[i] = {nsec3_hash_of(names[i].first), i};
  });
  parallel_stable_sort(order.begin(), order.end(), std::less<>{});  // keys are distinct
  // Made straight into the leaves of the map, so the chain is never held twice.
  constexpr std::size_t fill = nsec3_map::leaf_fill;
  std::vector<std::vector<nsec3_map::value_type>> leaves((order.size() + fill - 1) / fill);
  parallel_for(leaves.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t l = begin; l < end; ++l) {
      auto& leaf = leaves[l];
      const std::size_t last = std::min(order.size(), (l + 1) * fill);
      leaf.reserve(last - l * fill);
      for (std::size_t i = l * fill; i < last; ++i) {
        const auto& [h, at] = order[i];
        nsec3_record r;
        r.rdata = nsec3_rdata(order[(i + 1) % order.size()].first, types_of(names[at].second));
        r.rrsig =
            signer.sign_one(nsec3_owner(h, z.apex), rr_type::nsec3, z.nsec3_ttl, r.rdata, signer.validity());
        leaf.emplace_back(h, std::move(r));
      }
    }
  });
  z.nsec3 = nsec3_map::from_leaves(std::move(leaves));
}

std::size_t update_nsec3_chain(zone_data& z, const name_set& touched, const rrset_signer& signer) {
  std::set<nsec3_hash> dirty;
  for (const auto& name : touched) {
    const nsec3_hash h = nsec3_hash_of(name);
    const nsec3_record* existing = z.nsec3.get(h);
    if (name_exists(z, name)) {
      if (existing == nullptr) {
        z.nsec3.set(h, make_record(z.nodes.get(name)));
        dirty.insert(h);
        dirty.insert(nsec3_predecessor(z, h)->first);
      } else if (auto rdata = nsec3_rdata(nsec3_next(existing->rdata), nsec3_types(z, name));
                 rdata != existing->rdata) {
        z.nsec3.update(h, [&](nsec3_record& r) {
          r.rdata = std::move(rdata);
          r.rrsig.clear();  // so that refresh() re-signs it even if its next hash stays
        });
        dirty.insert(h);
      }
    } else if (existing != nullptr) {
      const nsec3_hash pred = nsec3_predecessor(z, h)->first;
      z.nsec3.erase(h);
      dirty.erase(h);
      if (pred != h) dirty.insert(pred);
    }
  }
  std::size_t signed_count = 0;
  for (const auto& h : dirty) {
    if (z.nsec3.contains(h) && refresh(z, h, signer)) ++signed_count;
  }
  return signed_count;
}

}  // namespace iotreg::dns::detail
