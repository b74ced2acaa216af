#include "tools/state/state_layout.hpp"

#include <algorithm>
#include <stdexcept>

namespace iotreg::tools {

namespace fs = std::filesystem;

state_layout::state_layout(const fs::path& state_dir)
    : root(state_dir),
      ca_dir(state_dir / "ca"),
      ca_key_dir(ca_dir / "private"),
      root_cert(ca_dir / "root.pem"),
      root_key(ca_key_dir / "root.key"),
      issuing_cert(ca_dir / "issuing.pem"),
      issuing_key(ca_key_dir / "issuing.key"),
      dnssec_dir(state_dir / "dnssec"),
      ksk_file(dnssec_dir / "ksk.private"),
      zsk_file(dnssec_dir / "zsk.private"),
      tls_dir(state_dir / "tls"),
      tls_key_dir(tls_dir / "private"),
      server_cert(tls_dir / "server.pem"),
      server_key(tls_key_dir / "server.key") {}

namespace {

void require(const fs::path& p) {
  if (!fs::exists(p)) {
    throw std::runtime_error(p.string() + " is missing: run `iotregctl --config FILE init` first");
  }
}

}  // namespace

std::vector<dns::dnssec_key> load_zone_keys(const state_layout& layout, const std::string& zone) {
  std::vector<dns::dnssec_key> keys;
  for (const auto& p : {layout.ksk_file, layout.zsk_file}) {
    require(p);
    keys.push_back(dns::dnssec_key::load(p, zone));
  }
  return keys;
}

dns::zone_parameters make_zone_parameters(const config::settings& s, const ca_material& ca) {
  dns::zone_parameters p;
  const auto& z = s.zone;
  p.apex = z.name;
  p.default_ttl = z.ttl;
  p.tlsa_ttl = z.tlsa_ttl;
  p.soa_mname = z.soa_mname;
  p.soa_rname = z.soa_rname;
  p.minimum = std::min<std::uint32_t>(p.minimum, z.tlsa_ttl);
  p.ns = z.ns;
  for (const auto& a : z.addresses) p.addresses.emplace_back(a.owner, a.address);
  p.root_ca_der = ca.root.der();
  p.apex_ca_der = {ca.root.der(), ca.issuing.cert.der()};
  p.denial = z.denial == "nsec" ? dns::denial_mode::nsec : dns::denial_mode::nsec3;
  p.signature_validity = z.signature_validity;
  p.inception_offset = z.signature_inception_offset;
  p.refresh_margin = z.signature_refresh_margin;
  p.refresh_jitter = z.signature_refresh_jitter;
  p.refresh_interval = z.signature_refresh_interval;
  return p;
}

void ensure_directory(const fs::path& dir, fs::perms mode) {
  fs::create_directories(dir);
  fs::permissions(dir, mode, fs::perm_options::replace);
}

dns::key_policy make_key_policy(const config::settings& s) {
  const auto& d = s.dnssec;
  const auto& z = s.zone;
  dns::key_policy p;
  p.algorithm = d.algorithm;
  p.zsk_lifetime = d.zsk_lifetime;
  p.ksk_lifetime = d.ksk_lifetime;
  p.dnskey_ttl = std::chrono::seconds(z.ttl);  // DNSKEY carries the zone's default TTL
  p.max_zone_ttl = std::chrono::seconds(std::max(z.ttl, z.tlsa_ttl));
  p.zone_propagation_delay = d.propagation_delay;
  p.parent_ds_ttl = d.parent_ds_ttl;
  p.parent_propagation_delay = d.parent_propagation_delay;
  p.publish_safety = d.publish_safety;
  p.retire_safety = d.retire_safety;
  p.signature_validity = z.signature_validity;
  return p;
}

}  // namespace iotreg::tools
