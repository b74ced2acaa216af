// SQL of the reads_store statements (issue 5 item 3; see statements.cpp for the time
// conventions: microseconds since the epoch as bigint).

#include "db/statements.hpp"

namespace iotreg::db::stmt {

void prepare_reads(pqxx::connection& c) {
  // Keyset pagination on (updated_at, id); every filter is optional (NULL: not applied).
  // $1 zone, $2 status, $3 asp filter, $4 mno filter, $5 updated_since µs, $6/$7 cursor (µs, id),
  // $8 the caller's ASP, $9 the caller's MNO, $10 limit.
  // Column 8: the distinct TLSA of the device's live certificates (the certificate condition of
  // zone_active_tlsa, statements.cpp) as "u s m hex" joined by ',' (NULL: none), in one lateral
  // subquery over certificates_device_idx: one statement per page, no query per device.
  c.prepare(reads_devices,
            "SELECT d.device_id, d.status, d.asp_tenant_id, d.mno_tenant_id, "
            "  (extract(epoch FROM d.created_at) * 1000000)::bigint, "
            "  (extract(epoch FROM d.updated_at) * 1000000)::bigint, "
            "  (extract(epoch FROM d.deleted_at) * 1000000)::bigint, d.id, l.tlsa "
            "FROM devices d LEFT JOIN LATERAL ("
            "  SELECT string_agg(t.u || ' ' || t.s || ' ' || t.m || ' ' || encode(t.a, 'hex'), ',' "
            "    ORDER BY t.u, t.s, t.m, t.a) AS tlsa "
            "  FROM (SELECT DISTINCT c.tlsa_usage AS u, c.tlsa_selector AS s, c.tlsa_matching AS m, "
            "          c.tlsa_data AS a FROM certificates c "
            "        WHERE c.device = d.id AND c.withdrawn_at IS NULL AND c.revoked_at IS NULL) AS t"
            ") AS l ON true "
            "WHERE d.zone = $1 "
            "  AND ($2::text IS NULL OR d.status = $2::text) "
            "  AND ($3::bigint IS NULL OR d.asp_tenant_id = $3::bigint) "
            "  AND ($4::bigint IS NULL OR d.mno_tenant_id = $4::bigint) "
            "  AND ($5::bigint IS NULL OR "
            "       d.updated_at >= timestamptz 'epoch' + $5::bigint * interval '1 microsecond') "
            "  AND ($6::bigint IS NULL OR (d.updated_at, d.id) > "
            "       (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::bigint)) "
            "  AND ($8::bigint IS NULL OR d.asp_tenant_id = $8::bigint) "
            "  AND ($9::bigint IS NULL OR d.mno_tenant_id = $9::bigint) "
            "ORDER BY d.updated_at, d.id LIMIT $10::bigint");
  c.prepare(reads_history,
            "SELECT id, action, (extract(epoch FROM at) * 1000000)::bigint, api_key_id, request_id, "
            "  detail::text "
            "FROM audit_log WHERE zone = $1 AND device_id = $2 AND id > $3::bigint "
            "ORDER BY id LIMIT $4::bigint");
  // The TLSA count is that of zone_active_tlsa (statements.cpp): what a full build publishes.
  c.prepare(reads_zone_counts,
            "SELECT (SELECT serial FROM zone_state WHERE zone = $1), "
            "  (SELECT (extract(epoch FROM published_at) * 1000000)::bigint FROM zone_state "
            "   WHERE zone = $1), "
            "  (SELECT count(*) FROM devices WHERE zone = $1 AND status = 'active'), "
            "  (SELECT count(*) FROM (SELECT DISTINCT d.device_id, c.tlsa_usage, c.tlsa_selector, "
            "     c.tlsa_matching, c.tlsa_data FROM devices d JOIN certificates c ON c.device = d.id "
            "     WHERE d.zone = $1 AND d.status = 'active' AND c.withdrawn_at IS NULL "
            "       AND c.revoked_at IS NULL) AS t)");
}

}  // namespace iotreg::db::stmt
