-- 006_tenants: tenants (the registry admin, operators = MNOs, service providers = ASPs), API keys
-- per tenant, device ownership and the device lifecycle (registry/lifecycle.hpp has the state
-- machine; the CHECK below only lists its states).

CREATE TABLE tenants (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL CHECK (name <> ''),
  kind         text NOT NULL CHECK (kind IN ('admin', 'mno', 'asp')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  disabled_at  timestamptz
);

-- Every key made before tenants existed was an admin key: they belong to the admin tenant.
INSERT INTO tenants (name, kind) VALUES ('admin', 'admin');
ALTER TABLE api_keys ADD COLUMN tenant_id bigint REFERENCES tenants (id);
UPDATE api_keys SET tenant_id = (SELECT min(id) FROM tenants WHERE kind = 'admin');
ALTER TABLE api_keys ALTER COLUMN tenant_id SET NOT NULL;
-- A key inserted without a tenant (the admin key of `iotregctl init`, older tools) belongs to the
-- first tenant of its role's kind, i.e. the admin tenant above for role 'admin'.
CREATE FUNCTION api_keys_default_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.tenant_id IS NULL THEN
    NEW.tenant_id := (SELECT min(id) FROM tenants WHERE kind = NEW.role);
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER api_keys_default_tenant BEFORE INSERT ON api_keys
  FOR EACH ROW EXECUTE FUNCTION api_keys_default_tenant();
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('admin', 'mno', 'asp'));
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

-- Lifecycle: registered (by an ASP, no certificate yet) -> active (activated by an MNO) <->
-- suspended; revoked; deleted (kept for audit). Existing rows are 'active' or 'revoked'.
ALTER TABLE devices DROP CONSTRAINT devices_status_check;
ALTER TABLE devices ADD CONSTRAINT devices_status_check
  CHECK (status IN ('registered', 'active', 'suspended', 'revoked', 'deleted'));
ALTER TABLE devices ADD COLUMN asp_tenant_id bigint REFERENCES tenants (id);
ALTER TABLE devices ADD COLUMN mno_tenant_id bigint REFERENCES tenants (id);
ALTER TABLE devices ADD COLUMN deleted_at timestamptz;
-- A pending transfer: the SHA-256 of the one-time code and its expiry, cleared when used.
ALTER TABLE devices ADD COLUMN transfer_code_hash bytea CHECK (octet_length(transfer_code_hash) = 32);
ALTER TABLE devices ADD COLUMN transfer_code_expires_at timestamptz;
ALTER TABLE devices ADD CONSTRAINT devices_transfer_code_with_expiry
  CHECK ((transfer_code_hash IS NULL) = (transfer_code_expires_at IS NULL));
ALTER TABLE devices ADD CONSTRAINT devices_deleted_at_with_status
  CHECK ((deleted_at IS NULL) = (status <> 'deleted'));
CREATE INDEX devices_asp_idx ON devices (asp_tenant_id, id) WHERE asp_tenant_id IS NOT NULL;
CREATE INDEX devices_mno_idx ON devices (mno_tenant_id, id) WHERE mno_tenant_id IS NOT NULL;
CREATE INDEX devices_updated_idx ON devices (updated_at, id);
