-- 004_revocation: the reason of each revocation (RFC 5280 §5.3.1 CRLReason code) and the current
-- CRL of each issuing CA, shared by every node so that they all serve the same CRL and its
-- cRLNumber only grows.

-- Codes 0-6, 9, 10: 7 is unassigned and removeFromCRL (8) belongs to delta CRLs only.
ALTER TABLE certificates ADD COLUMN revocation_reason smallint
  CONSTRAINT certificates_revocation_reason_code CHECK (revocation_reason IN (0, 1, 2, 3, 4, 5, 6, 9, 10));
-- Certificates revoked before this migration were revoked without a reason: unspecified.
UPDATE certificates SET revocation_reason = 0 WHERE revoked_at IS NOT NULL;
ALTER TABLE certificates ADD CONSTRAINT certificates_revocation_reason_with_time
  CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL));
-- The CRL lists an issuer's revoked certificates.
CREATE INDEX certificates_revoked_idx ON certificates (issuer_key_id, id) WHERE revoked_at IS NOT NULL;

-- One row per issuing CA (its subjectKeyIdentifier in lower-case hex, as certificates.issuer_key_id).
CREATE TABLE crls (
  issuer_key_id  text PRIMARY KEY CHECK (issuer_key_id ~ '^[0-9a-f]+$'),
  crl_number     bigint NOT NULL CHECK (crl_number > 0),
  crl_der        bytea NOT NULL CHECK (octet_length(crl_der) > 0),
  this_update    timestamptz NOT NULL,
  next_update    timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (this_update < next_update)
);
