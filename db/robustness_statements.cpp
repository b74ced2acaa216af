// SQL of the idempotency_store and audit_log_reader statements (see statements.cpp for the time
// conventions).

#include "db/statements.hpp"

namespace iotreg::db::stmt {

void prepare_robustness(pqxx::connection& c) {
  // An expired row no longer counts: the key may be used again. Nor does a row left in flight
  // for 10 minutes, far longer than any request runs: its node died before completing it.
  c.prepare(
      idempotency_drop_expired,
      "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 "
      "  AND (expires_at <= now() OR (state = 'in_flight' AND created_at < now() - interval '10 minutes'))");
  // Insert-first: the primary key decides between concurrent claims (the loser waits for the
  // winner's commit, then inserts nothing and reads the winner's row).
  c.prepare(idempotency_insert,
            "INSERT INTO idempotency_keys (scope, idem_key, request_hash, expires_at) "
            "VALUES ($1, $2, $3, timestamptz 'epoch' + $4::bigint * interval '1 microsecond') "
            "ON CONFLICT (scope, idem_key) DO NOTHING RETURNING 1");
  c.prepare(idempotency_find,
            "SELECT state, request_hash, status, content_type, headers, body "
            "FROM idempotency_keys WHERE scope = $1 AND idem_key = $2");
  c.prepare(idempotency_complete,
            "UPDATE idempotency_keys SET state = 'completed', status = $3, content_type = $4, "
            "  headers = $5, body = $6::bytea "
            "WHERE scope = $1 AND idem_key = $2 AND state = 'in_flight'");
  c.prepare(idempotency_unreplayable,
            "UPDATE idempotency_keys SET state = 'not_replayable', status = $3, request_hash = '' "
            "WHERE scope = $1 AND idem_key = $2 AND state = 'in_flight'");
  c.prepare(idempotency_release,
            "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND state = 'in_flight'");
  c.prepare(idempotency_purge,
            "DELETE FROM idempotency_keys "
            "WHERE expires_at <= timestamptz 'epoch' + $1::bigint * interval '1 microsecond'");

  // $3: '' = every device.
  c.prepare(audit_list,
            "SELECT id, (extract(epoch FROM at) * 1000000)::bigint, api_key_id, action, "
            "  coalesce(zone, ''), coalesce(device_id, ''), coalesce(request_id, ''), detail::text "
            "FROM audit_log WHERE id > $1::bigint AND ($3::text = '' OR device_id = $3::text) "
            "ORDER BY id LIMIT $2::bigint");
}

}  // namespace iotreg::db::stmt
