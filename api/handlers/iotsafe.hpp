#pragma once
// IoT SAFE (issue 5 item 5): GET /api/v1/devices/{id}/iotsafe (JSON or DER by Accept) and the
// ASP's service endpoint at /api/v1/tenants/{id}/service-endpoint (GET, PUT, DELETE).

#include "api/handlers/context.hpp"
#include "registry/iotsafe.hpp"

#include <string_view>

namespace iotreg::api::handlers {

/// The media type of the binary payload (README "IoT SAFE payload").
inline constexpr std::string_view iotsafe_der_media_type = "application/vnd.iotreg.iotsafe+der";

enum class iotsafe_format { json, der };

/// Content negotiation (RFC 9110 §12.5.1) for the payload: no Accept, "*/*", "application/*" or
/// "application/json" → json; "application/vnd.iotreg.iotsafe+der" → der when its q is higher
/// than JSON's (named explicitly, since wildcards prefer JSON); nullopt when neither is
/// acceptable (406). Parameters other than q are ignored. Pure.
std::optional<iotsafe_format> negotiate_iotsafe(std::string_view accept);

response get_iotsafe(registry::iotsafe_service& svc, const call& c);              // params[0] = device id
response get_service_endpoint(registry::iotsafe_service& svc, const call& c);     // params[0] = tenant id
response put_service_endpoint(registry::iotsafe_service& svc, const call& c);     // params[0] = tenant id
response delete_service_endpoint(registry::iotsafe_service& svc, const call& c);  // params[0] = tenant id

}  // namespace iotreg::api::handlers
