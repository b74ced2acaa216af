#pragma once
// POST /api/v1/devices, GET and DELETE /api/v1/devices/{id}, POST .../{id}/revoke: decode → service → render
// (STYLE.md §6 api). Blocking: the service waits for zone publication.

#include "api/handlers/context.hpp"
#include "registry/enrollment_service.hpp"
#include "registry/tenancy.hpp"

namespace iotreg::api::handlers {

// With `lc` (tenants, issue 5), every call is authorized by the caller's key first: an MNO's
// enrollment activates a device an ASP registered, reads and revocations see only the caller's
// devices, and revocation goes through the lifecycle state machine. Without it (unit tests of
// issue 2), any authenticated key may do everything.
response enroll_device(registry::enrollment_service& svc, const call& c,
                       registry::lifecycle_service* lc = nullptr);
response get_device(registry::enrollment_service& svc, const call& c,
                    registry::lifecycle_service* lc = nullptr);  // params[0] = id
/// DELETE /api/v1/devices/{id}[?reason=<RFC 5280 name>]: the reason defaults to unspecified.
response revoke_device(registry::enrollment_service& svc, const call& c,
                       registry::lifecycle_service* lc = nullptr);  // params[0] = id
/// POST /api/v1/devices/{id}/revoke with {"reason": "<RFC 5280 name>"} (or an empty body).
response revoke_device_post(registry::enrollment_service& svc, const call& c,
                            registry::lifecycle_service* lc = nullptr);  // params[0] = id
response healthz(const call& c);

}  // namespace iotreg::api::handlers
