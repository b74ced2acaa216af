#include "db/statements.hpp"

namespace iotreg::db::stmt {

namespace {

// Times cross the wire as bigint microseconds since the Unix epoch, exact both ways:
//   read:  (extract(epoch FROM x) * 1000000)::bigint      (extract returns numeric since PG 14)
//   write: timestamptz 'epoch' + $n::bigint * interval '1 microsecond'
// bytea parameters are sent in binary format; TLSA columns come as usage, selector, matching, data.

struct statement {
  const char* name;
  const char* sql;
};

constexpr statement all[] = {
    {device_insert,
     // Activation of a device an ASP registered (migration 006) or a new row; no row returned if
     // the (zone, id) pair exists in any other state.
     "INSERT INTO devices (zone, device_id, status, created_by, mno_tenant_id) "
     "VALUES ($1, $2, 'active', $3::bigint, $4::bigint) "
     "ON CONFLICT (zone, device_id) DO UPDATE SET status = 'active', "
     "  mno_tenant_id = excluded.mno_tenant_id, updated_at = now() "
     "WHERE devices.status = 'registered' RETURNING id"},

    {certificate_insert,
     "INSERT INTO certificates (device, serial_hex, issuer_key_id, pem, not_before, not_after, "
     "  tlsa_usage, tlsa_selector, tlsa_matching, tlsa_data) "
     "VALUES ($1, $2, $3, $4, "
     "  timestamptz 'epoch' + $5::bigint * interval '1 microsecond', "
     "  timestamptz 'epoch' + $6::bigint * interval '1 microsecond', "
     "  $7, $8, $9, $10::bytea)"},

    {zone_change_add,
     "INSERT INTO zone_changes (zone, device_id, op, tlsa_usage, tlsa_selector, tlsa_matching, "
     "  tlsa_data) "
     "VALUES ($1, $2, 'add', $3, $4, $5, $6::bytea) RETURNING id"},

    // $7: the request id (registry::current_request), '' outside the API.
    {audit_enroll,
     "INSERT INTO audit_log (api_key_id, action, zone, device_id, detail, request_id) "
     "VALUES ($1::bigint, 'device.enroll', $2, $3, "
     "  jsonb_build_object('change_id', $4::bigint, 'certificate_serial', $5::text, "
     "                     'issuer_key_id', $6::text), NULLIF($7::text, ''))"},

    // The current certificate is the device's latest; zone_serial is the serial that published
    // the device's latest `add` (null until the signer has published it).
    {device_find,
     "SELECT d.zone, d.device_id, d.status, "
     "  (extract(epoch FROM d.created_at) * 1000000)::bigint, "
     "  (extract(epoch FROM d.updated_at) * 1000000)::bigint, "
     "  c.serial_hex, c.pem, c.issuer_key_id, "
     "  (extract(epoch FROM c.not_before) * 1000000)::bigint, "
     "  (extract(epoch FROM c.not_after) * 1000000)::bigint, "
     "  (extract(epoch FROM c.revoked_at) * 1000000)::bigint, "
     "  c.tlsa_usage, c.tlsa_selector, c.tlsa_matching, c.tlsa_data, "
     "  (SELECT z.published_serial FROM zone_changes z "
     "    WHERE z.zone = d.zone AND z.device_id = d.device_id AND z.op = 'add' "
     "    ORDER BY z.id DESC LIMIT 1), "
     "  (extract(epoch FROM c.withdrawn_at) * 1000000)::bigint, "
     "  (extract(epoch FROM c.confirmed_at) * 1000000)::bigint "
     "FROM devices d "
     "CROSS JOIN LATERAL (SELECT * FROM certificates WHERE device = d.id "
     "                    ORDER BY id DESC LIMIT 1) c "
     "WHERE d.zone = $1 AND d.device_id = $2"},

    {device_lock, "SELECT id, status FROM devices WHERE zone = $1 AND device_id = $2 FOR UPDATE"},

    {device_set_revoked, "UPDATE devices SET status = 'revoked', updated_at = now() WHERE id = $1"},

    {certificates_revoke,
     "UPDATE certificates SET revoked_at = now(), revocation_reason = $2 "
     "WHERE device = $1 AND revoked_at IS NULL"},

    // One `remove` per distinct TLSA of the device's live certificates (several during a renewal
    // overlap); run before certificates_revoke, which ends their life.
    {zone_change_remove,
     "INSERT INTO zone_changes (zone, device_id, op, tlsa_usage, tlsa_selector, tlsa_matching, "
     "  tlsa_data) "
     "SELECT DISTINCT d.zone, d.device_id, 'remove', c.tlsa_usage, c.tlsa_selector, c.tlsa_matching, "
     "  c.tlsa_data "
     "FROM devices d JOIN certificates c ON c.device = d.id "
     "WHERE d.id = $1 AND c.withdrawn_at IS NULL AND c.revoked_at IS NULL "
     "RETURNING id"},

    // $5, $6: the credential and the request id (registry::current_request), null outside the API.
    {audit_revoke,
     "INSERT INTO audit_log (api_key_id, action, zone, device_id, detail, request_id) "
     "VALUES ($5::bigint, 'device.revoke', $1, $2, "
     "  jsonb_build_object('change_id', $3::bigint, 'reason_code', $4::smallint), NULLIF($6::text, ''))"},

    // Every live certificate's TLSA (migration 005), once per device and TLSA.
    {zone_active_tlsa,
     "SELECT DISTINCT d.device_id, c.tlsa_usage, c.tlsa_selector, c.tlsa_matching, c.tlsa_data "
     "FROM devices d JOIN certificates c ON c.device = d.id "
     "WHERE d.zone = $1 AND d.status = 'active' AND c.withdrawn_at IS NULL AND c.revoked_at IS NULL "
     "ORDER BY d.device_id, c.tlsa_usage, c.tlsa_selector, c.tlsa_matching, c.tlsa_data"},

    {zone_pending,
     "SELECT id, device_id, op, tlsa_usage, tlsa_selector, tlsa_matching, tlsa_data "
     "FROM zone_changes WHERE zone = $1 AND published_serial IS NULL "
     "ORDER BY id LIMIT $2::bigint"},

    {zone_last_serial, "SELECT serial FROM zone_state WHERE zone = $1"},

    {zone_state_upsert,
     "INSERT INTO zone_state (zone, serial, published_at) VALUES ($1, $2::bigint, now()) "
     "ON CONFLICT (zone) DO UPDATE SET serial = excluded.serial, "
     "  published_at = excluded.published_at"},

    // $3 is a bigint[] in text form, built from integers only (never from input text).
    {zone_changes_mark,
     "UPDATE zone_changes SET published_serial = $2::bigint "
     "WHERE zone = $1 AND id = ANY ($3::bigint[]) AND published_serial IS NULL"},

    // The IXFR journal (migration 002): ordered by id, since serials wrap.
    {zone_journal_newest, "SELECT to_serial FROM zone_journal WHERE zone = $1 ORDER BY id DESC LIMIT 1"},

    {zone_journal_insert,
     "INSERT INTO zone_journal (zone, from_serial, to_serial, diff) "
     "VALUES ($1, $2::bigint, $3::bigint, $4::bytea)"},

    // Keeps the newest $2 entries of the zone.
    {zone_journal_prune,
     "DELETE FROM zone_journal WHERE zone = $1 AND id <= "
     "  (SELECT id FROM zone_journal WHERE zone = $1 ORDER BY id DESC OFFSET $2::bigint LIMIT 1)"},

    {zone_journal_clear, "DELETE FROM zone_journal WHERE zone = $1"},

    {zone_journal_load, "SELECT from_serial, to_serial, diff FROM zone_journal WHERE zone = $1 ORDER BY id"},

    {api_key_find_active,
     "SELECT k.id, k.name, k.role, k.tenant_id FROM api_keys k JOIN tenants t ON t.id = k.tenant_id "
     "WHERE k.key_hash = $1::bytea AND k.kind = 'key' AND k.revoked_at IS NULL "
     "  AND (k.expires_at IS NULL OR k.expires_at > now()) AND t.disabled_at IS NULL"},

    // Keys made without a tenant (init, `apikey create --role admin`) belong to the first tenant
    // of their role's kind: the admin tenant made by migration 006.
    {api_key_insert,
     "INSERT INTO api_keys (name, role, key_hash, tenant_id) "
     "VALUES ($1, $2, $3::bytea, (SELECT min(id) FROM tenants WHERE kind = $2)) RETURNING id"},

    {api_key_count_active,
     "SELECT count(*) FROM api_keys "
     "WHERE role = $1 AND kind = 'key' AND revoked_at IS NULL "
     "  AND (expires_at IS NULL OR expires_at > now())"},
};

}  // namespace

void prepare_all(pqxx::connection& c) {
  for (const auto& s : all) c.prepare(s.name, s.sql);
  prepare_dnssec_keys(c);
  prepare_revocation(c);
  prepare_robustness(c);
  prepare_renewal(c);
  prepare_tenants(c);
  prepare_reads(c);
  prepare_iotsafe(c);
  prepare_tenant_certificates(c);
}

}  // namespace iotreg::db::stmt
