#!/usr/bin/env bash
# Issue 4 item 6 (CA discovery) and the issuing-CA management of item 1: a verifier holding only a
# device certificate finds its CAs the PKIX-CD way (STANDARDS.md §3.1): the host from the device
# name (<id>._device.<zone> -> device.<zone>, whose A record the zone carries), then
# https://device.<zone>/.well-known/ca/<AKI>.pem for the issuing CA and, by its AKI, the root;
# openssl verifies the device with only those. The zone carries the root at _rootcert.device and
# every CA at the apex (TLSA 0 0 0, DNSSEC-validated). `iotregctl ca create` + `ca rotate` +
# restart: new devices get the new issuing CA, both CAs stay published, old devices still verify.
source "$(dirname "$0")/lib.sh"

# ns1 gets an address other than the default: a configured table replaces the default entirely.
E2E_EXTRA_CONFIG='addresses = { ns1 = ["127.0.0.3"], device = ["127.0.0.1", "::1"] }'
e2e_setup
# iotregd's TLS certificate also names device.<zone>, the host a verifier derives.
sed -i "/^\[server\]/a tls_names = [\"localhost\", \"device.$E2E_ZONE\"]" "$E2E_CONFIG"
e2e_init
e2e_daemon_start
ROOT=$E2E_STATE/ca/root.pem
ACTIVE=$E2E_STATE/ca/issuing.pem
A=$E2E_DIR/anchors
write_anchors "$A"

# Key identifiers the way PKIX-CD writes them: lower-case hex bytes joined by '-'.
ski_of() {
  openssl x509 -in "$1" -noout -ext subjectKeyIdentifier 2>/dev/null | tail -n +2 | tr -d ' ' |
    tr 'A-F:' 'a-f-'
}
aki_of() {
  openssl x509 -in "$1" -noout -ext authorityKeyIdentifier 2>/dev/null | tail -n +2 |
    sed 's/^ *//; s/^keyid://' | grep -E '^[0-9A-Fa-f:]+$' | head -n1 | tr 'A-F:' 'a-f-'
}
# ctl_out ARGS...: iotregctl's stdout only (what scripts read); stderr goes to the ctl log.
ctl_out() {
  printf '$ iotregctl %s\n' "$*" >>"$E2E_CTL_LOG"
  "$IOTREGCTL" --config "$E2E_CONFIG" "$@" 2>>"$E2E_CTL_LOG"
}
der_hex() { openssl x509 -in "$1" -outform DER | xxd -p | tr -d '\n'; }

# fetch_ca AKI OUT: GET https://device.<zone>/.well-known/ca/AKI.pem, with the address the zone
# gives device.<zone>, no credentials. Sets FETCH_STATUS and FETCH_CTYPE.
fetch_ca() {
  local host=device.$E2E_ZONE addr out
  addr=$(dig_at +short A "$host." | head -n1)
  out=$(curl -sS --max-time 30 --cacert "$ROOT" --resolve "$host:$E2E_HTTP_PORT:${addr:-0.0.0.0}" \
    -o "$2" -D "$2.headers" -w '%{http_code} %{content_type}' "https://$host:$E2E_HTTP_PORT/.well-known/ca/$1.pem" 2>&1)
  FETCH_STATUS=${out%% *}
  FETCH_CTYPE=${out#* }
  api_capture GET "/.well-known/ca/$1.pem" "$FETCH_STATUS" "$FETCH_CTYPE" "$2" "$2.headers"
}

# enroll_device N: enrolls device N, writes $E2E_DIR/devN/cert.pem; prints nothing.
enroll_device() {
  local n=$1 d=$E2E_DIR/dev$1
  make_csr ec "$d"
  enroll "$(eid_for $((400 + n)))" "$d/csr.pem"
  assert_eq "enroll device $n" 201 "$HTTP_STATUS"
  json_get "$HTTP_BODY" certificate >"$d/cert.pem"
}

# discover_and_verify LABEL CERT: the PKIX-CD walk from a device certificate up to the root; each
# fetched CA is the one iotreg holds, and openssl verifies the device with the fetched CAs only.
discover_and_verify() {
  local label=$1 cert=$2 d=$E2E_DIR/discover-$1
  mkdir -p "$d"
  # The authority host from the device name: labels up to the first underscore label, minus '_'.
  local san host
  san=$(openssl x509 -in "$cert" -noout -ext subjectAltName | tail -n +2 | sed 's/^ *DNS://')
  host=$(sed -E 's/^.*\._([^.]+)\./\1./' <<<"$san")
  assert_eq "$label: authority host derived from $san" "device.$E2E_ZONE" "$host"
  local aki
  aki=$(aki_of "$cert")
  assert_match "$label: device AKI in PKIX-CD form" "$aki" '^([0-9a-f]{2}-){19}[0-9a-f]{2}$'
  fetch_ca "$aki" "$d/issuing.pem"
  assert_eq "$label: GET /.well-known/ca/<device AKI>.pem" 200 "$FETCH_STATUS"
  assert_match "$label: PEM content type" "$FETCH_CTYPE" '^application/(pem-certificate-chain|x-pem-file)'
  assert_eq "$label: the fetched CA's SKI is the device's AKI" "$aki" "$(ski_of "$d/issuing.pem")"
  assert_eq "$label: the fetched CA is $E2E_STATE/ca/issuing/$aki.pem" \
    "$(der_hex "$E2E_STATE/ca/issuing/$aki.pem")" "$(der_hex "$d/issuing.pem")"
  local root_aki
  root_aki=$(aki_of "$d/issuing.pem")
  fetch_ca "$root_aki" "$d/root.pem"
  assert_eq "$label: GET /.well-known/ca/<issuing AKI>.pem" 200 "$FETCH_STATUS"
  assert_eq "$label: that is the root (self-signed: SKI = AKI, the walk stops)" "$root_aki" "$(ski_of "$d/root.pem")"
  assert_eq "$label: the fetched root is root.pem" "$(der_hex "$ROOT")" "$(der_hex "$d/root.pem")"
  assert_eq "$label: openssl verify with the fetched CAs only" "$cert: OK" \
    "$(openssl verify -CAfile "$d/root.pem" -untrusted "$d/issuing.pem" "$cert" 2>&1)"
}

# apex_tlsa: the apex TLSA records' "0 0 0 <hex>", sorted.
apex_tlsa() { tlsa_rdata "$(dig_at +tcp +noall +answer TLSA "$E2E_ZONE.")" | sort; }
expected_tlsa() { for f in "$@"; do echo "0 0 0 $(der_hex "$f")"; done | sort; }

# ---- device.<zone> resolves to the configured addresses; ns1 lost the default 127.0.0.1
assert_eq "device.<zone> A (configured)" 127.0.0.1 "$(dig_at +short A "device.$E2E_ZONE.")"
assert_eq "device.<zone> AAAA (configured)" ::1 "$(dig_at +short AAAA "device.$E2E_ZONE.")"
assert_eq "ns1.<zone> A: the configured table replaced the default" 127.0.0.3 "$(dig_at +short A "ns1.$E2E_ZONE.")"

# ---- one issuing CA: discovery over HTTPS
FIRST=$(ski_of "$ACTIVE")
assert_match "first issuing CA has an SKI" "$FIRST" '^([0-9a-f]{2}-){19}[0-9a-f]{2}$'
enroll_device 1
assert_eq "device 1 AKI = SKI of the issuing CA" "$FIRST" "$(aki_of "$E2E_DIR/dev1/cert.pem")"
discover_and_verify dev1 "$E2E_DIR/dev1/cert.pem"

# ---- unknown key ids: 404 problem+json, without credentials as well
E2E_AUTH="" http_req GET "/.well-known/ca/00-11-22-33.pem"
check_problem "unknown AKI" 404 ca-not-found
E2E_AUTH="" http_req GET "/.well-known/ca/$FIRST.der"
check_problem "not .pem" 404 ca-not-found
E2E_AUTH="" http_req GET "/.well-known/ca/$FIRST.pem"
assert_eq "no credentials needed" 200 "$HTTP_STATUS"
# Cacheable for a day, with an ETag; a conditional GET naming it gets 304 (RFC 9110 §13.1.2).
E2E_AUTH="" http_req GET "/.well-known/ca/$FIRST.pem" "" -D "$E2E_DIR/ca.hdr"
assert_eq "CA certificate: Cache-Control" "max-age=86400, public" \
  "$(tr -d '\r' <"$E2E_DIR/ca.hdr" | sed -n 's/^cache-control: //Ip')"
ca_etag=$(tr -d '\r' <"$E2E_DIR/ca.hdr" | sed -n 's/^etag: //Ip')
assert_match "CA certificate: a strong ETag" "$ca_etag" '^"[0-9a-f]{64}"$'
E2E_AUTH="" http_req GET "/.well-known/ca/$FIRST.pem" "" -H "If-None-Match: $ca_etag"
assert_eq "CA certificate: If-None-Match with its ETag: 304" 304 "$HTTP_STATUS"
E2E_AUTH="" http_req GET "/.well-known/ca/$FIRST.pem" "" -H 'If-None-Match: "0000"'
assert_eq "CA certificate: another ETag: 200" 200 "$HTTP_STATUS"

# ---- the zone: _rootcert.device has the root, the apex the root and the issuing CA, validated
assert_eq "_rootcert.device TLSA 0 0 0 = root DER" "0 0 0 $(der_hex "$ROOT")" \
  "$(tlsa_rdata "$(dig_at +tcp +noall +answer TLSA "_rootcert.device.$E2E_ZONE.")")"
assert_eq "apex TLSA 0 0 0 = root + issuing CA DER" "$(expected_tlsa "$ROOT" "$ACTIVE")" "$(apex_tlsa)"
assert_contains "apex TLSA: delv fully validated" "$(delv_at "$A" TLSA "$E2E_ZONE")" "; fully validated"

# ---- iotregctl ca list / show
list=$(ctl_out ca list)
assert_eq "ca list: root + one issuing CA" 3 "$(wc -l <<<"$list")"
assert_match "ca list: the issuing CA is active, with key type and subject" \
  "$(grep "^$FIRST" <<<"$list")" $'^'"$FIRST"$'\tactive\tEC P-256\t[0-9T:Z-]+\t[0-9T:Z-]+\tCN=iotreg Issuing CA 1'
assert_match "ca list: the root" "$(grep -c $'\troot\t' <<<"$list")" '^1$'
show=$(ctl_out ca show "$(tr 'a-f-' 'A-F:' <<<"$FIRST")")
assert_contains "ca show (SKI typed as openssl prints it): status" "$show" "status:     active"
assert_contains "ca show: the PEM" "$show" "$(cat "$E2E_STATE/ca/issuing/$FIRST.pem")"
out=$(ctl ca show 00-11-22 2>&1)
assert_eq "ca show of an unknown SKI fails" 1 "$?"
assert_contains "ca show of an unknown SKI: clear error" "$out" "no CA with SKI 00-11-22"
out=$(ctl ca rotate 00-11-22 2>&1)
assert_eq "ca rotate to an unknown SKI fails" 1 "$?"
assert_contains "ca rotate to an unknown SKI: clear error" "$out" "no CA with SKI 00-11-22"
out=$(ctl ca show not-hex 2>&1)
assert_eq "ca show of a malformed SKI: usage error" 2 "$?"
assert_contains "ca show of a malformed SKI: says so" "$out" "is not a key identifier"

# ---- without the root key no issuing CA can be made
mv "$E2E_STATE/ca/private/root.key" "$E2E_DIR/root.key.offline"
out=$(ctl ca create 2>&1)
assert_eq "ca create without the root key fails" 1 "$?"
assert_contains "ca create without the root key: clear error" "$out" "root CA key unavailable"
mv "$E2E_DIR/root.key.offline" "$E2E_STATE/ca/private/root.key"

# ---- ca create + ca rotate + restart
SECOND=$(ctl_out ca create)
assert_match "ca create prints the new SKI" "$SECOND" '^([0-9a-f]{2}-){19}[0-9a-f]{2}$'
assert_ne "the new CA is another one" "$FIRST" "$SECOND"
assert_eq "ca create does not activate it" "$FIRST" "$(ski_of "$ACTIVE")"
assert_eq "key file mode 0600" 600 "$(stat -c %a "$E2E_STATE/ca/private/issuing/$SECOND.key")"
assert_eq "ca rotate prints the active SKI" "$SECOND" "$(ctl_out ca rotate "$SECOND")"
assert_eq "issuing.pem is now the new CA" "$SECOND" "$(ski_of "$ACTIVE")"
list=$(ctl_out ca list)
assert_eq "ca list: root + two issuing CAs" 4 "$(wc -l <<<"$list")"
assert_contains "ca list: the new CA is active" "$list" "$SECOND"$'\tactive\t'
assert_contains "ca list: the old CA is retired" "$list" "$FIRST"$'\tretired\t'
assert_contains "ca list: the new CA's name counts on" "$(grep "^$SECOND" <<<"$list")" "CN=iotreg Issuing CA 2"

e2e_stop
e2e_daemon_start
assert_contains "iotregd logs the active CA" "$(cat "$E2E_LOG")" "issuing CA $SECOND active (2 issuing CA(s) loaded)"
enroll_device 2
assert_eq "device 2 (after rotate) AKI = SKI of the new CA" "$SECOND" "$(aki_of "$E2E_DIR/dev2/cert.pem")"
discover_and_verify dev2 "$E2E_DIR/dev2/cert.pem"
# The old device: its CA is retired but still served, and it still verifies.
discover_and_verify dev1-after "$E2E_DIR/dev1/cert.pem"
assert_eq "apex TLSA after rotate: root + both issuing CAs" \
  "$(expected_tlsa "$ROOT" "$E2E_STATE/ca/issuing/$FIRST.pem" "$E2E_STATE/ca/issuing/$SECOND.pem")" "$(apex_tlsa)"
assert_contains "apex TLSA after rotate: delv fully validated" "$(delv_at "$A" TLSA "$E2E_ZONE")" \
  "; fully validated"
assert_eq "_rootcert.device unchanged" "0 0 0 $(der_hex "$ROOT")" \
  "$(tlsa_rdata "$(dig_at +tcp +noall +answer TLSA "_rootcert.device.$E2E_ZONE.")")"

# The zone file with three CA records at the apex still passes a verifier.
wait_zone_file "$(soa_serial)"
assert_cmd "ldns-verify-zone on the zone file" ldns-verify-zone "$E2E_ZONE_FILE"

# ---- ca rotate without an SKI makes a new CA and activates it (published at the next start)
THIRD=$(ctl_out ca rotate --name "iotreg Issuing CA spare")
assert_match "ca rotate without SKI prints a new SKI" "$THIRD" '^([0-9a-f]{2}-){19}[0-9a-f]{2}$'
list=$(ctl_out ca list)
assert_contains "ca list: the third CA is active, with its --name" "$list" \
  "$THIRD"$'\tactive\t'
assert_contains "ca list: the third CA's subject" "$(grep "^$THIRD" <<<"$list")" "CN=iotreg Issuing CA spare"
assert_contains "ca list: the second is now retired" "$list" "$SECOND"$'\tretired\t'
out=$(ctl ca create --name "iotreg Issuing CA spare" 2>&1)
assert_eq "ca create with a name in use fails" 1 "$?"
assert_contains "ca create with a name in use: clear error" "$out" "is already named 'iotreg Issuing CA spare'"

e2e_finish
