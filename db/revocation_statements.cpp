// SQL of the revocation_store statements (see statements.cpp for the time conventions).

#include "db/statements.hpp"

namespace iotreg::db::stmt {

void prepare_revocation(pqxx::connection& c) {
  // Certificates revoked before migration 004 got reason 0 there; coalesce guards nothing else.
  c.prepare(revocation_list,
            "SELECT serial_hex, (extract(epoch FROM revoked_at) * 1000000)::bigint, "
            "  coalesce(revocation_reason, 0) "
            "FROM certificates WHERE issuer_key_id = $1 AND revoked_at IS NOT NULL ORDER BY revoked_at, id");
  c.prepare(revocation_status,
            "SELECT (extract(epoch FROM revoked_at) * 1000000)::bigint, coalesce(revocation_reason, 0) "
            "FROM certificates WHERE issuer_key_id = $1 AND serial_hex = $2");
  c.prepare(crl_find,
            "SELECT crl_number, crl_der, (extract(epoch FROM this_update) * 1000000)::bigint, "
            "  (extract(epoch FROM next_update) * 1000000)::bigint "
            "FROM crls WHERE issuer_key_id = $1");
  // Serialises CRL generation per issuer across nodes (even before the issuer has a row).
  c.prepare(crl_lock_issuer, "SELECT pg_advisory_xact_lock(1768912232, hashtext($1))");
  // The WHERE keeps numbers growing even if a caller got it wrong: 0 rows means refused.
  c.prepare(crl_upsert,
            "INSERT INTO crls (issuer_key_id, crl_number, crl_der, this_update, next_update) "
            "VALUES ($1, $2, $3::bytea, timestamptz 'epoch' + $4::bigint * interval '1 microsecond', "
            "  timestamptz 'epoch' + $5::bigint * interval '1 microsecond') "
            "ON CONFLICT (issuer_key_id) DO UPDATE SET crl_number = EXCLUDED.crl_number, "
            "  crl_der = EXCLUDED.crl_der, this_update = EXCLUDED.this_update, "
            "  next_update = EXCLUDED.next_update, updated_at = now() "
            "WHERE crls.crl_number < EXCLUDED.crl_number");
}

}  // namespace iotreg::db::stmt
