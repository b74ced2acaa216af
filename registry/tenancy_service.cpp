#include "registry/tenancy_service.hpp"

#include "dns/zone_snapshot.hpp"
#include "pki/digest.hpp"
#include "registry/device_id.hpp"
#include "registry/log.hpp"
#include "registry/registry_service.hpp"

#include <unordered_set>

namespace iotreg::registry {
namespace {

std::array<std::uint8_t, 32> code_hash(std::string_view code) {
  return pki::sha256({reinterpret_cast<const std::uint8_t*>(code.data()), code.size()});
}

/// Compares two hashes in time independent of where they differ.
bool same_hash(const std::array<std::uint8_t, 32>& a, const std::array<std::uint8_t, 32>& b) noexcept {
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

error invalid_transition(const device_ownership& d, lifecycle_event ev) {
  return {errc::invalid_transition, "cannot " + std::string(to_string(ev)) + " device " + d.id +
                                        " in state " + std::string(to_string(d.status))};
}

}  // namespace

device_lifecycle::device_lifecycle(lifecycle_settings settings, lifecycle_store& store,
                                   zone_publisher& publisher, clock_fn now)
    : settings_(std::move(settings)), store_(store), publisher_(publisher), now_(std::move(now)) {}

result<std::string> device_lifecycle::device_key(std::string_view device_id) const {
  auto id = normalize_device_id(device_id, settings_.allow_label_ids);
  if (!id) return error{errc::device_not_found, "no such device"};
  return *id;
}

result<device_ownership> device_lifecycle::authorize_device(const api_key& caller, scope s,
                                                            std::string_view device_id) {
  if (!has_scope(caller, s)) return *authorize(caller, s);
  auto id = device_key(device_id);
  if (!id) return id.error();
  auto o = store_.ownership(settings_.zone, *id);
  if (!o) return error{errc::device_not_found, "no such device: " + *id};
  if (auto e = authorize(caller, s, &*o)) return *e;
  return *o;
}

result<std::optional<std::int64_t>> device_lifecycle::authorize_activation(const api_key& caller,
                                                                           std::string_view device_id) {
  if (auto e = authorize(caller, scope::device_activate)) return *e;
  if (caller.role == "admin") return std::optional<std::int64_t>{};  // may also enroll unregistered ids
  auto id = normalize_device_id(device_id, settings_.allow_label_ids);
  if (!id) return id.error();
  auto o = store_.ownership(settings_.zone, *id);
  if (!o) return error{errc::device_not_found, "no registered device " + *id};
  if (auto e = authorize(caller, scope::device_activate, &*o)) return *e;
  if (!next_transition(o->status, lifecycle_event::activate)) {
    return invalid_transition(*o, lifecycle_event::activate);
  }
  return caller.tenant_id;
}

result<device_ownership> device_lifecycle::register_device(const api_key& caller,
                                                           std::string_view device_id) {
  auto rows = register_bulk(caller, {std::string(device_id)});
  if (!rows) return rows.error();
  auto& row = rows->front();
  if (row.problem) return *row.problem;
  auto o = store_.ownership(settings_.zone, row.device_id);
  if (!o) throw std::logic_error("registered device " + row.device_id + " not found");
  return *o;
}

result<std::vector<bulk_row>> device_lifecycle::register_bulk(const api_key& caller,
                                                              const std::vector<std::string>& device_ids) {
  if (auto e = authorize(caller, scope::device_register)) return *e;
  // Devices belong to an ASP: the admin has every scope but owns no device to register.
  if (caller.role != "asp" || !caller.tenant_id) {
    return error{errc::forbidden, "devices are registered by an ASP tenant's key"};
  }
  if (device_ids.size() > settings_.bulk_max_rows) {
    return error{errc::invalid_request,
                 "at most " + std::to_string(settings_.bulk_max_rows) + " rows per request"};
  }
  std::vector<bulk_row> rows(device_ids.size());
  std::vector<std::string> valid;
  std::vector<std::size_t> valid_row;
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < device_ids.size(); ++i) {
    auto& r = rows[i];
    r.row = i + 1;
    auto id = normalize_device_id(device_ids[i], settings_.allow_label_ids);
    if (!id) {
      r.device_id = device_ids[i].substr(0, 64);  // client text: quoted short
      r.problem = id.error();
      continue;
    }
    r.device_id = *id;
    if (!seen.insert(*id).second) {
      r.problem = error{errc::invalid_request, "device " + *id + " appears earlier in this request"};
      continue;
    }
    valid.push_back(*id);
    valid_row.push_back(i);
  }
  if (!valid.empty()) {
    const auto outcomes = store_.register_devices(settings_.zone, valid, *caller.tenant_id, caller.id);
    for (std::size_t j = 0; j < outcomes.size(); ++j) {
      auto& r = rows[valid_row[j]];
      r.registered = outcomes[j].registered;
      if (!r.registered) r.problem = error{errc::device_exists, "device " + r.device_id + " already exists"};
    }
  }
  logger()->info("tenant {} registered {} of {} device ids", *caller.tenant_id, valid.size(),
                 device_ids.size());
  return rows;
}

result<lifecycle_result> device_lifecycle::apply(const api_key& caller, scope s, std::string_view device_id,
                                                 lifecycle_event ev, const refine_fn& refine) {
  if (!has_scope(caller, s)) return *authorize(caller, s);
  auto id = device_key(device_id);
  if (!id) return id.error();
  device_ownership after;
  auto change = store_.change(settings_.zone, *id, [&](const locked_device& d) -> result<lifecycle_change> {
    if (auto e = authorize(caller, s, &d.owners)) return *e;
    const auto t = next_transition(d.owners.status, ev);
    if (!t) {
      if (ev == lifecycle_event::revoke && d.owners.status == device_status::revoked) {
        return error{errc::device_already_revoked, "device " + d.owners.id + " is revoked"};
      }
      return invalid_transition(d.owners, ev);
    }
    lifecycle_change c;
    c.t = *t;
    c.audit_action = "device." + std::string(to_string(ev));
    c.api_key_id = caller.id;
    if (refine) {
      if (auto e = refine(d, c)) return *e;
    }
    after = d.owners;
    after.status = c.t.to;
    if (c.new_asp) after.asp_tenant_id = c.new_asp;
    return c;
  });
  if (!change) return change.error();
  logger()->info("device {} in zone {}: {} by key {} -> {}", *id, settings_.zone, to_string(ev), caller.id,
                 to_string(after.status));
  lifecycle_result out{after, std::nullopt};
  if (*change) {
    publisher_.notify();
    out.zone_serial = publisher_.wait_published(**change, settings_.publish_timeout);
    if (!out.zone_serial) {
      return error{errc::publication_timeout,
                   "device " + *id + " changed but the zone does not serve the change yet"};
    }
  }
  return out;
}

result<lifecycle_result> device_lifecycle::suspend(const api_key& caller, std::string_view device_id) {
  return apply(caller, scope::device_suspend, device_id, lifecycle_event::suspend);
}

result<lifecycle_result> device_lifecycle::resume(const api_key& caller, std::string_view device_id) {
  return apply(caller, scope::device_suspend, device_id, lifecycle_event::resume);
}

result<lifecycle_result> device_lifecycle::remove(const api_key& caller, std::string_view device_id) {
  auto r = apply(caller, scope::device_delete, device_id, lifecycle_event::remove,
                 [](const locked_device&, lifecycle_change& c) -> std::optional<error> {
                   c.revocation_reason =
                       static_cast<std::uint8_t>(pki::revocation_reason::cessation_of_operation);
                   return std::nullopt;
                 });
  if (r && revocation_ != nullptr) {
    try {
      revocation_->regenerate();
    } catch (const std::exception& e) {
      logger()->error("deleted device: CRL regeneration failed (the periodic check retries): {}", e.what());
    }
  }
  return r;
}

result<revocation> device_lifecycle::revoke(const api_key& caller, std::string_view device_id,
                                            pki::revocation_reason reason) {
  auto r = apply(caller, scope::device_revoke, device_id, lifecycle_event::revoke,
                 [reason](const locked_device&, lifecycle_change& c) -> std::optional<error> {
                   c.revocation_reason = static_cast<std::uint8_t>(reason);
                   return std::nullopt;
                 });
  if (!r && r.error().code != errc::publication_timeout) return r.error();
  // The CRL is derived state: made after the commit (a failure is repaired by the periodic check).
  if (revocation_ != nullptr) {
    try {
      revocation_->regenerate();
    } catch (const std::exception& e) {
      logger()->error("revoked device: CRL regeneration failed (the periodic check retries): {}", e.what());
    }
  }
  if (!r) return r.error();
  // A suspended device's TLSA had already left the zone: the current serial does not serve it.
  std::uint32_t serial = r->zone_serial ? *r->zone_serial : publisher_.snapshot()->serial();
  return revocation{r->device.id, serial, reason};
}

result<transfer_code> device_lifecycle::create_transfer_code(const api_key& caller,
                                                             std::string_view device_id) {
  transfer_code out;
  out.code = "iotreg_tc_" + pki::to_hex(pki::random_bytes(16));
  out.expires_at = now_() + settings_.transfer_code_validity;
  const auto hash = code_hash(out.code);
  auto r = apply(caller, scope::device_transfer_out, device_id, lifecycle_event::transfer,
                 [&](const locked_device&, lifecycle_change& c) -> std::optional<error> {
                   c.set_transfer_code = hash;
                   c.transfer_code_expires_at = out.expires_at;
                   c.audit_action = "device.transfer_code";
                   return std::nullopt;
                 });
  if (!r) return r.error();
  out.device_id = r->device.id;
  return out;
}

result<lifecycle_result> device_lifecycle::transfer(const api_key& caller, std::string_view device_id,
                                                    std::string_view code) {
  if (!caller.tenant_id || caller.role != "asp") {
    if (auto e = authorize(caller, scope::device_transfer_in)) return *e;
    return error{errc::forbidden, "devices are transferred to an ASP tenant's key"};
  }
  const auto hash = code_hash(code);
  const auto now = now_();
  return apply(caller, scope::device_transfer_in, device_id, lifecycle_event::transfer,
               [&](const locked_device& d, lifecycle_change& c) -> std::optional<error> {
                 // Wrong, used or expired code: as if there were no device (existence never leaks).
                 if (!d.transfer_code_hash || !d.transfer_code_expires_at ||
                     *d.transfer_code_expires_at <= now || !same_hash(*d.transfer_code_hash, hash)) {
                   return error{errc::device_not_found, "no such device or no valid transfer code for it"};
                 }
                 c.new_asp = caller.tenant_id;
                 return std::nullopt;
               });
}

result<tenant> tenant_admin::create_tenant(const api_key& caller, std::string_view name,
                                           std::string_view kind) {
  if (auto e = authorize(caller, scope::tenants_manage)) return *e;
  if (name.empty() || name.size() > 200) return error{errc::invalid_request, "name must be 1-200 characters"};
  if (kind != "mno" && kind != "asp" && kind != "admin") {
    return error{errc::invalid_request, "kind must be mno, asp or admin"};
  }
  auto t = store_.create_tenant(name, kind);
  logger()->info("tenant {} ({}) created by key {}", t.id, t.kind, caller.id);
  return t;
}

result<std::vector<tenant>> tenant_admin::list_tenants(const api_key& caller) {
  if (auto e = authorize(caller, scope::tenants_manage)) return *e;
  return store_.list_tenants();
}

result<issued_api_key> tenant_admin::create_api_key(const api_key& caller, std::int64_t tenant_id,
                                                    std::string_view name,
                                                    std::optional<time_point> expires_at) {
  if (auto e = authorize(caller, scope::tenants_manage)) return *e;
  if (expires_at && *expires_at <= now_()) return error{errc::invalid_request, "expires_at is in the past"};
  if (name.size() > 200) return error{errc::invalid_request, "name must be at most 200 characters"};
  auto t = store_.find_tenant(tenant_id);
  if (!t) return error{errc::tenant_not_found, "no tenant " + std::to_string(tenant_id)};
  issued_api_key out;
  out.key = generate_api_key();
  out.id = store_.insert_key(tenant_id, name.empty() ? t->name : name, api_key_hash(out.key), expires_at);
  out.tenant_id = tenant_id;
  out.role = t->kind;
  out.expires_at = expires_at;
  logger()->info("API key {} of tenant {} created by key {}", out.id, tenant_id, caller.id);
  return out;
}

result<std::int64_t> tenant_admin::revoke_api_key(const api_key& caller, std::int64_t key_id) {
  if (auto e = authorize(caller, scope::tenants_manage)) return *e;
  if (!store_.revoke_key(key_id))
    return error{errc::api_key_not_found, "no active API key " + std::to_string(key_id)};
  logger()->info("API key {} revoked by key {}", key_id, caller.id);
  return key_id;
}

result<tenant> tenant_admin::set_tenant_disabled(const api_key& caller, std::int64_t tenant_id,
                                                 bool disabled) {
  if (auto e = authorize(caller, scope::tenants_manage)) return *e;
  // An admin who locks out its own tenant loses the API at once: refused, whatever the others.
  if (disabled && caller.tenant_id == tenant_id) {
    return error{errc::tenant_disable_refused,
                 "tenant " + std::to_string(tenant_id) + " is the caller's own tenant"};
  }
  auto t = store_.set_disabled(tenant_id, disabled, caller.id);
  if (!t) return t.error();
  logger()->info("tenant {} ({}) {} by key {}", t->id, t->kind, disabled ? "disabled" : "enabled", caller.id);
  return t;
}

}  // namespace iotreg::registry
