#pragma once
// Handlers of a tenant's TLS client certificates (admin; registry/tenant_certificates.hpp):
//   POST   /api/v1/tenants/{id}/certificates                 register {"certificate": PEM, "expires_at"?}
//   GET    /api/v1/tenants/{id}/certificates                 list
//   DELETE /api/v1/tenants/{id}/certificates/{fingerprint}   revoke
// Authorization and the checks of the certificate are the service's; these translate HTTP.

#include "api/handlers/context.hpp"
#include "registry/tenant_certificates.hpp"

namespace iotreg::api::handlers {

response register_client_certificate(registry::tenant_certificate_service& svc, const call& c);
response list_client_certificates(registry::tenant_certificate_service& svc, const call& c);
response revoke_client_certificate(registry::tenant_certificate_service& svc, const call& c);

/// {id, tenant_id, fingerprint, subject, not_after, expires_at, created_at, revoked, revoked_at?,
/// certificate (PEM)}.
boost::json::object client_certificate_json(const registry::tenant_certificate& c);

}  // namespace iotreg::api::handlers
