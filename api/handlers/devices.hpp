#pragma once
// POST /api/v1/devices, GET and DELETE /api/v1/devices/{id}, POST .../{id}/revoke: decode → service → render
// (STYLE.md §6 api). Blocking: the service waits for zone publication.

#include "api/handlers/context.hpp"
#include "registry/enrollment_service.hpp"

namespace iotreg::api::handlers {

response enroll_device(registry::enrollment_service& svc, const call& c);
response get_device(registry::enrollment_service& svc, const call& c);  // params[0] = id
/// DELETE /api/v1/devices/{id}[?reason=<RFC 5280 name>]: the reason defaults to unspecified.
response revoke_device(registry::enrollment_service& svc, const call& c);  // params[0] = id
/// POST /api/v1/devices/{id}/revoke with {"reason": "<RFC 5280 name>"} (or an empty body).
response revoke_device_post(registry::enrollment_service& svc, const call& c);  // params[0] = id
response healthz(const call& c);

}  // namespace iotreg::api::handlers
