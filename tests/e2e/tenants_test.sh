#!/usr/bin/env bash
# Issue 5, acceptance a, b, d (tenants part): tenants and per-tenant API keys (iotregctl and the
# admin API), an isolation matrix (another tenant's key gets 403/404 and no data; expired and
# revoked keys 401), a lifecycle walk (register, activate, suspend, resume, transfer, revoke,
# delete) with invalid transitions answered 409 and nothing changed (database row and zone), and
# a bulk registration of 10,000 ids with bad EIDs reported per row; the device list's dns_name and
# tlsa (equal to what DNS serves); disabling and enabling a tenant (its keys 401, its devices
# still served; the admin's own tenant refused); the Date header on every kind of reply.
source "$(dirname "$0")/lib.sh"

e2e_setup
# 10,000 ids as CSV are ~330 KB: above the default body limit.
sed -i '/^\[server\]/a max_body_bytes = 2097152' "$E2E_CONFIG"
e2e_init
e2e_daemon_start

as() {  # as KEYFILE METHOD PATH [BODYFILE]: http_req with that tenant's key
  local key=$1
  shift
  E2E_AUTH="Bearer $(cat "$key")" http_req "$@"
}
body() { printf '%s' "$2" >"$E2E_DIR/$1.json"; echo "$E2E_DIR/$1.json"; }
row() { sql "SELECT status || '|' || coalesce(asp_tenant_id::text, '-') || '|' || coalesce(mno_tenant_id::text, '-') FROM devices WHERE device_id = '$1'"; }
tlsa_of() { dig_at +short TLSA "_443._tcp.$1._device.$E2E_ZONE." 2>/dev/null; }  # may be empty
tlsa_any() { dig_at +noall +answer TLSA "$1._device.$E2E_ZONE." 2>/dev/null; dig_at +short TLSA "$1._device.$E2E_ZONE." 2>/dev/null; }

# --- tenants and keys: iotregctl and the admin API ------------------------------------------
ASP1=$(ctl tenant create --kind asp fleet-one | head -n1)
assert_match "iotregctl tenant create prints an id" "$ASP1" '^[0-9]+$'
ctl apikey create --tenant "$ASP1" --file "$E2E_DIR/asp1.key" >/dev/null || fail "iotregctl apikey create --tenant"
http_req POST /api/v1/tenants "$(body t2 '{"name":"fleet-two","kind":"asp"}')"
assert_eq "admin creates a tenant" 201 "$HTTP_STATUS"
ASP2=$(json_get "$HTTP_BODY" id)
http_req POST /api/v1/tenants "$(body t3 '{"name":"operator-one","kind":"mno"}')"
MNO1=$(json_get "$HTTP_BODY" id)
http_req POST /api/v1/tenants "$(body t4 '{"name":"operator-two","kind":"mno"}')"
MNO2=$(json_get "$HTTP_BODY" id)
for t in asp2:$ASP2 mno1:$MNO1 mno2:$MNO2; do
  http_req POST "/api/v1/tenants/${t#*:}/api-keys" "$(body k '{"expires_at":"2099-01-01T00:00:00Z"}')"
  assert_eq "admin creates a key for ${t%%:*}" 201 "$HTTP_STATUS"
  json_get "$HTTP_BODY" key >"$E2E_DIR/${t%%:*}.key"
done
http_req GET /api/v1/tenants
assert_contains "tenant list" "$(cat "$HTTP_BODY")" '"operator-two"'
as "$E2E_DIR/asp1.key" GET /api/v1/tenants
check_problem "an ASP lists tenants" 403 forbidden
as "$E2E_DIR/mno1.key" POST /api/v1/tenants "$(body t5 '{"name":"x","kind":"asp"}')"
check_problem "an MNO creates a tenant" 403 forbidden

# --- Date header (RFC 9110 §6.6.1) on every kind of reply -----------------------------------
date_ok() {  # date_ok WHAT HEADERFILE: an IMF-fixdate within a minute of this host's clock
  local value
  value=$(tr -d '\r' <"$2" | sed -n 's/^[Dd]ate: //p' | tail -n1)
  assert_match "$1: Date is an IMF-fixdate" "$value" \
    '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'
  local skew
  skew=$("$PYTHON" -c 'import sys, time, email.utils as e; print(int(abs(e.parsedate_to_datetime(sys.argv[1]).timestamp() - time.time())))' "$value" 2>/dev/null)
  if [[ $skew =~ ^[0-9]+$ ]] && ((skew <= 60)); then pass "$1: Date within a minute of date(1)"; else fail "$1: Date within a minute" "Date: $value, now: $(date -u)"; fi
}
http_req GET /healthz "" -D "$E2E_DIR/date1.h"
assert_eq "healthz" 200 "$HTTP_STATUS"
date_ok "a 200" "$E2E_DIR/date1.h"
http_req GET /api/v1/tenants "" -D "$E2E_DIR/date2.h"
date_ok "an API reply" "$E2E_DIR/date2.h"
E2E_AUTH="" http_req GET /api/v1/tenants "" -D "$E2E_DIR/date3.h"
check_problem "no credentials" 401 unauthenticated
date_ok "a problem" "$E2E_DIR/date3.h"
head -c 2200000 /dev/zero | tr '\0' 'x' >"$E2E_DIR/big.json"
http_req POST /api/v1/tenants "$E2E_DIR/big.json" -D "$E2E_DIR/date4.h"
check_problem "a body above max_body_bytes" 413 payload-too-large
date_ok "an error answered before routing (413)" "$E2E_DIR/date4.h"

# --- registration ---------------------------------------------------------------------------
D1=$(eid_for 501)
D2=$(eid_for 502)
as "$E2E_DIR/asp1.key" POST /api/v1/devices/register "$(body r1 "{\"device_id\":\"$D1\"}")"
assert_eq "ASP1 registers D1" 201 "$HTTP_STATUS"
assert_eq "D1 registered" "registered" "$(json_get "$HTTP_BODY" status)"
as "$E2E_DIR/asp2.key" POST /api/v1/devices/register "$(body r2 "{\"device_id\":\"$D2\"}")"
assert_eq "ASP2 registers D2" 201 "$HTTP_STATUS"
as "$E2E_DIR/mno1.key" POST /api/v1/devices/register "$(body r3 "{\"device_id\":\"$(eid_for 503)\"}")"
check_problem "an MNO registers" 403 forbidden
as "$E2E_DIR/asp1.key" POST /api/v1/devices/register "$(body r4 "{\"device_id\":\"$E2E_BAD_EID\"}")"
check_problem "a bad EID" 400 invalid-device-id

# --- activation by an MNO (enrollment of a registered device) -------------------------------
make_csr ec "$E2E_DIR/d1" || e2e_abort "CSR"
enroll_body "$D1" "$E2E_DIR/d1/csr.pem" "$E2E_DIR/act1.json"
as "$E2E_DIR/asp1.key" POST /api/v1/devices "$E2E_DIR/act1.json"
check_problem "an ASP activates" 403 forbidden
as "$E2E_DIR/mno1.key" POST /api/v1/devices "$E2E_DIR/act1.json"
assert_eq "MNO1 activates D1" 201 "$HTTP_STATUS"
assert_eq "D1 row after activation" "active|$ASP1|$MNO1" "$(row "$D1")"
assert_ne "D1's TLSA is served" "" "$(tlsa_any "$D1")"
as "$E2E_DIR/mno2.key" POST /api/v1/devices "$E2E_DIR/act1.json"
check_problem "MNO2 activates MNO1's device" 404 device-not-found
make_csr ec "$E2E_DIR/u" || e2e_abort "CSR"
enroll_body "$(eid_for 599)" "$E2E_DIR/u/csr.pem" "$E2E_DIR/actu.json"
as "$E2E_DIR/mno1.key" POST /api/v1/devices "$E2E_DIR/actu.json"
check_problem "an MNO activates an unregistered id" 404 device-not-found

# --- isolation matrix: D1 belongs to ASP1 / MNO1 --------------------------------------------
for k in asp2 mno2; do
  for req in "GET /api/v1/devices/$D1" "POST /api/v1/devices/$D1/suspend" "POST /api/v1/devices/$D1/resume" \
    "POST /api/v1/devices/$D1/revoke" "DELETE /api/v1/devices/$D1" "POST /api/v1/devices/$D1/delete" \
    "POST /api/v1/devices/$D1/transfer-code"; do
    as "$E2E_DIR/$k.key" ${req}
    case $HTTP_STATUS in
      403 | 404) pass "$k: $req -> $HTTP_STATUS" ;;
      *) fail "$k: $req" "got $HTTP_STATUS $(head -c 300 "$HTTP_BODY")" ;;
    esac
    assert_not_contains "$k: $req leaks no certificate" "$(cat "$HTTP_BODY")" "BEGIN CERTIFICATE"
    assert_not_contains "$k: $req leaks no tenant" "$(cat "$HTTP_BODY")" "tenant_id"
  done
done
assert_eq "D1 unchanged by the matrix" "active|$ASP1|$MNO1" "$(row "$D1")"
as "$E2E_DIR/asp1.key" GET "/api/v1/devices/$D1"
assert_eq "the owning ASP reads D1" 200 "$HTTP_STATUS"
as "$E2E_DIR/mno1.key" GET "/api/v1/devices/$D1"
assert_eq "the activating MNO reads D1" 200 "$HTTP_STATUS"
as "$E2E_DIR/asp1.key" GET "/api/v1/devices/$D2"
check_problem "ASP1 reads ASP2's device" 404 device-not-found
as "$E2E_DIR/asp1.key" GET "/api/v1/devices/$(eid_for 598)"
check_problem "a device that does not exist" 404 device-not-found

# expired and revoked keys: 401
ctl apikey create --tenant "$ASP2" --expires 1h --file "$E2E_DIR/exp.key" >/dev/null || fail "key with expiry"
as "$E2E_DIR/exp.key" GET "/api/v1/devices/$D2"
assert_eq "a key before its expiry" 200 "$HTTP_STATUS"
sql "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = (SELECT max(id) FROM api_keys)" >/dev/null
as "$E2E_DIR/exp.key" GET "/api/v1/devices/$D2"
check_problem "an expired key" 401 unauthenticated
http_req POST "/api/v1/tenants/$ASP2/api-keys" "$(body k2 '{}')"
REVOKED_ID=$(json_get "$HTTP_BODY" id)
json_get "$HTTP_BODY" key >"$E2E_DIR/rev.key"
as "$E2E_DIR/rev.key" GET "/api/v1/devices/$D2"
assert_eq "a key before its revocation" 200 "$HTTP_STATUS"
http_req DELETE "/api/v1/api-keys/$REVOKED_ID"
assert_eq "admin revokes a key" 200 "$HTTP_STATUS"
as "$E2E_DIR/rev.key" GET "/api/v1/devices/$D2"
check_problem "a revoked key" 401 unauthenticated

# --- lifecycle walk -------------------------------------------------------------------------
invalid() {  # invalid KEY METHOD PATH WHAT: 409 invalid-transition, row and zone unchanged
  local key=$1 method=$2 path=$3 what=$4 before zone_before
  before=$(row "$D1")
  zone_before=$(tlsa_any "$D1")
  as "$E2E_DIR/$key.key" "$method" "$path"
  check_problem "$what" 409 invalid-transition
  assert_eq "$what: row unchanged" "$before" "$(row "$D1")"
  assert_eq "$what: zone unchanged" "$zone_before" "$(tlsa_any "$D1")"
}
invalid mno1 POST "/api/v1/devices/$D1/resume" "resume an active device"
as "$E2E_DIR/mno1.key" POST "/api/v1/devices/$D1/suspend"
assert_eq "suspend" 200 "$HTTP_STATUS"
assert_eq "suspended row" "suspended|$ASP1|$MNO1" "$(row "$D1")"
assert_eq "suspended: TLSA gone" "" "$(dig_at +short TLSA "$D1._device.$E2E_ZONE.")"
assert_eq "suspended: certificate kept" 0 "$(sql "SELECT count(*) FROM certificates c JOIN devices d ON d.id = c.device WHERE d.device_id = '$D1' AND c.revoked_at IS NOT NULL")"
invalid mno1 POST "/api/v1/devices/$D1/suspend" "suspend a suspended device"
as "$E2E_DIR/mno1.key" POST "/api/v1/devices/$D1/resume"
assert_eq "resume" 200 "$HTTP_STATUS"
assert_ne "resumed: TLSA back" "" "$(dig_at +short TLSA "$D1._device.$E2E_ZONE.")"

# transfer ASP1 -> ASP2 with a one-time code
as "$E2E_DIR/asp1.key" POST "/api/v1/devices/$D1/transfer-code"
assert_eq "transfer code" 201 "$HTTP_STATUS"
CODE=$(json_get "$HTTP_BODY" code)
as "$E2E_DIR/asp2.key" POST "/api/v1/devices/$D1/transfer" "$(body tr0 '{"code":"iotreg_tc_wrong"}')"
check_problem "a wrong transfer code" 404 device-not-found
as "$E2E_DIR/asp2.key" POST "/api/v1/devices/$D1/transfer" "$(body tr1 "{\"code\":\"$CODE\"}")"
assert_eq "transfer with the code" 200 "$HTTP_STATUS"
assert_eq "transferred row" "active|$ASP2|$MNO1" "$(row "$D1")"
as "$E2E_DIR/asp1.key" POST "/api/v1/devices/$D1/transfer" "$(body tr2 "{\"code\":\"$CODE\"}")"
check_problem "the code a second time" 404 device-not-found
as "$E2E_DIR/asp1.key" GET "/api/v1/devices/$D1"
check_problem "the previous owner reads" 404 device-not-found

# revoke (MNO), then only delete remains
as "$E2E_DIR/mno1.key" POST "/api/v1/devices/$D1/suspend"
as "$E2E_DIR/mno1.key" POST "/api/v1/devices/$D1/revoke" "$(body rv '{"reason":"keyCompromise"}')"
assert_eq "revoke a suspended device" 200 "$HTTP_STATUS"
assert_eq "revoked row" "revoked|$ASP2|$MNO1" "$(row "$D1")"
invalid mno1 POST "/api/v1/devices/$D1/resume" "resume a revoked device"
invalid mno1 POST "/api/v1/devices/$D1/suspend" "suspend a revoked device"
invalid asp2 POST "/api/v1/devices/$D1/transfer-code" "transfer a revoked device"
as "$E2E_DIR/asp2.key" POST "/api/v1/devices/$D1/delete"
assert_eq "delete" 200 "$HTTP_STATUS"
assert_eq "deleted row kept" "deleted|$ASP2|$MNO1" "$(row "$D1")"
invalid asp2 POST "/api/v1/devices/$D1/delete" "delete a deleted device"
invalid mno1 POST "/api/v1/devices/$D1/resume" "resume a deleted device"
# registered -> delete; registered -> suspend is invalid
as "$E2E_DIR/mno2.key" POST "/api/v1/devices/$D2/suspend"
check_problem "MNO2 suspends a device it did not activate" 404 device-not-found
as "$E2E_DIR/asp2.key" POST "/api/v1/devices/$D2/delete"
assert_eq "delete a registered device" 200 "$HTTP_STATUS"
assert_eq "audit trail of D1" 1 "$(sql "SELECT count(*) FROM audit_log WHERE device_id = '$D1' AND action = 'device.transfer'")"

# --- bulk: 10,000 ids, some bad ---------------------------------------------------------------
"$PYTHON" - "$E2E_DIR/bulk.csv" <<'PY'
import sys
out = open(sys.argv[1], "w")
out.write("device_id\n")
for n in range(10000):
    first30 = "8904903200000000000001" + "%08d" % n
    check = 98 - int(first30 + "00") % 97
    eid = first30 + "%02d" % check
    if n % 1000 == 7:
        eid = eid[:-2] + "%02d" % ((check + 1) % 100)  # bad check digits
    out.write(eid + "\n")
PY
START=$(date +%s%N)
E2E_CTYPE=text/csv as "$E2E_DIR/asp1.key" POST /api/v1/devices/bulk "$E2E_DIR/bulk.csv"
MS=$((($(date +%s%N) - START) / 1000000))
assert_eq "bulk import" 200 "$HTTP_STATUS"
assert_eq "bulk: registered" 9990 "$(json_get "$HTTP_BODY" registered)"
assert_eq "bulk: rejected" 10 "$(json_get "$HTTP_BODY" rejected)"
assert_eq "bulk: a result per row" 10000 "$("$PYTHON" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["results"]))' "$HTTP_BODY")"
assert_eq "bulk: row 8 is a bad EID" "rejected urn:iotreg:problem:invalid-device-id" "$("$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][7]; print(r["status"], r["error"]["type"])' "$HTTP_BODY")"
assert_eq "bulk: rows in the database" 9990 "$(sql "SELECT count(*) FROM devices WHERE status = 'registered' AND asp_tenant_id = $ASP1")"
echo "# bulk import of 10000 rows took ${MS} ms"
[[ $MS -lt 10000 ]] && pass "bulk import within 10 s" || fail "bulk import within 10 s" "$MS ms"
E2E_CTYPE=text/csv as "$E2E_DIR/asp1.key" POST /api/v1/devices/bulk "$E2E_DIR/bulk.csv"
assert_eq "bulk again: all rejected" 10000 "$(json_get "$HTTP_BODY" rejected)"
as "$E2E_DIR/asp1.key" POST /api/v1/devices/bulk "$(body bj "[\"$(eid_for 700)\", {\"device_id\": \"$E2E_BAD_EID\"}]")"
assert_eq "bulk JSON: registered" 1 "$(json_get "$HTTP_BODY" registered)"

# --- reads (issue 5 item 3): list with filters and cursor pagination, history, zone status ---
# A fresh ASP with five devices, so that the pages stay few (ASP1 holds the 10,000 of the bulk).
http_req POST /api/v1/tenants "$(body t6 '{"name":"fleet-three","kind":"asp"}')"
ASP3=$(json_get "$HTTP_BODY" id)
http_req POST "/api/v1/tenants/$ASP3/api-keys" "$(body k3 '{}')"
json_get "$HTTP_BODY" key >"$E2E_DIR/asp3.key"
as "$E2E_DIR/asp3.key" POST /api/v1/devices/bulk "$(body b3 "[\"$(eid_for 801)\",\"$(eid_for 802)\",\"$(eid_for 803)\",\"$(eid_for 804)\",\"$(eid_for 805)\"]")"
assert_eq "ASP3 registers five devices" 5 "$(json_get "$HTTP_BODY" registered)"
D3=$(eid_for 801)
ids_of() {  # ids_of FILE: the device ids of a list reply, sorted, space-separated
  "$PYTHON" -c 'import json,sys; print(" ".join(sorted(d["device_id"] for d in json.load(open(sys.argv[1]))["devices"])))' "$1"
}
ALL3="$(eid_for 801) $(eid_for 802) $(eid_for 803) $(eid_for 804) $(eid_for 805)"
as "$E2E_DIR/asp3.key" GET /api/v1/devices
assert_eq "ASP3 lists its devices" 200 "$HTTP_STATUS"
assert_eq "ASP3 sees only its five devices" "$ALL3" "$(ids_of "$HTTP_BODY")"
assert_eq "one page: next is null" "null" "$(json_get "$HTTP_BODY" next)"
as "$E2E_DIR/asp1.key" GET "/api/v1/devices?limit=1000"
assert_eq "ASP1 sees only its own devices" "" "$("$PYTHON" -c 'import json,sys; print(" ".join(str(d["asp_tenant_id"]) for d in json.load(open(sys.argv[1]))["devices"] if d["asp_tenant_id"] != int(sys.argv[2])))' "$HTTP_BODY" "$ASP1")"
# limit=2: three pages, every device once
SEEN=""
PAGES=0
NEXT=""
while :; do
  as "$E2E_DIR/asp3.key" GET "/api/v1/devices?limit=2${NEXT:+&cursor=$NEXT}"
  [[ $HTTP_STATUS == 200 ]] || { fail "page $PAGES" "$HTTP_STATUS"; break; }
  SEEN+=" $(ids_of "$HTTP_BODY")"
  PAGES=$((PAGES + 1))
  NEXT=$(json_get "$HTTP_BODY" next)
  [[ $NEXT == null || $PAGES -ge 10 ]] && break
done
assert_eq "limit=2: three pages" 3 "$PAGES"
assert_eq "limit=2: every device once" "$ALL3" "$(tr ' ' '\n' <<<"$SEEN" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')"
# state filter: activate one by MNO1
make_csr ec "$E2E_DIR/d3" || e2e_abort "CSR"
enroll_body "$D3" "$E2E_DIR/d3/csr.pem" "$E2E_DIR/act3.json"
as "$E2E_DIR/mno1.key" POST /api/v1/devices "$E2E_DIR/act3.json"
assert_eq "MNO1 activates D3" 201 "$HTTP_STATUS"
as "$E2E_DIR/asp3.key" GET "/api/v1/devices?state=active"
assert_eq "state=active" "$D3" "$(ids_of "$HTTP_BODY")"
as "$E2E_DIR/mno1.key" GET "/api/v1/devices?state=active&asp=$ASP3"
assert_eq "MNO1 lists what it activated for ASP3" "$D3" "$(ids_of "$HTTP_BODY")"
as "$E2E_DIR/mno2.key" GET "/api/v1/devices?asp=$ASP3"
assert_eq "MNO2 sees none of them" "" "$(ids_of "$HTTP_BODY")"
# list items: dns_name and tlsa, the latter exactly the records DNS serves for the device
item_of() {  # item_of FILE ID FIELD: a list item's field (tlsa: "u s m hex" lines, sorted)
  "$PYTHON" - "$@" <<'PY'
import json, sys
for d in json.load(open(sys.argv[1]))["devices"]:
    if d["device_id"] == sys.argv[2]:
        v = d[sys.argv[3]]
        if isinstance(v, list):
            print("\n".join(sorted(" ".join(r.split()[4:]) for r in v)))
        else:
            print(v)
PY
}
served_tlsa() {  # served_tlsa ID: the TLSA rdata DNS serves, "u s m hex" lines, sorted
  dig_at +short TLSA "$1._device.$E2E_ZONE." 2>/dev/null |
    awk '{h=""; for (i = 4; i <= NF; i++) h = h $i; print $1, $2, $3, tolower(h)}' | LC_ALL=C sort
}
as "$E2E_DIR/asp3.key" GET /api/v1/devices
assert_eq "list item: dns_name" "$D3._device.$E2E_ZONE" "$(item_of "$HTTP_BODY" "$D3" dns_name)"
assert_ne "list item: D3 has a TLSA record" "" "$(item_of "$HTTP_BODY" "$D3" tlsa)"
assert_eq "list item: tlsa = what dig serves" "$(served_tlsa "$D3")" "$(item_of "$HTTP_BODY" "$D3" tlsa)"
assert_contains "list item: tlsa in GET's format" "$(cat "$HTTP_BODY")" "\"$D3._device.$E2E_ZONE. "
assert_eq "list item: a registered device has no tlsa" "" "$(item_of "$HTTP_BODY" "$(eid_for 802)" tlsa)"
# updated_since: two devices pushed into the past
sql "UPDATE devices SET updated_at = '2020-01-01T00:00:00Z' WHERE device_id IN ('$(eid_for 804)', '$(eid_for 805)')" >/dev/null
as "$E2E_DIR/asp3.key" GET "/api/v1/devices?updated_since=2021-01-01T00:00:00Z"
assert_eq "updated_since" "$(eid_for 801) $(eid_for 802) $(eid_for 803)" "$(ids_of "$HTTP_BODY")"
as "$E2E_DIR/asp3.key" GET "/api/v1/devices?updated_since=yesterday"
check_problem "a bad updated_since" 400 invalid-query
as "$E2E_DIR/asp3.key" GET "/api/v1/devices?limit=0"
check_problem "limit=0" 400 invalid-query
# history
as "$E2E_DIR/asp3.key" GET "/api/v1/devices/$D3/history"
assert_eq "ASP3 reads D3's history" 200 "$HTTP_STATUS"
assert_eq "history oldest first" "device.register" "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["history"][0]["action"])' "$HTTP_BODY")"
as "$E2E_DIR/asp3.key" GET "/api/v1/devices/$D3/history?limit=1"
assert_ne "history limit=1 has a next page" "null" "$(json_get "$HTTP_BODY" next)"
as "$E2E_DIR/asp2.key" GET "/api/v1/devices/$D3/history"
check_problem "ASP2 reads ASP3's device history" 404 device-not-found
assert_not_contains "no history leaks" "$(cat "$HTTP_BODY")" "device.register"
# zone status: the admin's, with the serial the DNS server serves
http_req GET /api/v1/zone
assert_eq "admin reads the zone status" 200 "$HTTP_STATUS"
ZONE_SERIAL=$(json_get "$HTTP_BODY" serial)
assert_match "zone status: a serial" "$ZONE_SERIAL" '^[0-9]+$'
assert_eq "zone status serial = served SOA serial" "$(soa_serial)" "$ZONE_SERIAL"
assert_ge "zone status: active devices" "$(json_get "$HTTP_BODY" active_devices)" 1
assert_contains "zone status: a KSK" "$(json_get "$HTTP_BODY" keys)" '"role": "ksk"'
for k in asp3 mno1; do
  as "$E2E_DIR/$k.key" GET /api/v1/zone
  check_problem "$k reads the zone status" 403 forbidden
done

# --- disabling and enabling a tenant ------------------------------------------------------------
# MNO1 activated D3: disabling MNO1 refuses its keys at once, and leaves D3 on the air.
D3_TLSA=$(served_tlsa "$D3")
assert_ne "D3 is served before" "" "$D3_TLSA"
as "$E2E_DIR/mno1.key" GET "/api/v1/devices/$D3"
assert_eq "MNO1's key works before" 200 "$HTTP_STATUS"
as "$E2E_DIR/asp3.key" POST "/api/v1/tenants/$MNO1/disable"
check_problem "an ASP disables a tenant" 403 forbidden
http_req POST "/api/v1/tenants/$MNO1/disable"
assert_eq "admin disables MNO1" 200 "$HTTP_STATUS"
DISABLED_AT=$(json_get "$HTTP_BODY" disabled_at)
assert_match "the tenant shows disabled_at" "$DISABLED_AT" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
sleep 1
http_req POST "/api/v1/tenants/$MNO1/disable"
assert_eq "disabling again: 200" 200 "$HTTP_STATUS"
assert_eq "disabling again: same disabled_at" "$DISABLED_AT" "$(json_get "$HTTP_BODY" disabled_at)"
assert_eq "one audit row for the disable" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'tenant.disable' AND detail->>'tenant_id' = '$MNO1'")"
assert_eq "the disable's audit row names the key and the request" "true|true" "$(sql "SELECT (api_key_id IS NOT NULL)::text || '|' || (request_id IS NOT NULL)::text FROM audit_log WHERE action = 'tenant.disable' AND detail->>'tenant_id' = '$MNO1'")"
as "$E2E_DIR/mno1.key" GET "/api/v1/devices/$D3"
check_problem "a disabled MNO's key on a device call" 401 unauthenticated
as "$E2E_DIR/mno1.key" POST /api/v1/devices "$E2E_DIR/act3.json"
check_problem "a disabled MNO's key on an activation" 401 unauthenticated
assert_eq "D3 still active" "active" "$(sql "SELECT status FROM devices WHERE device_id = '$D3'")"
assert_eq "D3's TLSA still served" "$D3_TLSA" "$(served_tlsa "$D3")"
http_req GET /api/v1/tenants
assert_eq "the tenant list shows MNO1 disabled" "$DISABLED_AT" "$("$PYTHON" -c 'import json,sys; print(next(t.get("disabled_at", "") for t in json.load(open(sys.argv[1]))["tenants"] if t["id"] == int(sys.argv[2])))' "$HTTP_BODY" "$MNO1")"
http_req POST "/api/v1/tenants/$MNO1/enable"
assert_eq "admin enables MNO1" 200 "$HTTP_STATUS"
assert_eq "enabled: no disabled_at" "" "$(json_get "$HTTP_BODY" disabled_at)"
as "$E2E_DIR/mno1.key" GET "/api/v1/devices/$D3"
assert_eq "MNO1's key works again" 200 "$HTTP_STATUS"
http_req POST "/api/v1/tenants/$MNO1/enable"
assert_eq "enabling again: 200" 200 "$HTTP_STATUS"
assert_eq "one audit row for the enable" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'tenant.enable' AND detail->>'tenant_id' = '$MNO1'")"
http_req POST /api/v1/tenants/999999/disable
check_problem "disable an unknown tenant" 404 tenant-not-found
# The admin's own tenant (also the only admin tenant): refused, by the API and by iotregctl.
ADMIN_TENANT=$(sql "SELECT tenant_id FROM api_keys WHERE role = 'admin' ORDER BY id LIMIT 1")
http_req POST "/api/v1/tenants/$ADMIN_TENANT/disable"
check_problem "disable the admin's own tenant" 409 tenant-disable-refused
if ctl tenant disable "$ADMIN_TENANT" >/dev/null; then fail "iotregctl disables the last admin tenant"; else pass "iotregctl refuses to disable the last admin tenant"; fi
http_req GET /api/v1/tenants
assert_eq "the admin tenant stays enabled" 200 "$HTTP_STATUS"
# iotregctl tenant disable|enable
ctl tenant disable "$MNO2" >/dev/null || fail "iotregctl tenant disable"
as "$E2E_DIR/mno2.key" GET "/api/v1/devices?asp=$ASP3"
check_problem "a key of a tenant disabled by iotregctl" 401 unauthenticated
assert_contains "iotregctl tenant list shows it" "$(ctl tenant list)" "$(printf '%s\tmno\toperator-two\tdisabled' "$MNO2")"
ctl tenant enable "$MNO2" >/dev/null || fail "iotregctl tenant enable"
as "$E2E_DIR/mno2.key" GET "/api/v1/devices?asp=$ASP3"
assert_eq "enabled by iotregctl: the key works" 200 "$HTTP_STATUS"

e2e_finish
