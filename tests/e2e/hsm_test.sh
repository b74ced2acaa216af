#!/usr/bin/env bash
# Issue 4 item 7 and acceptance e: the CA keys in a PKCS#11 token (SoftHSM2, reached through
# OpenSSL's pkcs11 engine). The operator makes the key pairs in the token; `iotregctl init` takes
# their URIs and issues the CA certificates for them; iotregd signs device certificates in the
# token; no CA key file is ever written; the PIN is in no log. iotregd's CRL after a revocation is
# signed by the token's key (`openssl crl -verify` against issuing.pem); OCSP signing with a token
# key is checked at the pki level (unit_pki_pkcs11_sign). `iotregctl ca rotate` makes the new
# issuing CA's key pair inside the token (CKA_ID = its SKI), writes no key file, and iotregd
# restarted signs with it while the retired CA's CRL is still signed by its own token key. Last,
# a variant: only the issuing key in the token, the root key in an encrypted file.
# SoftHSM2 runs on its own configuration in the test's directory (SOFTHSM2_CONF), never the
# system's token store.
source "$(dirname "$0")/lib.sh"

MODULE=/usr/lib/softhsm/libsofthsm2.so
for tool in softhsm2-util pkcs11-tool; do
  command -v "$tool" >/dev/null || e2e_abort "$tool installed (scripts/install-deps)"
done
[[ -f $MODULE ]] || e2e_abort "SoftHSM2 module $MODULE installed (scripts/install-deps)"

TOKEN=iotreg-e2e
ROOT_URI="pkcs11:token=$TOKEN;object=root;type=private"
ISSUING_URI="pkcs11:token=$TOKEN;object=issuing;type=private"
E2E_EXTRA_CONFIG="[ca]
key_storage = \"pkcs11\"
pkcs11_module = \"$MODULE\"
root_key_uri = \"$ROOT_URI\"
issuing_key_uri = \"$ISSUING_URI\"
pkcs11_pin_file = \"@DIR@/pkcs11.pin\""
e2e_setup

# ---- the operator's part: a token and two P-256 key pairs in it
export SOFTHSM2_CONF=$E2E_DIR/softhsm2.conf
mkdir -p "$E2E_DIR/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$E2E_DIR" \
  >"$SOFTHSM2_CONF"
PIN=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
SO_PIN=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
softhsm2-util --init-token --free --label "$TOKEN" --so-pin "$SO_PIN" --pin "$PIN" >"$E2E_DIR/softhsm.out" 2>&1 ||
  e2e_abort "softhsm2-util --init-token" "$(cat "$E2E_DIR/softhsm.out")"
p11() { pkcs11-tool --module "$MODULE" --token-label "$TOKEN" "$@"; }
for k in root:01 issuing:02; do
  p11 --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 --label "${k%%:*}" --id "${k##*:}" \
    >>"$E2E_DIR/softhsm.out" 2>&1 || e2e_abort "pkcs11-tool --keypairgen ${k%%:*}" "$(cat "$E2E_DIR/softhsm.out")"
done
assert_eq "the token holds two private keys" 2 \
  "$(p11 --login --pin "$PIN" --list-objects --type privkey 2>/dev/null | grep -c '^Private Key Object')"
# The public halves, read from the token, to compare with the certificates init makes.
for k in root issuing; do
  p11 --read-object --type pubkey --label "$k" -o "$E2E_DIR/$k.pub.der" >/dev/null 2>&1
  openssl pkey -pubin -inform DER -in "$E2E_DIR/$k.pub.der" -out "$E2E_DIR/$k.pub.pem" 2>/dev/null ||
    e2e_abort "public key of $k read from the token"
done

# ---- the PIN file must be private, and exist
out=$(ctl init --api-key-file "$E2E_DIR/admin.key")
assert_ne "init without the PIN file fails" 0 $?
assert_contains "... naming the missing PIN file" "$out" "PKCS#11 PIN file $E2E_DIR/pkcs11.pin: cannot open"
(umask 022 && printf '%s\n' "$PIN" >"$E2E_DIR/pkcs11.pin")
out=$(ctl init --api-key-file "$E2E_DIR/admin.key")
assert_ne "init with a world-readable PIN file fails" 0 $?
assert_contains "... naming the file and its mode" "$out" "PKCS#11 PIN file $E2E_DIR/pkcs11.pin: has mode 0644"
assert_eq "... and wrote no CA certificate" "" "$(ls "$E2E_STATE/ca/"*.pem 2>/dev/null)"
chmod 0600 "$E2E_DIR/pkcs11.pin"

# ---- init with the keys in the token
e2e_init
out=$(tail -n 30 "$E2E_CTL_LOG")
assert_contains "init: root CA made with the token's key" "$out" "key: PKCS#11 key $ROOT_URI"
assert_contains "init: issuing CA made with the token's key" "$out" "key: PKCS#11 key $ISSUING_URI"
ROOT=$E2E_STATE/ca/root.pem
ISSUING=$E2E_STATE/ca/issuing.pem
assert_eq "root certificate's public key is the token's root key" \
  "$(cat "$E2E_DIR/root.pub.pem")" "$(openssl x509 -in "$ROOT" -noout -pubkey)"
assert_eq "issuing certificate's public key is the token's issuing key" \
  "$(cat "$E2E_DIR/issuing.pub.pem")" "$(openssl x509 -in "$ISSUING" -noout -pubkey)"
assert_eq "openssl verifies the issuing CA against the root" "$ISSUING: OK" \
  "$(openssl verify -CAfile "$ROOT" "$ISSUING" 2>&1)"

# No CA key on disk: no *.key in ca/, and the only file holding a private key is iotregd's own
# TLS key.
assert_eq "no CA key file (*.key) under state_dir/ca" "" "$(find "$E2E_STATE/ca" -name '*.key')"
assert_eq "the only *.key file under state_dir is iotregd's TLS key" "$E2E_STATE/tls/private/server.key" \
  "$(find "$E2E_STATE" -name '*.key')"
assert_eq "the only file holding a PRIVATE KEY is iotregd's TLS key" "$E2E_STATE/tls/private/server.key" \
  "$(grep -rl 'PRIVATE KEY' "$E2E_STATE")"
assert_eq "no file under ca/private" "" "$(find "$E2E_STATE/ca/private" -type f 2>&1)"
assert_eq "the active CA is stored as ca/issuing/<ski>.pem" "$(cat "$E2E_STATE/ca/issuing.pem")" \
  "$(cat "$E2E_STATE/ca/issuing/"*.pem 2>&1)"
assert_eq "the TLS key is not the issuing CA's" "" \
  "$(openssl pkey -in "$E2E_STATE/tls/private/server.key" -pubout 2>/dev/null | grep -F -f <(sed -n 2p "$E2E_DIR/issuing.pub.pem"))"

# A second init changes nothing and still writes no key file.
state_hashes() { (cd "$E2E_STATE" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before=$(state_hashes)
ctl init --api-key-file "$E2E_DIR/admin.key" >/dev/null
assert_eq "second init exits 0" 0 $?
assert_eq "second init: state_dir unchanged" "$before" "$(state_hashes)"

# ---- iotregd signs device certificates in the token
e2e_daemon_start
assert_contains "iotregd logs where the issuing key is" "$(cat "$E2E_LOG")" \
  "issuing CA key: PKCS#11 key $ISSUING_URI (key_storage pkcs11)"
enroll_and_verify() {  # enroll_and_verify LABEL N
  local d=$E2E_DIR/$1 id
  id=$(eid_for "$2")
  make_csr ec "$d" || e2e_abort "$1: openssl made a CSR"
  enroll "$id" "$d/csr.pem"
  assert_eq "$1: enrollment 201" 201 "$HTTP_STATUS"
  json_get "$HTTP_BODY" certificate >"$d/cert.pem"
  json_get "$HTTP_BODY" chain >"$d/chain.pem"
  # issuing.pem holds the token's public key (checked above): this verifies the token's signature.
  assert_eq "$1: openssl verify against root + issuing (signed by the token's key)" "$d/cert.pem: OK" \
    "$(openssl verify -CAfile "$ROOT" -untrusted "$ISSUING" "$d/cert.pem" 2>&1)"
  assert_eq "$1: ... and against the chain in the reply" "$d/cert.pem: OK" \
    "$(openssl verify -CAfile "$ROOT" -untrusted "$d/chain.pem" "$d/cert.pem" 2>&1)"
  local gnutls
  cat "$d/cert.pem" "$d/chain.pem" >"$d/full.pem"
  gnutls=$(certtool --verify --load-ca-certificate "$ROOT" --infile "$d/full.pem" 2>&1)
  assert_contains "$1: GnuTLS verifies the chain" "$gnutls" "Chain verification output: Verified."
}
enroll_and_verify dev1 701

# The CRL iotregd makes on a revocation is signed in the token, by the issuing key.
AKI=$(openssl x509 -in "$ISSUING" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ' | tr 'A-F:' 'a-f-')
SERIAL1=$(openssl x509 -in "$E2E_DIR/dev1/cert.pem" -noout -serial | sed 's/^serial=//')
http_req DELETE "/api/v1/devices/$(eid_for 701)?reason=keyCompromise"
assert_eq "revoke dev1: 200" 200 "$HTTP_STATUS"
E2E_AUTH="" http_req GET "/crl/$AKI.crl"
assert_eq "GET /crl/<issuer aki>.crl: 200" 200 "$HTTP_STATUS"
cp "$HTTP_BODY" "$E2E_DIR/after.crl"
assert_contains "the CRL verifies against issuing.pem (signed by the token's key)" \
  "$(openssl crl -inform DER -in "$E2E_DIR/after.crl" -CAfile "$ISSUING" -noout 2>&1)" "verify OK"
assert_contains "the CRL lists dev1's certificate" \
  "$(openssl crl -inform DER -in "$E2E_DIR/after.crl" -noout -text 2>&1)" "Serial Number: $SERIAL1"

# Enrollments run on several work threads at once: the token signs concurrently (libp11 sessions).
par=$E2E_DIR/parallel
mkdir -p "$par"
for i in $(seq 1 12); do
  make_csr ec "$par/$i" || e2e_abort "parallel $i: openssl made a CSR"
  enroll_body "$(eid_for $((720 + i)))" "$par/$i/csr.pem" "$par/$i/req.json"
done
pids=()
for i in $(seq 1 12); do
  curl -sS --max-time 60 --cacert "$ROOT" -H "Authorization: Bearer $(cat "$E2E_DIR/admin.key")" \
    -H 'Content-Type: application/json' --data-binary "@$par/$i/req.json" -o "$par/$i/reply.json" \
    -w '%{http_code}' "https://127.0.0.1:$E2E_HTTP_PORT/api/v1/devices" >"$par/$i/status" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"  # not a bare wait: iotregd is a background job of this shell too
ok=0
for i in $(seq 1 12); do
  json_get "$par/$i/reply.json" certificate >"$par/$i/cert.pem"
  if [[ $(cat "$par/$i/status") == 201 ]] &&
    [[ $(openssl verify -CAfile "$ROOT" -untrusted "$ISSUING" "$par/$i/cert.pem" 2>&1) == "$par/$i/cert.pem: OK" ]]; then
    ok=$((ok + 1))
  fi
done
assert_eq "12 concurrent enrollments: all 201 with a certificate that verifies" 12 "$ok"
e2e_stop
assert_eq "iotregd exits 0 on SIGTERM" 0 "$E2E_DAEMON_RC"
e2e_daemon_start
enroll_and_verify dev2 702

# ---- ca rotate: the new issuing CA's key pair is made inside the token, its id the CA's SKI
OLD_ISSUING=$E2E_DIR/issuing-old.pem
cp "$ISSUING" "$OLD_ISSUING"
OLD_AKI=$AKI
SERIAL2=$(openssl x509 -in "$E2E_DIR/dev2/cert.pem" -noout -serial | sed 's/^serial=//')
e2e_stop
out=$(ctl ca rotate --name "iotreg Issuing CA token 2")
assert_eq "ca rotate with the issuing key in the token exits 0" 0 $?
NEW_AKI=$(openssl x509 -in "$ISSUING" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ' | tr 'A-F:' 'a-f-')
assert_ne "ca rotate: issuing.pem is a new CA" "$OLD_AKI" "$NEW_AKI"
assert_contains "ca rotate prints the new CA's SKI" "$out" "$NEW_AKI"
assert_contains "... and says its key pair was made in the token" "$out" "its key pair was made in the token"
objects=$(p11 --login --pin "$PIN" --list-objects --type privkey 2>/dev/null)
assert_eq "the token now holds three private keys" 3 "$(grep -c '^Private Key Object' <<<"$objects")"
assert_contains "... one labelled with the new CA's name" "$objects" "label:      iotreg Issuing CA token 2"
assert_contains "... whose ID is the new CA's SKI" "$objects" "ID:         ${NEW_AKI//-/}"
p11 --read-object --type pubkey --id "${NEW_AKI//-/}" -o "$E2E_DIR/new.pub.der" >/dev/null 2>&1
assert_eq "the new issuing certificate's public key is that token key" \
  "$(openssl pkey -pubin -inform DER -in "$E2E_DIR/new.pub.der" 2>&1)" "$(openssl x509 -in "$ISSUING" -noout -pubkey)"
assert_eq "openssl verifies the new issuing CA against the root (signed by the token's root key)" \
  "$ISSUING: OK" "$(openssl verify -CAfile "$ROOT" "$ISSUING" 2>&1)"
assert_eq "ca rotate wrote no key file under state_dir/ca" "" "$(find "$E2E_STATE/ca" -name '*.key')"
assert_eq "... nor any file under ca/private" "" "$(find "$E2E_STATE/ca/private" -type f 2>&1)"
assert_eq "... and no PRIVATE KEY anywhere but the TLS key" "$E2E_STATE/tls/private/server.key" \
  "$(grep -rl 'PRIVATE KEY' "$E2E_STATE")"
list=$(ctl ca list)
assert_match "ca list: the new CA is active" "$list" "$NEW_AKI"$'\t'"active"
assert_match "ca list: the old one is retired" "$list" "$OLD_AKI"$'\t'"retired"

# iotregd restarted finds the new key in the token by the SKI and signs device certificates with it.
e2e_daemon_start
assert_contains "iotregd logs the derived URI of the new issuing key" "$(tail -n 40 "$E2E_LOG")" \
  "issuing CA key: PKCS#11 key pkcs11:token=$TOKEN;id=%${NEW_AKI//-/%};type=private"
enroll_and_verify dev4 704
assert_eq "dev4's certificate is issued by the new CA (its AKI)" "$NEW_AKI" \
  "$(openssl x509 -in "$E2E_DIR/dev4/cert.pem" -noout -ext authorityKeyIdentifier | tail -n 1 | tr -d ' ' |
    sed 's/^keyid://' | tr 'A-F:' 'a-f-')"
# The retired CA still signs its CRL with its token key (issuing_key_uri).
http_req DELETE "/api/v1/devices/$(eid_for 702)?reason=superseded"
assert_eq "revoke dev2 (issued by the retired CA): 200" 200 "$HTTP_STATUS"
E2E_AUTH="" http_req GET "/crl/$OLD_AKI.crl"
assert_eq "GET /crl/<retired aki>.crl: 200" 200 "$HTTP_STATUS"
cp "$HTTP_BODY" "$E2E_DIR/old-after.crl"
assert_contains "the retired CA's CRL verifies against its certificate" \
  "$(openssl crl -inform DER -in "$E2E_DIR/old-after.crl" -CAfile "$OLD_ISSUING" -noout 2>&1)" "verify OK"
assert_contains "... and lists dev2's certificate" \
  "$(openssl crl -inform DER -in "$E2E_DIR/old-after.crl" -noout -text 2>&1)" "Serial Number: $SERIAL2"
E2E_AUTH="" http_req GET "/crl/$NEW_AKI.crl"
assert_contains "the new CA's CRL verifies against it (signed by the new token key)" \
  "$(openssl crl -inform DER -in "$HTTP_BODY" -CAfile "$ISSUING" -noout 2>&1)" "verify OK"

# ---- the PIN as a systemd credential (it wins over pkcs11_pin_file)
e2e_stop
mkdir -p "$E2E_DIR/creds"
(umask 077 && printf '%s' "$PIN" >"$E2E_DIR/creds/iotreg-pkcs11-pin")
printf 'not-the-pin\n' >"$E2E_DIR/pkcs11.pin"
export CREDENTIALS_DIRECTORY=$E2E_DIR/creds
e2e_daemon_start
enroll_and_verify dev3 703
e2e_stop
unset CREDENTIALS_DIRECTORY

# ---- a wrong PIN: iotregd does not start, and says why without the PIN
out=$(timeout 30 "$IOTREGD" --config "$E2E_CONFIG" 2>&1)
rc=$?
printf '%s\n' "=== iotregd with a wrong PIN" "$out" >>"$E2E_LOG"
assert_ne "iotregd with a wrong PIN exits non-zero" 0 "$rc"
assert_ne "... not by the timeout" 124 "$rc"
assert_contains "... naming the key's URI" "$out" "$ISSUING_URI"
assert_contains "... the PIN's file" "$out" "PIN from $E2E_DIR/pkcs11.pin"
assert_contains "... and the token's reason" "$out" "PIN incorrect"
assert_not_contains "... never the wrong PIN" "$out" "not-the-pin"

# ---- variant: the issuing key in the token, the root key in a file encrypted under a passphrase
# (its own database and state directory; init only)
p11 --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 --label issuing2 --id 03 \
  >>"$E2E_DIR/softhsm.out" 2>&1 || e2e_abort "pkcs11-tool --keypairgen issuing2"
p11 --read-object --type pubkey --label issuing2 -o "$E2E_DIR/issuing2.pub.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$E2E_DIR/issuing2.pub.der" -out "$E2E_DIR/issuing2.pub.pem" 2>/dev/null
DB2=${E2E_DB}_b
STATE2=$E2E_DIR/state2
psql_admin -c "CREATE DATABASE $DB2" >/dev/null || e2e_abort "create database $DB2"
(umask 077 && printf 'root key passphrase %s\n' "$SO_PIN" >"$E2E_DIR/root.pass")
cat >"$E2E_DIR/variant.toml" <<EOF2
[database]
dsn = "$(sed -E "s#^(postgres(ql)?://[^/]*/)[^?]*#\1$DB2#" <<<"$IOTREG_TEST_PG_DSN")"
[paths]
state_dir = "$STATE2"
[zone]
name = "$E2E_ZONE."
file = "$STATE2/$E2E_ZONE.zone"
[ca]
key_storage = "pkcs11"
issuing_key_uri = "pkcs11:token=$TOKEN;object=issuing2;type=private"
pkcs11_pin_file = "$E2E_DIR/pkcs11.pin"
key_passphrase_file = "$E2E_DIR/root.pass"
EOF2
printf '%s\n' "$PIN" >"$E2E_DIR/pkcs11.pin"
out=$("$IOTREGCTL" --config "$E2E_DIR/variant.toml" init --api-key-file "$E2E_DIR/admin2.key" 2>&1)
rc=$?
printf '%s\n' "\$ iotregctl --config variant.toml init" "$out" >>"$E2E_CTL_LOG"
assert_eq "variant: init exits 0" 0 "$rc"
assert_contains "variant: the root key is an encrypted file" "$out" \
  "key: encrypted file $STATE2/ca/private/root.key"
assert_eq "variant: root.key is encrypted PKCS#8" "-----BEGIN ENCRYPTED PRIVATE KEY-----" \
  "$(head -n 1 "$STATE2/ca/private/root.key" 2>&1)"
assert_eq "variant: root.key belongs to root.pem" "$(openssl x509 -in "$STATE2/ca/root.pem" -noout -pubkey)" \
  "$(openssl pkey -in "$STATE2/ca/private/root.key" -passin "file:$E2E_DIR/root.pass" -pubout 2>&1)"
assert_eq "variant: the issuing certificate is for the token's issuing2 key" \
  "$(cat "$E2E_DIR/issuing2.pub.pem")" "$(openssl x509 -in "$STATE2/ca/issuing.pem" -noout -pubkey 2>&1)"
assert_eq "variant: no issuing key file" "" "$(find "$STATE2/ca" -name '*.key' ! -name root.key)"
assert_eq "variant: openssl verifies the issuing CA against the root" "$STATE2/ca/issuing.pem: OK" \
  "$(openssl verify -CAfile "$STATE2/ca/root.pem" "$STATE2/ca/issuing.pem" 2>&1)"
psql_admin -c "DROP DATABASE IF EXISTS $DB2 WITH (FORCE)" >/dev/null 2>&1

# ---- no PIN and no key material in any log or output
all_logs=$E2E_DIR/all.log
cat "$E2E_LOG" "$E2E_CTL_LOG" >"$all_logs"
assert_ge "the logs are not empty" "$(wc -l <"$all_logs")" 10
assert_eq "the PIN is in no log" 0 "$(grep -cF -- "$PIN" "$all_logs")"
assert_eq "the wrong PIN is in no log" 0 "$(grep -cF -- "not-the-pin" "$all_logs")"
assert_eq "no PRIVATE KEY in the logs" 0 "$(grep -c 'PRIVATE KEY' "$all_logs")"
assert_eq "still no CA key file under state_dir" "$E2E_STATE/tls/private/server.key" \
  "$(grep -rl 'PRIVATE KEY' "$E2E_STATE")"

e2e_finish
