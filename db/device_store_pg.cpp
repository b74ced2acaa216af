#include "db/device_store_pg.hpp"

#include "db/convert.hpp"
#include "db/sqlstate.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"
#include "registry/request_context.hpp"

#include <pqxx/except>

#include <algorithm>

namespace iotreg::db {

using detail::str;
using registry::errc;
using registry::error;

registry::result<std::int64_t> pg_device_store::insert_enrollment(const registry::new_enrollment& e) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> registry::result<std::int64_t> {
    const detail::nullable_param api_key{e.api_key_id};
    const detail::nullable_param mno{e.mno_tenant_id};
    std::int64_t device_row = 0;
    try {
      const auto rows = tx.exec_prepared(stmt::device_insert, e.zone, e.device_id, api_key.get(), mno.get());
      // No row: the pair exists and is not a registered device waiting for activation.
      if (rows.empty()) return error{errc::device_exists, "device " + e.device_id + " is already enrolled"};
      device_row = rows[0][0].as<std::int64_t>();
    } catch (const pqxx::sql_error& ex) {
      // Only this statement's violation means "taken": a duplicate certificate serial below is
      // a bug and must throw.
      if (auto code = device_insert_errc(ex)) {
        return error{*code, "device " + e.device_id + " is already enrolled"};
      }
      throw;
    }

    const auto& cert = e.certificate;
    const auto& t = e.tlsa;
    tx.exec_prepared0(stmt::certificate_insert, device_row, cert.serial_hex, cert.issuer_key_id_hex, cert.pem,
                      detail::to_epoch_us(cert.not_before), detail::to_epoch_us(cert.not_after), int{t.usage},
                      int{t.selector}, int{t.matching}, detail::to_bytea(t.association));
    const auto change_id =
        tx.exec_prepared1(stmt::zone_change_add, e.zone, e.device_id, int{t.usage}, int{t.selector},
                          int{t.matching}, detail::to_bytea(t.association))[0]
            .as<std::int64_t>();
    tx.exec_prepared0(stmt::audit_enroll, api_key.get(), e.zone, e.device_id, change_id, cert.serial_hex,
                      cert.issuer_key_id_hex, registry::current_request().request_id);
    return change_id;
  });
}

std::optional<registry::device> pg_device_store::find(std::string_view zone, std::string_view device_id) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> std::optional<registry::device> {
    const auto rows = tx.exec_prepared(stmt::device_find, str(zone), str(device_id));
    if (rows.empty()) return std::nullopt;
    const auto& r = rows[0];
    registry::device d;
    d.zone = r[0].as<std::string>();
    d.id = r[1].as<std::string>();
    const auto status = registry::device_status_from_string(r[2].as<std::string>());
    if (!status) throw pqxx::conversion_error{"db: unknown device status " + r[2].as<std::string>()};
    d.status = *status;
    d.created_at = detail::from_epoch_us(r[3].as<std::int64_t>());
    d.updated_at = detail::from_epoch_us(r[4].as<std::int64_t>());
    d.certificate.serial_hex = r[5].as<std::string>();
    d.certificate.pem = r[6].as<std::string>();
    d.certificate.issuer_key_id_hex = r[7].as<std::string>();
    d.certificate.not_before = detail::from_epoch_us(r[8].as<std::int64_t>());
    d.certificate.not_after = detail::from_epoch_us(r[9].as<std::int64_t>());
    d.certificate.revoked_at = detail::opt_time(r[10]);
    d.tlsa = detail::read_tlsa(r, 11);
    if (!r[15].is_null()) d.zone_serial = detail::to_u32(r[15]);
    d.certificate.withdrawn_at = detail::opt_time(r[16]);
    d.certificate.confirmed_at = detail::opt_time(r[17]);
    return d;
  });
}

registry::result<std::int64_t> pg_device_store::revoke(std::string_view zone, std::string_view device_id,
                                                       std::uint8_t reason) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> registry::result<std::int64_t> {
    // The row lock serialises concurrent revocations: the second sees 'revoked'.
    const auto rows = tx.exec_prepared(stmt::device_lock, str(zone), str(device_id));
    if (rows.empty()) return error{errc::device_not_found, "no device " + str(device_id)};
    if (rows[0][1].as<std::string>() != "active") {
      return error{errc::device_already_revoked, "device " + str(device_id) + " is revoked"};
    }
    const auto device_row = rows[0][0].as<std::int64_t>();
    tx.exec_prepared0(stmt::device_set_revoked, device_row);
    // Every live TLSA of the device goes (several during a renewal overlap), read before the
    // certificates stop being live; none if all had expired already (change id 0).
    std::int64_t change_id = 0;
    for (const auto& row : tx.exec_prepared(stmt::zone_change_remove, device_row))
      change_id = std::max(change_id, row[0].as<std::int64_t>());
    tx.exec_prepared0(stmt::certificates_revoke, device_row, int{reason});
    const auto& who = registry::current_request();
    const detail::nullable_param api_key{who.api_key_id};
    tx.exec_prepared0(stmt::audit_revoke, str(zone), str(device_id), change_id, int{reason}, api_key.get(),
                      who.request_id);
    return change_id;
  });
}

namespace {

/// Locks the device row for the rest of the transaction. @returns its id, or the errors.
registry::result<std::int64_t> lock_active_device(pqxx::work& tx, std::string_view zone,
                                                  std::string_view device_id) {
  const auto rows = tx.exec_prepared(stmt::device_lock, str(zone), str(device_id));
  if (rows.empty()) return error{errc::device_not_found, "no device " + str(device_id)};
  if (rows[0][1].as<std::string>() != "active") {
    return error{errc::device_already_revoked, "device " + str(device_id) + " is revoked"};
  }
  return rows[0][0].as<std::int64_t>();
}

std::vector<std::int64_t> ids_of(const pqxx::result& rows) {
  std::vector<std::int64_t> ids;
  ids.reserve(rows.size());
  for (const auto& r : rows) ids.push_back(r[0].as<std::int64_t>());
  return ids;
}

/// A JSON array of integers (the audit detail): built from integers only.
std::string json_ids(const std::vector<std::int64_t>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "]";
}

}  // namespace

registry::result<std::optional<std::int64_t>> pg_device_store::insert_certificate(
    const registry::new_certificate& c) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> registry::result<std::optional<std::int64_t>> {
    auto device_row = lock_active_device(tx, c.zone, c.device_id);
    if (!device_row) return device_row.error();
    const auto& t = c.tlsa;
    // Before the insert, so that the new certificate does not count as carrying its own TLSA.
    std::optional<std::int64_t> change_id;
    const auto added = tx.exec_prepared(stmt::zone_change_add_if_new, *device_row, int{t.usage},
                                        int{t.selector}, int{t.matching}, detail::to_bytea(t.association));
    if (!added.empty()) change_id = added[0][0].as<std::int64_t>();
    const auto& cert = c.certificate;
    tx.exec_prepared0(stmt::certificate_insert, *device_row, cert.serial_hex, cert.issuer_key_id_hex,
                      cert.pem, detail::to_epoch_us(cert.not_before), detail::to_epoch_us(cert.not_after),
                      int{t.usage}, int{t.selector}, int{t.matching}, detail::to_bytea(t.association));
    const detail::nullable_param api_key{c.api_key_id};
    const std::string detail_json =
        "{\"certificate_serial\":\"" + cert.serial_hex + "\",\"issuer_key_id\":\"" + cert.issuer_key_id_hex +
        "\",\"change_id\":" + (change_id ? std::to_string(*change_id) : "null") + "}";
    tx.exec_prepared0(stmt::audit_certificate, api_key.get(), "device." + c.action, c.zone, c.device_id,
                      detail_json, registry::current_request().request_id);
    return change_id;
  });
}

registry::result<std::vector<std::int64_t>> pg_device_store::confirm_certificate(
    std::string_view zone, std::string_view device_id, std::string_view serial_hex) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> registry::result<std::vector<std::int64_t>> {
    auto device_row = lock_active_device(tx, zone, device_id);
    if (!device_row) return device_row.error();
    const auto found = tx.exec_prepared(stmt::certificate_find_by_serial, *device_row, str(serial_hex));
    if (found.empty()) {
      return error{errc::certificate_not_found,
                   "device " + str(device_id) + " has no certificate with that serial"};
    }
    if (found[0][1].as<bool>() || found[0][2].as<bool>()) {
      return error{errc::certificate_not_live,
                   "that certificate of device " + str(device_id) + " is withdrawn or revoked"};
    }
    const auto cert_row = found[0][0].as<std::int64_t>();
    tx.exec_prepared0(stmt::certificate_confirm, cert_row);
    auto ids = ids_of(tx.exec_prepared(stmt::certificates_withdraw_before, *device_row, cert_row));
    const auto& who = registry::current_request();
    const detail::nullable_param api_key{who.api_key_id};
    tx.exec_prepared0(
        stmt::audit_certificate, api_key.get(), "device.confirm", str(zone), str(device_id),
        "{\"certificate_serial\":\"" + str(serial_hex) + "\",\"change_ids\":" + json_ids(ids) + "}",
        who.request_id);
    return ids;
  });
}

std::vector<std::int64_t> pg_device_store::withdraw_expired(std::string_view zone, registry::time_point now,
                                                            std::size_t max_devices) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    std::vector<std::int64_t> all;
    const auto now_us = detail::to_epoch_us(now);
    const auto devices = tx.exec_prepared(stmt::devices_lock_expired, str(zone), now_us,
                                          static_cast<std::int64_t>(max_devices));
    for (const auto& d : devices) {
      const auto device_row = d[0].as<std::int64_t>();
      auto ids = ids_of(tx.exec_prepared(stmt::certificates_withdraw_expired, device_row, now_us));
      tx.exec_prepared0(stmt::audit_certificate, static_cast<const char*>(nullptr), "certificate.expire",
                        str(zone), d[1].as<std::string>(), "{\"change_ids\":" + json_ids(ids) + "}",
                        std::string{});
      all.insert(all.end(), ids.begin(), ids.end());
    }
    return all;
  });
}

std::vector<registry::expiring_certificate> pg_device_store::expiring(
    std::string_view zone, registry::time_point before, const std::optional<registry::expiring_cursor>& after,
    std::size_t limit, const registry::listing_scope& only) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const detail::nullable_param after_us{after ? std::optional(detail::to_epoch_us(after->not_after))
                                                : std::nullopt};
    const detail::nullable_param after_id{after ? std::optional(after->row_id) : std::nullopt};
    const detail::nullable_param only_asp{only.only_asp};
    const detail::nullable_param only_mno{only.only_mno};
    const auto rows =
        tx.exec_prepared(stmt::certificates_expiring, str(zone), detail::to_epoch_us(before), after_us.get(),
                         after_id.get(), static_cast<std::int64_t>(limit), only_asp.get(), only_mno.get());
    std::vector<registry::expiring_certificate> out;
    out.reserve(rows.size());
    const auto tenant = [](const pqxx::field& f) {
      return f.is_null() ? std::nullopt : std::optional(f.as<std::int64_t>());
    };
    for (const auto& r : rows) {
      out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                     detail::from_epoch_us(r[3].as<std::int64_t>()), r[4].as<std::int64_t>(), tenant(r[5]),
                     tenant(r[6])});
    }
    return out;
  });
}

}  // namespace iotreg::db
