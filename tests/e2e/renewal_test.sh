#!/usr/bin/env bash
# Acceptance c (issue 4): renewal and rekey. After a rekey the device's name carries BOTH TLSA
# records (dig at iotregd), and a TLS server holding either certificate authenticates against the
# served RRset (openssl s_client -dane_tlsa_rrdata against openssl s_server), while a foreign key
# does not; after the new certificate is confirmed only its record is served. A renewal (same
# key) leaves the served record unchanged and the renewed certificate matches it. The expiring
# list shows the live certificates, paged; bad input is a problem+json 400 that changes nothing.
source "$(dirname "$0")/lib.sh"

e2e_start
id=$(eid_for 401)
NAME=$id._device.$E2E_ZONE

served_tlsa() {  # served_tlsa: "3 1 1 hex" lines of the device's TLSA RRset as iotregd serves it, sorted
  tlsa_rdata "$(dig_at +noall +answer TLSA "$NAME")" | sort
}

# dane_check CERT KEY: TLS with s_server holding CERT/KEY; s_client checks it against every
# served TLSA record (DANE-EE 3 1 1: the key is what is authenticated). Prints s_client's output,
# exits with its status.
dane_check() {
  local cert=$1 key=$2 port rc
  port=$(free_port)
  openssl s_server -accept "127.0.0.1:$port" -cert "$cert" -key "$key" -naccept 1 -quiet \
    >"$E2E_DIR/s_server.log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 50); do
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && break
    sleep 0.1
  done
  local -a dane=()
  while read -r rr; do [[ -n $rr ]] && dane+=(-dane_tlsa_rrdata "$rr"); done < <(served_tlsa)
  timeout 20 openssl s_client -connect "127.0.0.1:$port" -servername "$NAME" -dane_tlsa_domain "$NAME" \
    "${dane[@]}" -verify_return_error -brief </dev/null 2>&1
  rc=$?
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return $rc
}

# ---- enroll with key A
make_csr ec "$E2E_DIR/a" || e2e_abort "openssl made a CSR"
enroll "$id" "$E2E_DIR/a/csr.pem"
[[ $HTTP_STATUS == 201 ]] || e2e_abort "enrolled" "$HTTP_STATUS $(head -c 600 "$HTTP_BODY")"
json_get "$HTTP_BODY" certificate >"$E2E_DIR/a/cert.pem"
HASH_A=$(spki_sha256 "$E2E_DIR/a/key.pem")
assert_eq "after enrollment: one TLSA, key A" "3 1 1 $HASH_A" "$(served_tlsa)"
SERIAL_A=$(openssl x509 -in "$E2E_DIR/a/cert.pem" -noout -serial | sed 's/^serial=//')

# ---- bad input changes nothing
printf '{"csr": 5}' >"$E2E_DIR/bad.json"
http_req POST "/api/v1/devices/$id/rekey" "$E2E_DIR/bad.json"
check_problem "rekey with a non-string csr" 400 invalid-request
printf '{"csr": "not a csr"}' >"$E2E_DIR/bad2.json"
http_req POST "/api/v1/devices/$id/rekey" "$E2E_DIR/bad2.json"
check_problem "rekey with a bad csr" 400 invalid-csr
printf '{"serial": "zz"}' >"$E2E_DIR/bad3.json"
http_req POST "/api/v1/devices/$id/confirm" "$E2E_DIR/bad3.json"
check_problem "confirm with a bad serial" 400 invalid-request
http_req GET "/api/v1/certificates?expiring_before=soon"
check_problem "expiring list with a bad date" 400 invalid-query
http_req POST "/api/v1/devices/$(eid_for 402)/renew"
check_problem "renew of an unknown device" 404 device-not-found
assert_eq "database: one certificate after the refused requests" 1 "$(sql "SELECT count(*) FROM certificates")"
assert_eq "after the refused requests: still key A" "3 1 1 $HASH_A" "$(served_tlsa)"

# ---- rekey with key B: both records served during the overlap
make_csr ec "$E2E_DIR/b" || e2e_abort "openssl made a CSR"
"$PYTHON" -c 'import json,sys; print(json.dumps({"csr": open(sys.argv[1]).read()}))' "$E2E_DIR/b/csr.pem" \
  >"$E2E_DIR/rekey.json"
http_req POST "/api/v1/devices/$id/rekey" "$E2E_DIR/rekey.json"
assert_eq "POST .../rekey: 201" 201 "$HTTP_STATUS"
json_get "$HTTP_BODY" certificate >"$E2E_DIR/b/cert.pem"
SERIAL_B=$(json_get "$HTTP_BODY" serial)
assert_eq "rekey reply: serial is the certificate's" \
  "$(openssl x509 -in "$E2E_DIR/b/cert.pem" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//')" \
  "$SERIAL_B"
HASH_B=$(spki_sha256 "$E2E_DIR/b/key.pem")
assert_eq "c: during the overlap both TLSA records are served" \
  "$(printf '3 1 1 %s\n3 1 1 %s\n' "$HASH_A" "$HASH_B" | sort)" "$(served_tlsa)"
write_anchors "$E2E_DIR/anchors"
assert_contains "c: the RRset with both records validates (delv)" \
  "$(delv_at "$E2E_DIR/anchors" TLSA "$NAME")" "; fully validated"

out=$(dane_check "$E2E_DIR/a/cert.pem" "$E2E_DIR/a/key.pem")
assert_contains "c: certificate A authenticates against the served RRset (s_client DANE)" "$out" \
  "Verification: OK"
assert_contains "c: certificate A matched a DANE TLSA 3 1 1 record" "$out" "DANE TLSA 3 1 1"
out=$(dane_check "$E2E_DIR/b/cert.pem" "$E2E_DIR/b/key.pem")
assert_contains "c: certificate B authenticates against the served RRset (s_client DANE)" "$out" \
  "Verification: OK"
# Negative control: a certificate for a key the zone does not carry.
make_csr ec "$E2E_DIR/x" || e2e_abort "openssl made a key"
openssl req -x509 -new -key "$E2E_DIR/x/key.pem" -subj "/CN=$NAME" -days 2 -out "$E2E_DIR/x/cert.pem" 2>/dev/null
if out=$(dane_check "$E2E_DIR/x/cert.pem" "$E2E_DIR/x/key.pem"); then
  fail "c: a foreign key is refused by DANE" "$out"
else
  assert_not_contains "c: a foreign key is refused by DANE" "$out" "Verification: OK"
fi

# ---- the expiring list: both live certificates, oldest notAfter first, paged
http_req GET "/api/v1/certificates?expiring_before=2999-01-01T00:00:00Z&limit=1"
assert_eq "GET /api/v1/certificates: 200" 200 "$HTTP_STATUS"
page1=$(json_get "$HTTP_BODY" certificates)
next=$(json_get "$HTTP_BODY" next)
assert_contains "expiring list page 1: certificate A" "$page1" "\"serial\": \"$(tr 'A-F' 'a-f' <<<"$SERIAL_A" | sed 's/^0*//')\""
assert_contains "expiring list page 1: the device" "$page1" "\"device_id\": \"$id\""
http_req GET "/api/v1/certificates?expiring_before=2999-01-01T00:00:00Z&limit=1&after=$next"
assert_contains "expiring list page 2: certificate B" "$(json_get "$HTTP_BODY" certificates)" "\"serial\": \"$SERIAL_B\""
http_req GET "/api/v1/certificates?expiring_before=2000-01-01T00:00:00Z"
assert_eq "expiring before 2000: none" "[]" "$(json_get "$HTTP_BODY" certificates)"

# ---- confirm B: only B's record is served
printf '{"serial": "%s"}' "$SERIAL_B" >"$E2E_DIR/confirm.json"
http_req POST "/api/v1/devices/$id/confirm" "$E2E_DIR/confirm.json"
assert_eq "POST .../confirm: 200" 200 "$HTTP_STATUS"
assert_eq "confirm reply: one record removed" 1 "$(json_get "$HTTP_BODY" removed_records)"
assert_eq "c: after the confirmation only the new TLSA is served" "3 1 1 $HASH_B" "$(served_tlsa)"
out=$(dane_check "$E2E_DIR/b/cert.pem" "$E2E_DIR/b/key.pem")
assert_contains "c: certificate B still authenticates" "$out" "Verification: OK"
if out=$(dane_check "$E2E_DIR/a/cert.pem" "$E2E_DIR/a/key.pem"); then
  fail "c: the old certificate A no longer authenticates" "$out"
else
  pass "c: the old certificate A no longer authenticates"
fi
http_req POST "/api/v1/devices/$id/confirm" "$(printf '{"serial": "%s"}' "$SERIAL_A" >"$E2E_DIR/c2.json"; echo "$E2E_DIR/c2.json")"
check_problem "confirming the withdrawn certificate" 409 certificate-not-live

# ---- renew (same key B): the record is unchanged, the new certificate matches it
serial_before=$(soa_serial)
http_req POST "/api/v1/devices/$id/renew"
assert_eq "POST .../renew (no body): 201" 201 "$HTTP_STATUS"
json_get "$HTTP_BODY" certificate >"$E2E_DIR/b/renewed.pem"
SERIAL_R=$(json_get "$HTTP_BODY" serial)
assert_ne "renewal: a new serial" "$SERIAL_B" "$SERIAL_R"
assert_eq "renewal: same public key" "$(openssl x509 -in "$E2E_DIR/b/cert.pem" -noout -pubkey)" \
  "$(openssl x509 -in "$E2E_DIR/b/renewed.pem" -noout -pubkey)"
assert_eq "renewal: the served record is unchanged" "3 1 1 $HASH_B" "$(served_tlsa)"
assert_eq "renewal: no new zone serial" "$serial_before" "$(soa_serial)"
out=$(dane_check "$E2E_DIR/b/renewed.pem" "$E2E_DIR/b/key.pem")
assert_contains "renewal: the renewed certificate authenticates against the served record" "$out" \
  "Verification: OK"
http_req GET "/api/v1/devices/$id"
assert_eq "GET device: the renewed certificate is current" "$(cat "$E2E_DIR/b/renewed.pem")" \
  "$(json_get "$HTTP_BODY" certificate)"

# ---- revocation removes every record
http_req POST "/api/v1/devices/$id/rekey" "$E2E_DIR/rekey.json"  # same key B: acts as renew
assert_eq "rekey with the current key: 201" 201 "$HTTP_STATUS"
http_req DELETE "/api/v1/devices/$id"
assert_eq "DELETE: 200" 200 "$HTTP_STATUS"
assert_eq "after revocation: no TLSA served" "" "$(served_tlsa)"
http_req POST "/api/v1/devices/$id/renew"
check_problem "renew of a revoked device" 409 device-revoked

e2e_finish
