#pragma once
// GET /api/v1/audit: the audit log for the admin, with cursor pagination.

#include "api/handlers/context.hpp"
#include "registry/audit_log.hpp"

namespace iotreg::api::handlers {

/// Query: after=<id> (default 0), limit=<1..1000> (default 100), device_id=<id> (optional).
/// 200 {"items": [...], "next_after": <last id>|null}; 403 for a non-admin key; 400 for a bad
/// parameter. Blocking (the reader).
response list_audit(registry::audit_log_reader& reader, const call& c);

}  // namespace iotreg::api::handlers
