-- 002_zone_journal: the IXFR journal (RFC 1995), the most recent diffs of each published zone.
-- Written in the same transaction as the serial it leads to (zone_state), pruned to a bounded
-- history, and emptied by every full build (new signatures everywhere: no older diff chains to
-- the rebuilt zone). Serials wrap (RFC 1982), so the order is the id's, not the serials'.

CREATE TABLE zone_journal (
  id           bigserial PRIMARY KEY,
  zone         text NOT NULL,
  from_serial  bigint NOT NULL CHECK (from_serial BETWEEN 0 AND 4294967295),
  to_serial    bigint NOT NULL CHECK (to_serial BETWEEN 0 AND 4294967295),
  diff         bytea NOT NULL,  -- dns::encode_diff: removed and added records, versioned
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX zone_journal_zone_idx ON zone_journal (zone, id);
