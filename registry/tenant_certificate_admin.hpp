#pragma once
// registry::tenant_certificate_service on top of the tenant and certificate stores: the PEM is
// parsed and checked here (pki/client_certificate.hpp), the store only keeps it.

#include "registry/ports.hpp"
#include "registry/tenant_certificates.hpp"

#include <functional>

namespace iotreg::registry {

/// @par Thread safety: as safe as its stores (iotregd's are).
class tenant_certificate_admin final : public tenant_certificate_service {
 public:
  using clock_fn = std::function<time_point()>;
  /// The stores must outlive the service.
  tenant_certificate_admin(
      tenant_store& tenants, tenant_certificate_store& store, clock_fn now = [] { return clock::now(); })
      : tenants_(tenants), store_(store), now_(std::move(now)) {}

  result<tenant_certificate> register_certificate(const api_key& caller, std::int64_t tenant_id,
                                                  std::string_view pem,
                                                  std::optional<time_point> expires_at) override;
  /// Fills subject and not_after from each stored DER.
  result<std::vector<tenant_certificate>> list(const api_key& caller, std::int64_t tenant_id) override;
  result<fingerprint> revoke(const api_key& caller, std::int64_t tenant_id,
                             std::string_view fingerprint_hex) override;

 private:
  tenant_store& tenants_;
  tenant_certificate_store& store_;
  clock_fn now_;
};

}  // namespace iotreg::registry
