#!/usr/bin/env bash
# Acceptance f (issue 4): enrollment with server-side key generation. The key comes back
# encrypted (PKCS#8 PEM or a PKCS#12 bundle with the chain) and decrypts with the password only,
# it matches the certificate, and the chain verifies. Then the key material is searched for in
# iotregd's log, iotregctl's output, the state directory and a pg_dump of the database: the clear
# key (PKCS#8 DER base64, DER hex, raw private scalar hex), the password and the encrypted blob
# must be in none of them; the certificate, as a control, is in the dump.
source "$(dirname "$0")/lib.sh"

e2e_start
ROOT=$E2E_STATE/ca/root.pem
ISSUING=$E2E_STATE/ca/issuing.pem
NEEDLES=$E2E_DIR/needles   # "what<TAB>needle" lines: must be found nowhere
mkdir -p "$E2E_DIR/http"
: >"$NEEDLES"

# A password unique to this run (so that finding it anywhere means a leak), 12..1024 bytes.
new_password() { printf "kg-%s-pw" "$(od -An -N16 -tx1 /dev/urandom | tr -d " \n")"; }

# keygen_body OUT ID KEY_TYPE FORMAT PASSWORD_FILE [EXTRA_JSON]: a server_keygen enrollment body.
# KEY_TYPE / FORMAT "-" leave the member out (server default); EXTRA_JSON is merged in at the top.
keygen_body() {
  "$PYTHON" -c '
import json, sys
out, dev, kt, fmt, pwfile = sys.argv[1:6]
kg = {"password": open(pwfile).read()}
if kt != "-": kg["key_type"] = kt
if fmt != "-": kg["format"] = fmt
body = {"device_id": dev, "server_keygen": kg}
if len(sys.argv) > 6: body.update(json.loads(sys.argv[6]))
json.dump(body, open(out, "w"))' "$@"
}

need() { printf '%s\t%s\n' "$1" "$2" >>"$NEEDLES"; }

# Base64 body of the PEM block in a file, joined to one line.
pem_body() { sed '/^-----/d' "$1" | tr -d '\n'; }

# add_key_needles LABEL CLEAR_PKCS8_PEM: the clear key as base64 (joined and per PEM line),
# DER hex, and the raw private scalar in hex (lower and upper case).
add_key_needles() {
  local label=$1 clear=$2 line scalar der_hex
  need "$label: clear PKCS#8 base64" "$(pem_body "$clear")"
  while read -r line; do need "$label: clear PKCS#8 base64 line" "$line"; done < <(sed '/^-----/d' "$clear")
  der_hex=$(openssl pkcs8 -topk8 -nocrypt -in "$clear" -outform DER | od -An -v -tx1 | tr -d ' \n')
  need "$label: clear PKCS#8 DER hex" "$der_hex"
  need "$label: clear PKCS#8 DER HEX" "${der_hex^^}"
  # The private scalar / seed as `openssl pkey -text` prints it ("priv:" then colon-separated hex).
  scalar=$(openssl pkey -in "$clear" -noout -text |
    awk '/^priv(ate)?:|^privateExponent:/ {on=1; next} on && /^[^ ]/ {exit} on {print}' | tr -d ' :\n')
  scalar=${scalar#00}
  if ((${#scalar} >= 64)); then
    need "$label: private scalar hex" "$scalar"
    need "$label: private scalar HEX" "${scalar^^}"
  else
    fail "$label: private scalar extracted" "got '$scalar'"
  fi
}

# check_pkcs8 LABEL ID KEY_TYPE(-) EXPECTED_DESCRIPTION: enroll with a PKCS#8 key and check it.
check_pkcs8() {
  local label=$1 id=$2 kt=$3 want=$4
  local d=$E2E_DIR/$label
  mkdir -p "$d"
  new_password >"$d/pw"
  echo "not the password at all" >"$d/bad-pw"
  need "$label: password" "$(cat "$d/pw")"
  keygen_body "$d/req.json" "$id" "$kt" pkcs8 "$d/pw"
  http_req POST /api/v1/devices "$d/req.json"
  assert_eq "$label: POST /api/v1/devices status" 201 "$HTTP_STATUS"
  if [[ $HTTP_STATUS != 201 ]]; then
    fail "$label: reply" "$(head -c 600 "$HTTP_BODY")"
    return
  fi
  local reply=$HTTP_BODY
  json_get "$reply" private_key >"$d/key.enc.pem"
  json_get "$reply" certificate >"$d/cert.pem"
  json_get "$reply" chain >"$d/chain.pem"
  assert_eq "$label: no pkcs12 member" "" "$(json_get "$reply" pkcs12)"
  assert_match "$label: zone_serial is a number" "$(json_get "$reply" zone_serial)" '^[0-9]+$'
  assert_eq "$label: private_key is an ENCRYPTED PRIVATE KEY" "-----BEGIN ENCRYPTED PRIVATE KEY-----" \
    "$(head -n1 "$d/key.enc.pem")"

  # Decrypts with the password, not without it.
  assert_cmd "$label: openssl pkey -passin decrypts" \
    openssl pkey -in "$d/key.enc.pem" -passin "file:$d/pw" -out "$d/key.clear.pem"
  assert_cmd "$label: openssl pkcs8 -passin decrypts" \
    openssl pkcs8 -in "$d/key.enc.pem" -passin "file:$d/pw" -out /dev/null
  if openssl pkey -in "$d/key.enc.pem" -passin "file:$d/bad-pw" -noout 2>/dev/null; then
    fail "$label: a wrong password is refused"
  else
    pass "$label: a wrong password is refused"
  fi
  assert_cmd "$label: GnuTLS certtool reads it" \
    certtool --key-info --infile "$d/key.enc.pem" --password "$(cat "$d/pw")"
  local info
  info=$(openssl asn1parse -in "$d/key.enc.pem" 2>&1)
  assert_contains "$label: PBES2" "$info" "PBES2"
  assert_contains "$label: PBKDF2" "$info" "PBKDF2"
  assert_contains "$label: HMAC-SHA256 PRF" "$info" "hmacWithSHA256"
  assert_contains "$label: AES-256-CBC" "$info" "aes-256-cbc"

  # Matches the certificate; the chain verifies.
  assert_eq "$label: key matches the certificate" \
    "$(openssl x509 -in "$d/cert.pem" -noout -pubkey)" "$(openssl pkey -in "$d/key.clear.pem" -pubout)"
  assert_match "$label: key type" "$(openssl pkey -in "$d/key.clear.pem" -noout -text | head -n1)" "$want"
  assert_eq "$label: openssl verify" "$d/cert.pem: OK" \
    "$(openssl verify -CAfile "$ROOT" -untrusted "$ISSUING" "$d/cert.pem" 2>&1)"
  assert_cmd "$label: GnuTLS certtool --verify-chain" \
    certtool --verify-chain --infile <(cat "$d/cert.pem" "$d/chain.pem")

  add_key_needles "$label" "$d/key.clear.pem"
  need "$label: encrypted key base64" "$(pem_body "$d/key.enc.pem")"
  need "$label: encrypted key, 3rd PEM line" "$(sed -n 3p "$d/key.enc.pem")"
  CERT_NEEDLE=$(sed -n 3p "$d/cert.pem")   # the control: a line of the certificate's base64
}

# check_pkcs12 LABEL ID KEY_TYPE EXPECTED_DESCRIPTION
check_pkcs12() {
  local label=$1 id=$2 kt=$3 want=$4
  local d=$E2E_DIR/$label
  mkdir -p "$d"
  new_password >"$d/pw"
  echo "not the password at all" >"$d/bad-pw"
  need "$label: password" "$(cat "$d/pw")"
  keygen_body "$d/req.json" "$id" "$kt" pkcs12 "$d/pw"
  http_req POST /api/v1/devices "$d/req.json"
  assert_eq "$label: POST /api/v1/devices status" 201 "$HTTP_STATUS"
  if [[ $HTTP_STATUS != 201 ]]; then
    fail "$label: reply" "$(head -c 600 "$HTTP_BODY")"
    return
  fi
  local reply=$HTTP_BODY p12_b64
  p12_b64=$(json_get "$reply" pkcs12)
  json_get "$reply" certificate >"$d/cert.pem"
  assert_eq "$label: no private_key member" "" "$(json_get "$reply" private_key)"
  base64 -d <<<"$p12_b64" >"$d/bundle.p12" || fail "$label: pkcs12 is base64"

  local info
  info=$(openssl pkcs12 -in "$d/bundle.p12" -passin "file:$d/pw" -info -noout 2>&1)
  assert_contains "$label: MAC SHA-256" "$info" "MAC: sha256"
  assert_contains "$label: key bag PBES2/AES-256-CBC/HMAC-SHA256" "$info" \
    "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256"
  assert_contains "$label: certificate bag PBES2/AES-256-CBC/HMAC-SHA256" "$info" \
    "PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256"
  assert_cmd "$label: openssl pkcs12 -passin gives the key" \
    openssl pkcs12 -in "$d/bundle.p12" -passin "file:$d/pw" -nocerts -nodes -out "$d/key.raw.pem"
  openssl pkey -in "$d/key.raw.pem" -out "$d/key.clear.pem" 2>/dev/null
  openssl pkcs12 -in "$d/bundle.p12" -passin "file:$d/pw" -clcerts -nokeys 2>/dev/null |
    openssl x509 -out "$d/p12-cert.pem" 2>/dev/null
  openssl pkcs12 -in "$d/bundle.p12" -passin "file:$d/pw" -cacerts -nokeys -out "$d/p12-chain.pem" 2>/dev/null
  if openssl pkcs12 -in "$d/bundle.p12" -passin "file:$d/bad-pw" -noout 2>/dev/null; then
    fail "$label: a wrong password is refused"
  else
    pass "$label: a wrong password is refused"
  fi
  assert_cmd "$label: GnuTLS certtool reads it" \
    certtool --p12-info --inder --infile "$d/bundle.p12" --password "$(cat "$d/pw")"

  assert_eq "$label: bundle certificate = reply certificate" \
    "$(openssl x509 -in "$d/cert.pem" -outform DER | sha256sum)" \
    "$(openssl x509 -in "$d/p12-cert.pem" -outform DER 2>/dev/null | sha256sum)"
  assert_eq "$label: key matches the certificate" \
    "$(openssl x509 -in "$d/cert.pem" -noout -pubkey)" "$(openssl pkey -in "$d/key.clear.pem" -pubout)"
  assert_match "$label: key type" "$(openssl pkey -in "$d/key.clear.pem" -noout -text | head -n1)" "$want"
  assert_eq "$label: bundle holds issuing and root" 2 "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$d/p12-chain.pem")"
  assert_eq "$label: openssl verify with the bundle's chain" "$d/p12-cert.pem: OK" \
    "$(openssl verify -CAfile "$ROOT" -untrusted "$d/p12-chain.pem" "$d/p12-cert.pem" 2>&1)"

  add_key_needles "$label" "$d/key.clear.pem"
  need "$label: pkcs12 base64" "$p12_b64"
  need "$label: pkcs12 base64, a middle slice" "${p12_b64:400:80}"
  need "$label: pkcs12 DER hex, a middle slice" \
    "$(od -An -v -tx1 -j 300 -N 48 "$d/bundle.p12" | tr -d ' \n')"
}

# --- enrollments
check_pkcs8 p256 "$(eid_for 1)" - "Private-Key: \\(256 bit"
check_pkcs8 ed25519 "$(eid_for 2)" ed25519 "ED25519 Private-Key"
check_pkcs12 p384 "$(eid_for 3)" ec-p384 "Private-Key: \\(384 bit"
check_pkcs12 rsa2048 "$(eid_for 4)" rsa2048 "Private-Key: \\(2048 bit"

# The devices are served like any other.
tlsa=$(dig_at +short TLSA "$(eid_for 3)._device.$E2E_ZONE." 2>&1)
assert_match "p384: TLSA served" "$tlsa" '^3 1 1 '

# --- refusals: problem+json 400, and the password never in the reply
d=$E2E_DIR/refusals
mkdir -p "$d"
echo -n "shortpw-1x" >"$d/short-pw"   # 10 bytes
need "refused short password" "$(cat "$d/short-pw")"
keygen_body "$d/short.json" "$(eid_for 10)" ec-p256 pkcs8 "$d/short-pw"
http_req POST /api/v1/devices "$d/short.json"
check_problem "password of 10 bytes" 400 invalid-server-keygen
assert_not_contains "password of 10 bytes: not echoed" "$(cat "$HTTP_BODY")" "$(cat "$d/short-pw")"
"$PYTHON" -c 'print("x" * 1025, end="")' >"$d/long-pw"
keygen_body "$d/long.json" "$(eid_for 10)" ec-p256 pkcs8 "$d/long-pw"
http_req POST /api/v1/devices "$d/long.json"
check_problem "password of 1025 bytes" 400 invalid-server-keygen

new_password >"$d/pw"
need "refused requests' password" "$(cat "$d/pw")"
keygen_body "$d/type.json" "$(eid_for 10)" dsa1024 pkcs8 "$d/pw"
http_req POST /api/v1/devices "$d/type.json"
check_problem "unknown key_type" 400 invalid-server-keygen
keygen_body "$d/format.json" "$(eid_for 10)" ec-p256 jks "$d/pw"
http_req POST /api/v1/devices "$d/format.json"
check_problem "unknown format" 400 invalid-server-keygen
make_csr ec "$d/dev" || e2e_abort "openssl made a CSR"
keygen_body "$d/both.json" "$(eid_for 10)" ec-p256 pkcs8 "$d/pw" \
  "$("$PYTHON" -c 'import json,sys; print(json.dumps({"csr": open(sys.argv[1]).read()}))' "$d/dev/csr.pem")"
http_req POST /api/v1/devices "$d/both.json"
check_problem "csr and server_keygen" 400 invalid-request
assert_not_contains "csr and server_keygen: password not echoed" "$(cat "$HTTP_BODY")" "$(cat "$d/pw")"
echo "{\"device_id\": \"$(eid_for 10)\"}" >"$d/neither.json"
http_req POST /api/v1/devices "$d/neither.json"
check_problem "neither csr nor server_keygen" 400 invalid-request
keygen_body "$d/extra.json" "$(eid_for 10)" ec-p256 pkcs8 "$d/pw"
"$PYTHON" -c '
import json, sys
b = json.load(open(sys.argv[1])); b["server_keygen"]["iterations"] = 1
json.dump(b, open(sys.argv[1], "w"))' "$d/extra.json"
http_req POST /api/v1/devices "$d/extra.json"
check_problem "unknown server_keygen member" 400 invalid-request
"$PYTHON" -c '
import json, sys
b = json.load(open(sys.argv[1])); b["server_keygen"]["password"] = 123456789012345
json.dump(b, open(sys.argv[1], "w"))' "$d/extra.json"
http_req POST /api/v1/devices "$d/extra.json"
check_problem "numeric password" 400 invalid-request
keygen_body "$d/dup.json" "$(eid_for 1)" ec-p256 pkcs8 "$d/pw"
http_req POST /api/v1/devices "$d/dup.json"
check_problem "server_keygen for a known device" 409 device-exists
assert_eq "nothing enrolled by the refusals" 0 "$(sql "SELECT count(*) FROM devices WHERE device_id = '$(eid_for 10)'")"

# --- the search: stop iotregd so that its log is complete, dump the database
e2e_stop
DUMP=$E2E_DIR/db.sql
pg_dump --dbname="$E2E_DSN" --no-owner -f "$DUMP" || e2e_abort "pg_dump of $E2E_DB"
assert_gt "pg_dump is not empty" "$(wc -c <"$DUMP")" 1000
assert_gt "the daemon log is not empty" "$(wc -l <"$E2E_LOG")" 5

# Control: the search finds what is there (a certificate line in the dump, a device id in the log).
if grep -qF -- "$CERT_NEEDLE" "$DUMP"; then pass "control: the certificate is in the dump"; else
  fail "control: the certificate is in the dump" "needle: $CERT_NEEDLE"
fi
if grep -qF -- "$(eid_for 3)" "$E2E_LOG"; then pass "control: a device id is in the log"; else
  fail "control: a device id is in the log"
fi

# Every needle, case-sensitively as a fixed string, in every place.
n_needles=0
leaks=()
while IFS=$'\t' read -r what needle; do
  [[ -n $needle ]] || continue
  n_needles=$((n_needles + 1))
  for place in "$E2E_LOG" "$E2E_CTL_LOG" "$DUMP"; do
    grep -qF -- "$needle" "$place" && leaks+=("$what in $(basename "$place")")
  done
  grep -rqF -- "$needle" "$E2E_STATE" && leaks+=("$what in the state directory")
done <"$NEEDLES"
echo "# $n_needles needles searched"
assert_gt "needles searched" "$n_needles" 40
if ((${#leaks[@]} == 0)); then
  pass "no key material, password or encrypted blob in the logs, the state or the database"
else
  fail "no key material, password or encrypted blob in the logs, the state or the database" "${leaks[@]}"
fi

e2e_finish
