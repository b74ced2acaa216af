#include "dns/answer.hpp"

#include "dns/nsec3_chain.hpp"
#include "dns/nsec_chain.hpp"
#include "dns/rr_types.hpp"

#include <optional>
#include <set>

namespace iotreg::dns::detail {
namespace {

class builder {
 public:
  builder(const zone_data& z, bool dnssec) : z_(z), dnssec_(dnssec) {}

  void add_rrset(std::vector<rr_ref>& out, name_view owner, const rrset& s, bool with_sigs) {
    for (const auto& rd : s.rdata) out.push_back({owner, s.type, s.ttl, rd});
    if (with_sigs) add_sigs(out, owner, s, s.ttl);
  }

  void add_sigs(std::vector<rr_ref>& out, name_view owner, const rrset& s, std::uint32_t ttl) {
    for (const auto& sig : s.rrsig) out.push_back({owner, rr_type::rrsig, ttl, sig});
  }

  /// `a` keeps the owner name, which records do not hold (see nsec3_record).
  void add_nsec3(answer& a, std::vector<rr_ref>& out, nsec3_map::const_iterator it) {
    const wire_name& owner = a.owned_names.emplace_back(nsec3_owner(it->first, z_.apex));
    out.push_back({owner, rr_type::nsec3, z_.nsec3_ttl, it->second.rdata});
    for (const auto& sig : it->second.rrsig) out.push_back({owner, rr_type::rrsig, z_.nsec3_ttl, sig});
  }

  /// The NSEC RRset (with its RRSIGs) of the owner that matches or covers `name`, once per
  /// owner in `added`.
  void add_nsec_covering(std::vector<rr_ref>& out, name_view name,
                         std::set<wire_name, canonical_less>& added) {
    if (z_.nodes.empty()) return;
    const auto it = nsec_predecessor_or_match(name);
    const rrset* s = it->second.find(rr_type::nsec);
    if (s == nullptr || !added.insert(it->first).second) return;
    add_rrset(out, it->first, *s, true);
  }

  /// The owner `name` itself if it exists, else the one canonically before it (wrapping).
  node_map::const_iterator nsec_predecessor_or_match(name_view name) const {
    const auto it = z_.nodes.find(name);
    return it != z_.nodes.end() ? it : nsec_predecessor(z_, name);
  }

  /// SOA for a negative answer, with the negative TTL (RFC 2308 §3, RFC 9077).
  void add_negative_soa(answer& a) {
    const rrset* soa = z_.soa();
    if (soa == nullptr) return;
    for (const auto& rd : soa->rdata) a.authority_section.push_back({z_.apex, soa->type, z_.nsec3_ttl, rd});
    if (dnssec_) add_sigs(a.authority_section, z_.apex, *soa, z_.nsec3_ttl);
  }

  answer nodata(name_view qname) {
    answer a;
    add_negative_soa(a);
    if (dnssec_ && z_.nsec) {
      // RFC 4035 §3.1.3.1: the owner's NSEC (no such type in its bitmap); for an empty
      // non-terminal, the NSEC covering it, whose next name lies below it (RFC 4035 §3.1.3.2).
      std::set<wire_name, canonical_less> added;
      add_nsec_covering(a.authority_section, qname, added);
    } else if (dnssec_) {
      const auto it = z_.nsec3.find(nsec3_hash_of(qname));
      if (it != z_.nsec3.end()) add_nsec3(a, a.authority_section, it);
    }
    return a;
  }

  /// RFC 5155 §7.2.2: closest encloser proof plus the wildcard denial.
  answer nxdomain(name_view qname) {
    answer a;
    a.rcode = rcode::nxdomain;
    add_negative_soa(a);
    if (!dnssec_ || (!z_.nsec && z_.nsec3.empty())) return a;
    name_view encloser = qname;
    name_view next_closer = qname;
    while (!name_exists(z_, encloser) && label_count(encloser) > label_count(z_.apex)) {
      next_closer = encloser;
      encloser = parent_of(encloser);
    }
    if (z_.nsec) {
      // RFC 4035 §3.1.3.2: the NSEC covering qname, and the one covering the wildcard at the
      // closest encloser (often the same record).
      std::set<wire_name, canonical_less> added;
      add_nsec_covering(a.authority_section, qname, added);
      add_nsec_covering(a.authority_section, prepend_label(std::string_view("*"), encloser), added);
      return a;
    }
    std::set<nsec3_hash> added;
    const auto add_once = [&](nsec3_map::const_iterator it) {
      if (it != z_.nsec3.end() && added.insert(it->first).second) {
        add_nsec3(a, a.authority_section, it);
      }
    };
    add_once(z_.nsec3.find(nsec3_hash_of(encloser)));
    add_once(nsec3_predecessor(z_, nsec3_hash_of(next_closer)));
    const wire_name wildcard = prepend_label(std::string_view("*"), encloser);
    add_once(nsec3_predecessor(z_, nsec3_hash_of(wildcard)));
    return a;
  }

  answer run(name_view qname, std::uint16_t qtype) {
    if (qtype == rr_type::nsec3) {
      if (auto a = nsec3_owner_answer(qname)) return std::move(*a);
    }
    const auto it = z_.nodes.find(qname);
    if (it == z_.nodes.end()) return name_exists(z_, qname) ? nodata(qname) : nxdomain(qname);
    const node& n = it->second;
    answer a;
    if (qtype == rr_type::any) {
      for (const auto& s : n.rrsets) add_rrset(a.answer_section, it->first, s, dnssec_);
    } else if (qtype == rr_type::rrsig) {
      for (const auto& s : n.rrsets) add_sigs(a.answer_section, it->first, s, s.ttl);
    } else if (const rrset* s = n.find(qtype)) {
      add_rrset(a.answer_section, it->first, *s, dnssec_);
    }
    if (a.answer_section.empty()) return nodata(qname);
    return a;
  }

 private:
  /// qtype NSEC3 for <hash>.<apex> that is in the chain: the record itself.
  std::optional<answer> nsec3_owner_answer(name_view qname) {
    if (label_count(qname) != label_count(z_.apex) + 1) return std::nullopt;
    const auto hash = base32hex_hash(qname.subspan(1, qname[0]));
    if (!hash) return std::nullopt;
    const auto it = z_.nsec3.find(*hash);
    if (it == z_.nsec3.end()) return std::nullopt;
    answer a;
    add_nsec3(a, a.answer_section, it);
    if (!dnssec_) a.answer_section.erase(a.answer_section.begin() + 1, a.answer_section.end());  // no RRSIGs
    return a;
  }

  const zone_data& z_;
  bool dnssec_;
};

}  // namespace

answer lookup(const zone_data& z, name_view qname, std::uint16_t qtype, bool dnssec) {
  const wire_name lower = lowercase(qname);
  return builder(z, dnssec).run(lower, qtype);
}

}  // namespace iotreg::dns::detail
