#!/usr/bin/env bash
# Issue 4, acceptance g (and b's wiring): hostile CSRs posted to a running iotregd each get a 400
# application/problem+json with their stable problem type, and change nothing: the row counts of
# devices, certificates, zone_changes and api_keys and the served zone (SOA serial and the whole
# AXFR) are identical before and after each one (the structure of bad_input_test.sh).
#
# The CAs here are made by `iotregctl init` with [ca] key_type = "ec-p384" and the CSR name policy
# is "check", so the test also shows that both settings reach init and iotregd; the good
# enrollments at the end check the CRL distribution point and AIA of a device certificate
# (default [ca] public_url) and verify the chain per device key type with openssl and GnuTLS.
source "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2034  # read by e2e_setup in lib.sh
E2E_EXTRA_CONFIG='[ca]
key_type = "ec-p384"
csr_names = "check"'
e2e_start
B=$E2E_DIR/badcsr
mkdir -p "$B"
ROOT=$E2E_STATE/ca/root.pem
ISSUING=$E2E_STATE/ca/issuing.pem

snapshot() {
  echo "devices=$(sql 'SELECT count(*) FROM devices')"
  echo "certificates=$(sql 'SELECT count(*) FROM certificates')"
  echo "zone_changes=$(sql 'SELECT count(*) FROM zone_changes')"
  echo "api_keys=$(sql 'SELECT count(*) FROM api_keys')"
  echo "soa=$(soa_serial)"
  echo "axfr:"
  axfr
}

check_unchanged() {
  local what=$1
  sleep 0.3   # a wrongly queued change would have the time to reach the zone
  snapshot >"$B/after"
  if cmp -s "$B/before" "$B/after"; then
    pass "$what: database and served zone unchanged"
  else
    fail "$what: database and served zone unchanged" "$(diff "$B/before" "$B/after" | head -n 20)"
    snapshot >"$B/before"
  fi
}

# post_csr WHAT CSRFILE SLUG: enrolls a fresh id with CSRFILE; expects 400 urn:iotreg:problem:SLUG
# as problem+json, and no change anywhere.
fresh=$(eid_for 402)   # a valid EID, never enrolled (until the end)
post_csr() {
  local what=$1 file=$2 slug=$3
  enroll "$fresh" "$file"
  check_problem "$what" 400 "$slug"
  assert_match "$what: problem detail present" "$(json_get "$HTTP_BODY" detail)" '.'
  check_unchanged "$what"
}

# key KIND OUT: a private key made by openssl.
key() {
  case $1 in
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
    p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$2" ;;
    k256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$2" ;;
    p256explicit)
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:explicit -out "$2" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$2" ;;
    ed448) openssl genpkey -algorithm ED448 -out "$2" ;;
    rsa1024 | rsa2048 | rsa3072 | rsa4096)
      openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${1#rsa}" -out "$2" ;;
    dsa)
      openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$2.params" &&
        openssl genpkey -paramfile "$2.params" -out "$2" ;;
    *) echo "key: unknown kind $1" >&2; return 2 ;;
  esac 2>/dev/null
}

# csr KEYFILE OUT [openssl req args...]: a CSR with CN=<the fresh id> unless args give -subj.
csr() {
  local k=$1 out=$2
  shift 2
  openssl req -new -key "$k" -subj "/CN=$fresh" "$@" -out "$out" 2>/dev/null
}

# der_to_pem IN OUT [LABEL]
der_to_pem() {
  "$PYTHON" - "$1" "$2" "${3:-CERTIFICATE REQUEST}" <<'PY'
import base64, sys, textwrap
der = open(sys.argv[1], "rb").read()
b64 = base64.b64encode(der).decode()
open(sys.argv[2], "w").write("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (sys.argv[3], "\n".join(textwrap.wrap(b64, 64)), sys.argv[3]))
PY
}

# The zone is not empty and the state is known before the first hostile request.
key p256 "$B/good.key"
csr "$B/good.key" "$B/good.csr" -subj "/CN=$(eid_for 401)"
enroll "$(eid_for 401)" "$B/good.csr"
assert_eq "setup: first enrollment 201" 201 "$HTTP_STATUS"
snapshot >"$B/before"
assert_match "setup: snapshot holds a served zone" "$(cat "$B/before")" "soa=[0-9]+"

# --- wrong algorithms and sizes: csr-key-not-allowed
for kind in rsa1024 k256 p521 ed448 p256explicit dsa; do
  key "$kind" "$B/$kind.key" || { fail "test input: openssl made a $kind key"; continue; }
  csr "$B/$kind.key" "$B/$kind.csr" || { fail "test input: openssl made a $kind CSR"; continue; }
  post_csr "key $kind" "$B/$kind.csr" csr-key-not-allowed
done

# --- proof of possession: csr-signature
csr "$B/good.key" "$B/badsig.csr"
"$PYTHON" - "$B/badsig.csr" "$B/badsig.der" <<'PY'
import base64, re, sys
pem = open(sys.argv[1]).read()
body = re.search(r"-----BEGIN CERTIFICATE REQUEST-----(.*?)-----END", pem, re.S).group(1)
der = bytearray(base64.b64decode("".join(body.split())))
der[-1] ^= 0x01   # inside the signature BIT STRING
open(sys.argv[2], "wb").write(bytes(der))
PY
der_to_pem "$B/badsig.der" "$B/badsig-flipped.csr"
assert_contains "test input: openssl rejects the flipped signature" \
  "$(openssl req -in "$B/badsig-flipped.csr" -noout -verify 2>&1)" "verify failure"
post_csr "bad signature" "$B/badsig-flipped.csr" csr-signature
csr "$B/good.key" "$B/sha1.csr" -sha1
post_csr "SHA-1 signature" "$B/sha1.csr" csr-signature

# --- requests for a CA certificate: csr-ca-requested
csr "$B/good.key" "$B/ca.csr" -addext "basicConstraints=critical,CA:TRUE"
assert_contains "test input: the CSR asks for CA:TRUE" "$(openssl req -in "$B/ca.csr" -noout -text)" "CA:TRUE"
post_csr "CA:TRUE requested" "$B/ca.csr" csr-ca-requested
csr "$B/good.key" "$B/ca-pathlen.csr" -addext "basicConstraints=CA:TRUE,pathlen:0"
post_csr "CA:TRUE with pathlen, not critical" "$B/ca-pathlen.csr" csr-ca-requested
csr "$B/good.key" "$B/kcs.csr" -addext "keyUsage=critical,digitalSignature,keyCertSign"
post_csr "keyCertSign requested" "$B/kcs.csr" csr-ca-requested
csr "$B/good.key" "$B/crlsign.csr" -addext "keyUsage=cRLSign"
post_csr "cRLSign requested" "$B/crlsign.csr" csr-ca-requested

# --- names, with [ca] csr_names = "check": csr-name-mismatch
csr "$B/good.key" "$B/othercn.csr" -subj "/CN=$(eid_for 999)"
post_csr "CN of another device" "$B/othercn.csr" csr-name-mismatch
csr "$B/good.key" "$B/othersan.csr" -addext "subjectAltName=DNS:$fresh._device.$E2E_ZONE,DNS:evil.example"
post_csr "SAN dNSName of another host" "$B/othersan.csr" csr-name-mismatch

# --- framing and encoding: invalid-csr
"$PYTHON" -c '
import sys
body = "A" * 24000
print("-----BEGIN CERTIFICATE REQUEST-----")
for i in range(0, len(body), 64): print(body[i:i+64])
print("-----END CERTIFICATE REQUEST-----")' >"$B/huge-garbage.csr"
post_csr "huge (24 kB of base64)" "$B/huge-garbage.csr" invalid-csr
# a real, correctly signed CSR over the 16 KiB limit: 800 SAN names
sans=$("$PYTHON" -c 'print(",".join("DNS:host%d.example.net" % i for i in range(800)))')
csr "$B/good.key" "$B/huge-real.csr" -subj "/" -addext "subjectAltName=$sans"
assert_gt "test input: the big CSR is over 16 KiB" "$(wc -c <"$B/huge-real.csr")" 16384
assert_cmd "test input: the big CSR verifies" openssl req -in "$B/huge-real.csr" -noout -verify
post_csr "huge (a valid CSR of $(wc -c <"$B/huge-real.csr") octets)" "$B/huge-real.csr" invalid-csr

printf -- '-----BEGIN CERTIFICATE REQUEST-----\nthis is not base64 at all!\n-----END CERTIFICATE REQUEST-----\n' >"$B/b64.csr"
post_csr "base64 garbage" "$B/b64.csr" invalid-csr
printf -- '-----BEGIN CERTIFICATE REQUEST-----\n%s\n-----END CERTIFICATE REQUEST-----\n' \
  "$(head -c 300 /dev/urandom | base64 -w 64)" >"$B/random.csr"
post_csr "random DER" "$B/random.csr" invalid-csr
cat "$B/good.csr" "$B/good.csr" >"$B/two.csr"
post_csr "two PEM blocks" "$B/two.csr" invalid-csr
{ cat "$B/good.csr"; echo "trailing garbage"; } >"$B/trailing.csr"
post_csr "text after the PEM block" "$B/trailing.csr" invalid-csr
: >"$B/empty.csr"
post_csr "empty CSR" "$B/empty.csr" invalid-csr
post_csr "a certificate instead of a CSR" "$ROOT" invalid-csr
openssl x509 -in "$ROOT" -outform DER -out "$B/cert.der"
der_to_pem "$B/cert.der" "$B/cert-as-csr.csr"
post_csr "a certificate labelled CERTIFICATE REQUEST" "$B/cert-as-csr.csr" invalid-csr
post_csr "a private key instead of a CSR" "$B/good.key" invalid-csr

# BER: the outer SEQUENCE with an indefinite length. The signed part is untouched, so OpenSSL
# itself parses the request and verifies its signature; iotreg insists on DER.
csr "$B/good.key" "$B/der.csr"
openssl req -in "$B/der.csr" -outform DER -out "$B/der.der"
"$PYTHON" - "$B/der.der" "$B/ber.der" <<'PY'
import sys
der = open(sys.argv[1], "rb").read()
n = der[1] & 0x7f if der[1] & 0x80 else 0
body = der[2 + n:]
open(sys.argv[2], "wb").write(b"\x30\x80" + body + b"\x00\x00")
PY
der_to_pem "$B/ber.der" "$B/ber.csr"
assert_contains "test input: openssl accepts the BER CSR and its signature" \
  "$(openssl req -in "$B/ber.csr" -noout -verify 2>&1)" "verify OK"
post_csr "BER indefinite length" "$B/ber.csr" invalid-csr

# An unknown version (v2): the INTEGER in the CertificationRequestInfo patched from 0 to 1.
"$PYTHON" - "$B/der.der" "$B/v2.der" <<'PY'
import sys
der = bytearray(open(sys.argv[1], "rb").read())
i = der.index(b"\x02\x01\x00")   # the first INTEGER is the version
der[i + 2] = 1
open(sys.argv[2], "wb").write(bytes(der))
PY
der_to_pem "$B/v2.der" "$B/v2.csr"
post_csr "unknown version v2" "$B/v2.csr" invalid-csr

# Still alive, and the good path works for every device key type, under the P-384 CAs.
assert_contains "root CA key is P-384 ([ca] key_type)" "$(openssl x509 -in "$ROOT" -noout -text)" "NIST CURVE: P-384"
assert_contains "issuing CA key is P-384" "$(openssl x509 -in "$ISSUING" -noout -text)" "NIST CURVE: P-384"
aki=$(openssl x509 -in "$ISSUING" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ' | tr 'A-F:' 'a-f-')
n=410
for kind in p256 p384 ed25519 rsa2048 rsa3072 rsa4096; do
  n=$((n + 1))
  id=$(eid_for $n)
  d=$B/ok-$kind
  mkdir -p "$d"
  key "$kind" "$d/key.pem"
  openssl req -new -key "$d/key.pem" -subj "/CN=$id._device.$E2E_ZONE" -out "$d/csr.pem" 2>/dev/null
  enroll "$id" "$d/csr.pem"
  assert_eq "$kind: enrolled (201)" 201 "$HTTP_STATUS"
  [[ $HTTP_STATUS == 201 ]] || { fail "$kind: reply" "$(head -c 400 "$HTTP_BODY")"; continue; }
  json_get "$HTTP_BODY" certificate >"$d/cert.pem"
  assert_eq "$kind: openssl verify (sslclient, x509_strict)" "$d/cert.pem: OK" \
    "$(openssl verify -x509_strict -purpose sslclient -CAfile "$ROOT" -untrusted "$ISSUING" "$d/cert.pem" 2>&1)"
  cat "$d/cert.pem" "$ISSUING" "$ROOT" >"$d/full.pem"
  assert_contains "$kind: certtool --verify-chain" "$(certtool --verify-chain --infile "$d/full.pem" 2>&1)" \
    "Chain verification output: Verified."
  text=$(openssl x509 -in "$d/cert.pem" -noout -text)
  assert_contains "$kind: signed with ecdsa-with-SHA384 (P-384 issuer)" "$text" "Signature Algorithm: ecdsa-with-SHA384"
  assert_contains "$kind: CRL distribution point" "$text" "URI:https://localhost:$E2E_HTTP_PORT/crl/$aki.crl"
  assert_contains "$kind: AIA OCSP" "$text" "OCSP - URI:https://localhost:$E2E_HTTP_PORT/ocsp"
  assert_contains "$kind: AIA caIssuers" "$text" \
    "CA Issuers - URI:https://localhost:$E2E_HTTP_PORT/.well-known/ca/$aki.pem"
done
key p256 "$B/fresh.key"
csr "$B/fresh.key" "$B/fresh.csr"
enroll "$fresh" "$B/fresh.csr"
assert_eq "the id refused all along enrolls with a good CSR" 201 "$HTTP_STATUS"

e2e_finish
