#!/usr/bin/env bash
# Acceptance a (issue 3): a real Knot DNS secondary follows iotregd (hidden primary) with TSIG:
# first AXFR at its start, then NOTIFY after an enrollment and a transfer; it serves the new
# device's TLSA; a real validating unbound, with the zone's KSK as trust anchor and knot as its
# stub, answers that TLSA with AD. Prints the time from the API's 201 to the first secure answer.
# Also: a world-readable TSIG secret file stops iotregd; transfers without the key are refused.
# IXFR (RFC 1995): knot follows further enrollments with incremental transfers from iotregd's
# journal (history bounded to 3 diffs here) and then serves exactly iotregd's zone; a client
# older than the journal gets a full transfer.
source "$(dirname "$0")/lib.sh"

command -v knotd >/dev/null || e2e_abort "knotd installed (Debian package knot)"
command -v unbound >/dev/null || e2e_abort "unbound installed (Debian package unbound)"

KEY=xfr.iotregistry.test.
KNOT_PORT=$(free_port)
UNBOUND_PORT=$(free_port)
while [[ $UNBOUND_PORT == "$KNOT_PORT" ]]; do UNBOUND_PORT=$(free_port); done
# shellcheck disable=SC2034  # read by e2e_setup in lib.sh
E2E_EXTRA_CONFIG="transfer_tsig = \"$KEY\"
ixfr_history = 3
notify = [\"127.0.0.1:$KNOT_PORT\"]
[[tsig]]
name = \"$KEY\"
algorithm = \"hmac-sha256\"
secret_file = \"@DIR@/xfr.tsig\""

KNOT_PID=""
UNBOUND_PID=""
stop_peers() {
  local p
  for p in $UNBOUND_PID $KNOT_PID; do
    kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  KNOT_PID="" UNBOUND_PID=""
}

# The peers stop first, their logs are shown on failure, then the lib's cleanup runs.
# shellcheck disable=SC2317  # called by the EXIT trap
secondary_cleanup() {
  local rc=$?
  stop_peers
  if ((rc != 0 || E2E_FAILED > 0)); then
    echo "----- knot log (last 40 lines)"
    tail -n 40 "$K/knot.log" 2>/dev/null
    echo "----- unbound log (last 20 lines)"
    tail -n 20 "$U/unbound.log" 2>/dev/null
  fi
  (exit "$rc")
  e2e_cleanup
}
K="" U=""
e2e_setup
trap secondary_cleanup EXIT
e2e_init
K=$E2E_DIR/knot
U=$E2E_DIR/unbound
mkdir -p "$K/run" "$K/storage" "$U"
SECRET=$(openssl rand -base64 32)
printf '%s\n' "$SECRET" >"$E2E_DIR/xfr.tsig"

# ---- a world-readable secret file stops iotregd, naming the file
chmod 0644 "$E2E_DIR/xfr.tsig"
out=$(timeout 20 "$IOTREGD" --config "$E2E_CONFIG" 2>&1)
rc=$?
assert_ne "world-readable TSIG secret: iotregd refuses to start" 0 "$rc"
assert_contains "world-readable TSIG secret: the error names the file" "$out" "$E2E_DIR/xfr.tsig"
assert_not_contains "the error does not show the secret" "$out" "$SECRET"
chmod 0600 "$E2E_DIR/xfr.tsig"
e2e_daemon_start
assert_not_contains "iotregd log does not show the secret" "$(cat "$E2E_LOG")" "$SECRET"
serial0=$(soa_serial)

# ---- transfers without the key, or with a wrong one, are refused
out=$(dig_at +tcp AXFR "$E2E_ZONE." 2>&1)
assert_not_contains "AXFR without TSIG: no zone data" "$out" "DNSKEY"
out=$(kdig @127.0.0.1 -p "$E2E_DNS_PORT" +tcp AXFR "$E2E_ZONE." 2>&1)
assert_match "AXFR without TSIG: NOTAUTH or REFUSED (kdig)" "$out" "NOTAUTH|REFUSED"
out=$(kdig @127.0.0.1 -p "$E2E_DNS_PORT" +tcp -y "hmac-sha256:$KEY:$(openssl rand -base64 32)" AXFR "$E2E_ZONE." 2>&1)
assert_match "AXFR with a wrong secret: BADSIG (kdig)" "$out" "BADSIG|NOTAUTH"
out=$(kdig @127.0.0.1 -p "$E2E_DNS_PORT" +tcp -y "hmac-sha256:$KEY:$SECRET" AXFR "$E2E_ZONE." 2>&1)
assert_eq "AXFR with the key: SOA first and last, TSIG verified by kdig" "SOA SOA" \
  "$(awk '$4 == "SOA" {n++} END {print (n >= 2 ? "SOA SOA" : n)}' <<<"$out")"
assert_eq "AXFR with the key: kdig verified the TSIG of the reply" "" \
  "$(grep -Ei 'failed|bad(sig|key|time|trunc)' <<<"$out")"

# ---- knotd as a secondary of iotregd, with TSIG and NOTIFY allowed from iotregd
cat >"$K/knot.conf" <<EOF
server:
    rundir: "$K/run"
    listen: 127.0.0.1@$KNOT_PORT
log:
  - target: stdout
    any: info
database:
    storage: "$K/storage"
key:
  - id: $KEY
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: iotreg
    address: 127.0.0.1@$E2E_DNS_PORT
    key: $KEY
acl:
  - id: notify_from_iotreg
    address: 127.0.0.1
    key: $KEY
    action: notify
  - id: transfer_out
    address: 127.0.0.1
    action: transfer
zone:
  - domain: $E2E_ZONE.
    storage: "$K/storage"
    master: iotreg
    acl: [notify_from_iotreg, transfer_out]
    zonefile-sync: -1
    zonefile-load: none
EOF
knotd -c "$K/knot.conf" >"$K/knot.log" 2>&1 &
KNOT_PID=$!
knot_dig() { dig @127.0.0.1 -p "$KNOT_PORT" +norec +nosplit +time=2 +tries=1 "$@"; }
knot_serial() { knot_dig +short SOA "$E2E_ZONE." 2>/dev/null | awk 'NF>=7 {print $3; exit}'; }
for ((i = 0; i < 200; i++)); do
  [[ $(knot_serial) == "$serial0" ]] && break
  kill -0 "$KNOT_PID" 2>/dev/null || break
  sleep 0.1
done
assert_eq "knot: first transfer brings serial $serial0" "$serial0" "$(knot_serial)"
assert_match "knot: the first transfer was an AXFR" "$(cat "$K/knot.log")" "AXFR, incoming.*finished"
# iotregd announced its start-up serial before knot listened: only a retransmission can have
# reached it (RFC 1996 §3.6).
for ((i = 0; i < 100; i++)); do
  grep -q "serial $serial0 acknowledged" "$E2E_LOG" && break
  sleep 0.1
done
assert_match "iotregd: start-up NOTIFY retransmitted until knot acknowledged it" "$(cat "$E2E_LOG")" \
  "notify 127\.0\.0\.1:$KNOT_PORT: serial $serial0 acknowledged"

# ---- unbound: validating, trust anchor = the zone's KSK, stub to knot
write_anchors "$E2E_DIR/anchors"
cp "$E2E_DIR/anchors/ksk.txt" "$U/ksk.txt"
cat >"$U/unbound.conf" <<EOF
server:
  interface: 127.0.0.1
  port: $UNBOUND_PORT
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$U"
  pidfile: "$U/unbound.pid"
  use-syslog: no
  logfile: "$U/unbound.log"
  verbosity: 1
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  module-config: "validator iterator"
  do-not-query-localhost: no
  local-zone: "test." nodefault
  trust-anchor-file: "$U/ksk.txt"
  val-log-level: 2
remote-control:
  control-enable: no
stub-zone:
  name: "$E2E_ZONE."
  stub-addr: 127.0.0.1@$KNOT_PORT
EOF
unbound -d -c "$U/unbound.conf" >>"$U/unbound.log" 2>&1 &
UNBOUND_PID=$!
ub_dig() { dig @127.0.0.1 -p "$UNBOUND_PORT" +nosplit +time=3 +tries=1 "$@"; }
for ((i = 0; i < 100; i++)); do
  out=$(ub_dig +dnssec SOA "$E2E_ZONE." 2>&1)
  [[ $(dig_status "$out") == NOERROR ]] && break
  sleep 0.1
done
assert_match "unbound: the zone's SOA validates (ad)" " $(dig_flags "$out") " ' ad '

# ---- enroll a device; knot gets NOTIFY, transfers, serves it; unbound answers it as secure
id=$(eid_for 301)
name=$id._device.$E2E_ZONE.
make_csr ec "$E2E_DIR/dev1"
hash=$(spki_sha256 "$E2E_DIR/dev1/key.pem")
knot_lines=$(wc -l <"$K/knot.log")
enroll "$id" "$E2E_DIR/dev1/csr.pem"
t201=$(date +%s%N)
assert_eq "enroll: status" 201 "$HTTP_STATUS"
serial1=$(json_get "$HTTP_BODY" zone_serial)
for ((i = 0; i < 400; i++)); do
  [[ $(knot_serial) == "$serial1" ]] && break
  sleep 0.025
done
t_knot=$(date +%s%N)
assert_eq "knot: follows to serial $serial1 after NOTIFY" "$serial1" "$(knot_serial)"
echo "# time from the API's 201 to knot serving serial $serial1: $(((t_knot - t201) / 1000000)) ms"
secure=""
for ((i = 0; i < 200; i++)); do
  out=$(ub_dig +dnssec TLSA "$name" 2>&1)
  if [[ " $(dig_flags "$out") " == *" ad "* && -n $(tlsa_rdata "$(dig_section "$out" ANSWER)") ]]; then
    secure=$(date +%s%N)
    break
  fi
  sleep 0.05
done
assert_ne "unbound: TLSA answered with AD" "" "$secure"
assert_eq "unbound: the TLSA record" "3 1 1 $hash" "$(tlsa_rdata "$(dig_section "$out" ANSWER)")"
[[ -n $secure ]] && echo "# time from the API's 201 to the first secure answer from unbound: $(((secure - t201) / 1000000)) ms"

out=$(knot_dig +dnssec TLSA "$name" 2>&1)
assert_eq "knot: serves the device TLSA" "3 1 1 $hash" "$(tlsa_rdata "$(dig_section "$out" ANSWER)")"
assert_eq "knot: with its RRSIG" 1 "$(dig_section "$out" ANSWER | awk '$4 == "RRSIG"' | wc -l)"

new_log=$(tail -n +"$((knot_lines + 1))" "$K/knot.log")
assert_match "knot: received NOTIFY from iotregd" "$new_log" "notify, incoming, remote 127\.0\.0\.1@[0-9]+.*serial $serial1"
assert_match "iotregd: NOTIFY acknowledged" "$(cat "$E2E_LOG")" "notify 127\.0\.0\.1:$KNOT_PORT: serial $serial1 acknowledged"
echo "# knot after NOTIFY: $(grep -E 'IXFR|AXFR' <<<"$new_log" | sed 's/^[^ ]* //' | tr '\n' '|')"
assert_match "knot: the transfer after the enrollment was an IXFR" "$new_log" "IXFR, incoming.*finished"
assert_not_contains "knot: ... an incremental one, not AXFR-style" "$new_log" "AXFR-style"
assert_not_contains "knot: ... and it did not fall back to AXFR" "$new_log" "AXFR, incoming"

# ---- IXFR: more enrollments, knot follows each with an incremental transfer
knot_lines=$(wc -l <"$K/knot.log")
for n in 302 303 304; do
  make_csr ec "$E2E_DIR/dev$n"
  enroll "$(eid_for "$n")" "$E2E_DIR/dev$n/csr.pem"
  assert_eq "enroll $n: status" 201 "$HTTP_STATUS"
  serial=$(json_get "$HTTP_BODY" zone_serial)
  for ((i = 0; i < 400; i++)); do
    [[ $(knot_serial) == "$serial" ]] && break
    sleep 0.025
  done
  assert_eq "knot: follows to serial $serial" "$serial" "$(knot_serial)"
done
new_log=$(tail -n +"$((knot_lines + 1))" "$K/knot.log")
echo "# knot transfers: $(grep -E 'IXFR|AXFR' <<<"$new_log" | sed 's/^[^ ]* //' | tr '\n' '|')"
assert_ge "knot: an IXFR for each of the 3 serials" "$(grep -c "IXFR, incoming.*finished" <<<"$new_log")" 3
assert_not_contains "knot: none of them AXFR-style" "$new_log" "AXFR-style"
assert_not_contains "knot: no fall back to AXFR" "$new_log" "AXFR, incoming"
# knot has exactly iotregd's zone (every record, signatures and NSEC3 included).
zone_records() {  # zone_records PORT [dig args]: the AXFR's records, sorted, without TSIG
  local port=$1
  shift
  dig @127.0.0.1 -p "$port" +tcp +nocmd +nostats +nocomments +nosplit "$@" AXFR "$E2E_ZONE." |
    awk '$0 !~ /^;/ && NF > 0 && $4 != "TSIG"' | sort
}
ours=$(zone_records "$E2E_DNS_PORT" -y "hmac-sha256:$KEY:$SECRET")
theirs=$(zone_records "$KNOT_PORT")
assert_gt "AXFR from iotregd has the zone" "$(wc -l <<<"$ours")" 30
assert_eq "knot after IXFRs: the same records as iotregd (sorted AXFRs)" "$ours" "$theirs"
out=$(knot_dig +dnssec TLSA "$(eid_for 304)._device.$E2E_ZONE." 2>&1)
assert_eq "knot: serves the newest device" "3 1 1 $(spki_sha256 "$E2E_DIR/dev304/key.pem")" \
  "$(tlsa_rdata "$(dig_section "$out" ANSWER)")"
out=$(ub_dig +dnssec TLSA "$(eid_for 304)._device.$E2E_ZONE." 2>&1)
assert_match "unbound: the newest device's TLSA validates (ad) after IXFRs" " $(dig_flags "$out") " ' ad '

# ---- IXFR served to other clients: from the journal when it holds the chain, else full
serial_now=$(soa_serial)
ixfr_soas() {  # ixfr_soas FROM_SERIAL: the SOA serials of the reply, and whether DNSKEYs came
  kdig @127.0.0.1 -p "$E2E_DNS_PORT" +tcp -y "hmac-sha256:$KEY:$SECRET" "IXFR=$1" "$E2E_ZONE." 2>&1 |
    awk '$4 == "SOA" {printf "%s ", $7} $4 == "DNSKEY" {k = 1} END {print (k ? "full" : "incremental")}'
}
assert_eq "IXFR from the previous serial: incremental" \
  "$serial_now $((serial_now - 1)) $serial_now $serial_now incremental" "$(ixfr_soas $((serial_now - 1)))"
assert_eq "IXFR from 3 serials back (the journal's oldest): incremental, 3 diffs" 8 \
  "$(ixfr_soas $((serial_now - 3)) | awk '$NF == "incremental" {print NF - 1}')"
assert_eq "IXFR from the start-up serial (older than the journal): full transfer" \
  "$serial_now $serial_now full" "$(ixfr_soas "$serial0")"
assert_eq "IXFR from the current serial: the SOA alone" "$serial_now incremental" "$(ixfr_soas "$serial_now")"
out=$(kdig @127.0.0.1 -p "$E2E_DNS_PORT" +tcp IXFR="$serial0" "$E2E_ZONE." 2>&1)
assert_match "IXFR without TSIG: NOTAUTH or REFUSED" "$out" "NOTAUTH|REFUSED"

stop_peers
e2e_finish
