#include "db/api_key_store_pg.hpp"

#include "db/convert.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"

namespace iotreg::db {

using detail::str;

std::optional<registry::api_key> pg_api_key_store::find_active(const std::array<std::uint8_t, 32>& hash) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> std::optional<registry::api_key> {
    const auto rows = tx.exec_prepared(stmt::api_key_find_active, detail::to_bytea(hash));
    if (rows.empty()) return std::nullopt;
    registry::api_key k{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::string>(),
                        rows[0][2].as<std::string>(), std::nullopt};
    if (!rows[0][3].is_null()) k.tenant_id = rows[0][3].as<std::int64_t>();
    return k;
  });
}

std::int64_t pg_api_key_store::insert(std::string_view name, std::string_view role,
                                      const std::array<std::uint8_t, 32>& hash) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    return tx.exec_prepared1(stmt::api_key_insert, str(name), str(role), detail::to_bytea(hash))[0]
        .as<std::int64_t>();
  });
}

std::size_t pg_api_key_store::count_active(std::string_view role) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    return static_cast<std::size_t>(
        tx.exec_prepared1(stmt::api_key_count_active, str(role))[0].as<std::int64_t>());
  });
}

}  // namespace iotreg::db
