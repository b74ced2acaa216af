#!/usr/bin/env bash
# Issue 5 item 5: the IoT SAFE registry payload, checked with independent tools. The DER form
# parses with `openssl asn1parse`; a standard-library Python decoder (iotsafe_decode.py) takes out
# the device certificate, byte-identical to GET /api/v1/devices/{id}, which `openssl verify`
# accepts with the payload's root and issuing CA; the payload's DS equals `iotregctl zone ds` and
# `dnssec-dsfromkey` of the DNSKEY served at iotregd's DNS port; `delv` validates the device's
# TLSA with ONLY the payload's DNSKEY (or DS) as trust anchor; JSON and DER carry the same data.
# Refusals: 404 for another tenant, 406 for a bad Accept, 409 for a registered-but-not-active
# device, 400 for a bad service endpoint (nothing written), 403 for an MNO's endpoint change.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup
e2e_init
e2e_daemon_start

DER_TYPE=application/vnd.iotreg.iotsafe+der
DECODE=$(dirname "$0")/iotsafe_decode.py
as() {  # as KEYFILE METHOD PATH [BODYFILE] [curl args]: http_req with that tenant's key
  local key=$1
  shift
  E2E_AUTH="Bearer $(cat "$key")" http_req "$@"
}
body() { printf '%s' "$2" >"$E2E_DIR/$1.json"; echo "$E2E_DIR/$1.json"; }
jq_py() { "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# --- tenants: ASP1 owns D1 and D2, MNO1 activates D1; ASP2 and MNO2 are strangers ----------
declare -A TID
for t in asp1:asp asp2:asp mno1:mno mno2:mno; do
  http_req POST /api/v1/tenants "$(body t "{\"name\":\"${t%%:*}\",\"kind\":\"${t#*:}\"}")"
  assert_eq "admin creates ${t%%:*}" 201 "$HTTP_STATUS"
  TID[${t%%:*}]=$(json_get "$HTTP_BODY" id)
  http_req POST "/api/v1/tenants/$(json_get "$HTTP_BODY" id)/api-keys" "$(body k '{}')"
  json_get "$HTTP_BODY" key >"$E2E_DIR/${t%%:*}.key"
done
K_ASP1=$E2E_DIR/asp1.key K_ASP2=$E2E_DIR/asp2.key K_MNO1=$E2E_DIR/mno1.key
D1=$(eid_for 701)
D2=$(eid_for 702)
for d in "$D1" "$D2"; do
  as "$K_ASP1" POST /api/v1/devices/register "$(body r "{\"device_id\":\"$d\"}")"
  assert_eq "ASP1 registers $d" 201 "$HTTP_STATUS"
done
make_csr ec "$E2E_DIR/d1" || e2e_abort "CSR"
enroll_body "$D1" "$E2E_DIR/d1/csr.pem" "$E2E_DIR/act1.json"
as "$K_MNO1" POST /api/v1/devices "$E2E_DIR/act1.json"
assert_eq "MNO1 activates D1" 201 "$HTTP_STATUS"

# --- the ASP's service endpoint --------------------------------------------------------------
# The ASP's TLS server certificate, made by openssl; its TLSA 3 1 1 computed outside iotreg.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$E2E_DIR/svc.key" \
  -out "$E2E_DIR/svc.pem" -subj /CN=svc.asp1.example -days 30 2>/dev/null || e2e_abort "server cert"
SVC_HASH=$(openssl x509 -in "$E2E_DIR/svc.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
EP_PATH=/api/v1/tenants/${TID[asp1]}/service-endpoint
bad_bodies=(
  '{"host":"svc.asp1.example","port":0}'
  '{"host":"svc.asp1.example","port":65536}'
  '{"host":"not a host","port":443}'
  '{"host":"localhost","port":443}'
  '{"host":"svc.asp1.example","port":443,"tlsa":[{"usage":4,"selector":1,"matching_type":1,"data":"'"$SVC_HASH"'"}]}'
  '{"host":"svc.asp1.example","port":443,"tlsa":[{"usage":3,"selector":2,"matching_type":1,"data":"'"$SVC_HASH"'"}]}'
  '{"host":"svc.asp1.example","port":443,"tlsa":[{"usage":3,"selector":1,"matching_type":3,"data":"'"$SVC_HASH"'"}]}'
  '{"host":"svc.asp1.example","port":443,"tlsa":[{"usage":3,"selector":1,"matching_type":1,"data":"abcd"}]}'
  '{"host":"svc.asp1.example","port":443,"tlsa":[{"usage":3,"selector":1,"matching_type":2,"data":"'"$SVC_HASH"'"}]}'
  '{"host":"svc.asp1.example","port":443,"tlsa":[{"usage":3,"selector":0,"matching_type":0,"data":""}]}'
  '{"host":"svc.asp1.example","port":443,"tlsa":[{"usage":3,"selector":1,"matching_type":1,"data":"zz"}]}'
  '{"host":"svc.asp1.example","port":443,"colour":"blue"}'
)
n=0
for b in "${bad_bodies[@]}"; do
  n=$((n + 1))
  as "$K_ASP1" PUT "$EP_PATH" "$(body bad$n "$b")"
  check_problem "bad service endpoint #$n" 400 invalid-service-endpoint
done
assert_eq "no endpoint written after the refusals" 0 "$(sql 'SELECT count(*) FROM service_endpoints')"
assert_eq "no audit row for the refusals" 0 \
  "$(sql "SELECT count(*) FROM audit_log WHERE action LIKE 'tenant.service_endpoint.%'")"
as "$K_ASP1" GET "$EP_PATH"
check_problem "no endpoint yet" 404 service-endpoint-not-found
GOOD=$(body good '{"host":"Svc.ASP1.example.","port":8443,"tlsa":[{"usage":3,"selector":1,"matching_type":1,"data":"'"$SVC_HASH"'"}]}')
as "$K_MNO1" PUT "$EP_PATH" "$GOOD"
check_problem "an MNO sets an ASP's endpoint" 403 forbidden
as "$K_ASP2" PUT "$EP_PATH" "$GOOD"
check_problem "another ASP sets ASP1's endpoint" 404 tenant-not-found
http_req PUT "/api/v1/tenants/${TID[mno1]}/service-endpoint" "$GOOD"
check_problem "an endpoint on an MNO tenant" 400 invalid-service-endpoint
E2E_CTYPE=text/plain as "$K_ASP1" PUT "$EP_PATH" "$GOOD"
check_problem "a body that is not JSON" 415 unsupported-media-type
as "$K_ASP1" PUT "$EP_PATH" "$GOOD"
assert_eq "ASP1 sets its endpoint" 200 "$HTTP_STATUS"
assert_eq "host normalised" svc.asp1.example "$(json_get "$HTTP_BODY" host)"
assert_eq "TLSA owner name" _8443._tcp.svc.asp1.example "$(json_get "$HTTP_BODY" tlsa_name)"
assert_eq "audit row of the change" 1 \
  "$(sql "SELECT count(*) FROM audit_log WHERE action = 'tenant.service_endpoint.set' AND detail->>'tenant_id' = '${TID[asp1]}' AND request_id IS NOT NULL")"
http_req GET "$EP_PATH"
assert_eq "the admin reads it" 200 "$HTTP_STATUS"
assert_eq "stored TLSA data" "$SVC_HASH" "$(jq_py "$HTTP_BODY" 'd["tlsa"][0]["data"]')"

# --- who may read the payload ------------------------------------------------------------------
IS=/api/v1/devices/$D1/iotsafe
for k in mno1 asp1; do
  as "$E2E_DIR/$k.key" GET "$IS"
  assert_eq "$k reads the payload" 200 "$HTTP_STATUS"
done
for k in asp2 mno2; do
  as "$E2E_DIR/$k.key" GET "$IS"
  check_problem "$k reads another tenant's payload" 404 device-not-found
  as "$E2E_DIR/$k.key" GET "$IS" "" -H "Accept: $DER_TYPE"
  check_problem "$k reads another tenant's payload (DER)" 404 device-not-found
done
as "$K_MNO1" GET "$IS" "" -H "Accept: text/html"
check_problem "Accept: text/html" 406 not-acceptable
as "$K_ASP1" GET "/api/v1/devices/$D2/iotsafe"
check_problem "a registered device without a certificate" 409 no-live-certificate

# --- JSON and DER -------------------------------------------------------------------------------
http_req GET "$IS" "" -H "Accept: */*"
assert_eq "JSON for */*" 200 "$HTTP_STATUS"
assert_match "JSON media type" "$HTTP_CTYPE" '^application/json'
cp "$HTTP_BODY" "$E2E_DIR/payload.json"
as "$K_MNO1" GET "$IS" "" -H "Accept: $DER_TYPE"
assert_eq "DER payload" 200 "$HTTP_STATUS"
assert_eq "DER media type" "$DER_TYPE" "$HTTP_CTYPE"
cp "$HTTP_BODY" "$E2E_DIR/payload.der"
assert_cmd "openssl asn1parse parses the whole payload" openssl asn1parse -inform DER -in "$E2E_DIR/payload.der"
PARSED=$(openssl asn1parse -inform DER -in "$E2E_DIR/payload.der" 2>&1)
assert_not_contains "asn1parse reports no error" "$PARSED" "Error"
read -r HL LEN < <(sed -nE '1s/.*hl= *([0-9]+) +l= *([0-9]+) +cons: +SEQUENCE.*/\1 \2/p' <<<"$PARSED")
assert_eq "asn1parse: one outer SEQUENCE spans the whole file" "$(stat -c %s "$E2E_DIR/payload.der")" \
  "$((${HL:-0} + ${LEN:-0}))"
assert_contains "asn1parse: the root CA is the [0] element" "$PARSED" "cons: cont [ 0 ]"
assert_contains "asn1parse: the service endpoint is the [1] element" "$PARSED" "cons: cont [ 1 ]"
mkdir -p "$E2E_DIR/out"
"$PYTHON" "$DECODE" "$E2E_DIR/payload.der" "$E2E_DIR/out" >"$E2E_DIR/decoded.json" ||
  fail "the standard-library decoder reads the payload" "$(cat "$E2E_DIR/decoded.json")"
head -c 100 "$E2E_DIR/payload.der" >"$E2E_DIR/truncated.der"
if "$PYTHON" "$DECODE" "$E2E_DIR/truncated.der" "$E2E_DIR/out" >/dev/null 2>&1; then
  fail "the decoder refuses a truncated payload"
else
  pass "the decoder refuses a truncated payload"
fi

http_req GET "/api/v1/devices/$D1"
json_get "$HTTP_BODY" certificate >"$E2E_DIR/get_device.pem"
openssl x509 -in "$E2E_DIR/get_device.pem" -outform DER -out "$E2E_DIR/get_device.der"
assert_cmd "the payload's device certificate is byte-identical to GET /devices/{id}" \
  cmp "$E2E_DIR/out/device.der" "$E2E_DIR/get_device.der"
assert_cmd "the JSON device certificate is GET /devices/{id}'s PEM" \
  cmp <(json_get "$E2E_DIR/payload.json" device_certificate) "$E2E_DIR/get_device.pem"
# The same with openssl alone: -strparse at the first certificate's offset writes its whole TLV.
DEV_OFF=$(sed -nE 's/^ *([0-9]+):d=1 .*cons: +SEQUENCE.*/\1/p' <<<"$PARSED" | head -n1)
openssl asn1parse -inform DER -in "$E2E_DIR/payload.der" -strparse "${DEV_OFF:-0}" -noout \
  -out "$E2E_DIR/device_ossl.der" >/dev/null 2>&1
assert_cmd "openssl asn1parse -strparse extracts the same certificate" \
  cmp "$E2E_DIR/device_ossl.der" "$E2E_DIR/get_device.der"
for c in device issuing root; do
  [[ -s $E2E_DIR/out/$c.der ]] || fail "payload has the $c certificate"
  openssl x509 -inform DER -in "$E2E_DIR/out/$c.der" -out "$E2E_DIR/out/$c.pem"
done
assert_cmd "openssl verify: device certificate against the payload's root and issuing CA" \
  openssl verify -CAfile "$E2E_DIR/out/root.pem" -untrusted "$E2E_DIR/out/issuing.pem" "$E2E_DIR/out/device.pem"
assert_cmd "the payload's root is iotreg's root" cmp <(openssl x509 -in "$E2E_STATE/ca/root.pem" -outform DER) \
  "$E2E_DIR/out/root.der"

# JSON and DER carry the same data.
assert_cmd "JSON and DER carry the same fields" "$PYTHON" - "$E2E_DIR/payload.json" "$E2E_DIR/decoded.json" \
  "$E2E_DIR/out" <<'PY'
import base64, json, sys
j, b, out = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
strip = lambda rs: [{"type": r["type"], "rdata": r["rdata"]} for r in rs]
der = lambda pem: base64.b64decode("".join(l for l in pem.splitlines() if "-----" not in l))
problems = []
for k in ("format_version", "device_id", "dns_name", "issuing_ca_is_root"):
    if j[k] != b[k]: problems.append(k)
for k, f in (("device_certificate", "device"), ("issuing_ca_certificate", "issuing"), ("root_ca_certificate", "root")):
    if der(j[k]) != open("%s/%s.der" % (out, f), "rb").read(): problems.append(k)
ta = j["trust_anchor"]
if ta["zone"] != b["trust_anchor"]["zone"] or strip(ta["ds"]) != b["trust_anchor"]["ds"] \
   or strip(ta["dnskey"]) != b["trust_anchor"]["dnskey"]: problems.append("trust_anchor")
if strip(j["device_tlsa"]) != b["device_tlsa"]: problems.append("device_tlsa")
se, sb = j["service_endpoint"], b["service_endpoint"]
if (se["host"], se["port"], se["tlsa_name"], strip(se["tlsa"])) != (sb["host"], sb["port"], sb["tlsa_name"], sb["tlsa"]):
    problems.append("service_endpoint")
if problems: sys.exit("differ: " + ", ".join(problems))
PY
assert_eq "format version" 1 "$(jq_py "$E2E_DIR/decoded.json" 'd["format_version"]')"
assert_eq "DNS name" "$D1._device.$E2E_ZONE" "$(jq_py "$E2E_DIR/decoded.json" 'd["dns_name"]')"
assert_eq "trust anchor zone" "$E2E_ZONE" "$(jq_py "$E2E_DIR/decoded.json" 'd["trust_anchor"]["zone"]')"
assert_eq "service endpoint in the payload" "svc.asp1.example 8443 _8443._tcp.svc.asp1.example 030101$SVC_HASH" \
  "$(jq_py "$E2E_DIR/decoded.json" '" ".join([d["service_endpoint"]["host"], str(d["service_endpoint"]["port"]), d["service_endpoint"]["tlsa_name"], d["service_endpoint"]["tlsa"][0]["rdata"]])')"
DEV_TLSA_RDATA=$(jq_py "$E2E_DIR/decoded.json" 'd["device_tlsa"][0]["rdata"]')
assert_eq "device TLSA is 3 1 1 SHA-256(SPKI of the device key)" "030101$(spki_sha256 "$E2E_DIR/d1/key.pem")" \
  "$DEV_TLSA_RDATA"
assert_eq "the device TLSA is the one served" "3 1 1 ${DEV_TLSA_RDATA:6}" \
  "$(dig_at +short TLSA "$D1._device.$E2E_ZONE." | awk '{print $1, $2, $3, tolower($4 $5 $6)}')"

# --- the trust anchor ---------------------------------------------------------------------------
# DS: the payload's (wire form, decoded here) = iotregctl zone ds = dnssec-dsfromkey of the DNSKEY served.
PAYLOAD_DS=$(jq_py "$E2E_DIR/decoded.json" '"\n".join("%d %d %d %s" % (int(r["rdata"][0:4],16), int(r["rdata"][4:6],16), int(r["rdata"][6:8],16), r["rdata"][8:].upper()) for r in d["trust_anchor"]["ds"])')
CTL_DS=$(ctl zone ds | awk '$4=="DS"{d=""; for(i=8;i<=NF;i++) d=d $i; print $5, $6, $7, toupper(d)}')
assert_ne "payload has a DS" "" "$PAYLOAD_DS"
assert_eq "payload DS = iotregctl zone ds" "$CTL_DS" "$PAYLOAD_DS"
dig_at +tcp +noall +answer DNSKEY "$E2E_ZONE." >"$E2E_DIR/dnskey.txt"
FROMKEY_DS=$(dnssec-dsfromkey -2 -f "$E2E_DIR/dnskey.txt" "$E2E_ZONE." 2>&1 |
  awk '$4=="DS"{d=""; for(i=8;i<=NF;i++) d=d $i; print $5, $6, $7, toupper(d)} $3=="DS"{d=""; for(i=7;i<=NF;i++) d=d $i; print $4, $5, $6, toupper(d)}')
assert_eq "payload DS = dnssec-dsfromkey of the served DNSKEY (KSK)" "$FROMKEY_DS" "$PAYLOAD_DS"
# The payload's DNSKEY is the served KSK.
PAYLOAD_KEY=$(jq_py "$E2E_DIR/decoded.json" '"\n".join("%d %d %d %s" % (int(r["rdata"][0:4],16), int(r["rdata"][4:6],16), int(r["rdata"][6:8],16), __import__("base64").b64encode(bytes.fromhex(r["rdata"][8:])).decode()) for r in d["trust_anchor"]["dnskey"])')
assert_eq "payload DNSKEY = the served KSK" \
  "$(awk '$5==257{k=""; for(i=8;i<=NF;i++) k=k $i; print $5, $6, $7, k}' "$E2E_DIR/dnskey.txt")" "$PAYLOAD_KEY"

# delv with ONLY the payload's anchor (static-key from the DNSKEY, then static-ds from the DS).
mkdir -p "$E2E_DIR/ta"
{
  echo 'trust-anchors {'
  while read -r flags proto alg key; do
    printf '  %s. static-key %s %s %s "%s";\n' "$E2E_ZONE" "$flags" "$proto" "$alg" "$key"
  done <<<"$PAYLOAD_KEY"
  echo '};'
} >"$E2E_DIR/ta/key.conf"
{
  echo 'trust-anchors {'
  while read -r tag alg dt digest; do
    printf '  %s. static-ds %s %s %s "%s";\n' "$E2E_ZONE" "$tag" "$alg" "$dt" "$digest"
  done <<<"$PAYLOAD_DS"
  echo '};'
} >"$E2E_DIR/ta/ds.conf"
for a in key ds; do
  OUT=$(delv @127.0.0.1 -p "$E2E_DNS_PORT" -a "$E2E_DIR/ta/$a.conf" +root="$E2E_ZONE" TLSA "$D1._device.$E2E_ZONE." 2>&1)
  assert_contains "delv validates the device TLSA with the payload's $a anchor" "$OUT" "; fully validated"
  assert_contains "delv answer carries the payload's TLSA ($a anchor)" "$(tr 'A-F' 'a-f' <<<"$OUT" | tr -d ' ')" "${DEV_TLSA_RDATA:6}"
done
# The check bites: a foreign key as the only anchor does not validate.
FOREIGN=$(openssl rand -base64 64 | tr -d '\n')
printf 'trust-anchors {\n  %s. static-key 257 3 13 "%s";\n};\n' "$E2E_ZONE" "$FOREIGN" >"$E2E_DIR/ta/foreign.conf"
OUT=$(delv @127.0.0.1 -p "$E2E_DNS_PORT" -a "$E2E_DIR/ta/foreign.conf" +root="$E2E_ZONE" TLSA "$D1._device.$E2E_ZONE." 2>&1)
assert_not_contains "delv with a foreign anchor does not validate" "$OUT" "; fully validated"

# --- removing the endpoint -----------------------------------------------------------------------
as "$K_ASP2" DELETE "$EP_PATH"
check_problem "another ASP deletes ASP1's endpoint" 404 tenant-not-found
as "$K_ASP1" DELETE "$EP_PATH"
assert_eq "ASP1 deletes its endpoint" 204 "$HTTP_STATUS"
as "$K_ASP1" DELETE "$EP_PATH"
check_problem "deleting it twice" 404 service-endpoint-not-found
assert_eq "audit row of the deletion" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'tenant.service_endpoint.delete'")"
as "$K_MNO1" GET "$IS"
assert_eq "payload without an endpoint" 200 "$HTTP_STATUS"
assert_eq "no service_endpoint member" "" "$(json_get "$HTTP_BODY" service_endpoint)"
as "$K_MNO1" GET "$IS" "" -H "Accept: $DER_TYPE"
"$PYTHON" "$DECODE" "$HTTP_BODY" "$E2E_DIR/out" >"$E2E_DIR/decoded2.json" || fail "decoder (no endpoint)"
assert_eq "DER without the [1] endpoint" False "$(jq_py "$E2E_DIR/decoded2.json" '"service_endpoint" in d')"

# --- after a revocation there is no live certificate --------------------------------------------
as "$K_MNO1" POST "/api/v1/devices/$D1/revoke" "$(body rv '{}')"
assert_eq "MNO1 revokes D1" 200 "$HTTP_STATUS"
as "$K_MNO1" GET "$IS" "" -H "Accept: $DER_TYPE"
check_problem "payload of a revoked device" 409 no-live-certificate

e2e_finish
