#!/usr/bin/env bash
# Issue 3 item 5, key storage: the zone's DNSSEC keys live in PostgreSQL, their private halves
# sealed with a key encryption key (KEK) read from a 0600 file or a systemd credential;
# `iotregctl dnssec status|ds|rollover|ds-seen` shows and drives them; iotregd signs with the keys
# from the database; an older install's key files are imported once.
source "$(dirname "$0")/lib.sh"

e2e_setup
KEK=$E2E_STATE/dnssec/kek

# ---- init: KEK file, two keys in the database, no private key file
e2e_init
assert_eq "init created the KEK, mode 0600" 600 "$(stat -c %a "$KEK" 2>&1)"
assert_eq "the KEK has 32 bytes" 32 "$(stat -c %s "$KEK" 2>&1)"
assert_eq "the KEK's directory is 0700" 700 "$(stat -c %a "$(dirname "$KEK")")"
assert_eq "no DNSSEC private key file is written any more" "" \
  "$(find "$E2E_STATE" -name '*.private' 2>/dev/null)"
assert_eq "two keys in dnssec_keys" 2 "$(sql "SELECT count(*) FROM dnssec_keys")"
assert_eq "one KSK and one ZSK of algorithm 13 for the zone" "$(printf 'ksk|13|%s.\nzsk|13|%s.' "$E2E_ZONE" "$E2E_ZONE")" \
  "$(sql "SELECT role, algorithm, zone FROM dnssec_keys ORDER BY role")"
assert_eq "the private key column holds no BIND private key text" 0 \
  "$(sql "SELECT count(*) FROM dnssec_keys WHERE position(convert_to('Private-key-format', 'UTF8') in private_key) > 0
          OR position(convert_to('PrivateKey', 'UTF8') in private_key) > 0
          OR position(convert_to('Algorithm', 'UTF8') in private_key) > 0")"
assert_eq "the private key column is sealed (format 1, nonce, tag: > 100 bytes for P-256)" 2 \
  "$(sql "SELECT count(*) FROM dnssec_keys WHERE get_byte(private_key, 0) = 1 AND octet_length(private_key) > 100")"
sealed_1=$(sql "SELECT md5(string_agg(private_key::text || dnskey::text, ',' ORDER BY id)) FROM dnssec_keys")

# ---- dnssec status
status=$(ctl dnssec status)
assert_eq "dnssec status exits 0" 0 $?
assert_match "status has a header" "$status" "TAG +ALG +ROLE +STATE +GENERATED +PUBLISHED +READY +ACTIVE +RETIRED +REMOVED +DS_SUBMITTED +DS_SEEN +ROLLOVER_REQUESTED"
assert_eq "status lists one active KSK" 1 "$(grep -cE '^[0-9]+ +13 +ksk +active ' <<<"$status")"
assert_eq "status lists one active ZSK" 1 "$(grep -cE '^[0-9]+ +13 +zsk +active ' <<<"$status")"
ksk_tag=$(awk '$3 == "ksk" {print $1}' <<<"$status")
zsk_tag=$(awk '$3 == "zsk" {print $1}' <<<"$status")
assert_eq "status tags are the database's" "$(sql "SELECT key_tag FROM dnssec_keys ORDER BY role" | tr '\n' ' ')" \
  "$ksk_tag $zsk_tag "
assert_match "status shows timestamps in UTC and '-' for unset ones" \
  "$(grep -E '^[0-9]+ +13 +ksk' <<<"$status")" \
  '([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z +){4}- +- +- +- +-$'

# ---- second init changes nothing
ctl init --api-key-file "$E2E_DIR/admin2.key" >/dev/null
assert_eq "second init exits 0" 0 $?
assert_eq "second init: the same two sealed keys" "$sealed_1" \
  "$(sql "SELECT md5(string_agg(private_key::text || dnskey::text, ',' ORDER BY id)) FROM dnssec_keys")"
assert_eq "second init: KEK untouched" "600 32" "$(stat -c '%a %s' "$KEK")"

# ---- iotregd serves the keys from the database; dnssec ds matches ldns-key2ds of the served KSK
e2e_daemon_start
dnskeys=$(dig_at +tcp +noall +answer DNSKEY "$E2E_ZONE.")
awk '$4 == "DNSKEY"' <<<"$dnskeys" >"$E2E_DIR/dnskey.rr"
served_tags=$(ldns-key2ds -n -f -2 "$E2E_DIR/dnskey.rr" 2>/dev/null | awk '{print $5}' | sort -n | tr '\n' ' ')
assert_eq "iotregd serves the two DNSKEYs of the database" \
  "$(printf '%s\n%s\n' "$ksk_tag" "$zsk_tag" | sort -n | tr '\n' ' ')" "$served_tags"
assert_contains "iotregd logs the keys it loaded" "$(cat "$E2E_LOG")" "DNSSEC key $ksk_tag (ksk, algorithm 13) loaded"
awk '$5 == 257' "$E2E_DIR/dnskey.rr" >"$E2E_DIR/ksk.rr"
expected_ds=$(ldns-key2ds -n -2 "$E2E_DIR/ksk.rr" 2>/dev/null | awk '{print $4, $5, $6, $7, toupper($8)}')
ds=$(ctl dnssec ds)
assert_eq "dnssec ds exits 0" 0 $?
assert_match "dnssec ds prints one DS of the KSK" "$ds" \
  "^$E2E_ZONE\\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+DS[[:space:]]+$ksk_tag 13 2 [0-9a-fA-F]{64}\$"
assert_eq "dnssec ds equals ldns-key2ds of the served KSK" "$expected_ds" \
  "$(awk '{print $4, $5, $6, $7, toupper($8)}' <<<"$ds")"
assert_eq "zone ds prints the same" "$ds" "$(ctl zone ds)"
assert_cmd "the zone validates with ldns-verify-zone" ldns-verify-zone "$E2E_ZONE_FILE"
e2e_stop

# ---- no private key in any world-readable file; the KEK is not world-readable
leaks=""
while IFS= read -r -d '' f; do
  if grep -qE 'PrivateKey:|PRIVATE KEY' "$f" 2>/dev/null; then leaks+="$f "; fi
done < <(find "$E2E_DIR" -type f -perm -o=r -print0)
assert_eq "no world-readable file holds a private key" "" "$leaks"
assert_eq "no world-readable KEK" "" "$(find "$E2E_STATE" -name kek -perm /o=rwx)"

# ---- rollover and ds-seen
out=$(ctl dnssec rollover zsk)
assert_eq "dnssec rollover zsk exits 0" 0 $?
assert_contains "rollover names the key" "$out" "requested a ZSK rollover of zone $E2E_ZONE. (key $zsk_tag)"
assert_eq "rollover_requested set on the ZSK only" "zsk" \
  "$(sql "SELECT role FROM dnssec_keys WHERE rollover_requested IS NOT NULL")"
first_request=$(sql "SELECT rollover_requested FROM dnssec_keys WHERE role = 'zsk'")
out=$(ctl dnssec rollover zsk)
assert_eq "a second rollover zsk exits 0" 0 $?
assert_contains "... and says it is already requested" "$out" "already requested"
assert_eq "... and keeps the first request time" "$first_request" \
  "$(sql "SELECT rollover_requested FROM dnssec_keys WHERE role = 'zsk'")"
assert_match "status shows the request" "$(ctl dnssec status | grep -E "^$zsk_tag ")" \
  '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
ctl dnssec rollover ksk >/dev/null
assert_eq "rollover ksk sets the KSK's flag" 2 "$(sql "SELECT count(*) FROM dnssec_keys WHERE rollover_requested IS NOT NULL")"

out=$(ctl dnssec ds-seen "$ksk_tag")
assert_eq "ds-seen KSK exits 0" 0 $?
assert_eq "ds_seen recorded" 1 "$(sql "SELECT count(*) FROM dnssec_keys WHERE ds_seen IS NOT NULL AND key_tag = $ksk_tag")"

# The requests above were for the CLI only: iotregd's key policy would carry them out at its next
# start and change the key set the checks below compare.
sql "UPDATE dnssec_keys SET rollover_requested = NULL" >/dev/null

# ---- bad arguments: the error names the problem, exit non-zero
bad_cli() {  # bad_cli WHAT EXPECTED_RC NEEDLE ARGS...
  local what=$1 want=$2 needle=$3 out rc
  shift 3
  out=$(ctl "$@" 2>&1)
  rc=$?
  assert_eq "$what: exit status" "$want" "$rc"
  assert_contains "$what: message" "$out" "$needle"
}
bad_cli "rollover of a bad role" 2 "expected zsk or ksk, got 'csk'" dnssec rollover csk
bad_cli "rollover without a role" 2 "usage: dnssec rollover zsk|ksk" dnssec rollover
bad_cli "ds-seen of a non-number" 2 "expected a key tag (0..65535), got 'abc'" dnssec ds-seen abc
bad_cli "ds-seen of 65536" 2 "got '65536'" dnssec ds-seen 65536
unused_tag=1
while [[ $unused_tag == "$ksk_tag" || $unused_tag == "$zsk_tag" ]]; do unused_tag=$((unused_tag + 1)); done
bad_cli "ds-seen of an unknown tag" 1 "has no key with tag $unused_tag" dnssec ds-seen "$unused_tag"
bad_cli "ds-seen of the ZSK" 1 "key $zsk_tag is a ZSK" dnssec ds-seen "$zsk_tag"
bad_cli "unknown dnssec command" 2 "unknown dnssec command 'frob'" dnssec frob
bad_cli "dnssec without a command" 2 "dnssec needs a command" dnssec
bad_cli "status with an extra argument" 2 "usage: dnssec status" dnssec status now

# ---- the KEK: too open, wrong, or from a systemd credential
start_fails() {  # start_fails WHAT NEEDLE: iotregd must refuse to start, saying NEEDLE
  local out rc
  out=$(timeout 20 "$IOTREGD" --config "$E2E_CONFIG" 2>&1)
  rc=$?
  assert_ne "$1: iotregd exits non-zero" 0 "$rc"
  assert_ne "$1: not killed by the timeout" 124 "$rc"
  assert_contains "$1: the error says why" "$out" "$2"
  echo "$out" >>"$E2E_LOG"
}
chmod 0640 "$KEK"
start_fails "KEK mode 0640" "has mode 0640: it must be 0600 or stricter"
bad_cli "init with a KEK of mode 0640" 1 "must be 0600 or stricter" init --api-key-file "$E2E_DIR/admin.key"
chmod 0600 "$KEK"
cp -p "$KEK" "$E2E_DIR/kek.good"
head -c 32 /dev/urandom >"$KEK"
start_fails "a wrong KEK" "cannot decrypt DNSSEC key"
bad_cli "init with a wrong KEK" 1 "cannot decrypt DNSSEC key" init --api-key-file "$E2E_DIR/admin.key"
assert_not_contains "the error holds no key material" "$(cat "$E2E_LOG")" "PrivateKey"

# systemd credential: the KEK file is gone, $CREDENTIALS_DIRECTORY/iotreg-kek has it.
mkdir -m 0700 "$E2E_DIR/creds"
cp -p "$E2E_DIR/kek.good" "$E2E_DIR/creds/iotreg-kek"
chmod 0400 "$E2E_DIR/creds/iotreg-kek"
rm -f "$KEK"
out=$(CREDENTIALS_DIRECTORY=$E2E_DIR/creds ctl init --api-key-file "$E2E_DIR/admin.key")
assert_eq "init with the KEK as a systemd credential exits 0" 0 $?
assert_contains "init says it uses the credential" "$out" "systemd credential $E2E_DIR/creds/iotreg-kek"
assert_eq "init made no KEK file when the credential has it" "" "$(ls "$KEK" 2>/dev/null)"
CREDENTIALS_DIRECTORY=$E2E_DIR/creds e2e_daemon_start
assert_eq "iotregd signs with the credential's KEK: same DNSKEYs" "$served_tags" \
  "$(dig_at +tcp +noall +answer DNSKEY "$E2E_ZONE." | awk '$4 == "DNSKEY"' >"$E2E_DIR/dnskey2.rr"
    ldns-key2ds -n -f -2 "$E2E_DIR/dnskey2.rr" 2>/dev/null | awk '{print $5}' | sort -n | tr '\n' ' ')"
e2e_stop
cp -p "$E2E_DIR/kek.good" "$KEK"

# ---- an older install: key files in state/dnssec, no rows. init imports them, once.
sql "DELETE FROM dnssec_keys" >/dev/null
mkdir -p "$E2E_DIR/old" && cd "$E2E_DIR/old" || e2e_abort "cd $E2E_DIR/old"
old_ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$E2E_ZONE." 2>/dev/null)
old_zsk=$(ldns-keygen -a ECDSAP256SHA256 "$E2E_ZONE." 2>/dev/null)
cd - >/dev/null || true
[[ -s $E2E_DIR/old/$old_ksk.private && -s $E2E_DIR/old/$old_zsk.private ]] || e2e_abort "ldns-keygen made keys"
# iotreg's older format: ldns's private key file plus the role ("Flags:") line.
{ cat "$E2E_DIR/old/$old_ksk.private"; echo "Flags: 257"; } >"$E2E_STATE/dnssec/ksk.private"
{ cat "$E2E_DIR/old/$old_zsk.private"; echo "Flags: 256"; } >"$E2E_STATE/dnssec/zsk.private"
chmod 0600 "$E2E_STATE/dnssec/"*.private
old_ksk_tag=$((10#${old_ksk##*+}))
old_zsk_tag=$((10#${old_zsk##*+}))
out=$(ctl init --api-key-file "$E2E_DIR/admin.key")
assert_eq "init over an older install exits 0" 0 $?
assert_contains "init says it imports the KSK" "$out" "importing KSK $old_ksk_tag"
assert_eq "the database now holds the file keys" "ksk $old_ksk_tag|zsk $old_zsk_tag" \
  "$(sql "SELECT role || ' ' || key_tag FROM dnssec_keys ORDER BY role" | paste -sd'|')"
sealed_2=$(sql "SELECT md5(string_agg(private_key::text, ',' ORDER BY id)) FROM dnssec_keys")
ctl init --api-key-file "$E2E_DIR/admin.key" >/dev/null
assert_eq "init again: nothing imported twice, nothing changed" "$sealed_2|2" \
  "$(sql "SELECT md5(string_agg(private_key::text, ',' ORDER BY id)) || '|' || count(*) FROM dnssec_keys")"
e2e_daemon_start
assert_eq "iotregd serves the imported DNSKEYs" \
  "$(printf '%s\n%s\n' "$old_ksk_tag" "$old_zsk_tag" | sort -n | tr '\n' ' ')" \
  "$(dig_at +tcp +noall +answer DNSKEY "$E2E_ZONE." | awk '$4 == "DNSKEY"' >"$E2E_DIR/dnskey3.rr"
    ldns-key2ds -n -f -2 "$E2E_DIR/dnskey3.rr" 2>/dev/null | awk '{print $5}' | sort -n | tr '\n' ' ')"
assert_eq "dnssec ds of the imported KSK equals ldns-key2ds of ldns-keygen's .key" \
  "$(ldns-key2ds -n -2 "$E2E_DIR/old/$old_ksk.key" 2>/dev/null | awk '{print $4, $5, $6, $7, toupper($8)}')" \
  "$(ctl dnssec ds | awk '{print $4, $5, $6, $7, toupper($8)}')"
e2e_stop

e2e_finish
