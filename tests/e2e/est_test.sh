#!/usr/bin/env bash
# Acceptance c (issue 5): EST (RFC 7030) with curl and openssl as the client. cacerts, then
# simpleenroll with HTTP authentication (Bearer and Basic), then simplereenroll over mTLS with the
# certificate just issued; every PKCS#7 reply is read by `openssl pkcs7 -print_certs`. Also:
# csrattrs, serverkeygen (encrypted PKCS#8), and the refusals (no client certificate, a foreign
# one, a revoked one, bad base64, no credentials).
source "$(dirname "$0")/lib.sh"

e2e_start
ROOT=$E2E_STATE/ca/root.pem
ISSUING=$E2E_STATE/ca/issuing.pem
EST=/.well-known/est
mkdir -p "$E2E_DIR/est"
D=$E2E_DIR/est
cat "$ISSUING" "$ROOT" >"$D/chain.pem"

# est_req METHOD OP [BODYFILE] [curl args...]: an EST request without the default Bearer key.
est_req() {
  local method=$1 op=$2 body=${3:-}
  shift 3 2>/dev/null || shift $#
  E2E_AUTH=${EST_AUTH-} E2E_CTYPE=application/pkcs10 http_req "$method" "$EST/$op" "$body" "$@"
}

# p7_certs FILE OUT: the certificates of a base64 certs-only PKCS#7 reply, as PEM.
p7_certs() { openssl base64 -d -in "$1" | openssl pkcs7 -inform DER -print_certs -out "$2" 2>"$2.err"; }

# est_csr DIR CN: DIR/key.pem (P-256) and DIR/csr.b64 (base64 DER CSR with subject CN).
est_csr() {
  mkdir -p "$1"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1/key.pem" 2>/dev/null
  openssl req -new -key "$1/key.pem" -subj "/CN=$2" -outform DER 2>/dev/null | openssl base64 >"$1/csr.b64"
}

# --- cacerts: no authentication, issuing then root -----------------------------------------------
EST_AUTH="" est_req GET cacerts
assert_eq "cacerts: status" 200 "$HTTP_STATUS"
assert_match "cacerts: Content-Type" "$HTTP_CTYPE" '^application/pkcs7-mime; *smime-type=certs-only'
assert_cmd "cacerts: openssl pkcs7 -print_certs reads it" p7_certs "$HTTP_BODY" "$D/cacerts.pem"
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 2>/dev/null; }
awk -v d="$D" '/BEGIN CERTIFICATE/ {n++} n {print > (d "/ca" n ".pem")}' "$D/cacerts.pem"
assert_eq "cacerts: two certificates" 2 "$(grep -c 'BEGIN CERTIFICATE' "$D/cacerts.pem")"
assert_eq "cacerts: first the issuing CA" "$(fp "$ISSUING")" "$(fp "$D/ca1.pem")"
assert_eq "cacerts: then the root" "$(fp "$ROOT")" "$(fp "$D/ca2.pem")"

# --- csrattrs ------------------------------------------------------------------------------------
EST_AUTH="" est_req GET csrattrs
assert_eq "csrattrs: status" 200 "$HTTP_STATUS"
assert_match "csrattrs: Content-Type" "$HTTP_CTYPE" '^application/csrattrs'
attrs=$(openssl base64 -d -in "$HTTP_BODY" | openssl asn1parse -inform DER 2>&1)
assert_contains "csrattrs: asn1parse shows ecdsa-with-SHA256" "$attrs" "ecdsa-with-SHA256"
assert_contains "csrattrs: asn1parse shows prime256v1" "$attrs" "prime256v1"

# --- simpleenroll with Bearer and with Basic -----------------------------------------------------
KEY=$(cat "$E2E_DIR/admin.key")
ID1=$(eid_for 5001)
ID2=$(eid_for 5002)
est_csr "$D/d1" "$ID1._device.$E2E_ZONE"
est_csr "$D/d2" "$ID2"
EST_AUTH="Bearer $KEY" est_req POST simpleenroll "$D/d1/csr.b64"
assert_eq "simpleenroll (Bearer): status" 200 "$HTTP_STATUS"
assert_match "simpleenroll: Content-Type" "$HTTP_CTYPE" '^application/pkcs7-mime; *smime-type=certs-only'
assert_cmd "simpleenroll (Bearer): openssl pkcs7 -print_certs reads it" p7_certs "$HTTP_BODY" "$D/d1/cert.pem"
assert_cmd "simpleenroll (Bearer): the certificate verifies against the chain" \
  openssl verify -CAfile "$ROOT" -untrusted "$ISSUING" -purpose sslclient "$D/d1/cert.pem"
assert_eq "simpleenroll: the certificate is for the CSR's key" \
  "$(openssl pkey -in "$D/d1/key.pem" -pubout)" "$(openssl x509 -in "$D/d1/cert.pem" -noout -pubkey)"
rr=$(dig_at +noall +answer "$ID1._device.$E2E_ZONE" TLSA)
assert_contains "simpleenroll: the TLSA is in the zone" "$(tlsa_rdata "$rr")" "3 1 1 $(spki_sha256 "$D/d1/key.pem")"

EST_AUTH="Basic $(printf 'device-maker:%s' "$KEY" | openssl base64 -A)" est_req POST simpleenroll "$D/d2/csr.b64"
assert_eq "simpleenroll (Basic): status" 200 "$HTTP_STATUS"
assert_cmd "simpleenroll (Basic): openssl pkcs7 -print_certs reads it" p7_certs "$HTTP_BODY" "$D/d2/cert.pem"
assert_contains "simpleenroll (Basic): certificate names the device" \
  "$(openssl x509 -in "$D/d2/cert.pem" -noout -ext subjectAltName)" "$ID2._device.$E2E_ZONE"
rr=$(dig_at +noall +answer "$ID2._device.$E2E_ZONE" TLSA)
assert_contains "simpleenroll (Basic): the TLSA is in the zone" "$(tlsa_rdata "$rr")" "3 1 1 $(spki_sha256 "$D/d2/key.pem")"

# --- simpleenroll refusals -----------------------------------------------------------------------
EST_AUTH="" est_req POST simpleenroll "$D/d1/csr.b64"
check_problem "simpleenroll without credentials" 401 unauthenticated
EST_AUTH="Basic $(printf 'x:iotreg_%064d' 0 | openssl base64 -A)" est_req POST simpleenroll "$D/d1/csr.b64"
check_problem "simpleenroll with an unknown key" 401 unauthenticated
echo 'this is not base64 !!' >"$D/junk"
EST_AUTH="Bearer $KEY" est_req POST simpleenroll "$D/junk"
check_problem "simpleenroll with bad base64" 400 invalid-request
EST_AUTH="Bearer $KEY" est_req POST simpleenroll "$D/d1/csr.b64"
check_problem "simpleenroll of an enrolled device" 409 device-exists

# --- simplereenroll over mTLS --------------------------------------------------------------------
est_csr "$D/d1new" "$ID1._device.$E2E_ZONE"
EST_AUTH="" est_req POST simplereenroll "$D/d1new/csr.b64" --cert "$D/d1/cert.pem" --key "$D/d1/key.pem"
assert_eq "simplereenroll (mTLS): status" 200 "$HTTP_STATUS"
assert_cmd "simplereenroll: openssl pkcs7 -print_certs reads it" p7_certs "$HTTP_BODY" "$D/d1new/cert.pem"
assert_cmd "simplereenroll: the new certificate verifies against the chain" \
  openssl verify -CAfile "$ROOT" -untrusted "$ISSUING" -purpose sslclient "$D/d1new/cert.pem"
assert_eq "simplereenroll: the new certificate is for the new key" \
  "$(openssl pkey -in "$D/d1new/key.pem" -pubout)" "$(openssl x509 -in "$D/d1new/cert.pem" -noout -pubkey 2>/dev/null)"
assert_ne "simplereenroll: a new serial" "$(openssl x509 -in "$D/d1/cert.pem" -noout -serial)" \
  "$(openssl x509 -in "$D/d1new/cert.pem" -noout -serial 2>/dev/null)"
# A re-enrollment is a rekey: during the overlap the zone carries the old and the new record.
rr=$(dig_at +noall +answer "$ID1._device.$E2E_ZONE" TLSA)
assert_contains "simplereenroll: the new TLSA is in the zone" "$(tlsa_rdata "$rr")" "3 1 1 $(spki_sha256 "$D/d1new/key.pem")"
assert_contains "simplereenroll: the old TLSA stays during the overlap" "$(tlsa_rdata "$rr")" "3 1 1 $(spki_sha256 "$D/d1/key.pem")"

# The CSR's subject must be the current certificate's (RFC 7030 §4.2.2).
est_csr "$D/other" "$ID2._device.$E2E_ZONE"
EST_AUTH="" est_req POST simplereenroll "$D/other/csr.b64" --cert "$D/d1/cert.pem" --key "$D/d1/key.pem"
check_problem "simplereenroll with another subject" 400 csr-name-mismatch
# No client certificate, even with an API key: 401.
EST_AUTH="Bearer $KEY" est_req POST simplereenroll "$D/d1new/csr.b64"
check_problem "simplereenroll without a client certificate" 401 client-certificate-required
# A foreign self-signed certificate for the same name: the handshake works, the request does not.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/foreign.key" \
  -out "$D/foreign.pem" -subj "/CN=$ID1._device.$E2E_ZONE" -days 2 -addext extendedKeyUsage=clientAuth 2>/dev/null
EST_AUTH="" est_req POST simplereenroll "$D/d1new/csr.b64" --cert "$D/foreign.pem" --key "$D/foreign.key"
assert_match "simplereenroll with a foreign certificate: 401 or 403" "$HTTP_STATUS" '^40[13]$'
# Bad base64 with a good certificate.
EST_AUTH="" est_req POST simplereenroll "$D/junk" --cert "$D/d1/cert.pem" --key "$D/d1/key.pem"
check_problem "simplereenroll with bad base64" 400 invalid-request
# A revoked device cannot re-enroll, though its certificate still verifies.
http_req DELETE "/api/v1/devices/$ID2?reason=keyCompromise"
assert_eq "revoke device 2" 200 "$HTTP_STATUS"
est_csr "$D/d2new" "$ID2._device.$E2E_ZONE"
EST_AUTH="" est_req POST simplereenroll "$D/d2new/csr.b64" --cert "$D/d2/cert.pem" --key "$D/d2/key.pem"
check_problem "simplereenroll with a revoked certificate" 403 forbidden
# Plain clients are unaffected by the optional client certificate request.
http_req GET "/api/v1/devices/$ID1"
assert_eq "GET a device without a client certificate" 200 "$HTTP_STATUS"

# --- serverkeygen: the key comes back encrypted under the requester's password --------------------
ID3=$(eid_for 5003)
est_csr "$D/d3" "$ID3"
PW="est-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
EST_AUTH="Bearer $KEY" est_req POST serverkeygen "$D/d3/csr.b64" -H "Iotreg-Key-Password: $PW"
assert_eq "serverkeygen: status" 200 "$HTTP_STATUS"
assert_match "serverkeygen: multipart/mixed" "$HTTP_CTYPE" '^multipart/mixed; *boundary='
"$PYTHON" - "$HTTP_BODY" "$D/d3" <<'PY'
import sys, base64, re
body = open(sys.argv[1], "rb").read().decode()
parts = [p for p in re.split(r"--iotreg-est-boundary(?:--)?\r\n", body) if p.strip()]
for p in parts:
    head, data = p.split("\r\n\r\n", 1)
    ctype = re.search(r"Content-Type: ([^;\r\n]+)", head).group(1)
    name = {"application/pkcs8-encrypted": "key.p8", "application/pkcs7-mime": "cert.p7"}[ctype]
    open(sys.argv[2] + "/" + name, "wb").write(base64.b64decode("".join(data.split())))
PY
assert_cmd "serverkeygen: openssl pkcs7 -print_certs reads the certificate part" \
  sh -c "openssl pkcs7 -inform DER -in '$D/d3/cert.p7' -print_certs -out '$D/d3/cert.pem'"
assert_cmd "serverkeygen: the key decrypts with the password" \
  openssl pkcs8 -inform DER -in "$D/d3/key.p8" -passin "pass:$PW" -out "$D/d3/key.pem"
if openssl pkcs8 -inform DER -in "$D/d3/key.p8" -passin pass:wrong-password-123 -out /dev/null 2>/dev/null; then
  fail "serverkeygen: the key does not decrypt with another password"
else
  pass "serverkeygen: the key does not decrypt with another password"
fi
assert_eq "serverkeygen: the key matches the certificate" \
  "$(openssl pkey -in "$D/d3/key.pem" -pubout 2>/dev/null)" "$(openssl x509 -in "$D/d3/cert.pem" -noout -pubkey 2>/dev/null)"
assert_cmd "serverkeygen: the certificate verifies against the chain" \
  openssl verify -CAfile "$ROOT" -untrusted "$ISSUING" "$D/d3/cert.pem"
assert_not_contains "serverkeygen: the password is not in iotregd's log" "$(cat "$E2E_LOG")" "$PW"
ID4=$(eid_for 5004)
est_csr "$D/d4" "$ID4"
EST_AUTH="Bearer $KEY" est_req POST serverkeygen "$D/d4/csr.b64"
check_problem "serverkeygen without a password" 400 invalid-server-keygen

e2e_finish
