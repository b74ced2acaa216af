#include "db/device_store_pg.hpp"

#include "db/convert.hpp"
#include "db/sqlstate.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"

#include <pqxx/except>

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
                      cert.issuer_key_id_hex);
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
    tx.exec_prepared0(stmt::certificates_revoke, device_row, int{reason});
    const auto change_id = tx.exec_prepared1(stmt::zone_change_remove, device_row)[0].as<std::int64_t>();
    tx.exec_prepared0(stmt::audit_revoke, str(zone), str(device_id), change_id, int{reason});
    return change_id;
  });
}

}  // namespace iotreg::db
