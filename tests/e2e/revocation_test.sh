#!/usr/bin/env bash
# Acceptance a (CRL and OCSP parts) and d (issue 4): a device's certificate is good in the CRL
# served at /crl/<issuer aki>.crl (openssl verify -crl_check) and for the OCSP responder
# (openssl ocsp, POST and GET); after a revocation with reason keyCompromise the CRL lists it with
# that reason, openssl verify -crl_check fails with "certificate revoked", openssl ocsp says
# revoked with the reason, and a validating delv / unbound-host gets a validated negative answer
# for the device's TLSA name. Unknown serials are "unknown", unknown CAs 404, bad reasons 400.
source "$(dirname "$0")/lib.sh"

e2e_start
ROOT=$E2E_STATE/ca/root.pem
ISSUING=$E2E_STATE/ca/issuing.pem
A=$E2E_DIR/anchors
BASE=https://127.0.0.1:$E2E_HTTP_PORT
# The issuer's key identifier as the URL spells it: lower-case hex bytes joined by '-'.
AKI=$(openssl x509 -in "$ISSUING" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ' | tr 'A-F:' 'a-f-')
assert_match "issuing CA key identifier" "$AKI" '^[0-9a-f]{2}(-[0-9a-f]{2})+$'

enroll_device() {  # enroll_device LABEL ID: $E2E_DIR/LABEL/{key,csr,cert}.pem
  make_csr ec "$E2E_DIR/$1" || e2e_abort "$1: openssl made a CSR"
  enroll "$2" "$E2E_DIR/$1/csr.pem"
  [[ $HTTP_STATUS == 201 ]] || e2e_abort "$1: enrolled" "$HTTP_STATUS $(head -c 600 "$HTTP_BODY")"
  json_get "$HTTP_BODY" certificate >"$E2E_DIR/$1/cert.pem"
}

fetch_crl() {  # fetch_crl NAME: $E2E_DIR/NAME.crl (DER) and NAME.crl.pem; HTTP_STATUS, HTTP_CTYPE
  E2E_AUTH="" http_req GET "/crl/$AKI.crl"
  cp "$HTTP_BODY" "$E2E_DIR/$1.crl"
  openssl crl -inform DER -in "$E2E_DIR/$1.crl" -out "$E2E_DIR/$1.crl.pem" 2>/dev/null
}

crl_verify() {  # crl_verify NAME CERT: openssl verify -crl_check against the CRL, output
  openssl verify -crl_check -CRLfile "$E2E_DIR/$1.crl.pem" -CAfile "$ROOT" -untrusted "$ISSUING" "$2" 2>&1
}

ocsp_post() {  # ocsp_post ARGS...: openssl ocsp against iotregd (POST), output
  openssl ocsp -issuer "$ISSUING" -url "$BASE/ocsp" -CAfile "$ROOT" -timeout 20 "$@" 2>&1
}

crl_number() { openssl crl -in "$E2E_DIR/$1.crl.pem" -noout -crlnumber 2>/dev/null | sed 's/^crlNumber=//'; }

id1=$(eid_for 201)
id2=$(eid_for 202)
enroll_device dev1 "$id1"
enroll_device dev2 "$id2"
DEV1=$E2E_DIR/dev1/cert.pem
DEV2=$E2E_DIR/dev2/cert.pem
SERIAL1=$(openssl x509 -in "$DEV1" -noout -serial | sed 's/^serial=//')

# ---- CRL before the revocation: served without authentication, verifies, lists nothing
fetch_crl before
assert_eq "GET /crl/<aki>.crl: 200" 200 "$HTTP_STATUS"
assert_eq "CRL Content-Type" "application/pkix-crl" "$HTTP_CTYPE"
assert_cmd "CRL signed by the issuing CA (openssl crl -verify)" \
  openssl crl -in "$E2E_DIR/before.crl.pem" -noout -verify -CAfile <(cat "$ISSUING" "$ROOT")
crl_text=$(openssl crl -in "$E2E_DIR/before.crl.pem" -noout -text 2>&1)
assert_contains "CRL is version 2" "$crl_text" "Version 2"
assert_contains "CRL has an authority key identifier" "$crl_text" "X509v3 Authority Key Identifier"
assert_contains "CRL has a next update" "$crl_text" "Next Update:"
assert_contains "CRL lists no certificate" "$crl_text" "No Revoked Certificates"
before_number=$(crl_number before)
assert_match "CRL has a CRL number" "$before_number" '^(0x)?[0-9A-Fa-f]+$'
assert_eq "openssl verify -crl_check: good before the revocation" "$DEV1: OK" "$(crl_verify before "$DEV1")"

E2E_AUTH="" http_req GET "/crl/00-11-22.crl"
check_problem "CRL of an unknown CA" 404 ca-not-found

# ---- OCSP before the revocation
out=$(ocsp_post -cert "$DEV1")
assert_contains "openssl ocsp (POST): response verifies" "$out" "Response verify OK"
assert_contains "openssl ocsp (POST): good" "$out" "$DEV1: good"
assert_not_contains "openssl ocsp (POST): the nonce is echoed" "$out" "no nonce in response"
out=$(ocsp_post -serial 0x1234567890abcdef)
assert_contains "openssl ocsp: a serial iotreg never issued: response verifies" "$out" "Response verify OK"
assert_contains "openssl ocsp: a serial iotreg never issued: unknown" "$out" "0x1234567890abcdef: unknown"

# GET /ocsp/<base64 of the DER request> (RFC 6960 Appendix A.1), '/' '+' '=' percent-encoded
# (no nonce here: openssl ocsp -respin cannot compare one; the POST requests above carry one,
# which openssl checks is echoed)
openssl ocsp -issuer "$ISSUING" -cert "$DEV2" -no_nonce -reqout "$E2E_DIR/req2.der" >/dev/null 2>&1
b64=$("$PYTHON" -c 'import base64,sys,urllib.parse; print(urllib.parse.quote(base64.b64encode(open(sys.argv[1],"rb").read()).decode(), safe=""))' "$E2E_DIR/req2.der")
E2E_AUTH="" http_req GET "/ocsp/$b64"
assert_eq "GET /ocsp/<base64>: 200" 200 "$HTTP_STATUS"
assert_eq "OCSP Content-Type" "application/ocsp-response" "$HTTP_CTYPE"
out=$(openssl ocsp -respin "$HTTP_BODY" -issuer "$ISSUING" -cert "$DEV2" -no_nonce -CAfile "$ROOT" 2>&1)
assert_contains "GET /ocsp: response verifies" "$out" "Response verify OK"
assert_contains "GET /ocsp: good" "$out" "$DEV2: good"

# ---- HTTP caching (RFC 5019 §6): GET replies cacheable until nextUpdate, with validators, and a
# conditional GET answered 304; POST /ocsp not cacheable.
header() { tr -d '\r' <"$1" | sed -n "s/^$2: //Ip" | tail -n 1; }  # header FILE NAME
E2E_AUTH="" http_req GET "/crl/$AKI.crl" "" -D "$E2E_DIR/crl.hdr"
assert_match "CRL: Cache-Control max-age until nextUpdate, public, no-transform, must-revalidate" \
  "$(header "$E2E_DIR/crl.hdr" cache-control)" '^max-age=[0-9]+, public, no-transform, must-revalidate$'
next_update=$(openssl crl -inform DER -in "$HTTP_BODY" -noout -nextupdate | sed 's/^nextUpdate=//')
last_update=$(openssl crl -inform DER -in "$HTTP_BODY" -noout -lastupdate | sed 's/^lastUpdate=//')
assert_eq "CRL: Expires = nextUpdate" "$(date -u -d "$next_update" '+%a, %d %b %Y %H:%M:%S GMT')" \
  "$(header "$E2E_DIR/crl.hdr" expires)"
assert_eq "CRL: Last-Modified = thisUpdate" "$(date -u -d "$last_update" '+%a, %d %b %Y %H:%M:%S GMT')" \
  "$(header "$E2E_DIR/crl.hdr" last-modified)"
crl_etag=$(header "$E2E_DIR/crl.hdr" etag)
assert_eq "CRL: ETag = quoted SHA-256 of the CRL" "\"$(sha256sum <"$HTTP_BODY" | cut -d' ' -f1)\"" "$crl_etag"
E2E_AUTH="" http_req GET "/crl/$AKI.crl" "" -H "If-None-Match: $crl_etag"
assert_eq "CRL: If-None-Match with its ETag: 304" 304 "$HTTP_STATUS"
assert_eq "... without a body" 0 "$(stat -c %s "$HTTP_BODY")"
E2E_AUTH="" http_req GET "/crl/$AKI.crl" "" -H "If-Modified-Since: $(header "$E2E_DIR/crl.hdr" last-modified)"
assert_eq "CRL: If-Modified-Since its Last-Modified: 304" 304 "$HTTP_STATUS"
E2E_AUTH="" http_req GET "/ocsp/$b64" "" -D "$E2E_DIR/ocsp.hdr"
assert_match "GET /ocsp: Cache-Control max-age, public, no-transform, must-revalidate" \
  "$(header "$E2E_DIR/ocsp.hdr" cache-control)" '^max-age=[0-9]+, public, no-transform, must-revalidate$'
for h in last-modified expires; do
  assert_ne "GET /ocsp: $h set" "" "$(header "$E2E_DIR/ocsp.hdr" "$h")"
done
# Each OCSP response is signed afresh: its ETag is the SHA-256 of those bytes.
assert_eq "GET /ocsp: ETag = quoted SHA-256 of the response" \
  "\"$(sha256sum <"$HTTP_BODY" | cut -d' ' -f1)\"" "$(header "$E2E_DIR/ocsp.hdr" etag)"
openssl ocsp -issuer "$ISSUING" -cert "$DEV2" -no_nonce -reqout "$E2E_DIR/req2b.der" >/dev/null 2>&1
E2E_AUTH="" E2E_CTYPE=application/ocsp-request http_req POST /ocsp "$E2E_DIR/req2b.der" -D "$E2E_DIR/post.hdr"
assert_eq "POST /ocsp: Cache-Control no-store" "no-store" "$(header "$E2E_DIR/post.hdr" cache-control)"
assert_eq "POST /ocsp: no ETag" "" "$(header "$E2E_DIR/post.hdr" etag)"

printf 'garbage' >"$E2E_DIR/bad.der"
E2E_AUTH="" E2E_CTYPE=application/ocsp-request http_req POST /ocsp "$E2E_DIR/bad.der"
assert_eq "POST /ocsp garbage: 200" 200 "$HTTP_STATUS"
assert_contains "POST /ocsp garbage: malformedRequest" \
  "$(openssl ocsp -respin "$HTTP_BODY" -resp_text -noverify 2>&1)" "malformedrequest"

# ---- revocation: a bad reason is refused and revokes nothing
http_req DELETE "/api/v1/devices/$id1?reason=compromised"
check_problem "DELETE with an unknown reason" 400 invalid-revocation-reason
http_req GET "/api/v1/devices/$id1"
assert_eq "device still active after the refused revocation" active "$(json_get "$HTTP_BODY" status)"

write_anchors "$A"
assert_contains "delv TLSA dev1 before: fully validated" "$(delv_at "$A" TLSA "$id1._device.$E2E_ZONE")" \
  "; fully validated"

http_req DELETE "/api/v1/devices/$id1?reason=keyCompromise"
assert_eq "DELETE ?reason=keyCompromise: 200" 200 "$HTTP_STATUS"
assert_eq "revocation reply: reason" keyCompromise "$(json_get "$HTTP_BODY" reason)"
assert_eq "database: revocation reason code 1" 1 \
  "$(sql "SELECT c.revocation_reason FROM certificates c JOIN devices d ON d.id = c.device WHERE d.device_id = '$id1'")"

# d: the TLSA has left the zone: validated negative answer (the revocation waited for the batch)
assert_contains "d: delv TLSA dev1 after revocation: negative response, fully validated" \
  "$(delv_at "$A" TLSA "$id1._device.$E2E_ZONE")" "; negative response, fully validated"
out=$(timeout 30 unbound-host -C "$A/unbound.conf" -v -t TLSA "$id1._device.$E2E_ZONE" 2>&1)
assert_contains "d: unbound-host TLSA dev1 after revocation: (secure)" "$out" "(secure)"
assert_match "d: unbound-host TLSA dev1 after revocation: no TLSA" "$out" 'NXDOMAIN|has no TLSA record'
assert_contains "dev2 still served: delv fully validated" "$(delv_at "$A" TLSA "$id2._device.$E2E_ZONE")" \
  "; fully validated"

# a: the CRL lists the certificate with its reason, verify -crl_check fails
fetch_crl after
assert_eq "GET CRL after revocation: 200" 200 "$HTTP_STATUS"
crl_text=$(openssl crl -in "$E2E_DIR/after.crl.pem" -noout -text 2>&1)
assert_contains "CRL lists the serial" "$crl_text" "Serial Number: $SERIAL1"
assert_contains "CRL gives the reason Key Compromise" "$crl_text" "Key Compromise"
assert_cmd "new CRL signed by the issuing CA" \
  openssl crl -in "$E2E_DIR/after.crl.pem" -noout -verify -CAfile <(cat "$ISSUING" "$ROOT")
after_number=$(crl_number after)
assert_eq "CRL number grew" 1 "$("$PYTHON" -c 'import sys; print(int(int(sys.argv[2],16) > int(sys.argv[1],16)))' "$before_number" "$after_number")"
out=$(crl_verify after "$DEV1")
assert_contains "openssl verify -crl_check: certificate revoked" "$out" "certificate revoked"
assert_eq "openssl verify -crl_check: dev2 still good" "$DEV2: OK" "$(crl_verify after "$DEV2")"

# a: OCSP says revoked with the reason
out=$(ocsp_post -cert "$DEV1")
assert_contains "openssl ocsp after revocation: response verifies" "$out" "Response verify OK"
assert_contains "openssl ocsp after revocation: revoked" "$out" "$DEV1: revoked"
assert_contains "openssl ocsp after revocation: reason keyCompromise" "$out" "Reason: keyCompromise"
out=$(ocsp_post -cert "$DEV2")
assert_contains "openssl ocsp: dev2 still good" "$out" "$DEV2: good"

# POST /api/v1/devices/{id}/revoke with a JSON reason
printf '{"reason":"cessationOfOperation"}' >"$E2E_DIR/revoke.json"
http_req POST "/api/v1/devices/$id2/revoke" "$E2E_DIR/revoke.json"
assert_eq "POST /revoke: 200" 200 "$HTTP_STATUS"
fetch_crl after2
crl_text=$(openssl crl -in "$E2E_DIR/after2.crl.pem" -noout -text 2>&1)
assert_contains "CRL gives the reason Cessation Of Operation" "$crl_text" "Cessation Of Operation"
assert_contains "openssl verify -crl_check: dev2 revoked" "$(crl_verify after2 "$DEV2")" "certificate revoked"
assert_contains "openssl ocsp: dev2 revoked, cessationOfOperation" "$(ocsp_post -cert "$DEV2")" \
  "Reason: cessationOfOperation"

# Every node serves the stored CRL: after a restart it is the same one, byte for byte.
e2e_stop
e2e_daemon_start
fetch_crl restarted
assert_eq "after a restart the stored CRL is served" "$(sha256sum <"$E2E_DIR/after2.crl")" \
  "$(sha256sum <"$E2E_DIR/restarted.crl")"

e2e_finish
