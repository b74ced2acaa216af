#!/usr/bin/env bash
# Acceptance b (issue 2): the README's example session works against a server started by
# scripts/run. The fenced block that starts with "# example session" is taken from README.md as it
# is, its ports and its var/ paths pointed at this run, and run with bash in a scratch directory.
# scripts/run starts its own PostgreSQL under IOTREG_VAR, so this test needs no IOTREG_TEST_PG_DSN.
source "$(dirname "$0")/lib.sh"

SRC=${IOTREG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
README=$SRC/README.md
[[ -f $README ]] || e2e_abort "README.md exists" "no $README"

E2E_DIR=$(mktemp -d /tmp/iotreg-e2e-readme.XXXXXX)
chmod 0755 "$E2E_DIR"
VAR=$E2E_DIR/var
WORK=$E2E_DIR/work
mkdir -p "$WORK"
RUN_LOG=$E2E_DIR/run.log
HTTP=$(free_port)
DNS=$(free_port)
while [[ $DNS == "$HTTP" ]]; do DNS=$(free_port); done
RUN_PID=""

cleanup() {
  local rc=$?
  if [[ -n $RUN_PID ]]; then
    # scripts/run execs iotregd: its pid is the daemon once the build is done
    kill -TERM "$RUN_PID" 2>/dev/null
    for ((i = 0; i < 100; i++)); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$RUN_PID" 2>/dev/null
    wait "$RUN_PID" 2>/dev/null
  fi
  # the PostgreSQL cluster scripts/run started under $VAR
  if [[ -d $VAR/pg/data ]]; then
    (source "$SRC/scripts/lib/pg.sh" && pg_local_stop "$VAR/pg/data") || echo "readme: could not stop PostgreSQL in $VAR/pg"
  fi
  # anything else left in scripts/run's own session (setsid below), e.g. a build interrupted by a timeout
  [[ -n $RUN_PID ]] && kill -KILL -- "-$RUN_PID" 2>/dev/null
  if ((rc != 0 || E2E_FAILED > 0)); then
    echo "----- scripts/run output (last 60 lines)"
    tail -n 60 "$RUN_LOG" 2>/dev/null
    echo "-----"
  fi
  if [[ $E2E_KEEP == 1 ]]; then echo "# kept $E2E_DIR"; else rm -rf -- "$E2E_DIR"; fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the example block, as the README has it
block=$(awk '
  /^```/ { if (inblock) { if (found) exit; inblock = 0; next } inblock = 1; first = 1; next }
  inblock && first { first = 0; if ($0 ~ /^# example session[[:space:]]*$/) found = 1 }
  inblock && found { print }' "$README")
[[ -n $block ]] || e2e_abort "README.md has a fenced block starting with '# example session'"
pass "README.md has the example session block ($(wc -l <<<"$block") lines)"
# b: the block uses the documented defaults that we are about to substitute
assert_contains "example uses 127.0.0.1:8443" "$block" "127.0.0.1:8443"
assert_contains "example uses DNS port 5353" "$block" "5353"
assert_contains "example uses var/admin.key" "$block" "var/admin.key"
assert_contains "example uses var/state/ca/root.pem" "$block" "var/state/ca/root.pem"
assert_not_contains "example does not need jq (not installed)" "$block" "jq "

# Point it at this run: ports, and var/ (or ./var/) as a path start.
printf '%s\n' "$block" | "$PYTHON" -c '
import re, sys
var, http, dns = sys.argv[1:4]
s = sys.stdin.read()
s = re.sub(r"(127\.0\.0\.1|localhost):8443\b", r"\g<1>:" + http, s)
s = re.sub(r"(-p\s*)5353\b", r"\g<1>" + dns, s)
s = re.sub(r"(?<![\w./$-])(\./)?var/", var + "/", s)
sys.stdout.write(s)' "$VAR" "$HTTP" "$DNS" >"$E2E_DIR/session.sh"
assert_eq "substituted session has no default port or relative var/ left" "" \
  "$(grep -nE '(:8443\b|-p *5353\b|(^|[^A-Za-z0-9_./$-])var/)' "$E2E_DIR/session.sh")"

# ---- b: scripts/run (install, build, PostgreSQL under IOTREG_VAR, init, iotregd in the foreground)
echo "# scripts/run with IOTREG_VAR=$VAR IOTREG_HTTP_PORT=$HTTP IOTREG_DNS_PORT=$DNS"
IOTREG_VAR=$VAR IOTREG_HTTP_PORT=$HTTP IOTREG_DNS_PORT=$DNS setsid bash "$SRC/scripts/run" >"$RUN_LOG" 2>&1 &
RUN_PID=$!
ready=0
for ((i = 0; i < 5000; i++)); do   # the build may take minutes on a cold tree; bounded by ctest's TIMEOUT
  if ! kill -0 "$RUN_PID" 2>/dev/null; then break; fi
  if [[ -f $VAR/state/ca/root.pem ]] &&
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$VAR/state/ca/root.pem" \
      "https://127.0.0.1:$HTTP/healthz" 2>/dev/null) == 200 ]] &&
    dig @127.0.0.1 -p "$DNS" +short +time=1 +tries=1 SOA iotregistry.test. 2>/dev/null | grep -q .; then
    ready=1
    break
  fi
  sleep 0.1
done
((ready == 1)) || e2e_abort "scripts/run brings up iotregd (HTTPS and DNS answer)" "$(tail -n 30 "$RUN_LOG")"
pass "scripts/run brings up iotregd on 127.0.0.1:$HTTP and :$DNS"
# b: scripts/run wrote what the README promises
assert_eq "admin key at \$IOTREG_VAR/admin.key, mode 0600" 600 "$(stat -c %a "$VAR/admin.key" 2>&1)"

# ---- b: the session, run as the README shows it
out=$(cd "$WORK" && timeout 120 bash "$E2E_DIR/session.sh" 2>&1)
rc=$?
printf '%s\n' "$out" >"$E2E_DIR/session.out"
assert_eq "the example session exits 0" 0 "$rc"
# b: the curl printed the 201 reply JSON
json=$(grep -m1 -o '{.*"dns_name".*}' <<<"$out")
assert_contains "curl printed the enrollment JSON with dns_name" "$json" '"dns_name"'
for k in device_id certificate chain tlsa zone_serial; do
  assert_contains "the JSON has $k" "$json" "\"$k\""
done
assert_not_contains "no problem+json in the output" "$out" "urn:iotreg:problem"
# b: dig printed the TLSA record (and its RRSIG, as the README says)
answer=$(dig_section "$out" ANSWER)
assert_match "dig shows the TLSA record" "$answer" $'_device\\.iotregistry\\.test\\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+TLSA[[:space:]]+3 1 1 '
assert_match "dig shows its RRSIG" "$answer" 'RRSIG[[:space:]]+TLSA'
# b: and the README's own check: the digest equals sha256 of the device key's SPKI
if [[ -f $WORK/device.key ]]; then
  want=$(cd "$WORK" && openssl pkey -in device.key -pubout -outform DER | sha256sum | cut -d' ' -f1)
  assert_contains "the TLSA data is the SHA-256 of device.key's SPKI" \
    "$(tr 'A-F' 'a-f' <<<"$answer" | tr -d ' \t')" "$want"
fi

e2e_finish
