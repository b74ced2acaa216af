#!/usr/bin/env bash
# Issue 5 item 6 and acceptance e: the same enrollment POST sent twice with one Idempotency-Key
# gets the same status and body and enrolls once (one device, one certificate, one zone change,
# one audit row in PostgreSQL); the key with another body gets 422; a malformed key 400; an
# oversized body 413; the admin reads the audit log with the enrollment's request id; and a burst
# beyond the per-credential rate limit gets 429 with Retry-After (a small limit in this config).
source "$(dirname "$0")/lib.sh"

E2E_EXTRA_CONFIG='[api]
rate_limit_per_second = 0.2
rate_limit_burst = 12'
e2e_start
mkdir -p "$E2E_DIR/http"

# --- Idempotency-Key: replay -----------------------------------------------------------------
make_csr ec "$E2E_DIR/d1"
ID=$(eid_for 1)
REQ=$E2E_DIR/http/enroll-idem.json
enroll_body "$ID" "$E2E_DIR/d1/csr.pem" "$REQ"
KEY='"e2e-8e03978e-40d5-43e8-bc93-6894a57f9324"'

http_req POST /api/v1/devices "$REQ" -H "Idempotency-Key: $KEY" -D "$E2E_DIR/h1"
assert_eq "first POST: 201" 201 "$HTTP_STATUS"
FIRST=$HTTP_BODY
REQUEST_ID=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *\([0-9a-f]*\).*/\1/p' "$E2E_DIR/h1" | tr -d '\r')
assert_match "first POST: X-Request-Id" "$REQUEST_ID" '^[0-9a-f]{16}$'

http_req POST /api/v1/devices "$REQ" -H "Idempotency-Key: $KEY" -D "$E2E_DIR/h2"
assert_eq "retry: same status" 201 "$HTTP_STATUS"
assert_cmd "retry: same body" cmp "$FIRST" "$HTTP_BODY"
assert_contains "retry: marked as a replay" "$(tr -d '\r' <"$E2E_DIR/h2")" "Idempotent-Replayed: true"
assert_eq "retry: same Location" "$(grep -i '^location:' "$E2E_DIR/h1")" "$(grep -i '^location:' "$E2E_DIR/h2")"

assert_eq "one device row" 1 "$(sql "SELECT count(*) FROM devices WHERE device_id = '$ID'")"
assert_eq "one certificate" 1 "$(sql "SELECT count(*) FROM certificates c JOIN devices d ON d.id = c.device WHERE d.device_id = '$ID'")"
assert_eq "one zone change" 1 "$(sql "SELECT count(*) FROM zone_changes WHERE device_id = '$ID'")"
assert_eq "one audit row" 1 "$(sql "SELECT count(*) FROM audit_log WHERE device_id = '$ID'")"
assert_eq "the audit row carries the request id" "$REQUEST_ID" \
  "$(sql "SELECT request_id FROM audit_log WHERE device_id = '$ID' AND action = 'device.enroll'")"
assert_eq "one idempotency record, completed" "completed" \
  "$(sql "SELECT state FROM idempotency_keys WHERE idem_key = 'e2e-8e03978e-40d5-43e8-bc93-6894a57f9324'")"

# --- the same key with another body: 422, nothing enrolled -----------------------------------
make_csr ec "$E2E_DIR/d2"
ID2=$(eid_for 2)
REQ2=$E2E_DIR/http/enroll-other.json
enroll_body "$ID2" "$E2E_DIR/d2/csr.pem" "$REQ2"
http_req POST /api/v1/devices "$REQ2" -H "Idempotency-Key: $KEY"
check_problem "same key, other body" 422 idempotency-key-mismatch
assert_eq "other body: not enrolled" 0 "$(sql "SELECT count(*) FROM devices WHERE device_id = '$ID2'")"

# --- malformed and too long keys: 400 --------------------------------------------------------
http_req POST /api/v1/devices "$REQ2" -H 'Idempotency-Key: "unterminated'
check_problem "malformed key" 400 invalid-idempotency-key
http_req POST /api/v1/devices "$REQ2" -H "Idempotency-Key: $(printf 'k%.0s' {1..300})"
check_problem "key of 300 characters" 400 invalid-idempotency-key
assert_eq "bad keys: not enrolled" 0 "$(sql "SELECT count(*) FROM devices WHERE device_id = '$ID2'")"

# --- server-side key generation: the answer holds a private key and is never stored -----------
ID3=$(eid_for 3)
KG=$E2E_DIR/http/keygen.json
"$PYTHON" -c 'import json, sys; print(json.dumps({"device_id": sys.argv[1], "server_keygen": {"password": "idem-e2e-password-1"}}))' "$ID3" >"$KG"
http_req POST /api/v1/devices "$KG" -H 'Idempotency-Key: "kg-1"'
assert_eq "keygen with a key: 201" 201 "$HTTP_STATUS"
assert_contains "keygen: the key came back" "$(cat "$HTTP_BODY")" "ENCRYPTED PRIVATE KEY"
assert_eq "keygen: nothing of the response kept" "not_replayable||t" \
  "$(sql "SELECT state, request_hash, body IS NULL FROM idempotency_keys WHERE idem_key = 'kg-1'")"
http_req POST /api/v1/devices "$KG" -H 'Idempotency-Key: "kg-1"'
check_problem "keygen retry" 409 idempotency-key-not-replayable
assert_not_contains "keygen retry: no key in the problem" "$(cat "$HTTP_BODY")" "PRIVATE KEY"
assert_eq "keygen retry: enrolled once" 1 "$(sql "SELECT count(*) FROM certificates c JOIN devices d ON d.id = c.device WHERE d.device_id = '$ID3'")"

# --- a body over max_body_bytes (64 KiB): 413 ------------------------------------------------
BIG=$E2E_DIR/http/big.json
"$PYTHON" -c 'import json; print(json.dumps({"device_id": "x", "csr": "A" * 70000}))' >"$BIG"
# Expect: 100-continue makes curl wait for the answer before sending the body: the server refuses
# at the header, and a client still writing when the connection closes may miss the 413.
http_req POST /api/v1/devices "$BIG" -H "Expect: 100-continue"
[[ $HTTP_STATUS == 413 ]] || echo "# curl: $(cat "$HTTP_BODY.err")"
check_problem "oversized body" 413 payload-too-large

# --- the audit log for the admin -------------------------------------------------------------
http_req GET "/api/v1/audit?device_id=$ID&limit=10"
assert_eq "audit read: 200" 200 "$HTTP_STATUS"
AUDIT=$("$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
items = d["items"]
print(len(items), items[0]["action"], items[0]["request_id"], items[0]["device_id"], items[0]["api_key_id"] is not None)' "$HTTP_BODY")
assert_eq "audit read: the enrollment with its request id" "1 device.enroll $REQUEST_ID $ID True" "$AUDIT"
http_req GET "/api/v1/audit?after=999999999"
assert_eq "audit read past the end: empty page" '[]' "$(json_get "$HTTP_BODY" items)"
http_req GET "/api/v1/audit?limit=0"
check_problem "audit read with limit=0" 400 invalid-request

# --- rate limit: a burst beyond 12 requests gets 429 with Retry-After ------------------------
# (The requests above used part of the admin key's bucket of 12; at 0.2 tokens/s it barely refills.)
LIMITED=0
for i in $(seq 1 40); do
  http_req GET "/api/v1/devices/$ID" "" -D "$E2E_DIR/rl-$i"
  if [[ $HTTP_STATUS == 429 ]]; then
    LIMITED=$i
    break
  fi
done
assert_ne "a burst is limited" 0 "$LIMITED"
check_problem "burst: 429" 429 rate-limited
RETRY=$(sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' "$E2E_DIR/rl-$LIMITED" | tr -d '\r')
assert_match "429 carries Retry-After in seconds" "$RETRY" '^[1-9][0-9]*$'
# Unauthenticated endpoints are not limited by the credential's bucket.
E2E_AUTH="" http_req GET /healthz
assert_eq "healthz still answers" 200 "$HTTP_STATUS"

e2e_finish
