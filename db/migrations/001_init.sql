-- 001_init: api keys, devices, certificates, the zone change outbox, zone state, audit log.
-- Migrations are append-only: never edit a file once it has been applied anywhere; add NNN+1.
-- Each file runs in one transaction opened by db::migrate (no BEGIN/COMMIT here).

CREATE TABLE api_keys (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL,
  role        text NOT NULL,
  key_hash    bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),  -- SHA-256 of the token
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz,
  revoked_at  timestamptz
);

CREATE TABLE devices (
  id          bigserial PRIMARY KEY,
  zone        text NOT NULL CHECK (zone <> '' AND zone = lower(zone)),
  device_id   text NOT NULL CHECK (device_id <> '' AND device_id = lower(device_id)),
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  created_by  bigint REFERENCES api_keys (id),
  CONSTRAINT devices_zone_device_id_key UNIQUE (zone, device_id)
);
CREATE INDEX devices_created_by_idx ON devices (created_by) WHERE created_by IS NOT NULL;

-- A device has one certificate per enrollment or renewal; the current one has the highest id.
CREATE TABLE certificates (
  id             bigserial PRIMARY KEY,
  device         bigint NOT NULL REFERENCES devices (id),
  serial_hex     text NOT NULL CHECK (serial_hex ~ '^[0-9a-f]{1,40}$'),  -- RFC 5280: <= 20 octets
  issuer_key_id  text NOT NULL CHECK (issuer_key_id ~ '^[0-9a-f]*$'),
  pem            text NOT NULL,
  not_before     timestamptz NOT NULL,
  not_after      timestamptz NOT NULL,
  revoked_at     timestamptz,
  tlsa_usage     smallint NOT NULL CHECK (tlsa_usage BETWEEN 0 AND 255),
  tlsa_selector  smallint NOT NULL CHECK (tlsa_selector BETWEEN 0 AND 255),
  tlsa_matching  smallint NOT NULL CHECK (tlsa_matching BETWEEN 0 AND 255),
  tlsa_data      bytea NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT certificates_issuer_serial_key UNIQUE (issuer_key_id, serial_hex),
  CHECK (not_before <= not_after)
);
CREATE INDEX certificates_device_idx ON certificates (device, id);

-- The outbox: every change of a zone's TLSA set, committed with the registry change that causes
-- it. Ids are assigned at insert but commits can land out of order, so the signer marks rows it
-- published instead of remembering a high-water id.
CREATE TABLE zone_changes (
  id                bigserial PRIMARY KEY,
  zone              text NOT NULL,
  device_id         text NOT NULL,
  op                text NOT NULL CHECK (op IN ('add', 'remove')),
  tlsa_usage        smallint NOT NULL CHECK (tlsa_usage BETWEEN 0 AND 255),
  tlsa_selector     smallint NOT NULL CHECK (tlsa_selector BETWEEN 0 AND 255),
  tlsa_matching     smallint NOT NULL CHECK (tlsa_matching BETWEEN 0 AND 255),
  tlsa_data         bytea NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  published_serial  bigint CHECK (published_serial BETWEEN 0 AND 4294967295)
);
CREATE INDEX zone_changes_pending_idx ON zone_changes (zone, id) WHERE published_serial IS NULL;
CREATE INDEX zone_changes_device_idx ON zone_changes (zone, device_id, id);

-- The last SOA serial the signer published for each zone.
CREATE TABLE zone_state (
  zone          text PRIMARY KEY,
  serial        bigint NOT NULL CHECK (serial BETWEEN 0 AND 4294967295),
  published_at  timestamptz NOT NULL DEFAULT now()
);

-- Who did what, append-only: no foreign key, so that history never blocks deleting a key.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  api_key_id  bigint,
  action      text NOT NULL,
  zone        text,
  device_id   text,
  detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_device_idx ON audit_log (zone, device_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
