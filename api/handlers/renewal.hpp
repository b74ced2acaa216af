#pragma once
// Renewal, rekey, confirmation and the expiring-certificates list (issue 4 item 4): decode →
// service → render. Blocking: rekey and confirm wait for zone publication. Implemented in
// devices.cpp, beside the body helpers they share with enrollment.

#include "api/handlers/context.hpp"
#include "registry/enrollment_service.hpp"
#include "registry/tenancy.hpp"

namespace iotreg::api::handlers {

/// POST /api/v1/devices/{id}/renew, body empty or {}: 201 with the enrollment and "serial".
/// With tenants (lc set), renew, rekey and confirm need the device_activate scope on the device
/// (its MNO, or the admin); the expiring list is each tenant's own (list_expiring).
response renew_device(registry::enrollment_service& svc, const call& c, registry::lifecycle_service* lc);
/// POST /api/v1/devices/{id}/rekey, {"csr": PEM} or {"server_keygen": {...}}: 201 as renew.
response rekey_device(registry::enrollment_service& svc, const call& c, registry::lifecycle_service* lc);
/// POST /api/v1/devices/{id}/confirm, {"serial": hex}: 200 {"device_id","serial","confirmed",...}.
response confirm_certificate(registry::enrollment_service& svc, const call& c,
                             registry::lifecycle_service* lc);
/// GET /api/v1/certificates?expiring_before=<RFC 3339>&limit=<1..1000>&after=<cursor>:
/// 200 {"certificates":[...],"next":cursor|null}; a bad parameter is a 400 "invalid-query".
/// Scoped by the caller's tenant in the registry (enrollment_service::expiring: the admin all, an
/// ASP its devices', an MNO those of the devices it activated); `lc` is unused.
response list_expiring(registry::enrollment_service& svc, const call& c, registry::lifecycle_service* lc);

}  // namespace iotreg::api::handlers
