#!/usr/bin/env bash
# Issue 5 items 1, 4, 6 on EST: an MNO's API key enrolls over EST (RFC 7030 simpleenroll with HTTP
# Basic, serverkeygen) under the rules of POST /api/v1/devices (an ASP registers, an MNO activates
# and becomes the device's MNO; another MNO gets 404 and nothing changes; an ASP gets 403); EST
# calls count against the tenant's rate limit (429 + Retry-After), re-enrollment against the
# device's; a revoked device's certificate cannot re-enroll. Then the expiring-certificates list,
# scoped by tenant like the device list (each tenant sees only its own), with cursor paging.
source "$(dirname "$0")/lib.sh"

# A budget of 10 requests per tenant (refilled at one per 100 s: not during the test). The tenants
# and keys are made with iotregctl so that the admin's budget is not spent on them.
E2E_EXTRA_CONFIG='[api]
rate_limit_per_second = 0.01
rate_limit_burst = 10'
e2e_start
EST=/.well-known/est
D=$E2E_DIR/estmno
mkdir -p "$D"

tenant() {  # tenant KIND NAME: creates it and its key file $D/NAME.key; prints the id
  local id
  id=$(ctl tenant create --kind "$1" "$2" | head -n1)
  ctl apikey create --tenant "$id" --file "$D/$2.key" >/dev/null || fail "iotregctl apikey create for $2"
  echo "$id"
}
basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$(cat "$D/$1.key")" | openssl base64 -A)"; }
bearer() { printf 'Bearer %s' "$(cat "$D/$1.key")"; }
as() {  # as TENANT METHOD PATH [BODYFILE]: http_req with the tenant's key as Bearer token
  local who=$1
  shift
  E2E_AUTH="$(bearer "$who")" http_req "$@"
}
est() {  # est AUTH OP BODYFILE [curl args...]: an EST POST with that Authorization ("" for none)
  local auth=$1 op=$2 body=$3
  shift 3
  E2E_AUTH=$auth E2E_CTYPE=application/pkcs10 http_req POST "$EST/$op" "$body" "$@"
}
body() { printf '%s' "$2" >"$D/$1.json"; echo "$D/$1.json"; }
row() { sql "SELECT status || '|' || coalesce(asp_tenant_id::text, '-') || '|' || coalesce(mno_tenant_id::text, '-') FROM devices WHERE device_id = '$1'"; }
certs() { sql "SELECT count(*) FROM certificates c JOIN devices d ON d.id = c.device WHERE d.device_id = '$1'"; }
tlsa() { tlsa_rdata "$(dig_at +noall +answer "$1._device.$E2E_ZONE" TLSA)"; }
p7_certs() { openssl base64 -d -in "$1" | openssl pkcs7 -inform DER -print_certs -out "$2" 2>"$2.err"; }
est_csr() {  # est_csr DIR CN: DIR/key.pem, DIR/csr.b64
  mkdir -p "$1"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1/key.pem" 2>/dev/null
  openssl req -new -key "$1/key.pem" -subj "/CN=$2" -outform DER 2>/dev/null | openssl base64 >"$1/csr.b64"
}
retry_after() { sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' "$HTTP_BODY.headers" | head -n1; }

ASP1=$(tenant asp asp1)
ASP2=$(tenant asp asp2)
MNO1=$(tenant mno mno1)
MNO2=$(tenant mno mno2)
tenant mno mno3 >/dev/null
assert_match "tenants made" "$ASP1 $ASP2 $MNO1 $MNO2" '^[0-9]+ [0-9]+ [0-9]+ [0-9]+$'

# --- an ASP registers, an MNO activates over EST (HTTP Basic) --------------------------------
D1=$(eid_for 7001)
D2=$(eid_for 7002)
D3=$(eid_for 7003)
D4=$(eid_for 7004)
for d in "$D1" "$D2" "$D4"; do
  as asp1 POST /api/v1/devices/register "$(body "r$d" "{\"device_id\":\"$d\"}")"
  assert_eq "ASP1 registers $d" 201 "$HTTP_STATUS"
done
as asp2 POST /api/v1/devices/register "$(body r3 "{\"device_id\":\"$D3\"}")"
assert_eq "ASP2 registers D3" 201 "$HTTP_STATUS"

est_csr "$D/d1" "$D1._device.$E2E_ZONE"
est "$(basic asp1)" simpleenroll "$D/d1/csr.b64"
check_problem "EST simpleenroll with an ASP key" 403 forbidden
assert_eq "the ASP's attempt changed nothing" "registered|$ASP1|-" "$(row "$D1")"

est "$(basic mno1)" simpleenroll "$D/d1/csr.b64"
assert_eq "EST simpleenroll with MNO1's key (Basic): status" 200 "$HTTP_STATUS"
assert_match "simpleenroll: Content-Type" "$HTTP_CTYPE" '^application/pkcs7-mime; *smime-type=certs-only'
assert_cmd "simpleenroll: openssl pkcs7 -print_certs reads the reply" p7_certs "$HTTP_BODY" "$D/d1/cert.pem"
assert_eq "simpleenroll: the certificate is for the CSR's key" \
  "$(openssl pkey -in "$D/d1/key.pem" -pubout)" "$(openssl x509 -in "$D/d1/cert.pem" -noout -pubkey 2>/dev/null)"
assert_eq "D1 is active with ASP1 and MNO1" "active|$ASP1|$MNO1" "$(row "$D1")"
as mno1 GET "/api/v1/devices/$D1"
assert_eq "MNO1 reads D1" 200 "$HTTP_STATUS"
assert_eq "GET device: status" active "$(json_get "$HTTP_BODY" status)"
assert_eq "GET device: the MNO is MNO1" "$MNO1" "$(json_get "$HTTP_BODY" mno_tenant_id)"
assert_contains "D1's TLSA is served at iotreg's DNS port" "$(tlsa "$D1")" "3 1 1 $(spki_sha256 "$D/d1/key.pem")"

# --- another MNO, the same MNO again: refused, nothing changed --------------------------------
before_row=$(row "$D1")
before_certs=$(certs "$D1")
before_tlsa=$(tlsa "$D1")
est_csr "$D/d1b" "$D1"
est "$(basic mno2)" simpleenroll "$D/d1b/csr.b64"
check_problem "EST simpleenroll of MNO1's device with MNO2's key" 404 device-not-found
est "$(bearer mno1)" simpleenroll "$D/d1b/csr.b64"
check_problem "EST simpleenroll of an active device by its own MNO" 409 invalid-transition
assert_eq "D1's row unchanged" "$before_row" "$(row "$D1")"
assert_eq "D1's certificates unchanged" "$before_certs" "$(certs "$D1")"
assert_eq "D1's TLSA unchanged" "$before_tlsa" "$(tlsa "$D1")"

# --- serverkeygen with an MNO key ------------------------------------------------------------
est_csr "$D/d4" "$D4"
PW="estmno-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
est "$(basic mno1)" serverkeygen "$D/d4/csr.b64" -H "Iotreg-Key-Password: $PW"
assert_eq "EST serverkeygen with MNO1's key: status" 200 "$HTTP_STATUS"
assert_match "serverkeygen: multipart/mixed" "$HTTP_CTYPE" '^multipart/mixed; *boundary='
assert_eq "D4 is active with MNO1" "active|$ASP1|$MNO1" "$(row "$D4")"
est "$(basic asp1)" serverkeygen "$D/d4/csr.b64" -H "Iotreg-Key-Password: $PW"
check_problem "EST serverkeygen with an ASP key" 403 forbidden

# --- MNO2 activates ASP2's device; MNO1 enrolls D2 over EST, then D2 is revoked ---------------
est_csr "$D/d3" "$D3._device.$E2E_ZONE"
est "$(basic mno2)" simpleenroll "$D/d3/csr.b64"
assert_eq "MNO2 activates D3 over EST" 200 "$HTTP_STATUS"
assert_eq "D3 is active with ASP2 and MNO2" "active|$ASP2|$MNO2" "$(row "$D3")"
est_csr "$D/d2" "$D2._device.$E2E_ZONE"
est "$(basic mno1)" simpleenroll "$D/d2/csr.b64"
assert_eq "MNO1 activates D2 over EST" 200 "$HTTP_STATUS"
p7_certs "$HTTP_BODY" "$D/d2/cert.pem"
http_req POST "/api/v1/devices/$D2/revoke" "$(body rv '{"reason":"keyCompromise"}')"
assert_eq "the admin revokes D2" 200 "$HTTP_STATUS"
est_csr "$D/d2new" "$D2._device.$E2E_ZONE"
est "" simplereenroll "$D/d2new/csr.b64" --cert "$D/d2/cert.pem" --key "$D/d2/key.pem"
check_problem "simplereenroll with a revoked device's certificate" 403 forbidden

# --- rate limits: the tenant's budget on simpleenroll, the device's on simplereenroll ----------
# MNO3 spends its 10 requests on an id nobody registered (404 each), then gets 429.
est_csr "$D/u" "$(eid_for 7099)"
for i in $(seq 1 10); do
  est "$(basic mno3)" simpleenroll "$D/u/csr.b64"
  [[ $HTTP_STATUS == 404 ]] || fail "MNO3's request $i: 404 expected, got $HTTP_STATUS"
done
est "$(basic mno3)" simpleenroll "$D/u/csr.b64"
check_problem "EST simpleenroll over the tenant's budget" 429 rate-limited
assert_ge "429 carries Retry-After (seconds)" "$(retry_after)" 1
est "$(bearer mno3)" serverkeygen "$D/u/csr.b64" -H "Iotreg-Key-Password: $PW"
check_problem "EST serverkeygen shares the tenant's budget" 429 rate-limited
as mno3 GET "/api/v1/devices?limit=1"
check_problem "so does /api/v1" 429 rate-limited
# D1's certificate: a CSR for another subject is refused (400) but spends the device's budget.
est_csr "$D/x" "$D3._device.$E2E_ZONE"
for i in $(seq 1 10); do
  est "" simplereenroll "$D/x/csr.b64" --cert "$D/d1/cert.pem" --key "$D/d1/key.pem"
  [[ $HTTP_STATUS == 400 ]] || fail "D1's re-enrollment $i: 400 expected, got $HTTP_STATUS"
done
est "" simplereenroll "$D/x/csr.b64" --cert "$D/d1/cert.pem" --key "$D/d1/key.pem"
check_problem "EST simplereenroll over the device's budget" 429 rate-limited
assert_ge "429 carries Retry-After (seconds)" "$(retry_after)" 1
# The device's budget is not its MNO's.
est_csr "$D/d5" "$(eid_for 7005)"
est "$(basic mno1)" simpleenroll "$D/d5/csr.b64"
check_problem "MNO1 still has its own budget (an unregistered id)" 404 device-not-found

# --- audit rows of EST calls carry the request id and the key -----------------------------------
MNO1_KEY_ID=$(sql "SELECT id FROM api_keys WHERE tenant_id = $MNO1")
assert_ge "the activation's audit row names MNO1's key and a request id" \
  "$(sql "SELECT count(*) FROM audit_log WHERE device_id = '$D1' AND api_key_id = $MNO1_KEY_ID AND coalesce(request_id, '') <> ''")" 1

# --- the expiring-certificates list, scoped by tenant -----------------------------------------
# Live certificates of active devices: D1, D4 (MNO1, ASP1) and D3 (MNO2, ASP2); D2 is revoked.
LATER=2099-01-01T00:00:00Z
ids_of() { "$PYTHON" -c 'import json,sys; print(" ".join(sorted(c["device_id"] for c in json.load(open(sys.argv[1]))["certificates"])))' "$1"; }
sorted() { tr ' ' '\n' <<<"$*" | sort | tr '\n' ' ' | sed 's/ $//'; }
as mno1 GET "/api/v1/certificates?expiring_before=$LATER"
assert_eq "MNO1's expiring list: status" 200 "$HTTP_STATUS"
assert_eq "MNO1 sees the certificates of the devices it activated" "$(sorted "$D1" "$D4")" "$(ids_of "$HTTP_BODY")"
as mno2 GET "/api/v1/certificates?expiring_before=$LATER"
assert_eq "MNO2 sees only D3" "$D3" "$(ids_of "$HTTP_BODY")"
as asp1 GET "/api/v1/certificates?expiring_before=$LATER"
assert_eq "ASP1 sees its devices' certificates" "$(sorted "$D1" "$D4")" "$(ids_of "$HTTP_BODY")"
as asp2 GET "/api/v1/certificates?expiring_before=$LATER"
assert_eq "ASP2 sees only D3" "$D3" "$(ids_of "$HTTP_BODY")"
http_req GET "/api/v1/certificates?expiring_before=$LATER"
assert_eq "the admin sees all" "$(sorted "$D1" "$D3" "$D4")" "$(ids_of "$HTTP_BODY")"
# Paging within a tenant: pages of one, every row once, none of another tenant's.
as mno1 GET "/api/v1/certificates?expiring_before=$LATER&limit=1"
p1=$(ids_of "$HTTP_BODY")
next=$(json_get "$HTTP_BODY" next)
assert_ne "MNO1's first page has a next cursor" "" "$next"
as mno1 GET "/api/v1/certificates?expiring_before=$LATER&limit=1&after=$next"
p2=$(ids_of "$HTTP_BODY")
assert_eq "MNO1's two pages hold its two certificates" "$(sorted "$D1" "$D4")" "$(sorted "$p1" "$p2")"
assert_eq "MNO1's last page: next is null" "null" "$(json_get "$HTTP_BODY" next)"

e2e_finish
