#pragma once
// registry::iotsafe_service for iotregd: assembles the IoT SAFE payload from the device's
// certificate (enrollment_service::get, the same certificate GET /api/v1/devices/{id} shows),
// the loaded CAs, the zone's published KSKs (what `iotregctl zone ds` prints) and the ASP's
// service endpoint; and keeps the endpoints (admin or the ASP itself).

#include "pki/certificate.hpp"
#include "registry/enrollment_service.hpp"
#include "registry/iotsafe.hpp"
#include "registry/ports.hpp"
#include "registry/tenancy.hpp"

#include <functional>
#include <string>
#include <vector>

namespace iotreg::registry {

struct iotsafe_settings {
  std::string zone;  // apex with the final dot
  std::uint32_t tlsa_ttl = 300;
  std::uint32_t dnskey_ttl = 3600;  // only for the presentation texts
};

/// @par Thread safety: as safe as its services and stores (all of iotregd's are); the CA
/// certificates are immutable.
class registry_iotsafe final : public iotsafe_service {
 public:
  /// `issuing` are every loaded issuing CA (active or retired: the device's certificate may come
  /// from either), `root` the root CA. Every reference must outlive the service.
  registry_iotsafe(
      iotsafe_settings settings, lifecycle_service& lifecycle, enrollment_service& devices,
      tenant_store& tenants, service_endpoint_store& endpoints, dnssec_key_store& keys,
      std::vector<pki::certificate> issuing, pki::certificate root,
      std::function<time_point()> now = [] { return clock::now(); });

  result<iotsafe_payload> payload(const api_key& caller, std::string_view device_id) override;
  result<service_endpoint> get_endpoint(const api_key& caller, std::int64_t tenant_id) override;
  result<service_endpoint> put_endpoint(const api_key& caller, std::int64_t tenant_id,
                                        const service_endpoint_input& e) override;
  result<std::int64_t> delete_endpoint(const api_key& caller, std::int64_t tenant_id) override;

 private:
  /// The ASP tenant `tenant_id` if `caller` may manage its endpoint.
  result<tenant> endpoint_tenant(const api_key& caller, std::int64_t tenant_id);
  /// The DS and DNSKEY records of the zone's published, not yet removed KSKs.
  void add_trust_anchor(iotsafe_payload& p);

  iotsafe_settings settings_;
  lifecycle_service& lifecycle_;
  enrollment_service& devices_;
  tenant_store& tenants_;
  service_endpoint_store& endpoints_;
  dnssec_key_store& keys_;
  std::vector<pki::certificate> issuing_;
  pki::certificate root_;
  std::function<time_point()> now_;
};

/// The DS RDATA (RFC 4034 §5.1, digest type 2: SHA-256) of the DNSKEY RDATA `dnskey` at `owner`
/// (absolute, presentation form). @throws std::invalid_argument for a bad name or short RDATA.
std::vector<std::uint8_t> ds_rdata_sha256(std::string_view owner, std::span<const std::uint8_t> dnskey);

}  // namespace iotreg::registry
