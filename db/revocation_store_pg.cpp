#include "db/revocation_store_pg.hpp"

#include "db/convert.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"

#include <stdexcept>

namespace iotreg::db {

using detail::str;

namespace {

std::vector<registry::revoked_certificate> list_revoked(pqxx::work& tx, std::string_view issuer) {
  std::vector<registry::revoked_certificate> out;
  for (const auto& r : tx.exec_prepared(stmt::revocation_list, str(issuer))) {
    out.push_back(
        {r[0].as<std::string>(), detail::from_epoch_us(r[1].as<std::int64_t>()), detail::to_u8(r[2])});
  }
  return out;
}

std::optional<registry::stored_crl> find_crl(pqxx::work& tx, std::string_view issuer) {
  const auto rows = tx.exec_prepared(stmt::crl_find, str(issuer));
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  registry::stored_crl c;
  c.number = static_cast<std::uint64_t>(r[0].as<std::int64_t>());
  c.der = detail::from_bytea(r[1]);
  c.this_update = detail::from_epoch_us(r[2].as<std::int64_t>());
  c.next_update = detail::from_epoch_us(r[3].as<std::int64_t>());
  return c;
}

}  // namespace

std::vector<registry::revoked_certificate> pg_revocation_store::revoked(std::string_view issuer_key_id_hex) {
  return with_transaction(pool_, [&](pqxx::work& tx) { return list_revoked(tx, issuer_key_id_hex); });
}

std::optional<registry::certificate_state> pg_revocation_store::status(std::string_view issuer_key_id_hex,
                                                                       std::string_view serial_hex) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> std::optional<registry::certificate_state> {
    const auto rows = tx.exec_prepared(stmt::revocation_status, str(issuer_key_id_hex), str(serial_hex));
    if (rows.empty()) return std::nullopt;
    registry::certificate_state s;
    s.revoked_at = detail::opt_time(rows[0][0]);
    s.reason = detail::to_u8(rows[0][1]);
    return s;
  });
}

std::optional<registry::stored_crl> pg_revocation_store::current_crl(std::string_view issuer_key_id_hex) {
  return with_transaction(pool_, [&](pqxx::work& tx) { return find_crl(tx, issuer_key_id_hex); });
}

registry::stored_crl pg_revocation_store::replace_crl(std::string_view issuer_key_id_hex,
                                                      const crl_maker& make) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    tx.exec_prepared(stmt::crl_lock_issuer, str(issuer_key_id_hex));
    const auto previous = find_crl(tx, issuer_key_id_hex);
    const std::uint64_t number = (previous ? previous->number : 0) + 1;
    auto crl = make(number, list_revoked(tx, issuer_key_id_hex));
    if (crl.number != number) throw std::logic_error("replace_crl: the maker changed the CRL number");
    const auto stored =
        tx.exec_prepared0(stmt::crl_upsert, str(issuer_key_id_hex), static_cast<std::int64_t>(number),
                          detail::to_bytea(crl.der), detail::to_epoch_us(crl.this_update),
                          detail::to_epoch_us(crl.next_update));
    if (stored.affected_rows() != 1)
      throw std::logic_error("replace_crl: the stored CRL number did not grow");
    return crl;
  });
}

}  // namespace iotreg::db
