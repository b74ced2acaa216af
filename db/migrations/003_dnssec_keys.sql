-- 003_dnssec_keys: the zones' DNSSEC keys, shared by every node. The private key is stored sealed
-- (AES-256-GCM under the key encryption key each node reads from a file or systemd credential,
-- with the zone and key tag as associated data), never in clear.
-- The timestamps are the RFC 7583 events of the key (null: not reached nor scheduled).

CREATE TABLE dnssec_keys (
  id                  bigserial PRIMARY KEY,
  zone                text NOT NULL CHECK (zone <> '' AND zone = lower(zone)),
  key_tag             integer NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),
  algorithm           smallint NOT NULL CHECK (algorithm BETWEEN 0 AND 255),
  role                text NOT NULL CHECK (role IN ('ksk', 'zsk')),
  dnskey              bytea NOT NULL CHECK (octet_length(dnskey) > 4),  -- public DNSKEY RDATA
  private_key         bytea NOT NULL CHECK (octet_length(private_key) > 29),  -- sealed, see above
  generated           timestamptz,
  published           timestamptz,
  ready               timestamptz,
  active              timestamptz,
  retired             timestamptz,
  removed             timestamptz,
  ds_submitted        timestamptz,
  ds_seen             timestamptz,
  rollover_requested  timestamptz,  -- `iotregctl dnssec rollover`; the signer's policy clears it
  created_at          timestamptz NOT NULL DEFAULT now(),
  -- A key tag names one key of a zone (DS records, `iotregctl dnssec ds-seen TAG`, the sealing's
  -- associated data), so two keys of a zone never share one.
  CONSTRAINT dnssec_keys_zone_key_tag_key UNIQUE (zone, key_tag)
);
