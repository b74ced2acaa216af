#pragma once
// JSON shapes of renewal, rekey, confirmation and the expiring-certificates list (issue 4 item 4).

#include "api/dto/device_dto.hpp"
#include "registry/enrollment_service.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace iotreg::api::dto {

/// Body of POST /api/v1/devices/{id}/renew (no field yet).
struct renew_body {};
/// Decodes it: empty or `{}` (no field is defined yet: any is
/// refused, so that one can be added later without silently ignoring it). Errors as decode_enroll.
decoded<renew_body> decode_renew(std::string_view body);

/// Body of POST /api/v1/devices/{id}/confirm: {"serial": string} (the registry checks the value).
struct confirm_body {
  std::string serial;
};
decoded<confirm_body> decode_confirm(std::string_view body);

/// RFC 3339 date-time ("2026-11-29T04:00:00Z", fraction and numeric offset allowed), or nullopt.
std::optional<registry::time_point> parse_rfc3339(std::string_view text);
/// UTC, whole seconds: "2026-11-29T04:00:00Z".
std::string format_rfc3339(registry::time_point t);

/// The `after` cursor of the expiring list: opaque to clients ("<not_after µs>.<row id>").
std::string encode_cursor(const registry::expiring_cursor& c);
std::optional<registry::expiring_cursor> decode_cursor(std::string_view text);

/// to_json(enrollment) plus "serial" (the new certificate's).
boost::json::object to_json_renewed(const registry::enrollment& e, boost::json::storage_ptr sp = {});

/// {"device_id","serial","confirmed":true,"removed_records","zone_serial"}.
boost::json::object to_json(const registry::confirmation& c);

/// {"certificates":[{"device_id","serial","not_after","issuer"}...],"next":cursor|null}; issuer is
/// the issuing CA's key id in the URL convention (lower-case hex bytes joined by '-').
boost::json::object to_json(const registry::expiring_page& p);

}  // namespace iotreg::api::dto
