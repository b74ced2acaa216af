// The SQL of the dnssec_keys statements (names in statements.hpp). Times cross the wire as bigint
// microseconds since the epoch, exact both ways, as in statements.cpp; a null parameter is a null
// time. Column order of a key row: id, zone, key_tag, algorithm, role, dnskey, private_key, then
// generated, published, ready, active, retired, removed, ds_submitted, ds_seen, rollover_requested.
#include "db/statements.hpp"

namespace iotreg::db::stmt {

namespace {

struct statement {
  const char* name;
  const char* sql;
};

constexpr statement all[] = {
    {dnssec_keys_list,
     "SELECT id, zone, key_tag, algorithm, role, dnskey, private_key, "
     "  (extract(epoch FROM generated) * 1000000)::bigint, "
     "  (extract(epoch FROM published) * 1000000)::bigint, "
     "  (extract(epoch FROM ready) * 1000000)::bigint, "
     "  (extract(epoch FROM active) * 1000000)::bigint, "
     "  (extract(epoch FROM retired) * 1000000)::bigint, "
     "  (extract(epoch FROM removed) * 1000000)::bigint, "
     "  (extract(epoch FROM ds_submitted) * 1000000)::bigint, "
     "  (extract(epoch FROM ds_seen) * 1000000)::bigint, "
     "  (extract(epoch FROM rollover_requested) * 1000000)::bigint "
     "FROM dnssec_keys WHERE zone = $1 ORDER BY id"},

    // ON CONFLICT DO NOTHING: a taken key tag returns no row instead of aborting the transaction.
    {dnssec_keys_insert,
     "INSERT INTO dnssec_keys (zone, key_tag, algorithm, role, dnskey, private_key, generated, "
     "  published, ready, active, retired, removed, ds_submitted, ds_seen, rollover_requested) "
     "VALUES ($1, $2, $3, $4, $5::bytea, $6::bytea, "
     "  timestamptz 'epoch' + $7::bigint * interval '1 microsecond', "
     "  timestamptz 'epoch' + $8::bigint * interval '1 microsecond', "
     "  timestamptz 'epoch' + $9::bigint * interval '1 microsecond', "
     "  timestamptz 'epoch' + $10::bigint * interval '1 microsecond', "
     "  timestamptz 'epoch' + $11::bigint * interval '1 microsecond', "
     "  timestamptz 'epoch' + $12::bigint * interval '1 microsecond', "
     "  timestamptz 'epoch' + $13::bigint * interval '1 microsecond', "
     "  timestamptz 'epoch' + $14::bigint * interval '1 microsecond', "
     "  timestamptz 'epoch' + $15::bigint * interval '1 microsecond') "
     "ON CONFLICT ON CONSTRAINT dnssec_keys_zone_key_tag_key DO NOTHING RETURNING id"},

    // Serialises first-key creation of one zone across nodes, until the transaction ends: the
    // two-int form, with a constant of iotreg's own (migrate.cpp uses the bigint form) and the
    // zone's hash.
    {dnssec_keys_lock_zone, "SELECT pg_advisory_xact_lock(1768912231, hashtext($1))"},
    // The same lock, not waiting: the key policy step of one node at a time (with_zone_lock).
    {dnssec_keys_try_lock_zone, "SELECT pg_try_advisory_xact_lock(1768912231, hashtext($1))"},

    {dnssec_keys_count, "SELECT count(*) FROM dnssec_keys WHERE zone = $1"},

    {dnssec_keys_update_timeline,
     "UPDATE dnssec_keys SET "
     "  generated = timestamptz 'epoch' + $2::bigint * interval '1 microsecond', "
     "  published = timestamptz 'epoch' + $3::bigint * interval '1 microsecond', "
     "  ready = timestamptz 'epoch' + $4::bigint * interval '1 microsecond', "
     "  active = timestamptz 'epoch' + $5::bigint * interval '1 microsecond', "
     "  retired = timestamptz 'epoch' + $6::bigint * interval '1 microsecond', "
     "  removed = timestamptz 'epoch' + $7::bigint * interval '1 microsecond', "
     "  ds_submitted = timestamptz 'epoch' + $8::bigint * interval '1 microsecond', "
     "  ds_seen = timestamptz 'epoch' + $9::bigint * interval '1 microsecond' "
     "WHERE id = $1"},

    {dnssec_keys_request_rollover,
     "UPDATE dnssec_keys SET rollover_requested = "
     "  timestamptz 'epoch' + $3::bigint * interval '1 microsecond' "
     "WHERE zone = $1 AND role = $2 AND rollover_requested IS NULL "
     "  AND (retired IS NULL OR retired > timestamptz 'epoch' + $3::bigint * interval '1 microsecond') "
     "  AND (removed IS NULL OR removed > timestamptz 'epoch' + $3::bigint * interval '1 microsecond')"},

    {dnssec_keys_clear_rollover, "UPDATE dnssec_keys SET rollover_requested = NULL WHERE id = $1"},

    {dnssec_keys_ds_seen,
     "UPDATE dnssec_keys SET ds_seen = "
     "  coalesce(ds_seen, timestamptz 'epoch' + $3::bigint * interval '1 microsecond') "
     "WHERE zone = $1 AND key_tag = $2 AND role = 'ksk'"},
};

}  // namespace

void prepare_dnssec_keys(pqxx::connection& c) {
  for (const auto& s : all) c.prepare(s.name, s.sql);
}

}  // namespace iotreg::db::stmt
