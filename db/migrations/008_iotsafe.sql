-- 008_iotsafe: the ASP's service endpoint (issue 5 item 5, the IoT SAFE payload): the TLS server
-- its devices connect to, with the TLSA records (RFC 6698) that authenticate it at
-- _<port>._tcp.<host>. One per ASP tenant; the API checks every field (registry/iotsafe.hpp
-- check_service_endpoint), the CHECKs below are the last guard.

CREATE TABLE service_endpoints (
  tenant_id   bigint PRIMARY KEY REFERENCES tenants (id),
  host        text NOT NULL CHECK (host <> '' AND length(host) <= 253),
  port        integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The endpoint's TLSA records, in the order the client sent them.
CREATE TABLE service_endpoint_tlsa (
  tenant_id  bigint NOT NULL REFERENCES service_endpoints (tenant_id) ON DELETE CASCADE,
  position   smallint NOT NULL CHECK (position >= 0),
  usage      smallint NOT NULL CHECK (usage BETWEEN 0 AND 3),
  selector   smallint NOT NULL CHECK (selector BETWEEN 0 AND 1),
  matching   smallint NOT NULL CHECK (matching BETWEEN 0 AND 2),
  data       bytea NOT NULL CHECK (octet_length(data) > 0),
  PRIMARY KEY (tenant_id, position)
);
