// SQL of the tenant_certificate_store statements (migration 009; see statements.cpp for the time
// conventions). Certificate credentials are rows of api_keys with kind 'certificate'.

#include "db/statements.hpp"

namespace iotreg::db::stmt {

void prepare_tenant_certificates(pqxx::connection& c) {
  // The role is the tenant's kind; no row if the tenant does not exist or the fingerprint is
  // stored already (the unique key_hash: the caller tells the two apart).
  c.prepare(tenant_certificate_insert,
            "INSERT INTO api_keys (name, role, key_hash, tenant_id, expires_at, kind, certificate) "
            "SELECT $1, t.kind, $2::bytea, t.id, "
            "  timestamptz 'epoch' + $4::bigint * interval '1 microsecond', 'certificate', $5::bytea "
            "FROM tenants t WHERE t.id = $3::bigint "
            "ON CONFLICT (key_hash) DO NOTHING RETURNING id");
  c.prepare(tenant_certificate_tenant_exists, "SELECT 1 FROM tenants WHERE id = $1::bigint");
  c.prepare(tenant_certificate_list,
            "SELECT id, tenant_id, certificate, key_hash, "
            "  (extract(epoch FROM expires_at) * 1000000)::bigint, "
            "  (extract(epoch FROM created_at) * 1000000)::bigint, "
            "  (extract(epoch FROM revoked_at) * 1000000)::bigint "
            "FROM api_keys WHERE tenant_id = $1::bigint AND kind = 'certificate' ORDER BY id");
  c.prepare(tenant_certificate_revoke,
            "UPDATE api_keys SET revoked_at = now() "
            "WHERE tenant_id = $1::bigint AND key_hash = $2::bytea AND kind = 'certificate' "
            "  AND revoked_at IS NULL RETURNING id");
  c.prepare(tenant_certificate_find_active,
            "SELECT k.id, k.name, k.role, k.tenant_id FROM api_keys k JOIN tenants t ON t.id = k.tenant_id "
            "WHERE k.key_hash = $1::bytea AND k.kind = 'certificate' AND k.revoked_at IS NULL "
            "  AND k.expires_at > now() AND t.disabled_at IS NULL");
  // Who (the caller's credential), what (action), which tenant and credential, request id.
  c.prepare(
      tenant_certificate_audit,
      "INSERT INTO audit_log (api_key_id, action, detail, request_id) "
      "VALUES ($1::bigint, $2, jsonb_build_object('tenant_id', $3::bigint, 'credential_id', $4::bigint, "
      "  'fingerprint', encode($5::bytea, 'hex')), NULLIF($6::text, ''))");
}

}  // namespace iotreg::db::stmt
