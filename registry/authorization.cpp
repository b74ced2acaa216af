#include "registry/authorization.hpp"

namespace iotreg::registry {

bool has_scope(const api_key& key, scope s) noexcept {
  if (key.role == "admin") return true;
  if (key.role == "mno") {
    switch (s) {
      case scope::device_activate:
      case scope::device_read:
      case scope::device_suspend:
      case scope::device_revoke: return true;
      default: return false;
    }
  }
  if (key.role == "asp") {
    switch (s) {
      case scope::device_register:
      case scope::device_read:
      case scope::device_revoke:
      case scope::device_transfer_out:
      case scope::device_transfer_in:
      case scope::device_delete: return true;
      default: return false;
    }
  }
  return false;
}

std::optional<error> authorize(const api_key& key, scope s, const device_ownership* d) {
  if (!has_scope(key, s)) {
    return error{errc::forbidden, "the " + key.role + " role may not do this"};
  }
  if (d == nullptr || key.role == "admin") return std::nullopt;
  const error hidden{errc::device_not_found, "no such device: " + d->id};
  if (!key.tenant_id) return hidden;
  if (key.role == "asp") {
    if (s == scope::device_transfer_in) return std::nullopt;
    return d->asp_tenant_id == key.tenant_id ? std::nullopt : std::optional<error>{hidden};
  }
  // mno
  if (d->mno_tenant_id == key.tenant_id) return std::nullopt;
  if (s == scope::device_activate && d->status == device_status::registered && !d->mno_tenant_id) {
    return std::nullopt;
  }
  return hidden;
}

std::optional<listing_scope> visible_devices(const api_key& key) {
  if (key.role == "admin") return listing_scope{};
  if (!key.tenant_id) return std::nullopt;
  if (key.role == "asp") return listing_scope{.only_asp = key.tenant_id, .only_mno = std::nullopt};
  return listing_scope{.only_asp = std::nullopt, .only_mno = key.tenant_id};
}

}  // namespace iotreg::registry
