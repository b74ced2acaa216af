#include "db/service_endpoint_store_pg.hpp"

#include "db/convert.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"
#include "registry/request_context.hpp"

namespace iotreg::db {
namespace {

void audit(pqxx::work& tx, std::optional<std::int64_t> api_key_id, const char* action,
           std::string detail_json) {
  const detail::nullable_param key{api_key_id};
  tx.exec_prepared0(stmt::endpoint_audit, key.get(), action, detail_json,
                    registry::current_request().request_id);
}

}  // namespace

std::optional<registry::service_endpoint> pg_service_endpoint_store::find(std::int64_t tenant_id) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> std::optional<registry::service_endpoint> {
    const auto head = tx.exec_prepared(stmt::endpoint_find, tenant_id);
    if (head.empty()) return std::nullopt;
    registry::service_endpoint e;
    e.host = head[0][0].as<std::string>();
    e.port = static_cast<std::uint16_t>(head[0][1].as<int>());
    for (const auto& r : tx.exec_prepared(stmt::endpoint_tlsa_list, tenant_id)) {
      e.tlsa.push_back({static_cast<std::uint8_t>(r[0].as<int>()), static_cast<std::uint8_t>(r[1].as<int>()),
                        static_cast<std::uint8_t>(r[2].as<int>()), detail::from_bytea(r[3])});
    }
    return e;
  });
}

void pg_service_endpoint_store::put(std::int64_t tenant_id, const registry::service_endpoint& e,
                                    std::optional<std::int64_t> api_key_id) {
  with_transaction(pool_, [&](pqxx::work& tx) {
    tx.exec_prepared0(stmt::endpoint_upsert, tenant_id, e.host, int{e.port});
    tx.exec_prepared0(stmt::endpoint_tlsa_clear, tenant_id);
    for (std::size_t i = 0; i < e.tlsa.size(); ++i) {
      const auto& t = e.tlsa[i];
      tx.exec_prepared0(stmt::endpoint_tlsa_insert, tenant_id, static_cast<int>(i), int{t.usage},
                        int{t.selector}, int{t.matching}, detail::to_bytea(t.association));
    }
    // The host is a checked LDH name: no JSON escaping needed.
    audit(tx, api_key_id, "tenant.service_endpoint.set",
          "{\"tenant_id\":" + std::to_string(tenant_id) + ",\"host\":\"" + e.host + "\",\"port\":" +
              std::to_string(e.port) + ",\"tlsa_records\":" + std::to_string(e.tlsa.size()) + "}");
  });
}

bool pg_service_endpoint_store::remove(std::int64_t tenant_id, std::optional<std::int64_t> api_key_id) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const auto r = tx.exec_prepared(stmt::endpoint_delete, tenant_id);
    if (r.affected_rows() == 0) return false;
    audit(tx, api_key_id, "tenant.service_endpoint.delete",
          "{\"tenant_id\":" + std::to_string(tenant_id) + "}");
    return true;
  });
}

}  // namespace iotreg::db
