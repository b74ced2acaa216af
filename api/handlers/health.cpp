#include "api/handlers/devices.hpp"

#include <boost/json/object.hpp>

namespace iotreg::api::handlers {

response healthz(const call&) {
  // Liveness only: the process answers. Readiness (database, zone) is /readyz, a later issue.
  return json_response(http::status::ok, boost::json::object{{"status", "ok"}});
}

}  // namespace iotreg::api::handlers
