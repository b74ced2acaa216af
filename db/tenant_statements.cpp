// SQL of the tenant_store and lifecycle_store statements (migration 006; see statements.cpp for
// the time conventions).

#include "db/statements.hpp"

namespace iotreg::db::stmt {

void prepare_tenants(pqxx::connection& c) {
  c.prepare(tenant_insert,
            "INSERT INTO tenants (name, kind) VALUES ($1, $2) "
            "RETURNING id, (extract(epoch FROM created_at) * 1000000)::bigint");
  c.prepare(tenant_list,
            "SELECT id, name, kind, (extract(epoch FROM created_at) * 1000000)::bigint, "
            "  (extract(epoch FROM disabled_at) * 1000000)::bigint FROM tenants ORDER BY id");
  c.prepare(tenant_find,
            "SELECT id, name, kind, (extract(epoch FROM created_at) * 1000000)::bigint, "
            "  (extract(epoch FROM disabled_at) * 1000000)::bigint FROM tenants WHERE id = $1::bigint");
  // The key's role is its tenant's kind; no row if the tenant does not exist.
  c.prepare(api_key_insert_tenant,
            "INSERT INTO api_keys (name, role, key_hash, tenant_id, expires_at) "
            "SELECT $1, t.kind, $2::bytea, t.id, "
            "  timestamptz 'epoch' + $4::bigint * interval '1 microsecond' "
            "FROM tenants t WHERE t.id = $3::bigint RETURNING id");
  // A certificate credential (migration 009) is revoked by its fingerprint, under its tenant.
  c.prepare(api_key_revoke,
            "UPDATE api_keys SET revoked_at = now() "
            "WHERE id = $1::bigint AND kind = 'key' AND revoked_at IS NULL");
  // set_disabled: the target row, or every admin tenant (ORDER BY id: one lock order for all).
  c.prepare(tenant_lock,
            "SELECT id, name, kind, (extract(epoch FROM created_at) * 1000000)::bigint, "
            "  (extract(epoch FROM disabled_at) * 1000000)::bigint FROM tenants WHERE id = $1::bigint "
            "FOR UPDATE");
  c.prepare(tenant_lock_admins,
            "SELECT id, (disabled_at IS NULL) FROM tenants WHERE kind = 'admin' ORDER BY id FOR UPDATE");
  // Disabling keeps the first disabled_at (idempotent); enabling clears it.
  c.prepare(tenant_set_disabled,
            "UPDATE tenants SET disabled_at = CASE WHEN $2::boolean THEN coalesce(disabled_at, now()) "
            "  ELSE NULL END WHERE id = $1::bigint "
            "RETURNING id, name, kind, (extract(epoch FROM created_at) * 1000000)::bigint, "
            "  (extract(epoch FROM disabled_at) * 1000000)::bigint");
  c.prepare(tenant_audit,
            "INSERT INTO audit_log (api_key_id, action, detail, request_id) "
            "VALUES ($1::bigint, $2, jsonb_build_object('tenant_id', $3::bigint), NULLIF($4::text, ''))");

  c.prepare(lifecycle_ownership,
            "SELECT device_id, status, asp_tenant_id, mno_tenant_id, "
            "  (extract(epoch FROM created_at) * 1000000)::bigint, "
            "  (extract(epoch FROM updated_at) * 1000000)::bigint, "
            "  (extract(epoch FROM deleted_at) * 1000000)::bigint "
            "FROM devices WHERE zone = $1 AND device_id = $2");
  c.prepare(lifecycle_lock,
            "SELECT device_id, status, asp_tenant_id, mno_tenant_id, "
            "  (extract(epoch FROM created_at) * 1000000)::bigint, "
            "  (extract(epoch FROM updated_at) * 1000000)::bigint, "
            "  (extract(epoch FROM deleted_at) * 1000000)::bigint, "
            "  id, transfer_code_hash, (extract(epoch FROM transfer_code_expires_at) * 1000000)::bigint "
            "FROM devices WHERE zone = $1 AND device_id = $2 FOR UPDATE");
  // Leaving for revoked or deleted also drops a pending transfer code.
  c.prepare(lifecycle_set_status,
            "UPDATE devices SET status = $2, updated_at = now(), "
            "  deleted_at = CASE WHEN $2 = 'deleted' THEN now() ELSE NULL END, "
            "  transfer_code_hash = CASE WHEN $2 IN ('revoked', 'deleted') THEN NULL "
            "                       ELSE transfer_code_hash END, "
            "  transfer_code_expires_at = CASE WHEN $2 IN ('revoked', 'deleted') THEN NULL "
            "                             ELSE transfer_code_expires_at END "
            "WHERE id = $1::bigint");
  c.prepare(lifecycle_set_asp,
            "UPDATE devices SET asp_tenant_id = $2::bigint, transfer_code_hash = NULL, "
            "  transfer_code_expires_at = NULL, updated_at = now() WHERE id = $1::bigint");
  c.prepare(lifecycle_set_transfer_code,
            "UPDATE devices SET transfer_code_hash = $2::bytea, "
            "  transfer_code_expires_at = timestamptz 'epoch' + $3::bigint * interval '1 microsecond' "
            "WHERE id = $1::bigint");
  // Every distinct TLSA of the live, unexpired certificates (resume).
  c.prepare(zone_change_add_current,
            "INSERT INTO zone_changes (zone, device_id, op, tlsa_usage, tlsa_selector, tlsa_matching, "
            "  tlsa_data) "
            "SELECT DISTINCT d.zone, d.device_id, 'add', c.tlsa_usage, c.tlsa_selector, c.tlsa_matching, "
            "  c.tlsa_data "
            "FROM devices d JOIN certificates c ON c.device = d.id "
            "WHERE d.id = $1::bigint AND c.withdrawn_at IS NULL AND c.revoked_at IS NULL "
            "  AND c.not_after > now() "
            "RETURNING id");
  c.prepare(lifecycle_audit,
            "INSERT INTO audit_log (api_key_id, action, zone, device_id, detail, request_id) "
            "VALUES ($1::bigint, $2, $3, $4, $5::jsonb, NULLIF($6::text, ''))");
  // $4 is a text[] literal built from validated device ids (quoted by the store).
  c.prepare(lifecycle_register,
            "INSERT INTO devices (zone, device_id, status, asp_tenant_id, created_by) "
            "SELECT $1, u, 'registered', $2::bigint, $3::bigint FROM unnest($4::text[]) AS u "
            "ON CONFLICT (zone, device_id) DO NOTHING RETURNING device_id");
  c.prepare(lifecycle_audit_register,
            "INSERT INTO audit_log (api_key_id, action, zone, device_id, detail) "
            "SELECT $1::bigint, 'device.register', $2, u, jsonb_build_object('asp_tenant_id', $3::bigint) "
            "FROM unnest($4::text[]) AS u");
}

}  // namespace iotreg::db::stmt
