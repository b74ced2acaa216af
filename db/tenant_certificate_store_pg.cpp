#include "db/tenant_certificate_store_pg.hpp"

#include "db/convert.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"
#include "registry/request_context.hpp"

#include <algorithm>

namespace iotreg::db {

using detail::str;
using registry::errc;
using registry::error;

namespace {

void audit(pqxx::work& tx, std::string_view action, std::int64_t tenant_id, std::int64_t credential_id,
           const registry::fingerprint& sha256) {
  const auto& who = registry::current_request();
  const detail::nullable_param api_key{who.api_key_id};
  tx.exec_prepared0(stmt::tenant_certificate_audit, api_key.get(), str(action), tenant_id, credential_id,
                    detail::to_bytea(sha256), who.request_id);
}

}  // namespace

registry::result<std::int64_t> pg_tenant_certificate_store::insert(std::int64_t tenant_id,
                                                                   std::string_view name,
                                                                   const registry::fingerprint& sha256,
                                                                   std::span<const std::uint8_t> der,
                                                                   registry::time_point expires_at) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> registry::result<std::int64_t> {
    const auto rows = tx.exec_prepared(stmt::tenant_certificate_insert, str(name), detail::to_bytea(sha256),
                                       tenant_id, detail::to_epoch_us(expires_at), detail::to_bytea(der));
    if (rows.empty()) {
      if (tx.exec_prepared(stmt::tenant_certificate_tenant_exists, tenant_id).empty())
        return error{errc::tenant_not_found, "no tenant " + std::to_string(tenant_id)};
      return error{errc::client_certificate_exists,
                   "this certificate is already registered (it may be revoked: a revoked certificate "
                   "cannot be registered again)"};
    }
    const auto id = rows[0][0].as<std::int64_t>();
    audit(tx, "tenant.certificate.register", tenant_id, id, sha256);
    return id;
  });
}

std::vector<registry::tenant_certificate> pg_tenant_certificate_store::list(std::int64_t tenant_id) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    std::vector<registry::tenant_certificate> out;
    for (const auto& r : tx.exec_prepared(stmt::tenant_certificate_list, tenant_id)) {
      registry::tenant_certificate c;
      c.id = r[0].as<std::int64_t>();
      c.tenant_id = r[1].as<std::int64_t>();
      c.der = detail::from_bytea(r[2]);
      const auto hash = detail::from_bytea(r[3]);
      if (hash.size() == c.sha256.size()) std::copy(hash.begin(), hash.end(), c.sha256.begin());
      c.expires_at = detail::from_epoch_us(r[4].as<std::int64_t>());
      c.created_at = detail::from_epoch_us(r[5].as<std::int64_t>());
      c.revoked_at = detail::opt_time(r[6]);
      out.push_back(std::move(c));
    }
    return out;
  });
}

std::optional<std::int64_t> pg_tenant_certificate_store::revoke(std::int64_t tenant_id,
                                                                const registry::fingerprint& sha256) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> std::optional<std::int64_t> {
    const auto rows = tx.exec_prepared(stmt::tenant_certificate_revoke, tenant_id, detail::to_bytea(sha256));
    if (rows.empty()) return std::nullopt;
    const auto id = rows[0][0].as<std::int64_t>();
    audit(tx, "tenant.certificate.revoke", tenant_id, id, sha256);
    return id;
  });
}

std::optional<registry::api_key> pg_tenant_certificate_store::find_active(
    const registry::fingerprint& sha256) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> std::optional<registry::api_key> {
    const auto rows = tx.exec_prepared(stmt::tenant_certificate_find_active, detail::to_bytea(sha256));
    if (rows.empty()) return std::nullopt;
    registry::api_key k{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::string>(),
                        rows[0][2].as<std::string>(), std::nullopt};
    if (!rows[0][3].is_null()) k.tenant_id = rows[0][3].as<std::int64_t>();
    return k;
  });
}

}  // namespace iotreg::db
