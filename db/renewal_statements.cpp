// SQL of several live certificates per device (migration 005): renewal and rekey add a
// certificate, confirm and the expiry sweep withdraw older or expired ones. A certificate is live
// while withdrawn_at and revoked_at are both null; a TLSA leaves the zone only when no live
// certificate of the device still carries it. Every statement here runs with the device row
// locked (devices ... FOR UPDATE), which serialises the live-set checks per device.

#include "db/statements.hpp"

namespace iotreg::db::stmt {

namespace {

struct statement {
  const char* name;
  const char* sql;
};

// The `remove` changes for the certificates a CTE named w withdrew: one per distinct TLSA that no
// other live certificate of device $1 carries. The NOT EXISTS reads the statement's snapshot, in
// which the rows of w are still live: hence "c.id NOT IN w".
#define IOTREG_REMOVE_WITHDRAWN                                                                     \
  "INSERT INTO zone_changes (zone, device_id, op, tlsa_usage, tlsa_selector, tlsa_matching, "       \
  "  tlsa_data) "                                                                                   \
  "SELECT DISTINCT d.zone, d.device_id, 'remove', w.tlsa_usage, w.tlsa_selector, w.tlsa_matching, " \
  "  w.tlsa_data "                                                                                  \
  "FROM w CROSS JOIN devices d "                                                                    \
  "WHERE d.id = $1 AND NOT EXISTS ("                                                                \
  "  SELECT 1 FROM certificates c "                                                                 \
  "  WHERE c.device = $1 AND c.withdrawn_at IS NULL AND c.revoked_at IS NULL "                      \
  "    AND c.id NOT IN (SELECT id FROM w) "                                                         \
  "    AND c.tlsa_usage = w.tlsa_usage AND c.tlsa_selector = w.tlsa_selector "                      \
  "    AND c.tlsa_matching = w.tlsa_matching AND c.tlsa_data = w.tlsa_data) "                       \
  "RETURNING id"

constexpr statement all[] = {
    // Before the new certificate is inserted: an `add` only if no live certificate of device $1
    // carries this TLSA already (a renewal keeps the key, so the record is already served).
    {zone_change_add_if_new,
     "INSERT INTO zone_changes (zone, device_id, op, tlsa_usage, tlsa_selector, tlsa_matching, "
     "  tlsa_data) "
     "SELECT d.zone, d.device_id, 'add', $2, $3, $4, $5::bytea FROM devices d "
     "WHERE d.id = $1 AND NOT EXISTS ("
     "  SELECT 1 FROM certificates c "
     "  WHERE c.device = $1 AND c.withdrawn_at IS NULL AND c.revoked_at IS NULL "
     "    AND c.tlsa_usage = $2 AND c.tlsa_selector = $3 AND c.tlsa_matching = $4 "
     "    AND c.tlsa_data = $5::bytea) "
     "RETURNING id"},

    // $1 api key (nullable), $2 action, $3 zone, $4 device id, $5 detail (jsonb text built from
    // serials, ids and hex only).
    {audit_certificate,
     "INSERT INTO audit_log (api_key_id, action, zone, device_id, detail, request_id) "
     "VALUES ($1::bigint, $2, $3, $4, $5::jsonb, NULLIF($6::text, ''))"},

    // The newest certificate of device $1 with serial $2 (serials are unique per issuer only).
    {certificate_find_by_serial,
     "SELECT id, withdrawn_at IS NOT NULL, revoked_at IS NOT NULL FROM certificates "
     "WHERE device = $1 AND serial_hex = $2 ORDER BY id DESC LIMIT 1"},

    {certificate_confirm,
     "UPDATE certificates SET confirmed_at = coalesce(confirmed_at, now()) WHERE id = $1"},

    // Confirm: withdraws the live certificates of device $1 older than certificate id $2.
    {certificates_withdraw_before,
     "WITH w AS (UPDATE certificates SET withdrawn_at = now() "
     "  WHERE device = $1 AND id < $2::bigint AND withdrawn_at IS NULL AND revoked_at IS NULL "
     "  RETURNING id, tlsa_usage, tlsa_selector, tlsa_matching, tlsa_data) " IOTREG_REMOVE_WITHDRAWN},

    // Expiry: withdraws the live certificates of device $1 whose notAfter is before $2 (epoch us).
    {certificates_withdraw_expired,
     "WITH w AS (UPDATE certificates SET withdrawn_at = now() "
     "  WHERE device = $1 AND withdrawn_at IS NULL AND revoked_at IS NULL "
     "    AND not_after < timestamptz 'epoch' + $2::bigint * interval '1 microsecond' "
     "  RETURNING id, tlsa_usage, tlsa_selector, tlsa_matching, tlsa_data) " IOTREG_REMOVE_WITHDRAWN},

    // Active devices of zone $1 with a live certificate expired before $2, at most $3, locked;
    // a device another node is working on is skipped (it sweeps it).
    {devices_lock_expired,
     "SELECT d.id, d.device_id FROM devices d "
     "WHERE d.zone = $1 AND d.status = 'active' AND d.id IN ("
     "  SELECT c.device FROM certificates c "
     "  WHERE c.withdrawn_at IS NULL AND c.revoked_at IS NULL "
     "    AND c.not_after < timestamptz 'epoch' + $2::bigint * interval '1 microsecond') "
     "ORDER BY d.id LIMIT $3::bigint FOR UPDATE OF d SKIP LOCKED"},

    // Keyset pagination over (not_after, id); $3/$4 null on the first page. $6/$7: the caller's
    // tenant restriction (an ASP's devices, an MNO's activated devices), null for the admin.
    {certificates_expiring,
     "SELECT d.device_id, c.serial_hex, c.issuer_key_id, "
     "  (extract(epoch FROM c.not_after) * 1000000)::bigint, c.id, d.asp_tenant_id, d.mno_tenant_id "
     "FROM certificates c JOIN devices d ON d.id = c.device "
     "WHERE d.zone = $1 AND d.status = 'active' AND c.withdrawn_at IS NULL AND c.revoked_at IS NULL "
     "  AND c.not_after < timestamptz 'epoch' + $2::bigint * interval '1 microsecond' "
     "  AND ($3::bigint IS NULL OR (c.not_after, c.id) > "
     "       (timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4::bigint)) "
     "  AND ($6::bigint IS NULL OR d.asp_tenant_id = $6::bigint) "
     "  AND ($7::bigint IS NULL OR d.mno_tenant_id = $7::bigint) "
     "ORDER BY c.not_after, c.id LIMIT $5::bigint"},
};

#undef IOTREG_REMOVE_WITHDRAWN

}  // namespace

void prepare_renewal(pqxx::connection& c) {
  for (const auto& s : all) c.prepare(s.name, s.sql);
}

}  // namespace iotreg::db::stmt
