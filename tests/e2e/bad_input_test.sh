#!/usr/bin/env bash
# Acceptance h (issue 2): bad input gets the right 4xx as application/problem+json with the
# right problem type, and changes nothing: the row counts of devices, certificates, zone_changes
# (and api_keys, audit of enrollments aside) and the served zone (SOA serial and the whole AXFR)
# are identical before and after.
source "$(dirname "$0")/lib.sh"

e2e_start
B=$E2E_DIR/bad
mkdir -p "$B"

# A snapshot of everything that must not move.
snapshot() {
  echo "devices=$(sql 'SELECT count(*) FROM devices')"
  echo "certificates=$(sql 'SELECT count(*) FROM certificates')"
  echo "zone_changes=$(sql 'SELECT count(*) FROM zone_changes')"
  echo "api_keys=$(sql 'SELECT count(*) FROM api_keys')"
  echo "soa=$(soa_serial)"
  echo "axfr:"
  axfr
}

# check_unchanged WHAT: the snapshot is what it was before.
check_unchanged() {
  local what=$1
  # h: nothing changed. A rejected request may not publish anything, so no wait is needed; a
  # short pause still gives a wrongly queued change the chance to show up in the zone.
  sleep 0.3
  snapshot >"$B/after"
  if cmp -s "$B/before" "$B/after"; then
    pass "$what: database and served zone unchanged"
  else
    fail "$what: database and served zone unchanged" "$(diff "$B/before" "$B/after" | head -n 20)"
    snapshot >"$B/before"   # compare the next case with the new state
  fi
}

# check_rejected WHAT STATUS SLUG: the last reply is that problem, and nothing changed.
check_rejected() {
  check_problem "$@"
  check_unchanged "$1"
}

# One device enrolled first, so that the zone is not empty and a duplicate can be tried.
make_csr ec "$B/good"
dup=$(eid_for 301)
enroll "$dup" "$B/good/csr.pem"
assert_eq "setup: first enrollment 201" 201 "$HTTP_STATUS"
snapshot >"$B/before"
assert_match "setup: snapshot holds a served zone" "$(cat "$B/before")" "soa=[0-9]+"
fresh=$(eid_for 302)   # a valid EID, never enrolled

# h: malformed JSON
printf '{"device_id": "%s", "csr": ' "$fresh" >"$B/malformed.json"
http_req POST /api/v1/devices "$B/malformed.json"
check_rejected "malformed JSON" 400 invalid-json

# h: JSON that is not an object
echo '["a", 1]' >"$B/array.json"
http_req POST /api/v1/devices "$B/array.json"
assert_eq "JSON array: HTTP status" 400 "$HTTP_STATUS"
assert_match "JSON array: problem+json" "$HTTP_CTYPE" '^application/problem\+json'
assert_match "JSON array: problem type" "$(json_get "$HTTP_BODY" type)" 'urn:iotreg:problem:invalid-(request|json)$'
check_unchanged "JSON array"

# h: JSON missing csr
printf '{"device_id": "%s"}' "$fresh" >"$B/nocsr.json"
http_req POST /api/v1/devices "$B/nocsr.json"
check_rejected "JSON without csr" 400 invalid-request

# h: JSON missing device_id
"$PYTHON" -c 'import json,sys; print(json.dumps({"csr": open(sys.argv[1]).read()}))' "$B/good/csr.pem" >"$B/noid.json"
http_req POST /api/v1/devices "$B/noid.json"
check_rejected "JSON without device_id" 400 invalid-request

# h: a CSR that is not PEM
printf 'this is not a PEM CSR\n' >"$B/notpem.csr"
enroll "$fresh" "$B/notpem.csr"
check_rejected "CSR not PEM" 400 invalid-csr

# h: a PEM block that is not a CSR inside (garbage base64 body)
printf -- '-----BEGIN CERTIFICATE REQUEST-----\nAAAAAAAAAAAAAAAA\n-----END CERTIFICATE REQUEST-----\n' >"$B/garbage.csr"
enroll "$fresh" "$B/garbage.csr"
check_rejected "CSR PEM with garbage DER" 400 invalid-csr

# h: a CSR whose signature does not verify: flip one bit in the last byte of the DER, which lies
# inside the signature BIT STRING, and re-PEM it
make_csr ec "$B/badsig"
"$PYTHON" - "$B/badsig/csr.pem" "$B/badsig/flipped.pem" <<'PY'
import base64, re, sys, textwrap
pem = open(sys.argv[1]).read()
body = re.search(r"-----BEGIN CERTIFICATE REQUEST-----(.*?)-----END", pem, re.S).group(1)
der = bytearray(base64.b64decode("".join(body.split())))
der[-1] ^= 0x01
b64 = base64.b64encode(bytes(der)).decode()
open(sys.argv[2], "w").write("-----BEGIN CERTIFICATE REQUEST-----\n" + "\n".join(textwrap.wrap(b64, 64))
                             + "\n-----END CERTIFICATE REQUEST-----\n")
PY
# the test input is what it claims: openssl parses it and rejects its signature (openssl 3.0's
# `req -verify` exits 0 either way, so read what it says)
v=$(openssl req -in "$B/badsig/flipped.pem" -noout -verify 2>&1)
assert_contains "test input: openssl req -verify rejects the flipped CSR" "$v" "verify failure"
assert_cmd "test input: the flipped CSR still parses" openssl req -in "$B/badsig/flipped.pem" -noout
enroll "$fresh" "$B/badsig/flipped.pem"
check_rejected "CSR with a bad signature" 400 csr-signature

# h: a key the profile does not allow (RSA-1024)
make_csr rsa1024 "$B/rsa1024"
enroll "$fresh" "$B/rsa1024/csr.pem"
check_rejected "CSR with an RSA-1024 key" 400 csr-key-not-allowed

# h: a duplicate device id (the device enrolled above), same and other key
enroll "$dup" "$B/good/csr.pem"
check_rejected "duplicate device id, same CSR" 409 device-exists
make_csr ec "$B/dup2"
enroll "$dup" "$B/dup2/csr.pem"
check_rejected "duplicate device id, new key" 409 device-exists

# h: an EID with wrong check digits (any 4xx, the type names the problem)
enroll "$E2E_BAD_EID" "$B/good/csr.pem"
assert_match "EID with wrong check digits: a 4xx" "$HTTP_STATUS" '^4[0-9][0-9]$'
check_rejected "EID with wrong check digits" "$HTTP_STATUS" invalid-device-id

# h: other bad ids: 31 digits, a label while labels are off (the default), a name with a dot
for bad in 8904903200000000000000000000016 device-one "a.b"; do
  enroll "$bad" "$B/good/csr.pem"
  assert_match "device id '$bad': a 4xx" "$HTTP_STATUS" '^4[0-9][0-9]$'
  check_rejected "device id '$bad'" "$HTTP_STATUS" invalid-device-id
done

# h: missing Authorization header
E2E_AUTH="" enroll "$fresh" "$B/good/csr.pem"
check_rejected "missing API key" 401 unauthenticated

# h: a wrong API key
E2E_AUTH="Bearer not-a-key-$RANDOM$RANDOM" enroll "$fresh" "$B/good/csr.pem"
check_rejected "wrong API key" 401 unauthenticated

# h: a wrong auth scheme carrying the right key
E2E_AUTH="Basic $(cat "$E2E_DIR/admin.key")" enroll "$fresh" "$B/good/csr.pem"
check_rejected "Basic instead of Bearer" 401 unauthenticated

# h: missing key on GET and DELETE too (and the device stays)
E2E_AUTH="" http_req GET "/api/v1/devices/$dup"
check_rejected "GET without API key" 401 unauthenticated
E2E_AUTH="" http_req DELETE "/api/v1/devices/$dup"
check_rejected "DELETE without API key" 401 unauthenticated
E2E_AUTH="Bearer wrong" http_req DELETE "/api/v1/devices/$dup"
check_rejected "DELETE with a wrong API key" 401 unauthenticated

# h: a body over the 64 KiB limit (valid JSON otherwise)
"$PYTHON" -c '
import json, sys
print(json.dumps({"device_id": sys.argv[1], "csr": open(sys.argv[2]).read(), "pad": "x" * 70000}))' \
  "$fresh" "$B/good/csr.pem" >"$B/big.json"
http_req POST /api/v1/devices "$B/big.json"
check_rejected "body over 64 KiB" 413 payload-too-large

# h: a body over the limit with no Content-Length (chunked)
http_req POST /api/v1/devices "$B/big.json" -H "Transfer-Encoding: chunked"
check_rejected "chunked body over 64 KiB" 413 payload-too-large

# h: wrong content type
E2E_CTYPE="text/plain" enroll "$fresh" "$B/good/csr.pem"
check_rejected "Content-Type text/plain" 415 unsupported-media-type

# h: not-found device on GET and DELETE
http_req GET "/api/v1/devices/$fresh"
check_rejected "GET unknown device" 404 device-not-found
http_req DELETE "/api/v1/devices/$fresh"
check_rejected "DELETE unknown device" 404 device-not-found

# The server is still fine after all that: the rejected fresh id can now be enrolled.
enroll "$fresh" "$B/good/csr.pem"
assert_eq "a good enrollment still works afterwards" 201 "$HTTP_STATUS"
assert_gt "and moves the serial" "$(json_get "$HTTP_BODY" zone_serial)" "$(sed -n 's/^soa=//p' "$B/before")"

e2e_finish
