// SQL of the service_endpoint_store statements (migration 008; see statements.cpp for the
// conventions).

#include "db/statements.hpp"

namespace iotreg::db::stmt {

void prepare_iotsafe(pqxx::connection& c) {
  c.prepare(endpoint_find, "SELECT host, port FROM service_endpoints WHERE tenant_id = $1::bigint");
  c.prepare(endpoint_tlsa_list,
            "SELECT usage, selector, matching, data FROM service_endpoint_tlsa "
            "WHERE tenant_id = $1::bigint ORDER BY position");
  c.prepare(endpoint_upsert,
            "INSERT INTO service_endpoints (tenant_id, host, port) VALUES ($1::bigint, $2, $3::integer) "
            "ON CONFLICT (tenant_id) DO UPDATE SET host = EXCLUDED.host, port = EXCLUDED.port, "
            "  updated_at = now()");
  c.prepare(endpoint_tlsa_clear, "DELETE FROM service_endpoint_tlsa WHERE tenant_id = $1::bigint");
  c.prepare(endpoint_tlsa_insert,
            "INSERT INTO service_endpoint_tlsa (tenant_id, position, usage, selector, matching, data) "
            "VALUES ($1::bigint, $2::smallint, $3::smallint, $4::smallint, $5::smallint, $6::bytea)");
  c.prepare(endpoint_delete, "DELETE FROM service_endpoints WHERE tenant_id = $1::bigint");
  // Not about a device: zone and device_id stay NULL; the tenant is in the detail.
  c.prepare(endpoint_audit,
            "INSERT INTO audit_log (api_key_id, action, detail, request_id) "
            "VALUES ($1::bigint, $2, $3::jsonb, NULLIF($4::text, ''))");
}

}  // namespace iotreg::db::stmt
