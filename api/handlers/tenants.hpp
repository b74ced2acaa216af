#pragma once
// Handlers of the tenant endpoints (admin: tenants and API keys) and of the device lifecycle
// (register, bulk, suspend, resume, delete, transfer). Authorization is the services' (registry/
// authorization.hpp); these only translate HTTP.

#include "api/handlers/context.hpp"
#include "registry/tenancy.hpp"

namespace iotreg::api::handlers {

response create_tenant(registry::tenant_service& svc, const call& c);
response list_tenants(registry::tenant_service& svc, const call& c);
response create_api_key(registry::tenant_service& svc, const call& c);
response revoke_api_key(registry::tenant_service& svc, const call& c);
/// POST /api/v1/tenants/{id}/disable and /enable: 200 with the tenant (idempotent in effect).
response set_tenant_disabled(registry::tenant_service& svc, const call& c, bool disabled);

response register_device(registry::lifecycle_service& svc, const call& c);
response register_bulk(registry::lifecycle_service& svc, const call& c);
response suspend_device(registry::lifecycle_service& svc, const call& c);
response resume_device(registry::lifecycle_service& svc, const call& c);
response delete_device(registry::lifecycle_service& svc, const call& c);
response create_transfer_code(registry::lifecycle_service& svc, const call& c);
response transfer_device(registry::lifecycle_service& svc, const call& c);

}  // namespace iotreg::api::handlers
