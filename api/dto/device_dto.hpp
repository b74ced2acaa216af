#pragma once
// JSON shapes of the device endpoints (issue #2). DTOs are API types, distinct from the domain
// model (STYLE.md §2): decoding validates the shape only; the registry validates the values.

#include "registry/enrollment_service.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace iotreg::api::dto {

/// Body of POST /api/v1/devices.
struct enroll_body {
  std::string device_id;
  std::string csr;  // PEM
};

/// Why a body could not be decoded; `detail` is safe to show to the client.
struct decode_error {
  enum class kind { invalid_json, invalid_request };
  kind what = kind::invalid_request;
  std::string detail;
};

template <class T>
using decoded = boost::system::result<T, decode_error>;

/// Parses `{"device_id": string, "csr": string}`: not JSON → invalid_json; not an object, a
/// missing, unknown or wrong-typed field → invalid_request. Never throws except bad_alloc.
decoded<enroll_body> decode_enroll(std::string_view body);

/// Body of POST /api/v1/devices/{id}/revoke: {"reason": string}, the field optional (absent:
/// "unspecified"); `reason` is the name as sent (the handler checks it). Errors as decode_enroll.
struct revoke_body {
  std::string reason = "unspecified";
};
decoded<revoke_body> decode_revoke(std::string_view body);

/// {"device_id","dns_name","certificate","chain","tlsa","zone_serial"} (+ "status" when
/// `with_status`); zone_serial is null when not yet known.
boost::json::object to_json(const registry::enrollment& e, bool with_status);

/// {"device_id","status":"revoked","reason","zone_serial"} (reason: RFC 5280 name).
boost::json::object to_json(const registry::revocation& r);

}  // namespace iotreg::api::dto
