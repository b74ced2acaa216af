# shellcheck shell=bash
# Helpers for iotreg's end-to-end tests: a fresh database, state directory and config per test,
# iotregctl init, iotregd in the background, HTTP and DNS helpers, and assertions that count.
#
#   source "$(dirname "$0")/lib.sh"
#   e2e_start                      # DB + state + init + iotregd, waits until HTTP and DNS answer
#   make_csr ec "$E2E_DIR/dev1"    # dev1/key.pem, dev1/csr.pem
#   enroll "$(eid_for 1)" "$E2E_DIR/dev1/csr.pem"   # HTTP_STATUS, HTTP_CTYPE, HTTP_BODY (a file)
#   assert_eq "what" expected actual
#   e2e_finish                     # prints "N passed, M failed", exits non-zero when M > 0
#
# Environment: IOTREG_BIN_DIR (the CMake build directory), IOTREG_TEST_PG_DSN (a database of a
# running cluster; each test makes its own database next to it). Everything runs on 127.0.0.1,
# every wait is bounded. jq is not installed: JSON goes through python3.

set -uo pipefail

E2E_NAME=${E2E_NAME:-$(basename "$0" .sh)}
E2E_NAME=$(tr -c 'a-z0-9_\n' '_' <<<"${E2E_NAME%_test}")   # part of a database name
E2E_PASSED=0
E2E_FAILED=0
E2E_ZONE=iotregistry.test
E2E_DIR=""
E2E_DAEMON_PID=""
E2E_DAEMON_RC=""
E2E_DB=""
E2E_KEEP=${E2E_KEEP:-0}   # 1: keep the temporary directory and database (debugging)
# The system python3 (a pyenv shim in PATH costs half a second per call).
if [[ -z ${PYTHON:-} ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

# Response capture for the OpenAPI check (tools/openapi/validate-responses.mjs, ctest
# openapi_responses): when IOTREG_API_CAPTURE_DIR is set (tests/e2e/CMakeLists.txt sets it), every
# HTTP reply that http_req (and the readiness probe) receives is appended to
# $IOTREG_API_CAPTURE_DIR/<test>.jsonl, one JSON object a line. The file is made when the test
# starts, so that the validator knows which tests ran (only a run of all of them checks that
# every operation was exercised). Scripts that source lib.sh in a child (xargs) capture nothing.
E2E_CAPTURE=""
if [[ -n ${IOTREG_API_CAPTURE_DIR:-} && $(basename -- "$0") == *_test.sh ]]; then
  mkdir -p "$IOTREG_API_CAPTURE_DIR" && E2E_CAPTURE=$IOTREG_API_CAPTURE_DIR/$E2E_NAME.jsonl &&
    : >>"$E2E_CAPTURE" || E2E_CAPTURE=""
fi

# ---------------------------------------------------------------------------------------------
# Assertions

pass() { E2E_PASSED=$((E2E_PASSED + 1)); echo "ok   - $1"; }

fail() {  # fail WHAT [DETAIL...]
  E2E_FAILED=$((E2E_FAILED + 1))
  echo "FAIL - $1"
  shift
  local line
  for line in "$@"; do printf '       %s\n' "$line"; done
}

assert_eq() {  # assert_eq WHAT EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1" "expected: $2" "got:      $3"; fi
}

assert_ne() {  # assert_ne WHAT UNEXPECTED ACTUAL
  if [[ $2 != "$3" ]]; then pass "$1"; else fail "$1" "expected anything but: $2"; fi
}

assert_contains() {  # assert_contains WHAT HAYSTACK NEEDLE
  if [[ $2 == *"$3"* ]]; then pass "$1"; else fail "$1" "expected to contain: $3" "got: $2"; fi
}

assert_not_contains() {  # assert_not_contains WHAT HAYSTACK NEEDLE
  if [[ $2 != *"$3"* ]]; then pass "$1"; else fail "$1" "expected NOT to contain: $3"; fi
}

assert_match() {  # assert_match WHAT STRING ERE
  if [[ $2 =~ $3 ]]; then pass "$1"; else fail "$1" "expected to match: $3" "got: $2"; fi
}

assert_gt() {  # assert_gt WHAT A B   (integers: A > B)
  if [[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && (($2 > $3)); then
    pass "$1"
  else
    fail "$1" "expected $2 > $3"
  fi
}

assert_ge() {  # assert_ge WHAT A B   (integers: A >= B)
  if [[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && (($2 >= $3)); then
    pass "$1"
  else
    fail "$1" "expected $2 >= $3"
  fi
}

assert_cmd() {  # assert_cmd WHAT COMMAND...   (passes when the command exits 0; shows its output if not)
  local what=$1 out rc
  shift
  out=$("$@" 2>&1)
  rc=$?
  if ((rc == 0)); then
    pass "$what"
  else
    fail "$what" "command: $*" "exit status: $rc" "output (last 20 lines):"
    printf '%s\n' "$out" | tail -n 20 | sed 's/^/         /'
  fi
}

# Prints the summary line and exits (the EXIT trap then cleans up).
e2e_finish() {
  echo "$E2E_PASSED passed, $E2E_FAILED failed"
  if ((E2E_FAILED > 0)); then exit 1; fi
  exit 0
}

# Stops the test at once: a precondition failed and nothing after it could mean anything.
e2e_abort() {
  fail "$@"
  e2e_finish
}

# ---------------------------------------------------------------------------------------------
# Small helpers

# A free port on 127.0.0.1 for both TCP and UDP (DNS needs both).
free_port() {
  "$PYTHON" - <<'PY'
import socket, random
for _ in range(200):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close(); u.close(); continue
    t.close(); u.close()
    print(port)
    break
else:
    raise SystemExit("no free port")
PY
}

# eid_for N: a valid 32-digit EID (ISO 7064 MOD 97-10 check digits), distinct for each N < 10^8.
eid_for() {
  "$PYTHON" -c '
import sys
n = int(sys.argv[1])
first30 = "8904903200000000000000" + "%08d" % n
check = 98 - int(first30 + "00") % 97
print(first30 + "%02d" % check)' "$1"
}
# shellcheck disable=SC2034  # used by the test scripts
E2E_BAD_EID=89049032123451234512345678901234   # check digits wrong

# json_get FILE KEY: the value of a top-level key ("" when missing); objects/arrays as JSON.
json_get() {
  "$PYTHON" -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(0)
v = d.get(sys.argv[2], "") if isinstance(d, dict) else ""
print(v if isinstance(v, str) else json.dumps(v), end="")' "$1" "$2"
}

# Whether FILE holds a JSON object.
json_is_object() {
  "$PYTHON" -c 'import json,sys; sys.exit(0 if isinstance(json.load(open(sys.argv[1])), dict) else 1)' \
    "$1" 2>/dev/null
}

# make_csr ec|rsa|rsa1024 DIR: DIR/key.pem and DIR/csr.pem, made by openssl, CN=x.
make_csr() {
  local type=$1 dir=$2
  mkdir -p "$dir"
  case $type in
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/key.pem" 2>/dev/null ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/key.pem" 2>/dev/null ;;
    rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$dir/key.pem" 2>/dev/null ;;
    *) echo "make_csr: unknown key type $type" >&2; return 2 ;;
  esac
  openssl req -new -key "$dir/key.pem" -subj /CN=x -out "$dir/csr.pem" 2>/dev/null
}

# The TLSA 3 1 1 association data of a private key, computed outside iotreg (lower-case hex).
spki_sha256() {
  openssl pkey -in "$1" -pubout -outform DER | sha256sum | cut -d' ' -f1
}

# ---------------------------------------------------------------------------------------------
# HTTP

# http_req METHOD PATH [BODYFILE] [curl args...]: sets HTTP_STATUS, HTTP_CTYPE, HTTP_BODY (a file).
# Defaults: the admin key as Bearer token, Content-Type application/json when a body is sent.
# Override with E2E_AUTH ("" for no header) and E2E_CTYPE.
E2E_REQ_N=0
http_req() {
  local method=$1 path=$2 body=${3:-}
  shift 3 2>/dev/null || shift $#
  E2E_REQ_N=$((E2E_REQ_N + 1))
  HTTP_BODY=$E2E_DIR/http/$E2E_REQ_N.body
  mkdir -p "$E2E_DIR/http"
  local -a args=(-sS --max-time 30 --cacert "$E2E_STATE/ca/root.pem" -X "$method"
    -o "$HTTP_BODY" -w '%{http_code} %{content_type}')
  local auth=${E2E_AUTH-Bearer $(cat "$E2E_DIR/admin.key" 2>/dev/null)}
  [[ -n $auth ]] && args+=(-H "Authorization: $auth")
  if [[ -n $body ]]; then
    args+=(-H "Content-Type: ${E2E_CTYPE-application/json}" --data-binary "@$body")
  fi
  # curl writes the header to the last -D only: with capture on, a caller's own -D FILE is taken
  # out of the arguments and gets a copy of the captured header instead.
  local -a extra=()
  local dump=""
  if [[ -n $E2E_CAPTURE ]]; then
    args+=(-D "$HTTP_BODY.headers")
    while (($#)); do
      case $1 in
        -D | --dump-header)
          dump=${2-}
          shift 2 || shift $#
          ;;
        *)
          extra+=("$1")
          shift
          ;;
      esac
    done
  else
    extra=("$@")
  fi
  local out rc
  out=$(curl "${args[@]}" "${extra[@]}" "https://127.0.0.1:$E2E_HTTP_PORT$path" 2>"$HTTP_BODY.err")
  rc=$?
  [[ -n $dump && -f $HTTP_BODY.headers ]] && cp -- "$HTTP_BODY.headers" "$dump"
  HTTP_STATUS=${out%% *}
  HTTP_CTYPE=${out#* }
  [[ -f $HTTP_BODY ]] || : >"$HTTP_BODY"
  # Only complete replies: not a transfer that curl gave up on (the daemon killed mid-reply).
  ((rc == 0)) && api_capture "$method" "$path" "$HTTP_STATUS" "$HTTP_CTYPE" "$HTTP_BODY" "$HTTP_BODY.headers"
  return 0
}

# A JSON string literal of $1 in REPLY (control characters become '?').
_json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  REPLY="\"${s//[[:cntrl:]]/?}\""
}

# api_capture METHOD PATH STATUS CONTENT_TYPE BODYFILE HEADERFILE: appends the reply to the
# capture file (see E2E_CAPTURE above); nothing when capture is off or there was no reply.
# Background requests (crash_test's loops) append at the same time: one locked write a line.
api_capture() {
  [[ -n $E2E_CAPTURE && $3 =~ ^[1-5][0-9][0-9]$ ]] || return 0
  local line
  _json_str "$E2E_NAME"
  line="{\"test\":$REPLY"
  _json_str "$1"
  line+=",\"method\":$REPLY"
  _json_str "$2"
  line+=",\"path\":$REPLY,\"status\":$3"
  _json_str "$4"
  line+=",\"content_type\":$REPLY,\"headers_b64\":\"$(base64 -w0 <"$6" 2>/dev/null)\""
  line+=",\"body_b64\":\"$(base64 -w0 <"$5" 2>/dev/null)\"}"
  { flock 9 && printf '%s\n' "$line" >&9; } 9>>"$E2E_CAPTURE"
}

# enroll_body ID CSRFILE OUT: the JSON request body.
enroll_body() {
  "$PYTHON" -c '
import json, sys
print(json.dumps({"device_id": sys.argv[1], "csr": open(sys.argv[2]).read()}))' "$1" "$2" >"$3"
}

# enroll ID CSRFILE [curl args...]: POST /api/v1/devices; HTTP_STATUS, HTTP_CTYPE, HTTP_BODY.
enroll() {
  local id=$1 csr=$2
  shift 2
  mkdir -p "$E2E_DIR/http"
  local req=$E2E_DIR/http/enroll-$id.json
  enroll_body "$id" "$csr" "$req"
  http_req POST /api/v1/devices "$req" "$@"
}

# check_problem WHAT STATUS SLUG: the last reply is a problem+json of that status and type.
check_problem() {
  local what=$1 status=$2 slug=$3
  assert_eq "$what: HTTP status" "$status" "$HTTP_STATUS"
  assert_match "$what: Content-Type application/problem+json" "$HTTP_CTYPE" \
    '^application/problem\+json(;.*)?$'
  assert_eq "$what: problem type" "urn:iotreg:problem:$slug" "$(json_get "$HTTP_BODY" type)"
}

# ---------------------------------------------------------------------------------------------
# DNS

# dig_at ARGS...: dig against iotregd, no recursion, hex not split.
dig_at() { dig @127.0.0.1 -p "$E2E_DNS_PORT" +norec +nosplit +time=3 +tries=2 "$@"; }

# soa_serial: the served SOA serial ("" when no answer).
soa_serial() {
  dig_at +tcp +short SOA "$E2E_ZONE." 2>/dev/null | awk 'NF>=7 {print $3; exit}'
}

# The RCODE of a dig output ("status: NOERROR").
dig_status() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | head -n1; }
# The header flags of a dig output ("qr aa").
dig_flags() { sed -n 's/^;; flags: \([^;]*\);.*/\1/p' <<<"$1" | head -n1; }
# dig_section OUTPUT NAME: the RRs of section NAME (ANSWER, AUTHORITY, ADDITIONAL).
dig_section() {
  awk -v s=";; $2 SECTION:" '$0 == s {on=1; next} on && /^$/ {exit} on && !/^;/ {print}' <<<"$1"
}

# tlsa_rdata RR-LINES: "usage selector mtype data" (data lower-case hex) of the TLSA records, one a line.
tlsa_rdata() {
  awk '$4 == "TLSA" { d=""; for (i=8;i<=NF;i++) d=d $i; print $5, $6, $7, tolower(d) }' <<<"$1"
}

# axfr: the zone by AXFR, one RR a line (dig's presentation, no comments).
axfr() { dig_at +tcp +noall +answer AXFR "$E2E_ZONE." 2>&1; }

# The device TLSA records of an AXFR as "ID HEX" lines, sorted.
axfr_device_tlsa() {
  awk -v suf="._device.$E2E_ZONE." '$4 == "TLSA" && index($1, suf) && substr($1, length($1)-length(suf)+1) == suf {
      id = substr($1, 1, length($1)-length(suf)); d=""; for (i=8;i<=NF;i++) d=d $i
      print tolower(id), tolower(d) }' <<<"$1" | sort
}

# write_anchors DIR: DIR/ksk.txt (the KSK as served), DIR/anchor.conf (delv), DIR/unbound.conf.
write_anchors() {
  local dir=$1
  mkdir -p "$dir"
  dig_at +tcp +noall +answer DNSKEY "$E2E_ZONE." | awk '$5==257' >"$dir/ksk.txt"
  {
    echo 'trust-anchors {'
    awk '{k=""; for(i=8;i<=NF;i++) k=k $i; printf "  %s static-key %s %s %s \"%s\";\n",$1,$5,$6,$7,k}' \
      "$dir/ksk.txt"
    echo '};'
  } >"$dir/anchor.conf"
  cat >"$dir/unbound.conf" <<EOF
server:
  module-config: "validator iterator"
  do-not-query-localhost: no
  local-zone: "test." nodefault
  trust-anchor-file: "$dir/ksk.txt"
stub-zone:
  name: "$E2E_ZONE."
  stub-addr: 127.0.0.1@$E2E_DNS_PORT
EOF
}

# delv_at DIR TYPE NAME: delv validating against DIR/anchor.conf.
delv_at() {
  delv @127.0.0.1 -p "$E2E_DNS_PORT" -a "$1/anchor.conf" +root="$E2E_ZONE" "$2" "$3" 2>&1
}

# zone_file_serial: the SOA serial in the zone file ("" when unreadable).
zone_file_serial() {
  ldns-read-zone "$E2E_ZONE_FILE" 2>/dev/null | awk '$4 == "SOA" {print $7; exit}'
}

# wait_zone_file SERIAL: waits (10 s at most) until the zone file holds at least that serial.
wait_zone_file() {
  local want=$1 i s
  for ((i = 0; i < 100; i++)); do
    s=$(zone_file_serial)
    if [[ $s =~ ^[0-9]+$ ]] && ((s >= want)); then return 0; fi
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# Database

psql_admin() { psql "$IOTREG_TEST_PG_DSN" -X -q -v ON_ERROR_STOP=1 -tA "$@"; }
# sql QUERY: runs against this test's database, prints the rows (unaligned, no header).
sql() { psql "$E2E_DSN" -X -q -v ON_ERROR_STOP=1 -tA -c "$1"; }

# ---------------------------------------------------------------------------------------------
# Setup, daemon, cleanup

# e2e_config_text: prints the configuration e2e_setup writes (before E2E_EXTRA_CONFIG), one key a
# line, so that tests can derive broken ones from it and know where each key is: [server]
# http_listen (line 2), dns_listen (3); [database] dsn (5); [paths] state_dir (7); [zone] name (9),
# file (10), allow_label_ids (11). Needs the variables e2e_setup sets.
e2e_config_text() {
  cat <<EOF
[server]
http_listen = "127.0.0.1:$E2E_HTTP_PORT"
dns_listen  = "127.0.0.1:$E2E_DNS_PORT"
[database]
dsn = "$E2E_DSN"
[paths]
state_dir = "$E2E_STATE"
[zone]
name = "$E2E_ZONE."
file = "$E2E_ZONE_FILE"
allow_label_ids = ${E2E_ALLOW_LABELS:-false}
EOF
}

# e2e_setup: temp dir, fresh database, config (ports chosen), no init yet.
# Env knobs: E2E_ALLOW_LABELS=true|false (default false); E2E_EXTRA_CONFIG: lines appended to
# the config after the [zone] table (bare keys land in [zone]; new tables may follow). "@DIR@"
# in them becomes the test's temporary directory.
e2e_setup() {
  if [[ -z ${IOTREG_TEST_PG_DSN:-} ]]; then
    echo "IOTREG_TEST_PG_DSN is not set: the e2e tests need a running PostgreSQL (scripts/test starts one)"
    E2E_FAILED=$((E2E_FAILED + 1))
    e2e_finish
  fi
  if [[ -z ${IOTREG_BIN_DIR:-} ]]; then
    echo "IOTREG_BIN_DIR is not set (the CMake build directory)"
    E2E_FAILED=$((E2E_FAILED + 1))
    e2e_finish
  fi
  IOTREGD=$IOTREG_BIN_DIR/server/iotregd
  IOTREGCTL=$IOTREG_BIN_DIR/tools/iotregctl
  [[ -x $IOTREGD && -x $IOTREGCTL ]] || e2e_abort "binaries built" "missing $IOTREGD or $IOTREGCTL"

  E2E_DIR=$(mktemp -d "/tmp/iotreg-e2e-$E2E_NAME.XXXXXX")
  chmod 0755 "$E2E_DIR"
  E2E_STATE=$E2E_DIR/state
  E2E_ZONE_FILE=$E2E_STATE/$E2E_ZONE.zone
  E2E_CONFIG=$E2E_DIR/iotreg.toml
  E2E_LOG=$E2E_DIR/iotregd.log
  E2E_CTL_LOG=$E2E_DIR/iotregctl.log
  : >"$E2E_LOG"
  : >"$E2E_CTL_LOG"
  trap e2e_cleanup EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM

  E2E_DB="e2e_${E2E_NAME}_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
  psql_admin -c "CREATE DATABASE $E2E_DB" || e2e_abort "create database $E2E_DB"
  # Same DSN, other database name.
  E2E_DSN=$(sed -E "s#^(postgres(ql)?://[^/]*/)[^?]*#\1$E2E_DB#" <<<"$IOTREG_TEST_PG_DSN")

  E2E_HTTP_PORT=$(free_port)
  E2E_DNS_PORT=$(free_port)
  while [[ $E2E_DNS_PORT == "$E2E_HTTP_PORT" ]]; do E2E_DNS_PORT=$(free_port); done
  e2e_config_text >"$E2E_CONFIG"
  if [[ -n ${E2E_EXTRA_CONFIG:-} ]]; then
    printf '%s\n' "${E2E_EXTRA_CONFIG//@DIR@/$E2E_DIR}" >>"$E2E_CONFIG"
  fi
  echo "# e2e $E2E_NAME: dir $E2E_DIR, db $E2E_DB, https 127.0.0.1:$E2E_HTTP_PORT, dns 127.0.0.1:$E2E_DNS_PORT"
}

# ctl ARGS...: iotregctl with this test's config; output appended to the ctl log and shown.
ctl() {
  local out rc
  out=$("$IOTREGCTL" --config "$E2E_CONFIG" "$@" 2>&1)
  rc=$?
  printf '$ iotregctl %s\n%s\n' "$*" "$out" >>"$E2E_CTL_LOG"
  printf '%s\n' "$out"
  return $rc
}

# e2e_init: iotregctl init with the admin key written to $E2E_DIR/admin.key.
e2e_init() {
  ctl init --api-key-file "$E2E_DIR/admin.key" >/dev/null ||
    e2e_abort "iotregctl init" "$(tail -n 20 "$E2E_CTL_LOG")"
  [[ -s $E2E_DIR/admin.key ]] || e2e_abort "iotregctl init wrote the admin key file"
}

# e2e_daemon_start: iotregd in the background (log appended to $E2E_LOG); waits at most 20 s
# until /healthz answers 200 and the zone's SOA is served.
e2e_daemon_start() {
  echo "=== iotregd start $(date +%T.%N)" >>"$E2E_LOG"
  "$IOTREGD" --config "$E2E_CONFIG" >>"$E2E_LOG" 2>&1 &
  E2E_DAEMON_PID=$!
  local i code
  for ((i = 0; i < 200; i++)); do
    if ! kill -0 "$E2E_DAEMON_PID" 2>/dev/null; then
      wait "$E2E_DAEMON_PID" 2>/dev/null
      E2E_DAEMON_PID=""
      e2e_abort "iotregd started" "it exited; log:" "$(tail -n 30 "$E2E_LOG")"
    fi
    code=$(curl -s -o "$E2E_DIR/healthz.body" -D "$E2E_DIR/healthz.headers" -w '%{http_code} %{content_type}' \
      --max-time 2 --cacert "$E2E_STATE/ca/root.pem" "https://127.0.0.1:$E2E_HTTP_PORT/healthz" 2>/dev/null)
    if [[ ${code%% *} == 200 && -n $(soa_serial) ]]; then
      api_capture GET /healthz 200 "${code#* }" "$E2E_DIR/healthz.body" "$E2E_DIR/healthz.headers"
      return 0
    fi
    sleep 0.1
  done
  e2e_abort "iotregd ready within 20 s" "log:" "$(tail -n 30 "$E2E_LOG")"
}

# e2e_stop: SIGTERM, wait 10 s, then SIGKILL.
e2e_stop() {
  [[ -n $E2E_DAEMON_PID ]] || return 0
  kill -TERM "$E2E_DAEMON_PID" 2>/dev/null
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$E2E_DAEMON_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$E2E_DAEMON_PID" 2>/dev/null; then
    echo "e2e: iotregd did not stop on SIGTERM within 10 s; SIGKILL" | tee -a "$E2E_LOG"
    kill -KILL "$E2E_DAEMON_PID" 2>/dev/null
  fi
  wait "$E2E_DAEMON_PID" 2>/dev/null
  # shellcheck disable=SC2034  # the exit status, for tests that check it
  E2E_DAEMON_RC=$?
  E2E_DAEMON_PID=""
}

# e2e_kill9: SIGKILL, no grace.
e2e_kill9() {
  [[ -n $E2E_DAEMON_PID ]] || return 0
  kill -KILL "$E2E_DAEMON_PID" 2>/dev/null
  wait "$E2E_DAEMON_PID" 2>/dev/null
  E2E_DAEMON_PID=""
}

# e2e_start: the usual beginning of a test.
e2e_start() {
  e2e_setup
  e2e_init
  e2e_daemon_start
}

# EXIT trap: stop the daemon, print the logs when something failed, drop the database, remove dirs.
e2e_cleanup() {
  local rc=$?
  e2e_stop
  if ((rc != 0 || E2E_FAILED > 0)) && [[ -n $E2E_DIR ]]; then
    echo "----- iotregctl output ($E2E_CTL_LOG, last 40 lines)"
    tail -n 40 "$E2E_CTL_LOG" 2>/dev/null
    echo "----- iotregd log ($E2E_LOG, last 80 lines)"
    tail -n 80 "$E2E_LOG" 2>/dev/null
    echo "-----"
  fi
  if [[ $E2E_KEEP == 1 ]]; then
    echo "# kept $E2E_DIR and database $E2E_DB"
    return
  fi
  if [[ -n $E2E_DB ]]; then
    psql_admin -c "DROP DATABASE IF EXISTS $E2E_DB WITH (FORCE)" >/dev/null 2>&1 ||
      echo "e2e: could not drop database $E2E_DB"
  fi
  [[ -n $E2E_DIR && -d $E2E_DIR ]] && rm -rf -- "$E2E_DIR"
}
