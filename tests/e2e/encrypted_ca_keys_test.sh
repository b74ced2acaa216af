#!/usr/bin/env bash
# Issue 4 item 7: CA keys at rest as encrypted PKCS#8 ([ca] key_storage = "encrypted-file"). init
# writes the root and issuing keys encrypted (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC) under the
# passphrase of [ca] key_passphrase_file (mode 0600) or of the systemd credential
# iotreg-ca-passphrase; iotregd decrypts the issuing key at start and enrolls; a wrong passphrase
# stops it with an error naming the key file, never the passphrase; init encrypts a plain key
# left from key_storage = "file".
source "$(dirname "$0")/lib.sh"

E2E_EXTRA_CONFIG='[ca]
key_storage = "encrypted-file"
key_passphrase_file = "@DIR@/ca.pass"'
e2e_setup
PASSFILE=$E2E_DIR/ca.pass
PASS="e2e $(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
ROOT=$E2E_STATE/ca/root.pem
ISSUING=$E2E_STATE/ca/issuing.pem
ROOT_KEY=$E2E_STATE/ca/private/root.key

# ---- the passphrase file must exist, be private and long enough
out=$(ctl init --api-key-file "$E2E_DIR/admin.key")
assert_ne "init without the passphrase file fails" 0 $?
assert_contains "... naming it" "$out" "CA key passphrase file $PASSFILE: cannot open"
(umask 022 && printf '%s\n' "$PASS" >"$PASSFILE")
out=$(ctl init --api-key-file "$E2E_DIR/admin.key")
assert_ne "init with a world-readable passphrase file fails" 0 $?
assert_contains "... naming it and its mode" "$out" "CA key passphrase file $PASSFILE: has mode 0644"
chmod 0600 "$PASSFILE"
printf 'short\n' >"$PASSFILE"
out=$(ctl init --api-key-file "$E2E_DIR/admin.key")
assert_ne "init with a 5-character passphrase fails" 0 $?
assert_contains "... too short" "$out" "too short (at least 8 characters)"
assert_eq "the failed inits wrote no CA file" "" "$(find "$E2E_STATE/ca" -type f 2>/dev/null)"
printf '%s\n' "$PASS" >"$PASSFILE"

# ---- init writes both CA keys encrypted
e2e_init
ISSUING_KEY=$(ls "$E2E_STATE"/ca/private/issuing/*.key 2>/dev/null)
assert_match "the issuing key is ca/private/issuing/<ski>.key" "$ISSUING_KEY" '/ca/private/issuing/[0-9a-f]{2}(-[0-9a-f]{2})+\.key$'
for f in "$ROOT_KEY" "$ISSUING_KEY"; do
  n=${f#"$E2E_STATE"/}
  assert_eq "$n starts with the encrypted PKCS#8 label" "-----BEGIN ENCRYPTED PRIVATE KEY-----" "$(head -n 1 "$f")"
  assert_eq "$n has mode 0600" 600 "$(stat -c %a "$f")"
  params=$(openssl asn1parse -in "$f" 2>&1)
  assert_contains "$n: PBES2" "$params" ":PBES2"
  assert_contains "$n: PBKDF2" "$params" ":PBKDF2"
  assert_contains "$n: HMAC-SHA256" "$params" ":hmacWithSHA256"
  assert_contains "$n: AES-256-CBC" "$params" ":aes-256-cbc"
  assert_cmd "$n: openssl decrypts it with the passphrase" \
    openssl pkey -in "$f" -passin "file:$PASSFILE" -noout
  if openssl pkey -in "$f" -passin pass:wrong-passphrase -noout >/dev/null 2>&1; then
    fail "$n: openssl refuses a wrong passphrase"
  else
    pass "$n: openssl refuses a wrong passphrase"
  fi
done
assert_eq "the issuing key belongs to issuing.pem" \
  "$(openssl x509 -in "$ISSUING" -noout -pubkey)" \
  "$(openssl pkey -in "$ISSUING_KEY" -passin "file:$PASSFILE" -pubout 2>&1)"
assert_eq "the root key belongs to root.pem" \
  "$(openssl x509 -in "$ROOT" -noout -pubkey)" \
  "$(openssl pkey -in "$ROOT_KEY" -passin "file:$PASSFILE" -pubout 2>&1)"
assert_eq "no unencrypted private key under state_dir/ca" "" "$(grep -rlE 'BEGIN (EC |RSA )?PRIVATE KEY' "$E2E_STATE/ca")"

state_hashes() { (cd "$E2E_STATE" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before=$(state_hashes)
ctl init --api-key-file "$E2E_DIR/admin.key" >/dev/null
assert_eq "second init exits 0" 0 $?
assert_eq "second init: state_dir unchanged (keys not re-encrypted)" "$before" "$(state_hashes)"

# ---- iotregd decrypts the issuing key at start; enrollment works, also after a restart
enroll_and_verify() {  # enroll_and_verify LABEL N
  local d=$E2E_DIR/$1
  make_csr ec "$d" || e2e_abort "$1: openssl made a CSR"
  enroll "$(eid_for "$2")" "$d/csr.pem"
  assert_eq "$1: enrollment 201" 201 "$HTTP_STATUS"
  json_get "$HTTP_BODY" certificate >"$d/cert.pem"
  assert_eq "$1: openssl verify against root + issuing" "$d/cert.pem: OK" \
    "$(openssl verify -CAfile "$ROOT" -untrusted "$ISSUING" "$d/cert.pem" 2>&1)"
}
e2e_daemon_start
assert_contains "iotregd logs where the issuing key is" "$(cat "$E2E_LOG")" \
  "issuing CA key: encrypted file $ISSUING_KEY (key_storage encrypted-file)"
enroll_and_verify dev1 801
e2e_stop
e2e_daemon_start
enroll_and_verify dev2 802
e2e_stop

# ---- a wrong passphrase: iotregd stops with an error naming the file, never a passphrase
WRONG="wrong $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$WRONG" >"$PASSFILE"
out=$(timeout 60 "$IOTREGD" --config "$E2E_CONFIG" 2>&1)
rc=$?
printf '%s\n' "=== iotregd with a wrong passphrase" "$out" >>"$E2E_LOG"
assert_ne "iotregd with a wrong passphrase exits non-zero" 0 "$rc"
assert_ne "... not by the timeout" 124 "$rc"
assert_contains "... naming the key file and where the passphrase came from" "$out" \
  "CA key $ISSUING_KEY: cannot decrypt: wrong passphrase (read from $PASSFILE)"
assert_not_contains "... not showing the wrong passphrase" "$out" "$WRONG"
assert_not_contains "... nor the right one" "$out" "$PASS"

# ---- the passphrase as a systemd credential wins over the file
mkdir -p "$E2E_DIR/creds"
(umask 077 && printf '%s' "$PASS" >"$E2E_DIR/creds/iotreg-ca-passphrase")
export CREDENTIALS_DIRECTORY=$E2E_DIR/creds
e2e_daemon_start
enroll_and_verify dev3 803
e2e_stop
unset CREDENTIALS_DIRECTORY
printf '%s\n' "$PASS" >"$PASSFILE"

# ---- a plain key left from key_storage = "file" is refused by iotregd, encrypted by init
pubkey_before=$(openssl pkey -in "$ISSUING_KEY" -passin "file:$PASSFILE" -pubout 2>&1)
openssl pkey -in "$ISSUING_KEY" -passin "file:$PASSFILE" -out "$E2E_DIR/plain.key" 2>/dev/null
install -m 0600 "$E2E_DIR/plain.key" "$ISSUING_KEY"
rm -f "$E2E_DIR/plain.key"
assert_eq "the issuing key is now a plain PKCS#8 file" "-----BEGIN PRIVATE KEY-----" "$(head -n 1 "$ISSUING_KEY")"
out=$(timeout 60 "$IOTREGD" --config "$E2E_CONFIG" 2>&1)
assert_ne "iotregd refuses a plain key when encrypted files are configured" 0 $?
assert_contains "... saying so" "$out" "CA key $ISSUING_KEY is not encrypted"
out=$(ctl init --api-key-file "$E2E_DIR/admin.key")
assert_eq "init encrypts it" 0 $?
assert_contains "... and says so" "$out" "encrypted the CA key: encrypted file $ISSUING_KEY"
assert_eq "the issuing key is encrypted again" "-----BEGIN ENCRYPTED PRIVATE KEY-----" "$(head -n 1 "$ISSUING_KEY")"
assert_eq "... with mode 0600" 600 "$(stat -c %a "$ISSUING_KEY")"
assert_eq "... and is the same key" "$pubkey_before" \
  "$(openssl pkey -in "$ISSUING_KEY" -passin "file:$PASSFILE" -pubout 2>&1)"
e2e_daemon_start
enroll_and_verify dev4 804
e2e_stop

# ---- a new issuing CA (ca rotate): its key file is encrypted too, and iotregd signs with it
old_issuing=$(cat "$ISSUING")
out=$(ctl ca rotate)
assert_eq "ca rotate exits 0" 0 $?
assert_ne "issuing.pem names another CA" "$old_issuing" "$(cat "$ISSUING")"
assert_eq "two issuing key files" 2 "$(ls "$E2E_STATE"/ca/private/issuing/*.key | wc -l)"
assert_eq "... both encrypted" 2 \
  "$(grep -l -e '-----BEGIN ENCRYPTED PRIVATE KEY-----' "$E2E_STATE"/ca/private/issuing/*.key | wc -l)"
assert_eq "no unencrypted private key under state_dir/ca after the rotation" "" \
  "$(grep -rlE 'BEGIN (EC |RSA )?PRIVATE KEY' "$E2E_STATE/ca")"
e2e_daemon_start
enroll_and_verify dev5 805
e2e_stop

# ---- no passphrase and no key material in any log
all_logs=$E2E_DIR/all.log
cat "$E2E_LOG" "$E2E_CTL_LOG" >"$all_logs"
assert_ge "the logs are not empty" "$(wc -l <"$all_logs")" 10
assert_eq "the passphrase is in no log" 0 "$(grep -cF -- "$PASS" "$all_logs")"
assert_eq "the wrong passphrase is in no log" 0 "$(grep -cF -- "$WRONG" "$all_logs")"
assert_eq "no PRIVATE KEY in the logs" 0 "$(grep -c 'PRIVATE KEY' "$all_logs")"

e2e_finish
