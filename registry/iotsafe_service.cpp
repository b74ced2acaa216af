#include "registry/iotsafe_service.hpp"

#include "dns/dnskey_text.hpp"
#include "dns/names.hpp"
#include "dns/tlsa.hpp"
#include "pki/digest.hpp"
#include "registry/authorization.hpp"
#include "registry/log.hpp"

#include <cctype>
#include <stdexcept>

namespace iotreg::registry {
namespace {

constexpr std::uint16_t rr_ds = 43;
constexpr std::uint16_t rr_dnskey = 48;
constexpr std::uint16_t rr_tlsa = 52;

std::string without_final_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return std::string(name);
}

bool reached(const std::optional<time_point>& t, time_point now) { return t && *t <= now; }

/// The TLSA RR in presentation form, as the zone serves it.
payload_record tlsa_record(std::string_view owner, std::uint32_t ttl, const tlsa_data& t) {
  const dns::tlsa_rdata rdata{t.usage, t.selector, t.matching, t.association};
  return {rr_tlsa, rdata.to_wire(),
          std::string(owner) + ". " + std::to_string(ttl) + " IN TLSA " + rdata.to_text()};
}

}  // namespace

std::vector<std::uint8_t> ds_rdata_sha256(std::string_view owner, std::span<const std::uint8_t> dnskey) {
  if (dnskey.size() < 5) throw std::invalid_argument("DNSKEY RDATA too short");
  // RFC 4034 §5.1.4: digest = SHA-256(owner name in canonical wire form | DNSKEY RDATA). The
  // owner is a normalised zone apex (LDH labels, no escapes): its wire form is built here.
  std::vector<std::uint8_t> input;
  if (!owner.empty() && owner.back() == '.') owner.remove_suffix(1);
  for (std::size_t start = 0; !owner.empty();) {
    const auto dot = owner.find('.', start);
    const auto label =
        owner.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) throw std::invalid_argument("not a DNS name");
    input.push_back(static_cast<std::uint8_t>(label.size()));
    for (char ch : label)
      input.push_back(static_cast<std::uint8_t>(std::tolower(static_cast<unsigned char>(ch))));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  input.push_back(0);
  input.insert(input.end(), dnskey.begin(), dnskey.end());
  const auto digest = pki::sha256(input);
  const std::uint16_t tag = dns::key_tag_of_rdata(dnskey);
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag & 0xff),
                                dnskey[3], 2};
  out.insert(out.end(), digest.begin(), digest.end());
  return out;
}

registry_iotsafe::registry_iotsafe(iotsafe_settings settings, lifecycle_service& lifecycle,
                                   enrollment_service& devices, tenant_store& tenants,
                                   service_endpoint_store& endpoints, dnssec_key_store& keys,
                                   std::vector<pki::certificate> issuing, pki::certificate root,
                                   std::function<time_point()> now)
    : settings_(std::move(settings)),
      lifecycle_(lifecycle),
      devices_(devices),
      tenants_(tenants),
      endpoints_(endpoints),
      keys_(keys),
      issuing_(std::move(issuing)),
      root_(std::move(root)),
      now_(std::move(now)) {}

void registry_iotsafe::add_trust_anchor(iotsafe_payload& p) {
  const auto now = now_();
  // The same selection as `iotregctl zone ds`: every KSK whose DNSKEY is published and not yet
  // removed (during a KSK rollover, both keys: either may be the parent's DS).
  for (const auto& k : keys_.list(settings_.zone)) {
    if (k.role != dnssec_key_role::ksk || !reached(k.timeline.published, now) ||
        reached(k.timeline.removed, now))
      continue;
    p.ds.push_back({rr_ds, ds_rdata_sha256(settings_.zone, k.dnskey_rdata),
                    dns::ds_text_from_rdata(settings_.zone, k.dnskey_rdata, 2, settings_.dnskey_ttl)});
    p.dnskey.push_back({rr_dnskey, k.dnskey_rdata,
                        dns::dnskey_text_from_rdata(settings_.zone, k.dnskey_rdata, settings_.dnskey_ttl)});
  }
}

result<iotsafe_payload> registry_iotsafe::payload(const api_key& caller, std::string_view device_id) {
  auto owners = lifecycle_.authorize_device(caller, scope::device_read, device_id);
  if (!owners) return owners.error();
  if (owners->status != device_status::active)
    return error{errc::no_live_certificate, "device " + owners->id + " is " +
                                                std::string(to_string(owners->status)) +
                                                ", not active: it has no live certificate"};
  auto e = devices_.get(owners->id);
  if (!e) return e.error();
  const auto cert = pki::certificate::from_pem(e->certificate_pem);
  // The newest certificate of an active device is live unless it expired (the sweep withdraws
  // it shortly after); an older one is withdrawn only when a newer one is confirmed.
  if (cert.not_after() <= now_())
    return error{errc::no_live_certificate,
                 "the newest certificate of device " + owners->id + " has expired"};

  iotsafe_payload p;
  p.device_id = owners->id;
  p.dns_name = e->dns_name;
  p.device_certificate = cert.der();
  const auto aki = cert.authority_key_id();
  const pki::certificate* issuer = nullptr;
  for (const auto& c : issuing_) {
    if (c.subject_key_id() == aki) issuer = &c;
  }
  if (root_.subject_key_id() == aki) issuer = &root_;  // issued by the root directly
  if (issuer == nullptr)
    throw std::runtime_error("no loaded CA issued the certificate of device " + p.device_id);
  p.issuing_ca = issuer->der();
  if (issuer != &root_) p.root_ca = root_.der();
  p.zone = without_final_dot(settings_.zone);
  add_trust_anchor(p);
  const auto t = dns::dane_ee_spki_sha256(cert.spki_der());
  p.device_tlsa.push_back(
      tlsa_record(p.dns_name, settings_.tlsa_ttl, {t.usage, t.selector, t.matching, t.data}));
  if (owners->asp_tenant_id) {
    if (auto ep = endpoints_.find(*owners->asp_tenant_id)) {
      iotsafe_payload::endpoint out{ep->host, ep->port, tlsa_owner_of(*ep), {}};
      for (const auto& r : ep->tlsa) out.tlsa.push_back(tlsa_record(out.tlsa_name, settings_.tlsa_ttl, r));
      p.service = std::move(out);
    }
  }
  return p;
}

result<tenant> registry_iotsafe::endpoint_tenant(const api_key& caller, std::int64_t tenant_id) {
  const bool admin = has_scope(caller, scope::tenants_manage);
  if (!admin && caller.role != "asp")
    return error{errc::forbidden, "only the admin or an ASP manages service endpoints"};
  // Another ASP's tenant is "not found", as another tenant's device: existence never leaks.
  if (!admin && caller.tenant_id != tenant_id) return error{errc::tenant_not_found, "no such tenant"};
  auto t = tenants_.find_tenant(tenant_id);
  if (!t) return error{errc::tenant_not_found, "no tenant " + std::to_string(tenant_id)};
  return *t;
}

result<service_endpoint> registry_iotsafe::get_endpoint(const api_key& caller, std::int64_t tenant_id) {
  auto t = endpoint_tenant(caller, tenant_id);
  if (!t) return t.error();
  auto e = endpoints_.find(tenant_id);
  if (!e)
    return error{errc::service_endpoint_not_found,
                 "tenant " + std::to_string(tenant_id) + " has no service endpoint"};
  return *e;
}

result<service_endpoint> registry_iotsafe::put_endpoint(const api_key& caller, std::int64_t tenant_id,
                                                        const service_endpoint_input& e) {
  auto t = endpoint_tenant(caller, tenant_id);
  if (!t) return t.error();
  if (t->kind != "asp")
    return error{errc::invalid_service_endpoint, "tenant " + std::to_string(tenant_id) + " is not an ASP"};
  auto checked = check_service_endpoint(e.host, e.port, e.tlsa);
  if (!checked) return checked.error();
  endpoints_.put(tenant_id, *checked, caller.id);
  logger()->info("tenant {}: service endpoint set to {}:{} ({} TLSA)", tenant_id, checked->host,
                 checked->port, checked->tlsa.size());
  return *checked;
}

result<std::int64_t> registry_iotsafe::delete_endpoint(const api_key& caller, std::int64_t tenant_id) {
  auto t = endpoint_tenant(caller, tenant_id);
  if (!t) return t.error();
  if (!endpoints_.remove(tenant_id, caller.id))
    return error{errc::service_endpoint_not_found,
                 "tenant " + std::to_string(tenant_id) + " has no service endpoint"};
  logger()->info("tenant {}: service endpoint deleted", tenant_id);
  return tenant_id;
}

}  // namespace iotreg::registry
