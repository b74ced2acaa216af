#include "dns/signer.hpp"

#include "dns/names.hpp"
#include "dns/nsec3_chain.hpp"
#include "dns/parallel.hpp"
#include "dns/rr_types.hpp"
#include "dns/rr_wire.hpp"
#include "dns/rrset_signer.hpp"
#include "dns/zone_snapshot.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

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

}  // namespace

struct zone_signer::state {
  zone_parameters params;
  std::vector<dnssec_key> keys;
  rrset_signer signer;
  wire_name apex;
  soa_fields soa;
  // The published zone. apply() edits a copy of it and publishes the copy. The copy is O(1) and
  // shares all it does not change (zone_data's maps are persistent), so a batch costs
  // O(changes · log n), and the old snapshot stays intact for readers and for the strong
  // exception guarantee.
  std::shared_ptr<const zone_snapshot> published;

  state(zone_parameters p, std::vector<dnssec_key> k)
      : params(std::move(p)), keys(std::move(k)), signer(keys) {}

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
    std::vector<bytes> dnskeys;
    for (const auto& k : keys) dnskeys.push_back(k.dnskey_rdata());
    a.put(make_rrset(rr_type::dnskey, ttl, std::move(dnskeys)));
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
  for (const auto& k : keys) {
    if (k.zone_apex() != params.apex) {
      throw std::invalid_argument("key " + std::to_string(k.key_tag()) + " belongs to " + k.zone_apex());
    }
  }
  if (params.signature_validity <= std::chrono::seconds::zero()) {
    throw std::invalid_argument("signature validity must be positive");
  }
  st_ = std::make_unique<state>(std::move(params), std::move(keys));
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
  // Signing from several threads: rrset_signer::sign only reads the keys (ldns_sign_public_buffer
  // makes its own digest and signature contexts per call), the validity window is set before.
  st.set_validity(now);
  st.sign_all(all);
  zone_data z;
  z.apex = st.apex;
  z.nsec3_ttl = std::min(st.params.minimum, st.params.default_ttl);
  z.nodes = node_map::from_leaves(std::move(all));
  rebuild_nsec3_chain(z, st.signer);
  st.published = std::make_shared<const zone_snapshot>(std::move(z), serial);
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

  st.set_validity(now);
  zone_data z = old;  // O(1): shares everything with the published snapshot
  name_set touched;
  for (auto& [owner, next] : edits) {
    if (next) {
      st.signer.sign(owner, *next);
      z.nodes.update(owner, [&](node& n) { n.put(std::move(*next)); });
    } else {
      remove_rrset(z, owner, rr_type::tlsa);
    }
    // The owner and any empty non-terminal above it may appear or disappear.
    for (name_view n = owner; label_count(n) > label_count(z.apex); n = parent_of(n)) {
      touched.emplace(n.begin(), n.end());
    }
  }
  update_nsec3_chain(z, touched, st.signer);
  rrset soa = st.soa_rrset(serial);
  st.signer.sign(z.apex, soa);
  z.nodes.update(z.apex, [&](node& n) { n.put(std::move(soa)); });
  st.published = std::make_shared<const zone_snapshot>(std::move(z), serial);
}

std::shared_ptr<const zone_snapshot> zone_signer::snapshot() const { return st_->published; }

std::uint32_t zone_signer::serial() const noexcept { return st_->published ? st_->published->serial() : 0; }

}  // namespace iotreg::dns
