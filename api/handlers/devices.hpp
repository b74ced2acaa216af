#pragma once
// POST /api/v1/devices, GET and DELETE /api/v1/devices/{id}: decode → service → render
// (STYLE.md §6 api). Blocking: the service waits for zone publication.

#include "api/handlers/context.hpp"
#include "registry/enrollment_service.hpp"

namespace iotreg::api::handlers {

response enroll_device(registry::enrollment_service& svc, const call& c);
response get_device(registry::enrollment_service& svc, const call& c);     // params[0] = id
response revoke_device(registry::enrollment_service& svc, const call& c);  // params[0] = id
response healthz(const call& c);

}  // namespace iotreg::api::handlers
