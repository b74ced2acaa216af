#include "dns/signer.hpp"

#include "dns/ldns.hpp"
#include "dns/ldns_error.hpp"
#include "dns/names.hpp"
#include "dns/nsec3_chain.hpp"
#include "dns/nsec_chain.hpp"
#include "dns/parallel.hpp"
#include "dns/rr_types.hpp"
#include "dns/rr_wire.hpp"
#include "dns/rrset_signer.hpp"
#include "dns/zone_snapshot.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace iotreg::dns {

using namespace detail;

namespace {

wire_name must_name(std::string_view text, const char* what) {
  auto n = name_from_text(text);
  if (!n) throw std::invalid_argument(std::string(what) + " is not a valid name: " + std::string(text));
  return std::move(*n);
}

rrset make_rrset(std::uint16_t type, std::uint32_t ttl, std::vector<bytes> rdata) {
  rrset s;
  s.type = type;
  s.ttl = ttl;
  s.rdata = std::move(rdata);
  s.canonicalize();
  return s;
}

/// Names and their nodes while a zone is assembled, before it becomes a node_map.
using staging_map = std::map<wire_name, node, canonical_less>;

/// Removes one RRset; the node goes too when it has nothing left.
void remove_rrset(zone_data& z, const wire_name& owner, std::uint16_t type) {
  const node* n = z.nodes.get(owner);
  if (n == nullptr || n->find(type) == nullptr) return;  // nothing to copy
  if (n->rrsets.size() == 1) {
    z.nodes.erase(owner);
    return;
  }
  z.nodes.update(
      owner, [type](node& m) { std::erase_if(m.rrsets, [type](const rrset& s) { return s.type == type; }); });
}

/// A device's owner and TLSA RRset (no rdata: the device is removed), during a full build.
struct staged_device {
  wire_name owner;
  rrset tlsa;
};

/// The keys of a zone sorted by use (see zone_key), with the apex key RRsets' RDATA.
struct key_set {
  std::vector<dnssec_key> signing;  ///< what rrset_signer gets
  std::vector<dnssec_key> idle;     ///< published only
  std::vector<bytes> dnskey, cds, cdnskey;
};

/// CDS RDATA (= DS RDATA, SHA-256 digest) of a key.
bytes cds_rdata(const dnssec_key& k) {
  const ldns_ptr<ldns_rr> dnskey(check_ldns_ptr(ldns_key2rr(k.native_handle()), "ldns_key2rr"));
  const ldns_ptr<ldns_rr> ds(check_ldns_ptr(ldns_key_rr2ds(dnskey.get(), LDNS_SHA256), "ldns_key_rr2ds"));
  return ldns_rdata_wire(ds.get());
}

/// Validates and sorts keys; see zone_signer::set_keys for the rules.
key_set split_keys(std::vector<zone_key> keys, const std::string& apex) {
  key_set ks;
  bool ksk = false, zsk = false;
  for (auto& k : keys) {
    const std::string tag = std::to_string(k.key.key_tag());
    if (k.key.zone_apex() != apex)
      throw std::invalid_argument("key " + tag + " belongs to " + k.key.zone_apex());
    if ((k.sign || k.cds) && !k.publish) {
      throw std::invalid_argument("key " + tag + " signs or is in CDS without being published");
    }
    if (!k.publish) continue;
    ks.dnskey.push_back(k.key.dnskey_rdata());
    if (k.cds) {
      ks.cds.push_back(cds_rdata(k.key));
      ks.cdnskey.push_back(ks.dnskey.back());
    }
    if (k.sign) {
      (k.key.role() == key_role::ksk ? ksk : zsk) = true;
      ks.signing.push_back(std::move(k.key));
    } else {
      ks.idle.push_back(std::move(k.key));
    }
  }
  if (!ksk || !zsk) throw std::invalid_argument("zone needs at least one signing KSK and one signing ZSK");
  for (auto* v : {&ks.dnskey, &ks.cds, &ks.cdnskey}) std::sort(v->begin(), v->end());  // comparable
  return ks;
}

/// (role, key tag, algorithm) of the signing keys of one role: what the RRSIGs name.
std::set<std::pair<std::uint16_t, std::uint8_t>> signer_ids(const std::vector<dnssec_key>& keys,
                                                            key_role role) {
  std::set<std::pair<std::uint16_t, std::uint8_t>> ids;
  for (const auto& k : keys) {
    if (k.role() == role) ids.emplace(k.key_tag(), k.algorithm());
  }
  return ids;
}

// ---- Signature refresh index -------------------------------------------------------------
// Every RRset (and NSEC3 record) is filed under the time it must be re-signed by, so that a
// refresh takes the due ones off the front of the index instead of scanning the zone.

/// One signed unit of the zone: a node's RRset (type, owner) or an NSEC3 record (hash).
struct slot {
  std::uint16_t type = 0;
  wire_name owner;    ///< empty for NSEC3
  nsec3_hash hash{};  ///< NSEC3 only
  friend auto operator<=>(const slot&, const slot&) = default;
};

slot node_slot(name_view owner, std::uint16_t type) {
  return {type, wire_name(owner.begin(), owner.end()), {}};
}
slot nsec3_slot(const nsec3_hash& h) { return {rr_type::nsec3, {}, h}; }

/// Index key: when `s` is due (seconds since the epoch), then the slot (ties).
struct due_key {
  std::int64_t due = 0;
  slot s;
  friend auto operator<=>(const due_key&, const due_key&) = default;
};

// A persistent map (zone_data.hpp), so that apply() edits an O(1) copy and commits it with the
// snapshot: on failure the index stays as it was, like the zone. The value is unused.
using due_index = persistent_map<due_key, bool, std::less<>>;

/// The earliest expiration among RRSIG RDATAs (RFC 4034 §3.1: bytes 8..11), as seconds since the
/// epoch. RRSIG times are modulo 2^32; read as unsigned they are right until 2106.
std::optional<std::int64_t> expiration_of(const std::vector<bytes>& rrsig) {
  std::optional<std::int64_t> min;
  for (const auto& sig : rrsig) {
    if (sig.size() < 12) continue;
    const std::int64_t e = (std::int64_t{sig[8]} << 24) | (std::int64_t{sig[9]} << 16) |
                           (std::int64_t{sig[10]} << 8) | std::int64_t{sig[11]};
    if (!min || e < *min) min = e;
  }
  return min;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept {
  // splitmix64 finaliser over FNV-style chaining: cheap, and good enough to spread refresh times.
  h = (h ^ v) * 0x100000001b3ULL;
  std::uint64_t z = h + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::int64_t seconds_of(time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

/// The records of `s` in `z` as a journal holds them (the SOA's own record left out), appended
/// to `out`.
void collect_records(const zone_data& z, const slot& s, std::vector<rr_record>& out) {
  const auto push = [&](name_view owner, std::uint16_t type, std::uint32_t ttl, const bytes& rd) {
    out.push_back({wire_name(owner.begin(), owner.end()), type, ttl, rd});
  };
  if (s.type == rr_type::nsec3) {
    const nsec3_record* r = z.nsec3.get(s.hash);
    if (r == nullptr) return;
    const wire_name owner = nsec3_owner(s.hash, z.apex);
    push(owner, rr_type::nsec3, z.nsec3_ttl, r->rdata);
    for (const auto& sig : r->rrsig) push(owner, rr_type::rrsig, z.nsec3_ttl, sig);
    return;
  }
  const node* n = z.nodes.get(s.owner);
  const rrset* set = n == nullptr ? nullptr : n->find(s.type);
  if (set == nullptr) return;
  if (s.type != rr_type::soa) {
    for (const auto& rd : set->rdata) push(s.owner, s.type, set->ttl, rd);
  }
  for (const auto& sig : set->rrsig) push(s.owner, rr_type::rrsig, set->ttl, sig);
}

/// True if `s` has the same content (records and signatures) in both zones.
bool same_content(const zone_data& a, const zone_data& b, const slot& s) {
  if (s.type == rr_type::nsec3) {
    const nsec3_record* x = a.nsec3.get(s.hash);
    const nsec3_record* y = b.nsec3.get(s.hash);
    if (x == nullptr || y == nullptr) return x == y;
    return x->rdata == y->rdata && x->rrsig == y->rrsig;
  }
  const node* na = a.nodes.get(s.owner);
  const node* nb = b.nodes.get(s.owner);
  const rrset* x = na == nullptr ? nullptr : na->find(s.type);
  const rrset* y = nb == nullptr ? nullptr : nb->find(s.type);
  if (x == nullptr || y == nullptr) return x == y;
  return x->ttl == y->ttl && x->rdata == y->rdata && x->rrsig == y->rrsig;
}

/// Sorts both sides and drops the records found on both (an RRset re-signed keeps its data).
/// Neither side holds duplicates: each record belongs to one slot, each slot is listed once.
void normalize(zone_diff& d) {
  std::sort(d.removed.begin(), d.removed.end());
  std::sort(d.added.begin(), d.added.end());
  std::vector<rr_record> removed, added;
  removed.reserve(d.removed.size());
  added.reserve(d.added.size());
  auto r = d.removed.begin();
  auto a = d.added.begin();
  while (r != d.removed.end() || a != d.added.end()) {
    if (a == d.added.end() || (r != d.removed.end() && *r < *a)) {
      removed.push_back(std::move(*r++));
    } else if (r == d.removed.end() || *a < *r) {
      added.push_back(std::move(*a++));
    } else {  // on both sides: unchanged
      ++r;
      ++a;
    }
  }
  d.removed = std::move(removed);
  d.added = std::move(added);
}

}  // namespace

struct zone_signer::state {
  zone_parameters params;
  std::vector<dnssec_key> keys;  ///< the keys that sign (rrset_signer borrows them)
  rrset_signer signer;
  std::vector<dnssec_key> idle_keys;                          ///< published, not signing
  std::vector<bytes> dnskey_rdata, cds_rdata, cdnskey_rdata;  ///< apex key RRsets (see zone_key)
  wire_name apex;
  soa_fields soa;
  // The published zone. apply() edits a copy of it and publishes the copy. The copy is O(1) and
  // shares all it does not change (zone_data's maps are persistent), so a batch costs
  // O(changes · log n), and the old snapshot stays intact for readers and for the strong
  // exception guarantee.
  std::shared_ptr<const zone_snapshot> published;
  // Every slot of `published` by refresh time; replaced together with it.
  due_index index;
  // What led from the previous snapshot to `published`; empty after build().
  std::optional<zone_diff> diff;

  state(zone_parameters p, key_set k)
      : params(std::move(p)),
        keys(std::move(k.signing)),
        signer(keys),
        idle_keys(std::move(k.idle)),
        dnskey_rdata(std::move(k.dnskey)),
        cds_rdata(std::move(k.cds)),
        cdnskey_rdata(std::move(k.cdnskey)) {}

  /// Puts the apex DNSKEY, CDS and CDNSKEY RRsets (unsigned) into `apex_node`; CDS and CDNSKEY
  /// are taken out when no key is marked cds.
  void put_key_rrsets(node& apex_node) const {
    const std::uint32_t ttl = params.default_ttl;
    apex_node.put(make_rrset(rr_type::dnskey, ttl, dnskey_rdata));
    std::erase_if(apex_node.rrsets,
                  [](const rrset& s) { return s.type == rr_type::cds || s.type == rr_type::cdnskey; });
    if (!cds_rdata.empty()) {
      apex_node.put(make_rrset(rr_type::cds, ttl, cds_rdata));
      apex_node.put(make_rrset(rr_type::cdnskey, ttl, cdnskey_rdata));
    }
  }

  /// The index entry of `s` in `z` (nullopt if `z` lacks it). A pure function of the slot and
  /// its signatures' expiration, so that the entry can be found again to be removed: re-signing
  /// is due margin + interval before expiration, brought forward by a pseudo-random part of the
  /// jitter that changes with every new expiration.
  std::optional<due_key> key_of(const zone_data& z, const slot& s) const {
    const std::vector<bytes>* rrsig = nullptr;
    if (s.type == rr_type::nsec3) {
      const nsec3_record* r = z.nsec3.get(s.hash);
      if (r != nullptr) rrsig = &r->rrsig;
    } else if (const node* n = z.nodes.get(s.owner)) {
      if (const rrset* set = n->find(s.type)) rrsig = &set->rrsig;
    }
    if (rrsig == nullptr) return std::nullopt;
    return due_key{due_of(s.type, s.owner, s.hash, *rrsig), s};
  }

  /// See key_of(). `owner` is empty for NSEC3, `hash` zero for node RRsets.
  std::int64_t due_of(std::uint16_t type, name_view owner, const nsec3_hash& hash,
                      const std::vector<bytes>& rrsig) const {
    // Unsigned (cannot happen: everything is signed) counts as due at once.
    const std::int64_t expiration = expiration_of(rrsig).value_or(0);
    std::int64_t jitter = 0;
    if (const auto spread = static_cast<std::uint64_t>(params.refresh_jitter.count()); spread != 0) {
      std::uint64_t h = mix(0xcbf29ce484222325ULL, type);
      h = mix(h, static_cast<std::uint64_t>(expiration));
      for (const auto b : owner) h = mix(h, b);
      for (const auto b : hash) h = mix(h, b);
      jitter = static_cast<std::int64_t>(h % spread);
    }
    return expiration - (params.refresh_margin + params.refresh_interval).count() - jitter;
  }

  /// The index of a whole zone, O(n log n). Sorted through small proxies pointing into `z`, so
  /// that the keys (with their owner names) are made once, straight into the index's leaves.
  due_index index_all(const zone_data& z) const {
    static const wire_name no_owner;
    static const nsec3_hash no_hash{};
    struct proxy {
      std::int64_t due;
      std::uint16_t type;
      const wire_name* owner;
      const nsec3_hash* hash;
    };
    std::vector<proxy> order;
    order.reserve(z.nodes.size() * 2 + z.nsec3.size());
    for (const auto& [owner, n] : z.nodes) {
      for (const auto& set : n.rrsets) {
        order.push_back({due_of(set.type, owner, no_hash, set.rrsig), set.type, &owner, &no_hash});
      }
    }
    for (const auto& [h, r] : z.nsec3) {
      order.push_back({due_of(rr_type::nsec3, no_owner, h, r.rrsig), rr_type::nsec3, &no_owner, &h});
    }
    // The order of due_key.
    std::sort(order.begin(), order.end(), [](const proxy& a, const proxy& b) {
      return std::tie(a.due, a.type, *a.owner, *a.hash) < std::tie(b.due, b.type, *b.owner, *b.hash);
    });
    constexpr std::size_t fill = due_index::leaf_fill;
    std::vector<std::vector<due_index::value_type>> leaves;
    leaves.reserve((order.size() + fill - 1) / fill);
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (i % fill == 0) leaves.emplace_back().reserve(std::min(fill, order.size() - i));
      const proxy& p = order[i];
      leaves.back().emplace_back(due_key{p.due, slot{p.type, *p.owner, *p.hash}}, true);
    }
    return due_index::from_leaves(std::move(leaves));
  }

  /// Publishes `z` (made from `old`, the published zone, by changing at most the slots in
  /// `changed`) at `serial`: the diff and the index are updated from those slots alone, in
  /// O(|changed| log n). Every edit that makes a new serial ends here (apply, refresh, and any
  /// future one such as a key change), so that the diff and the index never miss a change.
  /// Strong guarantee: nothing is changed if it throws.
  /// `taken`: the due entries this step handled; they leave the index whatever happened to their
  /// slot, so that refresh_due() cannot stay true.
  void commit(const zone_data& old, zone_data z, const std::set<slot>& changed,
              const std::vector<due_key>& taken, std::uint32_t from_serial, std::uint32_t serial) {
    zone_diff d;
    d.from_serial = from_serial;
    d.to_serial = serial;
    due_index next = index;  // O(1), edited by path copying
    for (const auto& k : taken) {
      next.erase(k);
      if (auto now_key = key_of(z, k.s)) next.set(*now_key, true);
    }
    for (const auto& s : changed) {
      if (same_content(old, z, s)) continue;
      if (auto k = key_of(old, s)) next.erase(*k);
      if (auto k = key_of(z, s)) next.set(*k, true);
      collect_records(old, s, d.removed);
      collect_records(z, s, d.added);
    }
    normalize(d);
    auto snap = std::make_shared<const zone_snapshot>(std::move(z), serial);
    // Nothing below throws.
    published = std::move(snap);
    index = std::move(next);
    diff = std::move(d);
  }

  /// The index entries due at `now` (in order), O(k + log n).
  std::vector<due_key> due_entries(std::int64_t now) const {
    std::vector<due_key> out;
    for (auto it = index.begin(); it != index.end() && it->first.due <= now; ++it) out.push_back(it->first);
    return out;
  }

  void set_validity(time_point now) {
    signer.set_validity(rrsig_time(now - params.inception_offset),
                        rrsig_time(now + params.signature_validity));
  }

  wire_name device_name(std::string_view device_id) const {
    if (!is_dns_safe_label(device_id)) {
      throw std::invalid_argument("device id is not a DNS-safe label: " + std::string(device_id));
    }
    return must_name(device_owner(params.apex, device_id), "device owner");
  }

  static rrset device_rrset(std::uint32_t ttl, const std::vector<tlsa_rdata>& tlsa) {
    std::vector<bytes> rdata;
    rdata.reserve(tlsa.size());
    for (const auto& t : tlsa) rdata.push_back(t.to_wire());
    return make_rrset(rr_type::tlsa, ttl, std::move(rdata));
  }

  rrset soa_rrset(std::uint32_t serial) const {
    soa_fields f = soa;
    f.serial = serial;
    return make_rrset(rr_type::soa, params.default_ttl, {soa_rdata(f)});
  }

  /// Everything that is not a device, unsigned.
  void add_static_records(staging_map& nodes) const {
    const std::uint32_t ttl = params.default_ttl;
    node& a = nodes[apex];
    std::vector<bytes> ns;
    for (const auto& target : params.ns) ns.push_back(must_name(target, "NS target"));
    if (ns.empty()) throw std::invalid_argument("zone needs at least one NS");
    a.put(make_rrset(rr_type::ns, ttl, std::move(ns)));
    put_key_rrsets(a);
    if (params.denial == denial_mode::nsec3)
      a.put(make_rrset(rr_type::nsec3param, ttl, {nsec3param_rdata()}));
    if (!params.apex_ca_der.empty()) {
      std::vector<bytes> cas;
      for (const auto& der : params.apex_ca_der) cas.push_back(pkix_ta_full_cert(der).to_wire());
      a.put(make_rrset(rr_type::tlsa, ttl, std::move(cas)));
    }
    if (!params.root_ca_der.empty()) {
      nodes[must_name(rootcert_owner(params.apex), "rootcert owner")].put(
          make_rrset(rr_type::tlsa, ttl, {pkix_ta_full_cert(params.root_ca_der).to_wire()}));
    }
    for (const auto& [owner_text, addr] : params.addresses) {
      const wire_name owner = must_name(owner_text, "address owner");
      if (!is_at_or_below(owner, apex)) {
        throw std::invalid_argument("address owner outside the zone: " + owner_text);
      }
      std::uint16_t type = 0;
      auto rdata = address_rdata(addr, type);
      if (!rdata) throw std::invalid_argument("not an IPv4/IPv6 address: " + addr);
      node& n = nodes[owner];
      if (rrset* existing = n.find(type)) {
        existing->rdata.push_back(std::move(*rdata));
        existing->canonicalize();
      } else {
        n.put(make_rrset(type, ttl, {std::move(*rdata)}));
      }
    }
  }

  /// Device owners and RRsets for a full build, made on every core and sorted by owner; of
  /// several records for one device id the last one is kept.
  std::vector<staged_device> stage_devices(std::span<const device_record> devices) const {
    std::vector<staged_device> staged(devices.size());
    parallel_for(devices.size(), [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        staged[i].owner = device_name(devices[i].device_id);
        staged[i].tlsa = device_rrset(params.tlsa_ttl, devices[i].tlsa);
      }
    });
    // Stable, so that among equal owners the input order survives and the last one can win.
    parallel_stable_sort(staged.begin(), staged.end(), [](const staged_device& a, const staged_device& b) {
      return canonical_less{}(a.owner, b.owner);
    });
    return staged;
  }

  /// Merges the static records and the devices into the leaves of a node_map (sorted owners
  /// and nodes), so that the zone is never held twice.
  static std::vector<std::vector<node_map::value_type>> merge(staging_map fixed,
                                                              std::vector<staged_device> staged) {
    std::vector<std::vector<node_map::value_type>> leaves;
    const auto push = [&](wire_name owner, node n) {
      if (leaves.empty() || leaves.back().size() == node_map::leaf_fill) {
        leaves.emplace_back().reserve(node_map::leaf_fill);
      }
      leaves.back().emplace_back(std::move(owner), std::move(n));
    };
    const auto take_fixed = [&] {
      auto nh = fixed.extract(fixed.begin());
      push(std::move(nh.key()), std::move(nh.mapped()));
    };
    for (std::size_t i = 0; i < staged.size(); ++i) {
      if (i + 1 < staged.size() && staged[i + 1].owner == staged[i].owner) continue;  // a later one wins
      auto& d = staged[i];
      while (!fixed.empty() && canonical_less{}(fixed.begin()->first, d.owner)) take_fixed();
      node n;
      if (!fixed.empty() && fixed.begin()->first == d.owner)
        n = std::move(fixed.extract(fixed.begin()).mapped());
      if (d.tlsa.rdata.empty()) {
        std::erase_if(n.rrsets, [](const rrset& s) { return s.type == rr_type::tlsa; });
      } else {
        n.put(std::move(d.tlsa));
      }
      if (!n.rrsets.empty()) push(std::move(d.owner), std::move(n));
    }
    while (!fixed.empty()) take_fixed();
    return leaves;
  }

  /// Signs every RRset, on every core.
  void sign_all(std::vector<std::vector<node_map::value_type>>& leaves) const {
    parallel_for(leaves.size(), [&](std::size_t begin, std::size_t end) {
      for (std::size_t l = begin; l < end; ++l) {
        for (auto& [owner, n] : leaves[l]) {
          for (auto& s : n.rrsets) signer.sign(owner, s);
        }
      }
    });
  }
};

zone_signer::zone_signer(zone_parameters params, std::vector<dnssec_key> keys) {
  const auto apex_text = normalize_zone_name(params.apex);
  if (!apex_text) throw std::invalid_argument("invalid zone apex: " + params.apex);
  params.apex = *apex_text;
  const bool has_ksk =
      std::any_of(keys.begin(), keys.end(), [](const dnssec_key& k) { return k.role() == key_role::ksk; });
  const bool has_zsk =
      std::any_of(keys.begin(), keys.end(), [](const dnssec_key& k) { return k.role() == key_role::zsk; });
  if (!has_ksk || !has_zsk) throw std::invalid_argument("zone needs at least one KSK and one ZSK");
  if (params.signature_validity <= std::chrono::seconds::zero()) {
    throw std::invalid_argument("signature validity must be positive");
  }
  if (params.refresh_margin < std::chrono::seconds::zero() ||
      params.refresh_jitter < std::chrono::seconds::zero() ||
      params.refresh_interval <= std::chrono::seconds::zero()) {
    throw std::invalid_argument(
        "refresh margin and jitter must not be negative, the interval must be positive");
  }
  // Otherwise a fresh signature would be due at once and every refresh would re-sign it again.
  if (params.refresh_margin + params.refresh_interval + params.refresh_jitter >= params.signature_validity) {
    throw std::invalid_argument("signature validity must exceed refresh margin + interval + jitter");
  }
  std::vector<zone_key> all;  // every key published and signing, none in CDS
  all.reserve(keys.size());
  for (auto& k : keys) all.push_back(zone_key{std::move(k), true, true, false});
  const std::string apex = params.apex;
  st_ = std::make_unique<state>(std::move(params), split_keys(std::move(all), apex));
  st_->apex = must_name(st_->params.apex, "zone apex");
  st_->soa.mname = must_name(st_->params.soa_mname, "SOA MNAME");
  st_->soa.rname = must_name(st_->params.soa_rname, "SOA RNAME");
  st_->soa.refresh = st_->params.refresh;
  st_->soa.retry = st_->params.retry;
  st_->soa.expire = st_->params.expire;
  st_->soa.minimum = st_->params.minimum;
  // Validate the static records now rather than on the first build().
  staging_map probe;
  st_->add_static_records(probe);
}

zone_signer::~zone_signer() = default;
zone_signer::zone_signer(zone_signer&&) noexcept = default;
zone_signer& zone_signer::operator=(zone_signer&&) noexcept = default;

void zone_signer::build(std::span<const device_record> devices, std::uint32_t serial, time_point now) {
  state& st = *st_;
  staging_map fixed;
  st.add_static_records(fixed);
  fixed[st.apex].put(st.soa_rrset(serial));
  auto all = state::merge(std::move(fixed), st.stage_devices(devices));
  const std::uint32_t negative_ttl = std::min(st.params.minimum, st.params.default_ttl);
  const bool nsec = st.params.denial == denial_mode::nsec;
  if (nsec) add_nsec_records(all, negative_ttl);  // signed below with the rest
  // Signing from several threads: rrset_signer::sign only reads the keys (ldns_sign_public_buffer
  // makes its own digest and signature contexts per call), the validity window is set before.
  st.set_validity(now);
  st.sign_all(all);
  zone_data z;
  z.apex = st.apex;
  z.nsec3_ttl = negative_ttl;
  z.nsec = nsec;
  z.nodes = node_map::from_leaves(std::move(all));
  if (!nsec) rebuild_nsec3_chain(z, st.signer);
  due_index index = st.index_all(z);
  st.published = std::make_shared<const zone_snapshot>(std::move(z), serial);
  st.index = std::move(index);
  st.diff.reset();
}

void zone_signer::apply(std::span<const change> changes, std::uint32_t serial, time_point now) {
  state& st = *st_;
  if (!st.published) throw std::logic_error("zone_signer::apply before build");
  const std::uint32_t current = st.published->serial();
  if (serial != current && !serial_lt(current, serial)) {
    throw std::invalid_argument("SOA serial " + std::to_string(serial) + " does not follow " +
                                std::to_string(current));
  }

  // Work out what changes before copying anything: a batch of no-ops costs nothing.
  const zone_data& old = st.published->data();
  std::map<wire_name, const change*, canonical_less> last;  // last change per owner wins
  for (const auto& c : changes) last[st.device_name(c.device_id)] = &c;
  std::map<wire_name, std::optional<rrset>, canonical_less> edits;
  for (const auto& [owner, c] : last) {
    const node* at = old.nodes.get(owner);
    const rrset* existing = at == nullptr ? nullptr : at->find(rr_type::tlsa);
    if (c->op == change::kind::remove || c->tlsa.empty()) {
      if (existing != nullptr) edits.emplace(owner, std::nullopt);
      continue;
    }
    rrset next = state::device_rrset(st.params.tlsa_ttl, c->tlsa);
    if (existing == nullptr || existing->rdata != next.rdata || existing->ttl != next.ttl) {
      edits.emplace(owner, std::move(next));
    }
  }
  if (edits.empty() && serial == current) return;
  // A refresh must come with a new serial, or secondaries would never fetch it.
  const std::int64_t now_s = seconds_of(now);
  const std::vector<due_key> due = serial == current ? std::vector<due_key>{} : st.due_entries(now_s);

  st.set_validity(now);
  zone_data z = old;  // O(1): shares everything with the published snapshot
  // Every slot whose content may differ between `old` and `z`: the diff and the index are made
  // from these alone, so the cost stays O(changes).
  std::set<slot> changed;
  name_set touched;
  for (auto& [owner, next] : edits) {
    if (next) {
      st.signer.sign(owner, *next);
      z.nodes.update(owner, [&](node& n) { n.put(std::move(*next)); });
    } else {
      remove_rrset(z, owner, rr_type::tlsa);
    }
    changed.insert(node_slot(owner, rr_type::tlsa));
    // The owner and any empty non-terminal above it may appear or disappear.
    for (name_view n = owner; label_count(n) > label_count(z.apex); n = parent_of(n)) {
      touched.emplace(n.begin(), n.end());
    }
  }
  if (z.nsec) {
    // Only owners are in an NSEC chain (empty non-terminals are not): the edited ones.
    name_set owners;
    for (const auto& [owner, next] : edits) owners.insert(owner);
    for (const auto& owner : update_nsec_chain(z, owners, st.signer)) {
      changed.insert(node_slot(owner, rr_type::nsec));
    }
  } else {
    update_nsec3_chain(z, touched, st.signer);
    // The NSEC3 records update_nsec3_chain may have inserted, removed or re-signed: those of
    // the touched names and the records just before them in the old and in the new chain
    // (their next hashed owner changes when a successor comes or goes).
    for (const auto& name : touched) {
      const nsec3_hash h = nsec3_hash_of(name);
      changed.insert(nsec3_slot(h));
      if (!old.nsec3.empty()) changed.insert(nsec3_slot(nsec3_predecessor(old, h)->first));
      if (!z.nsec3.empty()) changed.insert(nsec3_slot(nsec3_predecessor(z, h)->first));
    }
  }
  // Due slots not re-signed above (key_of still says due) are re-signed as they are.
  for (const auto& entry : due) {
    const slot& s = entry.s;
    const auto key = st.key_of(z, s);
    if (!key || key->due > now_s) continue;
    if (s.type == rr_type::nsec3) {
      const nsec3_record& r = *z.nsec3.get(s.hash);
      auto sigs = st.signer.sign(nsec3_owner(s.hash, z.apex), rr_type::nsec3, z.nsec3_ttl, {r.rdata});
      z.nsec3.update(s.hash, [&](nsec3_record& m) { m.rrsig = std::move(sigs); });
    } else if (s.type != rr_type::soa) {  // the SOA is re-signed below anyway
      rrset copy = *z.nodes.get(s.owner)->find(s.type);
      st.signer.sign(s.owner, copy);
      z.nodes.update(s.owner, [&](node& n) { n.put(std::move(copy)); });
    }
    changed.insert(s);
  }
  rrset soa = st.soa_rrset(serial);
  st.signer.sign(z.apex, soa);
  z.nodes.update(z.apex, [&](node& n) { n.put(std::move(soa)); });
  changed.insert(node_slot(z.apex, rr_type::soa));

  st.commit(old, std::move(z), changed, due, current, serial);
}

// Key changes (rollovers): kept apart from build()/apply().
void zone_signer::set_keys(std::vector<zone_key> keys, std::uint32_t serial, time_point now) {
  const state& old = *st_;
  auto next = std::make_unique<state>(old.params, split_keys(std::move(keys), old.params.apex));
  next->apex = old.apex;
  next->soa = old.soa;
  next->published = old.published;
  next->index = old.index;
  next->diff = old.diff;
  if (!old.published) {
    st_ = std::move(next);
    return;
  }
  const bool zsk_changed = signer_ids(old.keys, key_role::zsk) != signer_ids(next->keys, key_role::zsk);
  const bool ksk_changed = signer_ids(old.keys, key_role::ksk) != signer_ids(next->keys, key_role::ksk);
  const bool rrsets_changed = old.dnskey_rdata != next->dnskey_rdata || old.cds_rdata != next->cds_rdata;
  const std::uint32_t current = old.published->serial();
  if (!zsk_changed && !ksk_changed && !rrsets_changed && serial == current) {
    st_ = std::move(next);  // same zone; the key objects are the caller's new ones
    return;
  }
  if (!serial_lt(current, serial)) {
    throw std::invalid_argument("SOA serial " + std::to_string(serial) + " does not follow " +
                                std::to_string(current));
  }

  state& st = *next;
  st.set_validity(now);
  const zone_data& before = st.published->data();
  zone_data z;
  if (zsk_changed) {
    // Full re-sign: simplest way to make sure no RRSIG by a ZSK that stops signing survives and
    // the new ZSKs sign everything; O(n) on every core, once per ZSK rollover.
    std::vector<std::vector<node_map::value_type>> leaves;
    for (const auto& entry : before.nodes) {
      if (leaves.empty() || leaves.back().size() == node_map::leaf_fill) {
        leaves.emplace_back().reserve(node_map::leaf_fill);
      }
      leaves.back().push_back(entry);
      if (entry.first == st.apex) {
        node& a = leaves.back().back().second;
        st.put_key_rrsets(a);
        a.put(st.soa_rrset(serial));
      }
    }
    if (before.nsec) add_nsec_records(leaves, before.nsec3_ttl);  // the apex bitmap may change
    st.sign_all(leaves);
    z.apex = before.apex;
    z.nsec3_ttl = before.nsec3_ttl;
    z.nsec = before.nsec;
    z.nodes = node_map::from_leaves(std::move(leaves));
    if (!z.nsec) rebuild_nsec3_chain(z, st.signer);
    // Every signature is new: a new index, and no diff (a journal starts over; secondaries
    // take one full transfer per ZSK rollover).
    due_index index = st.index_all(z);
    st.published = std::make_shared<const zone_snapshot>(std::move(z), serial);
    st.index = std::move(index);
    st.diff.reset();
  } else {
    z = before;  // O(1), shares all but the apex
    z.nodes.update(z.apex, [&](node& a) {
      st.put_key_rrsets(a);
      a.put(st.soa_rrset(serial));
      for (auto& s : a.rrsets) {
        const bool key_rrset =
            s.type == rr_type::dnskey || s.type == rr_type::cds || s.type == rr_type::cdnskey;
        if (key_rrset || s.type == rr_type::soa) st.signer.sign(z.apex, s);
      }
    });
    name_set touched;
    touched.insert(z.apex);
    // Through commit(), like apply(), so that the diff and the refresh index see the change.
    std::set<slot> changed;
    for (const std::uint16_t t : {rr_type::dnskey, rr_type::cds, rr_type::cdnskey, rr_type::soa}) {
      changed.insert(node_slot(z.apex, t));
    }
    // The apex bitmap gains or loses CDS/CDNSKEY.
    if (z.nsec) {
      for (const auto& owner : update_nsec_chain(z, touched, st.signer)) {
        changed.insert(node_slot(owner, rr_type::nsec));
      }
    } else {
      update_nsec3_chain(z, touched, st.signer);
      changed.insert(nsec3_slot(nsec3_hash_of(z.apex)));
    }
    st.commit(before, std::move(z), changed, {}, current, serial);
  }
  st_ = std::move(next);
}

bool zone_signer::refresh(std::uint32_t serial, time_point now) {
  if (!refresh_due(now)) return false;
  if (serial == st_->published->serial()) {
    throw std::invalid_argument("a refresh needs a new SOA serial, got the current one " +
                                std::to_string(serial));
  }
  apply({}, serial, now);
  return true;
}

bool zone_signer::refresh_due(time_point now) const {
  return st_->published && !st_->index.empty() && st_->index.begin()->first.due <= seconds_of(now);
}

std::optional<time_point> zone_signer::next_refresh() const {
  if (!st_->published || st_->index.empty()) return std::nullopt;
  return time_point(std::chrono::seconds(st_->index.begin()->first.due));
}

std::chrono::seconds zone_signer::refresh_interval() const noexcept { return st_->params.refresh_interval; }

const zone_diff* zone_signer::last_diff() const noexcept { return st_->diff ? &*st_->diff : nullptr; }

std::shared_ptr<const zone_snapshot> zone_signer::snapshot() const { return st_->published; }

std::uint32_t zone_signer::serial() const noexcept { return st_->published ? st_->published->serial() : 0; }

}  // namespace iotreg::dns
