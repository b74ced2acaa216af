#pragma once
// The read side of the append-only audit log (who, what, when, request id), for the admin's
// GET /api/v1/audit. db/ implements it; rows are written by the stores with each change.

#include "registry/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace iotreg::registry {

struct audit_entry {
  std::int64_t id = 0;  // increasing: the pagination cursor
  time_point at;
  std::optional<std::int64_t> api_key_id;  // who (null for changes made outside the API)
  std::string action;                      // what: "device.enroll", "device.revoke", ...
  std::string zone;                        // "" when the change is not about a device
  std::string device_id;
  std::string request_id;   // X-Request-Id of the API request ("" outside the API)
  std::string detail_json;  // a JSON object, as stored
};

struct audit_query {
  std::int64_t after = 0;  // only rows with a larger id
  std::size_t limit = 100;
  std::optional<std::string> device_id;  // only this device's rows
};

class audit_log_reader {
 public:
  virtual ~audit_log_reader() = default;
  /// Rows matching `q`, oldest (smallest id) first, at most q.limit. Blocking; may throw on
  /// environmental failure.
  virtual std::vector<audit_entry> list(const audit_query& q) = 0;
};

}  // namespace iotreg::registry
