#include "db/tenant_store_pg.hpp"

#include "db/convert.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"
#include "registry/request_context.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

namespace iotreg::db {

using detail::str;
using registry::errc;
using registry::error;

namespace {

registry::tenant read_tenant(const pqxx::row& r) {
  registry::tenant t;
  t.id = r[0].as<std::int64_t>();
  t.name = r[1].as<std::string>();
  t.kind = r[2].as<std::string>();
  t.created_at = detail::from_epoch_us(r[3].as<std::int64_t>());
  t.disabled_at = detail::opt_time(r[4]);
  return t;
}

/// A text[] literal; every element quoted, '"' and '\' escaped (ids are validated anyway).
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ',';
    out += '"';
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    out += ch;
  }
  return out + "\"";
}

}  // namespace

namespace detail {

std::optional<std::int64_t> opt_id(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::int64_t>();
}

registry::device_ownership read_ownership(const pqxx::row& r) {
  registry::device_ownership o;
  o.id = r[0].as<std::string>();
  const auto status = registry::device_status_from_string(r[1].as<std::string>());
  if (!status) throw pqxx::conversion_error{"db: unknown device status " + r[1].as<std::string>()};
  o.status = *status;
  o.asp_tenant_id = opt_id(r[2]);
  o.mno_tenant_id = opt_id(r[3]);
  o.created_at = detail::from_epoch_us(r[4].as<std::int64_t>());
  o.updated_at = detail::from_epoch_us(r[5].as<std::int64_t>());
  o.deleted_at = detail::opt_time(r[6]);
  return o;
}

}  // namespace detail

registry::tenant pg_tenant_store::create_tenant(std::string_view name, std::string_view kind) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const auto r = tx.exec_prepared1(stmt::tenant_insert, str(name), str(kind));
    registry::tenant t;
    t.id = r[0].as<std::int64_t>();
    t.name = name;
    t.kind = kind;
    t.created_at = detail::from_epoch_us(r[1].as<std::int64_t>());
    return t;
  });
}

std::vector<registry::tenant> pg_tenant_store::list_tenants() {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    std::vector<registry::tenant> out;
    for (const auto& r : tx.exec_prepared(stmt::tenant_list)) out.push_back(read_tenant(r));
    return out;
  });
}

std::optional<registry::tenant> pg_tenant_store::find_tenant(std::int64_t id) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> std::optional<registry::tenant> {
    const auto rows = tx.exec_prepared(stmt::tenant_find, id);
    if (rows.empty()) return std::nullopt;
    return read_tenant(rows[0]);
  });
}

std::int64_t pg_tenant_store::insert_key(std::int64_t tenant_id, std::string_view name,
                                         const std::array<std::uint8_t, 32>& hash,
                                         std::optional<registry::time_point> expires_at) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const detail::nullable_param expires{
        expires_at ? std::optional<std::int64_t>{detail::to_epoch_us(*expires_at)} : std::nullopt};
    const auto rows = tx.exec_prepared(stmt::api_key_insert_tenant, str(name), detail::to_bytea(hash),
                                       tenant_id, expires.get());
    if (rows.empty()) throw std::invalid_argument("no tenant " + std::to_string(tenant_id));
    return rows[0][0].as<std::int64_t>();
  });
}

bool pg_tenant_store::revoke_key(std::int64_t id) {
  return with_transaction(
      pool_, [&](pqxx::work& tx) { return tx.exec_prepared(stmt::api_key_revoke, id).affected_rows() == 1; });
}

registry::result<registry::tenant> pg_tenant_store::set_disabled(std::int64_t id, bool disabled,
                                                                 std::optional<std::int64_t> api_key_id) {
  using out_t = registry::result<registry::tenant>;
  return with_transaction(pool_, [&](pqxx::work& tx) -> out_t {
    // An admin tenant: lock every admin tenant first (a tenant's kind never changes), so that
    // two admins disabling each other's tenants at once cannot leave no admin tenant enabled.
    const auto found = tx.exec_prepared(stmt::tenant_find, id);
    if (found.empty()) return error{errc::tenant_not_found, "no tenant " + std::to_string(id)};
    if (disabled && found[0][2].as<std::string>() == "admin") {
      bool other_enabled = false;
      for (const auto& r : tx.exec_prepared(stmt::tenant_lock_admins))
        other_enabled = other_enabled || (r[0].as<std::int64_t>() != id && r[1].as<bool>());
      if (!other_enabled)
        return error{errc::tenant_disable_refused,
                     "tenant " + std::to_string(id) + " is the last enabled admin tenant"};
    }
    const auto before = read_tenant(tx.exec_prepared1(stmt::tenant_lock, id));
    const auto after = read_tenant(tx.exec_prepared1(stmt::tenant_set_disabled, id, disabled));
    if (before.disabled_at.has_value() != after.disabled_at.has_value()) {
      const detail::nullable_param key{api_key_id};
      tx.exec_prepared0(stmt::tenant_audit, key.get(), disabled ? "tenant.disable" : "tenant.enable", id,
                        registry::current_request().request_id);
    }
    return after;
  });
}

std::optional<registry::device_ownership> pg_lifecycle_store::ownership(std::string_view zone,
                                                                        std::string_view device_id) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> std::optional<registry::device_ownership> {
    const auto rows = tx.exec_prepared(stmt::lifecycle_ownership, str(zone), str(device_id));
    if (rows.empty()) return std::nullopt;
    return detail::read_ownership(rows[0]);
  });
}

registry::result<std::optional<std::int64_t>> pg_lifecycle_store::change(std::string_view zone,
                                                                         std::string_view device_id,
                                                                         const decider& decide) {
  using out_t = registry::result<std::optional<std::int64_t>>;
  return with_transaction(pool_, [&](pqxx::work& tx) -> out_t {
    const auto rows = tx.exec_prepared(stmt::lifecycle_lock, str(zone), str(device_id));
    if (rows.empty()) return error{errc::device_not_found, "no such device: " + str(device_id)};
    const auto& r = rows[0];
    registry::locked_device locked;
    locked.owners = detail::read_ownership(r);
    const auto row_id = r[7].as<std::int64_t>();
    if (!r[8].is_null()) {
      const auto h = detail::from_bytea(r[8]);
      if (h.size() == 32) {
        std::array<std::uint8_t, 32> a{};
        std::copy(h.begin(), h.end(), a.begin());
        locked.transfer_code_hash = a;
      }
      locked.transfer_code_expires_at = detail::opt_time(r[9]);
    }

    auto decided = decide(locked);
    if (!decided) return decided.error();
    const auto& c = *decided;
    const auto from = registry::to_string(locked.owners.status);
    const auto to = registry::to_string(c.t.to);
    if (c.t.to != locked.owners.status) tx.exec_prepared0(stmt::lifecycle_set_status, row_id, str(to));
    if (c.new_asp) tx.exec_prepared0(stmt::lifecycle_set_asp, row_id, *c.new_asp);
    if (c.set_transfer_code) {
      tx.exec_prepared0(stmt::lifecycle_set_transfer_code, row_id, detail::to_bytea(*c.set_transfer_code),
                        detail::to_epoch_us(c.transfer_code_expires_at));
    }
    // A device may carry several live certificates (a renewal overlap): every distinct TLSA of
    // them enters or leaves; the removal reads them before a revocation ends their life.
    std::optional<std::int64_t> change_id;
    const auto newest = [&](const pqxx::result& added) {
      for (const auto& row : added) change_id = std::max(change_id.value_or(0), row[0].as<std::int64_t>());
    };
    if (c.t.zone == registry::zone_effect::add) {
      newest(tx.exec_prepared(stmt::zone_change_add_current, row_id));
    } else if (c.t.zone == registry::zone_effect::remove) {
      newest(tx.exec_prepared(stmt::zone_change_remove, row_id));
    }
    if (c.t.revoke_certificates)
      tx.exec_prepared0(stmt::certificates_revoke, row_id, int{c.revocation_reason});
    // The audit detail: state change, zone change, new owner; never the transfer code.
    std::string detail_json = "{\"from\":" + json_string(from) + ",\"to\":" + json_string(to);
    if (change_id) detail_json += ",\"change_id\":" + std::to_string(*change_id);
    if (c.new_asp) detail_json += ",\"asp_tenant_id\":" + std::to_string(*c.new_asp);
    if (c.t.revoke_certificates)
      detail_json += ",\"reason_code\":" + std::to_string(int{c.revocation_reason});
    detail_json += "}";
    const detail::nullable_param key{c.api_key_id};
    tx.exec_prepared0(stmt::lifecycle_audit, key.get(), c.audit_action, str(zone), str(device_id),
                      detail_json, registry::current_request().request_id);
    return change_id;
  });
}

std::vector<registry::registration_outcome> pg_lifecycle_store::register_devices(
    std::string_view zone, const std::vector<std::string>& ids, std::int64_t asp_tenant_id,
    std::optional<std::int64_t> api_key_id) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const detail::nullable_param key{api_key_id};
    const auto rows =
        tx.exec_prepared(stmt::lifecycle_register, str(zone), asp_tenant_id, key.get(), text_array(ids));
    std::unordered_set<std::string> inserted;
    std::vector<std::string> inserted_list;
    for (const auto& r : rows) {
      inserted.insert(r[0].as<std::string>());
      inserted_list.push_back(r[0].as<std::string>());
    }
    if (!inserted_list.empty()) {
      tx.exec_prepared0(stmt::lifecycle_audit_register, key.get(), str(zone), asp_tenant_id,
                        text_array(inserted_list));
    }
    std::vector<registry::registration_outcome> out;
    out.reserve(ids.size());
    for (const auto& id : ids) out.push_back({id, inserted.count(id) != 0});
    return out;
  });
}

}  // namespace iotreg::db
