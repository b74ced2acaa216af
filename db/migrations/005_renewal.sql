-- 005_renewal: several live certificates per device (renewal, rekey; issue 4 item 4). A device's
-- certificates are "live" while their TLSA is meant to be in the zone: not revoked and not
-- withdrawn. During an overlap a device has several live certificates and the zone carries the
-- TLSA of each (deduplicated: a renewal keeps the key, hence the record). A certificate is
-- withdrawn when a newer one is confirmed or when it expires (the periodic sweep).

-- When the TLSA of this certificate left the zone's intended content (superseded or expired).
ALTER TABLE certificates ADD COLUMN withdrawn_at timestamptz;
-- When the device confirmed that it uses this certificate (POST .../confirm).
ALTER TABLE certificates ADD COLUMN confirmed_at timestamptz;

-- Before this migration a device had one current certificate, the newest: any older one was
-- superseded already.
UPDATE certificates c SET withdrawn_at = now()
WHERE c.revoked_at IS NULL
  AND c.id < (SELECT max(o.id) FROM certificates o WHERE o.device = c.device);

-- The expiry sweep and the expiring list read live certificates by notAfter.
CREATE INDEX certificates_live_not_after_idx ON certificates (not_after, id)
  WHERE withdrawn_at IS NULL AND revoked_at IS NULL;
