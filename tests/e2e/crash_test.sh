#!/usr/bin/env bash
# Acceptance g (issue 2): kill -9 of iotregd in the middle of a run of enrollments. A restarted
# iotregd on the same database and state serves every device whose enrollment got a 201, with a
# serial larger than any seen before the kill, and the zone and the database agree both ways: no
# active device row without its TLSA record, no device TLSA record without an active row.
source "$(dirname "$0")/lib.sh"

e2e_start

LOOPS=2        # concurrent enrollment loops (so that batches share serials)
PER_LOOP=40    # enrollments each loop attempts
KILL_AFTER=10  # kill -9 once this many 201s came back (or after 3 s)

# Keys and CSRs made up front so that the loops go as fast as the server does.
echo "# making $((LOOPS * PER_LOOP)) P-256 CSRs"
for ((l = 0; l < LOOPS; l++)); do
  for ((i = 0; i < PER_LOOP; i++)); do
    n=$((1000 + l * 100 + i))
    echo "$n"
  done
done | xargs -P 4 -I{} bash -c 'source "$1"; make_csr ec "$2/csr/{}"' _ "$(dirname "$0")/lib.sh" "$E2E_DIR"

# One loop: sequential curls; each reply's status, id and zone_serial appended to a file. Stops at
# the first request that gets no HTTP reply (the daemon is gone) or when $E2E_DIR/stop exists.
enroll_loop() {  # enroll_loop LOOP_INDEX RESULT_FILE
  local l=$1 out=$2 i n id
  for ((i = 0; i < PER_LOOP; i++)); do
    [[ -e $E2E_DIR/stop ]] && break
    n=$((1000 + l * 100 + i))
    id=$(eid_for "$n")
    enroll "$id" "$E2E_DIR/csr/$n/csr.pem" --max-time 15
    echo "$HTTP_STATUS $id $n $(json_get "$HTTP_BODY" zone_serial)" >>"$out"
    [[ $HTTP_STATUS == 000 ]] && break
  done
}

pids=()
for ((l = 0; l < LOOPS; l++)); do
  : >"$E2E_DIR/results.$l"
  E2E_REQ_N=$((l * 100000)) enroll_loop "$l" "$E2E_DIR/results.$l" &
  pids+=($!)
done

# Watch the SOA while the loops run; kill -9 once enough enrollments succeeded.
max_soa=0
for ((t = 0; t < 300; t++)); do
  s=$(dig @127.0.0.1 -p "$E2E_DNS_PORT" +tcp +short +time=1 +tries=1 SOA "$E2E_ZONE." 2>/dev/null | awk '{print $3}')
  [[ $s =~ ^[0-9]+$ ]] && ((s > max_soa)) && max_soa=$s
  ok=$(cat "$E2E_DIR"/results.* | awk '$1 == 201' | wc -l)
  ((ok >= KILL_AFTER)) && break
  sleep 0.01
done
e2e_kill9
echo "# kill -9 after $ok enrollments with 201"
for pid in "${pids[@]}"; do wait "$pid"; done
cat "$E2E_DIR"/results.* >"$E2E_DIR/results"

total=$(wc -l <"$E2E_DIR/results")
got201=$(awk '$1 == 201' "$E2E_DIR/results" | wc -l)
assert_ge "some enrollments got 201 before the kill" "$got201" 1
# g: the kill happened mid-run, not after the loops had finished
assert_gt "the kill interrupted the run ($total of $((LOOPS * PER_LOOP)) attempted)" \
  "$((LOOPS * PER_LOOP))" "$(awk '$1 != 000' "$E2E_DIR/results" | wc -l)"
# Every reply before the kill is a 201 or no reply at all (nothing else is expected here).
assert_eq "replies are 201 or none" "" "$(awk '$1 != 201 && $1 != "000"' "$E2E_DIR/results")"

# The highest serial anyone saw before the kill: SOA polls and the 201 replies.
max_reply=$(awk '$1 == 201 && $4 > m {m = $4} END {print m + 0}' "$E2E_DIR/results")
((max_reply > max_soa)) && max_seen=$max_reply || max_seen=$max_soa
echo "# highest serial seen before the kill: $max_seen (SOA polls $max_soa, replies $max_reply)"

# Restart on the same database and state.
e2e_daemon_start

# g: a larger serial than before the kill
new_serial=$(soa_serial)
assert_gt "g: serial after restart ($new_serial) > highest seen before the kill ($max_seen)" \
  "$new_serial" "$max_seen"

# g: every device that got a 201 is served, with the TLSA of its own key
bad=""
while read -r status id n _; do
  [[ $status == 201 ]] || continue
  want="3 1 1 $(spki_sha256 "$E2E_DIR/csr/$n/key.pem")"
  out=$(dig_at +dnssec TLSA "$id._device.$E2E_ZONE." 2>&1)
  got="$(dig_status "$out") $(tlsa_rdata "$(dig_section "$out" ANSWER)")"
  [[ $got == "NOERROR $want" ]] || bad+="$id: expected NOERROR $want, got $got"$'\n'
done <"$E2E_DIR/results"
assert_eq "g: every 201 device served with its TLSA after restart ($got201 devices)" "" "$bad"

# g: database and zone agree both ways (active devices with their current certificate's TLSA
# data == device TLSA records in an AXFR of the restarted server)
db_rows=$(sql "SELECT d.device_id, encode(c.tlsa_data, 'hex')
                 FROM devices d
                 JOIN certificates c ON c.id = (SELECT max(id) FROM certificates WHERE device = d.id)
                WHERE d.status = 'active'" | tr '|' ' ' | sort)
zone_rows=$(axfr_device_tlsa "$(axfr)")
assert_eq "g: active device rows (with TLSA data) = device TLSA records in the AXFR" "$db_rows" "$zone_rows"
rows=$(sql "SELECT count(*) FROM devices WHERE status = 'active'")
assert_ge "g: every 201 device has an active row ($rows rows)" "$rows" "$got201"
# No outbox row is left unpublished once the restarted signer is up.
assert_eq "g: no unpublished zone_changes after restart" 0 \
  "$(sql "SELECT count(*) FROM zone_changes WHERE published_serial IS NULL")"

# The restarted server still signs correctly: validate one enrolled device with delv.
first=$(awk '$1 == 201 {print $2; exit}' "$E2E_DIR/results")
write_anchors "$E2E_DIR/anchors"
assert_contains "g: a device validates with delv after restart" \
  "$(delv_at "$E2E_DIR/anchors" TLSA "$first._device.$E2E_ZONE")" "; fully validated"

# And takes new enrollments with a still larger serial.
make_csr ec "$E2E_DIR/after"
enroll "$(eid_for 9999)" "$E2E_DIR/after/csr.pem"
assert_eq "enrollment after restart: 201" 201 "$HTTP_STATUS"
assert_gt "enrollment after restart: serial grows" "$(json_get "$HTTP_BODY" zone_serial)" "$new_serial"

# f after a crash: the rewritten zone file verifies.
if wait_zone_file "$(soa_serial)"; then
  assert_cmd "zone file after restart: ldns-verify-zone" ldns-verify-zone "$E2E_ZONE_FILE"
  assert_cmd "zone file after restart: dnssec-verify" dnssec-verify -o "$E2E_ZONE." "$E2E_ZONE_FILE"
else
  fail "zone file reaches the served serial after restart" "zone file serial: $(zone_file_serial)"
fi

e2e_finish
