#include "registry/model.hpp"

namespace iotreg::registry {

std::string_view to_string(device_status s) noexcept {
  switch (s) {
    case device_status::active: return "active";
    case device_status::revoked: return "revoked";
    case device_status::registered: return "registered";
    case device_status::suspended: return "suspended";
    case device_status::deleted: return "deleted";
  }
  return "unknown";
}

std::optional<device_status> device_status_from_string(std::string_view s) noexcept {
  if (s == "active") return device_status::active;
  if (s == "revoked") return device_status::revoked;
  if (s == "registered") return device_status::registered;
  if (s == "suspended") return device_status::suspended;
  if (s == "deleted") return device_status::deleted;
  return std::nullopt;
}

}  // namespace iotreg::registry
