#!/usr/bin/env bash
# Acceptance c and d (issue 2): devices enrolled with CSRs made by `openssl req` (P-256 and
# RSA-2048) get a certificate that openssl and GnuTLS verify against the internal CA, with the
# device profile (CN + SAN dNSName, EKU clientAuth, keyUsage digitalSignature, a random positive
# serial), and a TLSA 3 1 1 record whose data is the SHA-256 of the SPKI computed outside iotreg.
source "$(dirname "$0")/lib.sh"

e2e_start
ROOT=$E2E_STATE/ca/root.pem
ISSUING=$E2E_STATE/ca/issuing.pem

# Prints the base64 bodies of the PEM certificates in a file, one a line (for order-exact compares).
pem_bodies() {
  "$PYTHON" -c '
import re, sys
text = open(sys.argv[1]).read()
for m in re.finditer(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S):
    print("".join(m.group(1).split()))' "$1"
}

check_device() {  # check_device LABEL KEYTYPE ID
  local label=$1 type=$2 id=$3
  local d=$E2E_DIR/$label
  local fqdn=$id._device.$E2E_ZONE
  make_csr "$type" "$d" || e2e_abort "$label: openssl made a CSR"

  # c: enrollment with an openssl-made CSR is accepted
  enroll "$id" "$d/csr.pem"
  assert_eq "$label: POST /api/v1/devices status" 201 "$HTTP_STATUS"
  assert_match "$label: reply Content-Type is JSON" "$HTTP_CTYPE" '^application/json'
  if [[ $HTTP_STATUS != 201 ]]; then
    fail "$label: enrollment reply" "$(head -c 600 "$HTTP_BODY")"
    return
  fi
  local reply=$HTTP_BODY
  json_get "$reply" certificate >"$d/cert.pem"
  json_get "$reply" chain >"$d/chain.pem"
  assert_eq "$label: reply device_id" "$id" "$(json_get "$reply" device_id)"
  assert_eq "$label: reply dns_name" "$fqdn" "$(json_get "$reply" dns_name)"
  assert_match "$label: reply zone_serial is a number" "$(json_get "$reply" zone_serial)" '^[0-9]+$'

  # c: openssl verifies the certificate against root + issuing
  assert_eq "$label: openssl verify" "$d/cert.pem: OK" \
    "$(openssl verify -CAfile "$ROOT" -untrusted "$ISSUING" "$d/cert.pem" 2>&1)"

  # c: the certificate is for the key in the CSR
  assert_eq "$label: certificate public key = CSR key" \
    "$(openssl pkey -in "$d/key.pem" -pubout 2>&1)" "$(openssl x509 -in "$d/cert.pem" -noout -pubkey 2>&1)"

  # c: SAN is exactly one dNSName <id>._device.<zone> (no final dot)
  local san
  san=$(openssl x509 -in "$d/cert.pem" -noout -ext subjectAltName 2>&1 | tail -n +2 | sed 's/^ *//')
  assert_eq "$label: SAN" "DNS:$fqdn" "$san"

  # c: subject CN is the same name
  local cn
  cn=$(openssl x509 -in "$d/cert.pem" -noout -subject -nameopt RFC2253 | sed -n 's/.*CN=\([^,]*\).*/\1/p')
  assert_eq "$label: subject CN" "$fqdn" "$cn"

  # c: EKU is exactly TLS Web Client Authentication
  local eku
  eku=$(openssl x509 -in "$d/cert.pem" -noout -ext extendedKeyUsage 2>&1 | tail -n +2 | sed 's/^ *//')
  assert_eq "$label: extendedKeyUsage" "TLS Web Client Authentication" "$eku"

  # c: keyUsage is critical and exactly Digital Signature
  assert_eq "$label: keyUsage" $'X509v3 Key Usage: critical\nDigital Signature' \
    "$(openssl x509 -in "$d/cert.pem" -noout -ext keyUsage 2>&1 | sed 's/^ *//')"

  # c (issue item 6): AKI and SKI present
  assert_contains "$label: SKI present" \
    "$(openssl x509 -in "$d/cert.pem" -noout -ext subjectKeyIdentifier 2>&1)" \
    "X509v3 Subject Key Identifier"
  assert_contains "$label: AKI present" \
    "$(openssl x509 -in "$d/cert.pem" -noout -ext authorityKeyIdentifier 2>&1)" \
    "X509v3 Authority Key Identifier"

  # c (issue item 6): serial positive, at least 64 bits
  local serial
  serial=$(openssl x509 -in "$d/cert.pem" -noout -serial | sed 's/^serial=//')
  assert_match "$label: serial is positive hex" "$serial" '^[0-9A-Fa-f]+$'
  local bits
  bits=$("$PYTHON" -c 'import sys; print(int(sys.argv[1], 16).bit_length())' "$serial" 2>/dev/null)
  assert_ge "$label: serial has >= 64 bits (bit length $bits)" "${bits:-0}" 64
  SERIALS+=("$serial")

  # c: the chain in the reply is issuing.pem then root.pem
  assert_eq "$label: chain = issuing.pem + root.pem" \
    "$(pem_bodies "$ISSUING"; pem_bodies "$ROOT")" "$(pem_bodies "$d/chain.pem")"

  # c: GnuTLS verifies cert + chain with the root as the only CA
  cat "$d/cert.pem" "$d/chain.pem" >"$d/fullchain.pem"
  # (this certtool refuses --verify-chain together with --load-ca-certificate; --verify is the
  # chain check against a given CA)
  local gnutls
  gnutls=$(certtool --verify --load-ca-certificate "$ROOT" --infile "$d/fullchain.pem" 2>&1)
  assert_contains "$label: certtool --verify (GnuTLS): chain verified" "$gnutls" \
    "Chain verification output: Verified. The certificate is trusted."

  # d: TLSA association data = SHA-256 of the SPKI DER, computed by openssl
  local want tlsa
  want=$(spki_sha256 "$d/key.pem")
  tlsa=$(json_get "$reply" tlsa)
  assert_match "$label: tlsa field shape" "$tlsa" \
    "^$fqdn\\. [0-9]+ IN TLSA 3 1 1 [0-9A-Fa-f ]+\$"
  local got
  got=$(awk '{d=""; for (i=8;i<=NF;i++) d=d $i; print tolower(d)}' <<<"$tlsa")
  assert_eq "$label: TLSA data = sha256(SPKI DER)" "$want" "$got"

  # d: GnuTLS's own view of the 3 1 1 record for this certificate. danetool prints
  # "_443._tcp.<host>. IN TLSA ( 03 01 01 <hex> )"; the port prefix is its convention, the data counts.
  local dane
  dane=$(danetool --tlsa-rr --host="$fqdn" --load-certificate "$d/cert.pem" 2>&1)
  assert_eq "$label: danetool TLSA 3 1 1 data" "03 01 01 $want" \
    "$(sed -n 's/.*IN TLSA ( *\([0-9a-fA-F ]*[0-9a-fA-F]\) *).*/\1/p' <<<"$dane" | tr 'A-F' 'a-f')"

  # c: GET returns the device, active, with the same certificate
  http_req GET "/api/v1/devices/$id"
  assert_eq "$label: GET status" 200 "$HTTP_STATUS"
  assert_eq "$label: GET device status" active "$(json_get "$HTTP_BODY" status)"
  assert_eq "$label: GET certificate = enrolled certificate" \
    "$(pem_bodies "$d/cert.pem")" "$(json_get "$HTTP_BODY" certificate | pem_bodies /dev/stdin)"
  assert_eq "$label: GET dns_name" "$fqdn" "$(json_get "$HTTP_BODY" dns_name)"
  assert_eq "$label: GET tlsa" "$tlsa" "$(json_get "$HTTP_BODY" tlsa)"
}

SERIALS=()
check_device p256 ec "$(eid_for 101)"
check_device rsa2048 rsa "$(eid_for 102)"
check_device p256b ec "$(eid_for 103)"

# c: serials are random (distinct)
assert_eq "certificate serials are distinct" 3 "$(printf '%s\n' "${SERIALS[@]}" | sort -u | wc -l)"

e2e_finish
