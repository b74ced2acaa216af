#!/usr/bin/env bash
# Issue 2 items 2, 3 and 5 end to end: `iotregctl init` is idempotent and keeps secrets private
# (0600 files in 0700 directories), configuration errors name the file, the line and the key,
# iotregd speaks TLS 1.2 and 1.3 only, and no log carries an API key or private key material.
source "$(dirname "$0")/lib.sh"

e2e_setup

# Everything under state_dir: sha256, mode, size, mtime; one file a line.
state_hashes() { (cd "$E2E_STATE" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
state_stats() { (cd "$E2E_STATE" && find . -print0 | sort -z | xargs -0 stat -c '%n %a %s %Y'); }

# ---- item 3: first init creates the state and one admin key
e2e_init
# The DNSSEC keys are in the database (dnssec_cli_test.sh); dnssec/kek is what seals them there.
for f in ca/root.pem ca/issuing.pem dnssec/kek tls/server.pem; do
  if [[ -s $E2E_STATE/$f ]]; then pass "init created $f"; else fail "init created $f"; fi
done
assert_ge "init created CA private keys in ca/private/" \
  "$(find "$E2E_STATE/ca/private" -name '*.key' -type f 2>/dev/null | wc -l)" 2
assert_eq "one admin API key row after init" 1 "$(sql "SELECT count(*) FROM api_keys WHERE role = 'admin'")"
assert_eq "the key is stored as a hash, not in clear" 0 \
  "$(sql "SELECT count(*) FROM api_keys WHERE position(convert_to('$(cat "$E2E_DIR/admin.key")', 'UTF8') in key_hash) > 0")"
cp -p "$E2E_DIR/admin.key" "$E2E_DIR/admin.key.first"
state_hashes >"$E2E_DIR/hashes.1"
state_stats >"$E2E_DIR/stats.1"

# ---- item 3: a second init changes no file and creates no second admin key
out=$(ctl init --api-key-file "$E2E_DIR/admin.key")
assert_eq "second init exits 0" 0 $?
state_hashes >"$E2E_DIR/hashes.2"
state_stats >"$E2E_DIR/stats.2"
assert_eq "second init: every file in state_dir has the same sha256" \
  "$(cat "$E2E_DIR/hashes.1")" "$(cat "$E2E_DIR/hashes.2")"
assert_eq "second init: no file rewritten (mode, size, mtime the same)" \
  "$(cat "$E2E_DIR/stats.1")" "$(cat "$E2E_DIR/stats.2")"
assert_eq "second init: admin key file left alone" \
  "$(stat -c '%a %s %Y' "$E2E_DIR/admin.key.first") $(sha256sum <"$E2E_DIR/admin.key.first")" \
  "$(stat -c '%a %s %Y' "$E2E_DIR/admin.key") $(sha256sum <"$E2E_DIR/admin.key")"
assert_eq "second init: still one admin API key row" 1 "$(sql "SELECT count(*) FROM api_keys WHERE role = 'admin'")"

# ---- item 3: private keys are 0600 in 0700 directories; the admin key file is 0600
privs=$( (find "$E2E_STATE" -type f \( -name '*.key' -o -name '*.private' -o -name kek \)
  grep -rlE 'PRIVATE KEY|^PrivateKey:' "$E2E_STATE") | sort -u)
assert_ge "private key files found" "$(wc -l <<<"$privs")" 4
for f in $privs; do
  assert_eq "mode of ${f#"$E2E_STATE"/}" 600 "$(stat -c %a "$f")"
  assert_eq "mode of the directory of ${f#"$E2E_STATE"/}" 700 "$(stat -c %a "$(dirname "$f")")"
done
assert_eq "mode of the admin key file" 600 "$(stat -c %a "$E2E_DIR/admin.key")"
assert_match "admin key file holds one token" "$(cat "$E2E_DIR/admin.key")" '^[^[:space:]]{16,}$'

assert_eq "two DNSSEC keys in the database" 2 "$(sql "SELECT count(*) FROM dnssec_keys")"

# ---- item 3: zone ds prints the KSK's DS
assert_match "iotregctl zone ds" "$(ctl zone ds)" "^$E2E_ZONE\\.?[[:space:]].*DS[[:space:]]+[0-9]+ 13 2 [0-9A-Fa-f]{64}\$"

# ---- item 2: configuration errors name the file, the line and the key; exit non-zero
bad_config() {  # bad_config WHAT KEY LINE: writes $E2E_DIR/bad.toml from stdin, runs both binaries
  local what=$1 key=$2 line=$3 out rc
  cat >"$E2E_DIR/bad.toml"
  for bin in iotregctl iotregd; do
    if [[ $bin == iotregctl ]]; then
      out=$(timeout 20 "$IOTREGCTL" --config "$E2E_DIR/bad.toml" init --api-key-file "$E2E_DIR/bad.key" 2>&1)
    else
      out=$(timeout 20 "$IOTREGD" --config "$E2E_DIR/bad.toml" 2>&1)
    fi
    rc=$?
    echo "\$ $bin --config bad.toml ($what)"$'\n'"$out" >>"$E2E_CTL_LOG"
    assert_ne "$bin, $what: exits non-zero" 0 "$rc"
    assert_ne "$bin, $what: not killed by the timeout" 124 "$rc"
    assert_contains "$bin, $what: error names file:line" "$out" "$E2E_DIR/bad.toml:$line"
    assert_contains "$bin, $what: error names the key" "$out" "$key"
  done
}
# Broken variants of the test's own configuration (lib.sh e2e_config_text, which documents the
# line of each key).
bad_config "port not a number" "http_listen" 3 < <(
  echo "# line 1"
  e2e_config_text | sed 's/^http_listen = .*/http_listen = "127.0.0.1:notaport"/'
)
bad_config "unknown key (typo)" "dns_lisen" 4 < <(e2e_config_text | sed 's/^dns_listen /# line 3\ndns_lisen /')
bad_config "wrong type" "allow_label_ids" 11 < <(
  e2e_config_text | sed 's/^allow_label_ids = .*/allow_label_ids = "yes"/'
)
bad_config "TOML syntax error" "bad.toml" 2 <<EOF
[server]
http_listen = "127.0.0.1:$E2E_HTTP_PORT
EOF
assert_eq "bad configs made no key file" "" "$(ls "$E2E_DIR/bad.key" 2>/dev/null)"

# ---- item 3: apikey create writes a working key, mode 0600, in a second row
ctl apikey create --name e2e-second --file "$E2E_DIR/second.key" >"$E2E_DIR/apikey.out"
assert_eq "apikey create exits 0" 0 $?
assert_eq "apikey create: key file mode" 600 "$(stat -c %a "$E2E_DIR/second.key" 2>&1)"
assert_eq "apikey create: the key is not printed when written to a file" "" \
  "$(grep -F -- "$(cat "$E2E_DIR/second.key")" "$E2E_DIR/apikey.out")"
assert_eq "apikey create: two key rows now" 2 "$(sql 'SELECT count(*) FROM api_keys')"

# ---- item 5: iotregd serves TLS 1.2 and 1.3, refuses 1.1 and 1.0
e2e_daemon_start
URL=https://127.0.0.1:$E2E_HTTP_PORT/healthz
CA=$E2E_STATE/ca/root.pem
assert_eq "TLS 1.3 accepted" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" --tlsv1.3 --tls-max 1.3 "$URL")"
assert_eq "TLS 1.2 accepted" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" --tlsv1.2 --tls-max 1.2 "$URL")"
assert_eq "the server certificate is valid for localhost" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" \
    --resolve "localhost:$E2E_HTTP_PORT:127.0.0.1" "https://localhost:$E2E_HTTP_PORT/healthz")"

# OpenSSL 3 clients refuse TLS < 1.2 at the default security level, so a plain `curl --tls-max 1.1`
# would fail even against a server that accepts 1.1. The client below lowers its own floor, and a
# local openssl s_server that does accept TLS 1.1 proves the client really offers it.
old_tls_client() {  # old_tls_client PORT -tls1_1|-tls1 : prints what s_client says
  echo Q | timeout 10 openssl s_client -connect "127.0.0.1:$1" "$2" -cipher 'DEFAULT:@SECLEVEL=0' \
    -CAfile "$CA" 2>&1
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=control -days 1 \
  -keyout "$E2E_DIR/control.key" -out "$E2E_DIR/control.pem" 2>/dev/null
cport=$(free_port)
openssl s_server -accept "127.0.0.1:$cport" -cert "$E2E_DIR/control.pem" -key "$E2E_DIR/control.key" \
  -cipher 'DEFAULT:@SECLEVEL=0' -tls1_1 -quiet >/dev/null 2>&1 &
cpid=$!
for ((i = 0; i < 50; i++)); do
  out=$(old_tls_client "$cport" -tls1_1)
  [[ $out == *CONNECTED* ]] && break
  sleep 0.1
done
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
# a completed handshake prints "New, <version>, Cipher is <suite>"; a refused one "Cipher is (NONE)"
assert_contains "control: this openssl client completes TLS 1.1 with a server that allows it" \
  "$out" "Protocol  : TLSv1.1"
assert_not_contains "control: ... and negotiates a cipher" "$out" "Cipher is (NONE)"
out=$(old_tls_client "$E2E_HTTP_PORT" -tls1_1)
assert_contains "TLS 1.1 refused by iotregd (no cipher negotiated)" "$out" "Cipher is (NONE)"
out=$(old_tls_client "$E2E_HTTP_PORT" -tls1)
assert_contains "TLS 1.0 refused by iotregd (no cipher negotiated)" "$out" "Cipher is (NONE)"
curl -s -o /dev/null --cacert "$CA" --tls-max 1.1 "$URL"
assert_ne "curl --tls-max 1.1 fails" 0 $?

# ---- item 5: a few authenticated requests (good and bad key) so the log has something to say
make_csr ec "$E2E_DIR/dev"
enroll "$(eid_for 401)" "$E2E_DIR/dev/csr.pem"
assert_eq "enrollment with the admin key: 201" 201 "$HTTP_STATUS"
E2E_AUTH="Bearer $(cat "$E2E_DIR/second.key")" http_req GET "/api/v1/devices/$(eid_for 401)"
assert_eq "the apikey-create key works" 200 "$HTTP_STATUS"
wrongkey=wrong-$RANDOM$RANDOM$RANDOM
E2E_AUTH="Bearer $wrongkey" http_req GET "/api/v1/devices/$(eid_for 401)"
assert_eq "a wrong key is refused" 401 "$HTTP_STATUS"
e2e_stop
assert_eq "iotregd exits 0 on SIGTERM" 0 "$E2E_DAEMON_RC"

# ---- logs hold no secrets: neither API key (nor the wrong one), no private key material
all_logs=$E2E_DIR/all.log
cat "$E2E_LOG" "$E2E_CTL_LOG" "$E2E_DIR/apikey.out" >"$all_logs"
assert_ge "the logs are not empty" "$(wc -l <"$all_logs")" 5
for secret in "$(cat "$E2E_DIR/admin.key")" "$(cat "$E2E_DIR/second.key")" "$wrongkey"; do
  assert_eq "no API key in the logs (${secret:0:4}...)" 0 "$(grep -cF -- "$secret" "$all_logs")"
done
assert_eq "no PRIVATE KEY in the logs" 0 "$(grep -ciE 'PRIVATE KEY|PrivateKey:' "$all_logs")"

e2e_finish
