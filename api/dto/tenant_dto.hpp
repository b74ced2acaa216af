#pragma once
// JSON shapes of the tenant and lifecycle endpoints (issue 5): tenants, API keys, device states,
// transfer codes, bulk registration results. Times are RFC 3339 UTC ("2026-11-29T04:00:00Z").

#include "registry/tenancy.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::api::dto {

/// "YYYY-MM-DDTHH:MM:SSZ" (seconds precision).
std::string to_rfc3339(registry::time_point t);
/// Parses "YYYY-MM-DDTHH:MM:SS[.frac]Z"; nullopt for anything else (offsets other than Z too).
std::optional<registry::time_point> from_rfc3339(std::string_view s);

/// {"id","name","kind","created_at","disabled_at"?}
boost::json::object to_json(const registry::tenant& t);
/// {"id","tenant_id","role","key","expires_at"} — the key is in this reply only.
boost::json::object to_json(const registry::issued_api_key& k);
/// {"device_id","status","asp_tenant_id","mno_tenant_id","created_at","updated_at","deleted_at"?}
/// (+ "zone_serial" when given).
boost::json::object to_json(const registry::device_ownership& d,
                            std::optional<std::uint32_t> zone_serial = {});
/// {"device_id","code","expires_at"}
boost::json::object to_json(const registry::transfer_code& c);
/// {"registered": n, "rejected": m, "results": [{"row","device_id","status":"registered"|"rejected",
/// "error"?: {"type","detail"}}]}
boost::json::object to_json(const std::vector<registry::bulk_row>& rows);

/// The device ids of a bulk body: a JSON array of strings or of {"device_id": string} objects,
/// or text/csv (one id per line; the first column; an optional "device_id" header line; blank
/// lines skipped). @returns nullopt with `error` set if the body has the wrong shape.
std::optional<std::vector<std::string>> decode_bulk_json(std::string_view body, std::string& error);
std::vector<std::string> decode_bulk_csv(std::string_view body);

}  // namespace iotreg::api::dto
