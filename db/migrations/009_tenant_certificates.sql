-- 009_tenant_certificates: a tenant's second kind of credential, a TLS client certificate
-- (issue 5 item 1). It is a row of api_keys like an API key, so that the principal, its role,
-- expiry, revocation, rate limits and audit rows are the same: kind 'certificate', key_hash the
-- SHA-256 of the certificate's DER (its fingerprint), the DER itself kept for listing (public
-- data), expires_at the earlier of the admin's expiry and the certificate's notAfter.

ALTER TABLE api_keys ADD COLUMN kind text NOT NULL DEFAULT 'key' CHECK (kind IN ('key', 'certificate'));
ALTER TABLE api_keys ADD COLUMN certificate bytea;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_certificate_with_kind
  CHECK ((certificate IS NOT NULL) = (kind = 'certificate'));
-- The fingerprint is the certificate's: a row cannot pin one certificate and list another.
ALTER TABLE api_keys ADD CONSTRAINT api_keys_certificate_fingerprint
  CHECK (certificate IS NULL OR key_hash = sha256(certificate));
-- A certificate always expires (its notAfter at the latest).
ALTER TABLE api_keys ADD CONSTRAINT api_keys_certificate_expires
  CHECK (kind = 'key' OR expires_at IS NOT NULL);
