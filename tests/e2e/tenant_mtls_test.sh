#!/usr/bin/env bash
# Issue 5 item 1, the second kind of tenant credential: a TLS client certificate registered by the
# admin for a tenant (self-signed here, as a tenant's own PKI would be foreign to iotreg), then
# used with curl --cert/--key and NO Authorization header: it acts as the tenant (an MNO lists and
# activates its devices; another MNO's device is 404). Refusals at registration (expired, wrong
# extendedKeyUsage, not PEM, already registered), 401 for an unregistered, expired, revoked or
# disabled tenant's certificate, the Bearer token winning over a certificate, audit rows, TLS 1.2
# and 1.3 session resumption with openssl s_client, and EST simplereenroll still refusing a
# certificate that is not iotreg's.
source "$(dirname "$0")/lib.sh"

e2e_start

body() { printf '%s' "$2" >"$E2E_DIR/$1.json"; echo "$E2E_DIR/$1.json"; }
as() {  # as KEYFILE METHOD PATH [BODYFILE]: http_req with that tenant's key
  local key=$1
  shift
  E2E_AUTH="Bearer $(cat "$key")" http_req "$@"
}
with_cert() {  # with_cert NAME METHOD PATH [BODYFILE]: no Authorization header, client certificate NAME
  local name=$1 method=$2 path=$3 bodyfile=${4:-}
  E2E_AUTH="" http_req "$method" "$path" "$bodyfile" --cert "$E2E_DIR/$name.pem" --key "$E2E_DIR/$name.key"
}
selfsigned() {  # selfsigned NAME CN [openssl req args...]: $E2E_DIR/NAME.pem and NAME.key
  local name=$1 cn=$2
  shift 2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$E2E_DIR/$name.key" \
    -out "$E2E_DIR/$name.pem" -subj "/CN=$cn/O=operator" -days 30 "$@" 2>/dev/null ||
    e2e_abort "openssl req -x509 for $name"
}
cert_body() {  # cert_body NAME [JSON_OBJECT]: the registration body for NAME.pem (+ members)
  local extra=${2:-}
  [[ -n $extra ]] || extra='{}'
  "$PYTHON" -c '
import json, sys
d = {"certificate": open(sys.argv[1]).read()}
d.update(json.loads(sys.argv[2]))
print(json.dumps(d))' "$E2E_DIR/$1.pem" "$extra" >"$E2E_DIR/$1.reg.json"
  echo "$E2E_DIR/$1.reg.json"
}
fingerprint_of() { openssl x509 -in "$E2E_DIR/$1.pem" -outform DER | sha256sum | cut -d' ' -f1; }
row() { sql "SELECT status || '|' || coalesce(asp_tenant_id::text, '-') || '|' || coalesce(mno_tenant_id::text, '-') FROM devices WHERE device_id = '$1'"; }

# --- tenants, keys and devices ---------------------------------------------------------------
http_req POST /api/v1/tenants "$(body t1 '{"name":"fleet","kind":"asp"}')"
ASP=$(json_get "$HTTP_BODY" id)
http_req POST /api/v1/tenants "$(body t2 '{"name":"operator-one","kind":"mno"}')"
MNO1=$(json_get "$HTTP_BODY" id)
http_req POST /api/v1/tenants "$(body t3 '{"name":"operator-two","kind":"mno"}')"
MNO2=$(json_get "$HTTP_BODY" id)
for t in asp:$ASP mno2:$MNO2; do
  http_req POST "/api/v1/tenants/${t#*:}/api-keys" "$(body k '{}')"
  assert_eq "admin creates a key for ${t%%:*}" 201 "$HTTP_STATUS"
  json_get "$HTTP_BODY" key >"$E2E_DIR/${t%%:*}.key"
done
D1=$(eid_for 701)
D2=$(eid_for 702)
for d in "$D1" "$D2"; do
  as "$E2E_DIR/asp.key" POST /api/v1/devices/register "$(body r "{\"device_id\":\"$d\"}")"
  assert_eq "the ASP registers $d" 201 "$HTTP_STATUS"
done
make_csr ec "$E2E_DIR/d2" || e2e_abort "CSR"
enroll_body "$D2" "$E2E_DIR/d2/csr.pem" "$E2E_DIR/act2.json"
as "$E2E_DIR/mno2.key" POST /api/v1/devices "$E2E_DIR/act2.json"
assert_eq "MNO2 activates D2 with its API key" 201 "$HTTP_STATUS"

# --- registration of a self-signed client certificate for MNO1 -------------------------------
selfsigned mno1 mno1-platform -addext extendedKeyUsage=clientAuth -addext keyUsage=digitalSignature
FP=$(fingerprint_of mno1)
http_req POST "/api/v1/tenants/$MNO1/certificates" "$(cert_body mno1)"
assert_eq "admin registers MNO1's certificate" 201 "$HTTP_STATUS"
assert_eq "the fingerprint is the SHA-256 of the DER" "$FP" "$(json_get "$HTTP_BODY" fingerprint)"
assert_eq "the credential belongs to MNO1" "$MNO1" "$(json_get "$HTTP_BODY" tenant_id)"
assert_eq "not revoked" "false" "$(json_get "$HTTP_BODY" revoked)"
assert_contains "the subject" "$(json_get "$HTTP_BODY" subject)" "CN=mno1-platform"
assert_eq "expires at the certificate's notAfter" "$(json_get "$HTTP_BODY" not_after)" \
  "$(json_get "$HTTP_BODY" expires_at)"
CRED=$(json_get "$HTTP_BODY" id)
assert_eq "stored as a certificate credential of MNO1" "certificate|mno|$MNO1|true" \
  "$(sql "SELECT kind || '|' || role || '|' || tenant_id || '|' || (key_hash = sha256(certificate)) FROM api_keys WHERE id = $CRED")"
assert_eq "audit row of the registration, by the admin's key" "1" \
  "$(sql "SELECT count(*) FROM audit_log WHERE action = 'tenant.certificate.register' AND detail->>'fingerprint' = '$FP' AND (detail->>'tenant_id')::bigint = $MNO1 AND api_key_id IS NOT NULL AND request_id IS NOT NULL")"

# An earlier expiry than notAfter is kept; the same certificate twice is 409, nothing written.
selfsigned mno1b mno1-backup
http_req POST "/api/v1/tenants/$MNO1/certificates" "$(cert_body mno1b '{"expires_at":"2099-01-01T00:00:00Z"}')"
assert_eq "a second certificate for MNO1 (no extensions but CA:TRUE from req -x509)" 201 "$HTTP_STATUS"
CRED2=$(json_get "$HTTP_BODY" id)
assert_eq "expires_at later than notAfter: notAfter wins" "$(json_get "$HTTP_BODY" not_after)" \
  "$(json_get "$HTTP_BODY" expires_at)"
before=$(sql "SELECT count(*) FROM api_keys")
http_req POST "/api/v1/tenants/$MNO2/certificates" "$(cert_body mno1)"
check_problem "the same certificate again (another tenant)" 409 client-certificate-exists
assert_eq "nothing written by the 409" "$before" "$(sql "SELECT count(*) FROM api_keys")"

# Refusals: expired, extendedKeyUsage without clientAuth, keyUsage without digitalSignature,
# not a certificate, a chain, an unknown tenant, a non-admin caller.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$E2E_DIR/old.key" 2>/dev/null
openssl req -new -key "$E2E_DIR/old.key" -subj /CN=old -out "$E2E_DIR/old.csr" 2>/dev/null
openssl x509 -req -in "$E2E_DIR/old.csr" -signkey "$E2E_DIR/old.key" -days -1 -out "$E2E_DIR/old.pem" 2>/dev/null
assert_cmd "openssl made an expired certificate" bash -c "! openssl x509 -in '$E2E_DIR/old.pem' -noout -checkend 0"
http_req POST "/api/v1/tenants/$MNO1/certificates" "$(cert_body old)"
check_problem "an expired certificate" 400 client-certificate-refused
assert_contains "the reason" "$(json_get "$HTTP_BODY" detail)" "expired"
selfsigned server mno1-server -addext extendedKeyUsage=serverAuth
http_req POST "/api/v1/tenants/$MNO1/certificates" "$(cert_body server)"
check_problem "a certificate for servers only" 400 client-certificate-refused
selfsigned encipher mno1-enc -addext keyUsage=keyEncipherment
http_req POST "/api/v1/tenants/$MNO1/certificates" "$(cert_body encipher)"
check_problem "keyUsage without digitalSignature" 400 client-certificate-refused
http_req POST "/api/v1/tenants/$MNO1/certificates" "$(body junk '{"certificate":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}')"
check_problem "not a certificate" 400 invalid-client-certificate
cat "$E2E_DIR/mno1.pem" "$E2E_STATE/ca/root.pem" >"$E2E_DIR/chain.pem"
http_req POST "/api/v1/tenants/$MNO1/certificates" "$(cert_body chain)"
check_problem "a chain" 400 invalid-client-certificate
http_req POST "/api/v1/tenants/$MNO1/certificates" "$(body nocert '{"expires_at":"2099-01-01T00:00:00Z"}')"
check_problem "no certificate member" 400 invalid-request
http_req POST "/api/v1/tenants/999999/certificates" "$(cert_body server)"
check_problem "an unknown tenant" 404 tenant-not-found
as "$E2E_DIR/mno2.key" POST "/api/v1/tenants/$MNO1/certificates" "$(cert_body mno1b)"
check_problem "an MNO registers a certificate" 403 forbidden
assert_eq "only the two good certificates are stored" "2" "$(sql "SELECT count(*) FROM api_keys WHERE kind = 'certificate'")"

# --- the list --------------------------------------------------------------------------------
http_req GET "/api/v1/tenants/$MNO1/certificates"
assert_eq "admin lists MNO1's certificates" 200 "$HTTP_STATUS"
assert_eq "two, oldest first" "$FP $(fingerprint_of mno1b)" \
  "$("$PYTHON" -c 'import json,sys; print(" ".join(c["fingerprint"] for c in json.load(open(sys.argv[1]))["certificates"]))' "$HTTP_BODY")"
http_req GET "/api/v1/tenants/$MNO2/certificates"
assert_eq "MNO2 has none" '[]' "$(json_get "$HTTP_BODY" certificates)"
as "$E2E_DIR/mno2.key" GET "/api/v1/tenants/$MNO1/certificates"
check_problem "an MNO lists certificates" 403 forbidden
http_req GET "/api/v1/tenants/999999/certificates"
check_problem "the list of an unknown tenant" 404 tenant-not-found

# --- the certificate as credential: MNO1 without any Authorization header ---------------------
make_csr ec "$E2E_DIR/d1" || e2e_abort "CSR"
enroll_body "$D1" "$E2E_DIR/d1/csr.pem" "$E2E_DIR/act1.json"
with_cert mno1 POST /api/v1/devices "$E2E_DIR/act1.json"
assert_eq "MNO1 activates D1 with its client certificate" 201 "$HTTP_STATUS"
assert_eq "D1 is MNO1's" "active|$ASP|$MNO1" "$(row "$D1")"
assert_eq "the enrollment's audit row names the certificate credential" "$CRED" \
  "$(sql "SELECT api_key_id FROM audit_log WHERE device_id = '$D1' AND action NOT LIKE 'device.register%' ORDER BY id LIMIT 1")"
with_cert mno1 GET /api/v1/devices
assert_eq "MNO1 lists its devices" 200 "$HTTP_STATUS"
assert_eq "only D1" "$D1" \
  "$("$PYTHON" -c 'import json,sys; print(" ".join(d["device_id"] for d in json.load(open(sys.argv[1]))["devices"]))' "$HTTP_BODY")"
with_cert mno1 GET "/api/v1/devices/$D1"
assert_eq "MNO1 reads D1" 200 "$HTTP_STATUS"
with_cert mno1 GET "/api/v1/devices/$D2"
check_problem "MNO2's device with MNO1's certificate" 404 device-not-found
with_cert mno1 POST "/api/v1/devices/$D2/suspend"
check_problem "suspend MNO2's device with MNO1's certificate" 404 device-not-found
with_cert mno1 GET /api/v1/tenants
check_problem "the MNO role's scopes apply" 403 forbidden
with_cert mno1b POST "/api/v1/devices/$D1/suspend"
assert_eq "MNO1's second certificate suspends D1" 200 "$HTTP_STATUS"
with_cert mno1 POST "/api/v1/devices/$D1/resume"
assert_eq "and the first resumes it" 200 "$HTTP_STATUS"
# Both credentials: the Bearer token is used (MNO2's key sees D2, not D1).
E2E_AUTH="Bearer $(cat "$E2E_DIR/mno2.key")" http_req GET "/api/v1/devices/$D1" "" \
  --cert "$E2E_DIR/mno1.pem" --key "$E2E_DIR/mno1.key"
check_problem "token and certificate: the token wins (D1)" 404 device-not-found
E2E_AUTH="Bearer $(cat "$E2E_DIR/mno2.key")" http_req GET "/api/v1/devices/$D2" "" \
  --cert "$E2E_DIR/mno1.pem" --key "$E2E_DIR/mno1.key"
assert_eq "token and certificate: the token wins (D2)" 200 "$HTTP_STATUS"
E2E_AUTH="Bearer iotreg_0000" http_req GET "/api/v1/devices/$D1" "" \
  --cert "$E2E_DIR/mno1.pem" --key "$E2E_DIR/mno1.key"
check_problem "a bad token beside a good certificate" 401 unauthenticated
# Unregistered certificates: a foreign self-signed one, and an iotreg device certificate.
selfsigned stranger stranger -addext extendedKeyUsage=clientAuth
with_cert stranger GET /api/v1/devices
check_problem "an unregistered certificate" 401 unauthenticated
assert_contains "401 carries a challenge" "$(cat "$HTTP_BODY.headers")" "WWW-Authenticate: Bearer"
E2E_AUTH="" http_req GET /api/v1/devices ""
check_problem "no credential at all" 401 unauthenticated
# Public routes do not care about the certificate.
with_cert stranger GET /healthz
assert_eq "healthz with an unregistered certificate" 200 "$HTTP_STATUS"

# --- TLS session resumption keeps the certificate (TLS 1.3 tickets, TLS 1.2 session ids) -------
resumed_get() {  # resumed_get TLSFLAG: two connections, the second resumes; echoes "REUSED STATUS"
  local flag=$1 sess=$E2E_DIR/sess$1 out
  local request="GET /api/v1/devices/$D1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
  printf '%b' "$request" | openssl s_client -quiet "$flag" -connect "127.0.0.1:$E2E_HTTP_PORT" \
    -CAfile "$E2E_STATE/ca/root.pem" -cert "$E2E_DIR/mno1.pem" -key "$E2E_DIR/mno1.key" \
    -sess_out "$sess" >/dev/null 2>&1
  out=$( (printf '%b' "$request"; sleep 1) | openssl s_client "$flag" -connect "127.0.0.1:$E2E_HTTP_PORT" \
    -CAfile "$E2E_STATE/ca/root.pem" -sess_in "$sess" -ign_eof 2>/dev/null)
  echo "$(grep -c '^Reused' <<<"$out") $(grep -m1 -o '^HTTP/1.1 [0-9]*' <<<"$out" | cut -d' ' -f2)"
}
assert_eq "TLS 1.3: a resumed session (no certificate sent again) still authenticates" "1 200" "$(resumed_get -tls1_3)"
assert_eq "TLS 1.2: a resumed session still authenticates" "1 200" "$(resumed_get -tls1_2)"

# --- expiry, disabled tenant, revocation -----------------------------------------------------
sql "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $CRED" >/dev/null
with_cert mno1 GET "/api/v1/devices/$D1"
check_problem "an expired certificate credential" 401 unauthenticated
sql "UPDATE api_keys SET expires_at = now() + interval '1 day' WHERE id = $CRED" >/dev/null
sql "UPDATE tenants SET disabled_at = now() WHERE id = $MNO1" >/dev/null
with_cert mno1 GET "/api/v1/devices/$D1"
check_problem "a disabled tenant's certificate" 401 unauthenticated
sql "UPDATE tenants SET disabled_at = NULL WHERE id = $MNO1" >/dev/null
with_cert mno1 GET "/api/v1/devices/$D1"
assert_eq "enabled again" 200 "$HTTP_STATUS"

http_req DELETE "/api/v1/tenants/$MNO2/certificates/$FP"
check_problem "revoke under another tenant" 404 client-certificate-not-found
as "$E2E_DIR/mno2.key" DELETE "/api/v1/tenants/$MNO1/certificates/$FP"
check_problem "an MNO revokes" 403 forbidden
http_req DELETE "/api/v1/tenants/$MNO1/certificates/not-a-fingerprint"
check_problem "a malformed fingerprint" 404 client-certificate-not-found
# The colon-separated upper-case form `openssl x509 -fingerprint -sha256` prints works too.
OSSL_FP=$(openssl x509 -in "$E2E_DIR/mno1.pem" -noout -fingerprint -sha256 | cut -d= -f2)
http_req DELETE "/api/v1/tenants/$MNO1/certificates/$OSSL_FP"
assert_eq "admin revokes MNO1's certificate" 200 "$HTTP_STATUS"
assert_eq "the reply names it" "$FP" "$(json_get "$HTTP_BODY" fingerprint)"
assert_eq "audit row of the revocation" "1" \
  "$(sql "SELECT count(*) FROM audit_log WHERE action = 'tenant.certificate.revoke' AND (detail->>'credential_id')::bigint = $CRED")"
with_cert mno1 GET "/api/v1/devices/$D1"
check_problem "a revoked certificate" 401 unauthenticated
http_req DELETE "/api/v1/tenants/$MNO1/certificates/$FP"
check_problem "revoked twice" 404 client-certificate-not-found
http_req POST "/api/v1/tenants/$MNO1/certificates" "$(cert_body mno1)"
check_problem "a revoked certificate cannot be registered again" 409 client-certificate-exists
http_req GET "/api/v1/tenants/$MNO1/certificates"
assert_eq "the list shows it revoked" "true false" \
  "$("$PYTHON" -c 'import json,sys; print(" ".join(str(c["revoked"]).lower() for c in json.load(open(sys.argv[1]))["certificates"]))' "$HTTP_BODY")"
with_cert mno1b GET "/api/v1/devices/$D1"
assert_eq "MNO1's other certificate still works" 200 "$HTTP_STATUS"
# The API-key revocation route does not revoke certificate credentials.
http_req DELETE "/api/v1/api-keys/$CRED2"
check_problem "DELETE /api/v1/api-keys/{id} of a certificate credential" 404 api-key-not-found

# --- iotregctl tenant cert add|list|revoke ---------------------------------------------------
selfsigned cli mno2-cli -addext extendedKeyUsage=clientAuth
CLI_FP=$(ctl tenant cert add --tenant "$MNO2" --file "$E2E_DIR/cli.pem" | grep -E '^[0-9a-f]{64}$')
assert_eq "iotregctl tenant cert add prints the fingerprint" "$(fingerprint_of cli)" "$CLI_FP"
with_cert cli GET "/api/v1/devices/$D2"
assert_eq "MNO2 reads D2 with the certificate iotregctl registered" 200 "$HTTP_STATUS"
assert_cmd "iotregctl refuses an expired certificate" bash -c "! '$IOTREGCTL' --config '$E2E_CONFIG' tenant cert add --tenant $MNO2 --file '$E2E_DIR/old.pem'"
assert_match "iotregctl tenant cert list" "$(ctl tenant cert list --tenant "$MNO2" | grep "^$CLI_FP")" "^$CLI_FP	active	.*CN=mno2-cli"
ctl tenant cert revoke --tenant "$MNO2" "$CLI_FP" >/dev/null 2>&1 || fail "iotregctl tenant cert revoke"
with_cert cli GET "/api/v1/devices/$D2"
check_problem "the certificate iotregctl revoked" 401 unauthenticated
assert_contains "iotregctl lists it revoked" "$(ctl tenant cert list --tenant "$MNO2" | grep "^$CLI_FP")" "revoked"

# --- EST simplereenroll still takes only a certificate of iotreg's CA ------------------------
printf '%s' "$(sed '1d;$d' "$E2E_DIR/d1/csr.pem" | tr -d '\n')" >"$E2E_DIR/d1.b64"
E2E_AUTH="" E2E_CTYPE=application/pkcs10 http_req POST /.well-known/est/simplereenroll "$E2E_DIR/d1.b64" \
  --cert "$E2E_DIR/mno1b.pem" --key "$E2E_DIR/mno1b.key"
check_problem "simplereenroll with a tenant's (registered, foreign) certificate" 401 client-certificate-required

e2e_finish
