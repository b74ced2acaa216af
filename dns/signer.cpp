#include "dns/signer.hpp"

#include "dns/names.hpp"
#include "dns/nsec3_chain.hpp"
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

/// Removes one RRset; the node goes too when it has nothing left.
void remove_rrset(zone_data& z, const wire_name& owner, std::uint16_t type) {
  const auto it = z.nodes.find(owner);
  if (it == z.nodes.end()) return;
  auto& sets = it->second.rrsets;
  std::erase_if(sets, [type](const rrset& s) { return s.type == type; });
  if (sets.empty()) z.nodes.erase(it);
}

}  // namespace

struct zone_signer::state {
  zone_parameters params;
  std::vector<dnssec_key> keys;
  rrset_signer signer;
  wire_name apex;
  soa_fields soa;
  // The published zone. apply() edits a copy of it and publishes the copy: one O(n) copy per
  // batch, which also gives the strong exception guarantee. A later issue makes publication
  // persistent (O(changes)).
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
  void add_static_records(zone_data& z) const {
    const std::uint32_t ttl = params.default_ttl;
    node& a = z.nodes[apex];
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
      z.nodes[must_name(rootcert_owner(params.apex), "rootcert owner")].put(
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
      node& n = z.nodes[owner];
      if (rrset* existing = n.find(type)) {
        existing->rdata.push_back(std::move(*rdata));
        existing->canonicalize();
      } else {
        n.put(make_rrset(type, ttl, {std::move(*rdata)}));
      }
    }
  }

  void sign_all(zone_data& z) const {
    for (auto& [owner, n] : z.nodes) {
      for (auto& s : n.rrsets) signer.sign(owner, s);
    }
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
  zone_data probe;
  probe.apex = st_->apex;
  st_->add_static_records(probe);
}

zone_signer::~zone_signer() = default;
zone_signer::zone_signer(zone_signer&&) noexcept = default;
zone_signer& zone_signer::operator=(zone_signer&&) noexcept = default;

void zone_signer::build(std::span<const device_record> devices, std::uint32_t serial, time_point now) {
  state& st = *st_;
  zone_data z;
  z.apex = st.apex;
  z.nsec3_ttl = std::min(st.params.minimum, st.params.default_ttl);
  st.add_static_records(z);
  z.nodes[st.apex].put(st.soa_rrset(serial));
  for (const auto& d : devices) {
    const wire_name owner = st.device_name(d.device_id);
    if (d.tlsa.empty()) {
      remove_rrset(z, owner, rr_type::tlsa);
      continue;
    }
    z.nodes[owner].put(state::device_rrset(st.params.tlsa_ttl, d.tlsa));
  }
  st.set_validity(now);
  st.sign_all(z);
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
    const auto it = old.nodes.find(owner);
    const rrset* existing = it == old.nodes.end() ? nullptr : it->second.find(rr_type::tlsa);
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
  zone_data z = old;
  name_set touched;
  for (auto& [owner, next] : edits) {
    if (next) {
      st.signer.sign(owner, *next);
      z.nodes[owner].put(std::move(*next));
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
  z.nodes[z.apex].put(std::move(soa));
  st.published = std::make_shared<const zone_snapshot>(std::move(z), serial);
}

std::shared_ptr<const zone_snapshot> zone_signer::snapshot() const { return st_->published; }

std::uint32_t zone_signer::serial() const noexcept { return st_->published ? st_->published->serial() : 0; }

}  // namespace iotreg::dns
