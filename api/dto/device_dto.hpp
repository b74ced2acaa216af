#pragma once
// JSON shapes of the device endpoints (issue #2). DTOs are API types, distinct from the domain
// model (STYLE.md §2): decoding validates the shape only; the registry validates the values.

#include "registry/enrollment_service.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace iotreg::api::dto {

/// "server_keygen" member of the enrollment body: values unchecked (the registry checks them).
struct server_keygen_body {
  std::string key_type = "ec-p256";
  std::string format = "pkcs8";
  registry::secret_text password;
};

/// Body of POST /api/v1/devices: exactly one of csr and server_keygen.
struct enroll_body {
  std::string device_id;
  std::string csr;  // PEM; empty when server_keygen is set
  std::optional<server_keygen_body> server_keygen;
};

/// Why a body could not be decoded; `detail` is safe to show to the client.
struct decode_error {
  enum class kind { invalid_json, invalid_request };
  kind what = kind::invalid_request;
  std::string detail;
};

template <class T>
using decoded = boost::system::result<T, decode_error>;

/// Parses `{"device_id": string, "csr": string}` or `{"device_id": string, "server_keygen":
/// {"key_type"?: string, "format"?: string, "password": string}}`: not JSON → invalid_json; not
/// an object, a missing, unknown or wrong-typed field, both or neither of csr and server_keygen
/// → invalid_request. The parse uses wiping_storage(), so the password leaves no copy behind in
/// freed memory; details never quote it. Never throws except bad_alloc.
decoded<enroll_body> decode_enroll(std::string_view body);

/// Body of POST /api/v1/devices/{id}/rekey: {"csr": string} or {"server_keygen": {...}} as in
/// the enrollment body, without device_id. Errors as decode_enroll.
struct rekey_body {
  std::string csr;
  std::optional<server_keygen_body> server_keygen;
};
decoded<rekey_body> decode_rekey(std::string_view body);

/// Storage for JSON values that hold secrets: every block is wiped when it is freed.
/// Thread-safe; each call returns a fresh shared resource.
boost::json::storage_ptr wiping_storage();
/// Body of POST /api/v1/devices/{id}/revoke: {"reason": string}, the field optional (absent:
/// "unspecified"); `reason` is the name as sent (the handler checks it). Errors as decode_enroll.
struct revoke_body {
  std::string reason = "unspecified";
};
decoded<revoke_body> decode_revoke(std::string_view body);

/// {"device_id","dns_name","certificate","chain","tlsa","zone_serial"} (+ "status" when
/// `with_status`); zone_serial is null when not yet known. With a server-generated key, also
/// "private_key" (encrypted PKCS#8 PEM) or "pkcs12" (base64 of the DER bundle); build such a
/// reply in wiping_storage() (`sp`).
boost::json::object to_json(const registry::enrollment& e, bool with_status,
                            boost::json::storage_ptr sp = {});

/// {"device_id","status":"revoked","reason","zone_serial"} (reason: RFC 5280 name).
boost::json::object to_json(const registry::revocation& r);

}  // namespace iotreg::api::dto
