#!/usr/bin/env bash
# Issue 3 item 5, key policy: iotregd rolls the zone's keys with the timing of RFC 7583, driven by
# `iotregctl dnssec rollover zsk|ksk` and `dnssec ds-seen`. Tiny timings (seconds) in [dnssec];
# the zone is checked by AXFR + ldns-verify-zone and by delv at the intermediate states.
# The old ZSK leaves Iret = TTLsig + Dprp + retire safety (11 s here) after its retirement.
source "$(dirname "$0")/lib.sh"

E2E_EXTRA_CONFIG='ttl = 2
tlsa_ttl = 1
[dnssec]
propagation_delay_seconds = 1
publish_safety_seconds = 5
retire_safety_seconds = 8
parent_ds_ttl_seconds = 1
parent_propagation_delay_seconds = 1
policy_interval_seconds = 1'
e2e_start

# key_state TAG: the STATE column of `dnssec status` for that key.
key_state() { ctl dnssec status | awk -v t="$1" '$1 == t {print $4}'; }
# role_tags ROLE: key tags of that role in the database, oldest first.
role_tags() { sql "SELECT key_tag FROM dnssec_keys WHERE role = '$1' ORDER BY id" | tr '\n' ' '; }
# wait_state WHAT TAG STATE [SECONDS]: until `dnssec status` shows STATE for TAG (default 30 s).
wait_state() {
  local i limit=$((${4:-30} * 5))
  for ((i = 0; i < limit; i++)); do
    [[ $(key_state "$2") == "$3" ]] && { pass "$1"; return 0; }
    sleep 0.2
  done
  fail "$1" "key $2 is '$(key_state "$2")', not '$3'" "$(ctl dnssec status)"
}
# served_tags FLAGS TYPE: key tags of the served DNSKEYs with those flags (256, 257), sorted.
served_tags() {
  dig_at +tcp +noall +answer DNSKEY "$E2E_ZONE." | awk -v f="$1" '$4 == "DNSKEY" && $5 == f' \
    >"$E2E_DIR/dnskey.rr"
  [[ -s $E2E_DIR/dnskey.rr ]] || return 0
  ldns-key2ds -n -f -2 "$E2E_DIR/dnskey.rr" 2>/dev/null | awk '{print $5}' | sort -n | tr '\n' ' '
}
sorted() { printf '%s\n' "$@" | sort -n | tr '\n' ' '; }
# verify WHEN ANCHORS: the transferred zone passes ldns-verify-zone; delv validates the SOA and
# the DNSKEY RRset with the KSK(s) of ANCHORS as trust anchor.
verify() {
  axfr | awk '!seen[$0]++' >"$E2E_DIR/axfr.zone"
  assert_cmd "$1: AXFR passes ldns-verify-zone" ldns-verify-zone "$E2E_DIR/axfr.zone"
  assert_contains "$1: delv validates the SOA" "$(delv_at "$2" SOA "$E2E_ZONE")" "; fully validated"
  assert_contains "$1: delv validates the DNSKEY RRset" "$(delv_at "$2" DNSKEY "$E2E_ZONE")" "; fully validated"
}

A0=$E2E_DIR/anchors0
write_anchors "$A0"
ksk0=$(role_tags ksk | tr -d ' ')
zsk0=$(role_tags zsk | tr -d ' ')
verify "start" "$A0"

# ---- ZSK rollover by pre-publication
serial_before=$(soa_serial)
ctl dnssec rollover zsk >/dev/null
assert_eq "rollover zsk exits 0" 0 $?
for ((i = 0; i < 50; i++)); do
  [[ $(role_tags zsk) == "$zsk0 "* && $(role_tags zsk | wc -w) == 2 ]] && break
  sleep 0.2
done
read -r _ zsk1 <<<"$(role_tags zsk)"
assert_match "iotregd generated a successor ZSK" "${zsk1:-}" '^[0-9]+$'
assert_eq "the request was cleared" 0 "$(sql "SELECT count(*) FROM dnssec_keys WHERE rollover_requested IS NOT NULL")"
wait_state "the successor ZSK is published" "$zsk1" published 10
assert_eq "pre-publication: both ZSKs in the DNSKEY RRset" "$(sorted "$zsk0" "$zsk1")" "$(served_tags 256)"
assert_gt "a key change is a new serial" "$(soa_serial)" "$serial_before"
axfr >"$E2E_DIR/axfr-pre.zone"
assert_eq "pre-publication: the old ZSK still signs everything but the DNSKEY RRset" "$zsk0" \
  "$(awk '$4 == "RRSIG" && $5 != "DNSKEY" && $5 != "CDS" && $5 != "CDNSKEY" {print $11}' "$E2E_DIR/axfr-pre.zone" | sort -u)"
verify "ZSK pre-published" "$A0"
assert_eq "the checks above ran before the switch (Ipub is 8 s)" published "$(key_state "$zsk1")"

wait_state "the successor ZSK becomes active" "$zsk1" active 30
assert_eq "the old ZSK is retired at that moment" retired "$(key_state "$zsk0")"
assert_eq "after the switch: the old ZSK stays in the DNSKEY RRset" "$(sorted "$zsk0" "$zsk1")" "$(served_tags 256)"
axfr >"$E2E_DIR/axfr-zsk.zone"
assert_eq "every RRSIG but those of the DNSKEY RRset is by the new ZSK" "$zsk1" \
  "$(awk '$4 == "RRSIG" && $5 != "DNSKEY" && $5 != "CDS" && $5 != "CDNSKEY" {print $11}' "$E2E_DIR/axfr-zsk.zone" | sort -u)"
verify "ZSK switched" "$A0"
wait_state "the old ZSK is removed after Iret" "$zsk0" removed 40
assert_eq "after removal: only the new ZSK in the DNSKEY RRset" "$(sorted "$zsk1")" "$(served_tags 256)"
verify "old ZSK removed" "$A0"
assert_contains "iotregd logs the key change" "$(cat "$E2E_LOG")" "key set changed"

# ---- KSK rollover: double-KSK, CDS/CDNSKEY, ds-seen
ctl dnssec rollover ksk >/dev/null
assert_eq "rollover ksk exits 0" 0 $?
for ((i = 0; i < 50; i++)); do
  [[ $(role_tags ksk | wc -w) == 2 ]] && break
  sleep 0.2
done
read -r _ ksk1 <<<"$(role_tags ksk)"
assert_match "iotregd generated a successor KSK" "${ksk1:-}" '^[0-9]+$'
wait_state "the successor KSK is ready" "$ksk1" ready 30
assert_eq "both KSKs in the DNSKEY RRset" "$(sorted "$ksk0" "$ksk1")" "$(served_tags 257)"
cds=$(dig_at +tcp +noall +answer CDS "$E2E_ZONE." | awk '$4 == "CDS" {print $5}' | sort -n | tr '\n' ' ')
assert_eq "CDS lists both KSKs" "$(sorted "$ksk0" "$ksk1")" "$cds"
assert_eq "CDNSKEY lists both KSKs" 2 "$(dig_at +tcp +noall +answer CDNSKEY "$E2E_ZONE." | awk '$4 == "CDNSKEY"' | wc -l)"
verify "KSK pre-published, old anchor" "$A0"
sleep 3
assert_eq "without ds-seen the old KSK is not retired" active "$(key_state "$ksk0")"
assert_eq "without ds-seen the new KSK does not take over" ready "$(key_state "$ksk1")"

ctl dnssec ds-seen "$ksk1" >/dev/null
assert_eq "ds-seen exits 0" 0 $?
wait_state "the new KSK becomes active after ds-seen" "$ksk1" active 30
wait_state "the old KSK is removed" "$ksk0" removed 30
assert_eq "only the new KSK in the DNSKEY RRset" "$ksk1 " "$(served_tags 257)"
assert_eq "CDS lists the new KSK only" "$ksk1" \
  "$(dig_at +tcp +noall +answer CDS "$E2E_ZONE." | awk '$4 == "CDS" {print $5}' | sort -u)"
A1=$E2E_DIR/anchors1
write_anchors "$A1"
verify "KSK rolled, new anchor" "$A1"
assert_ne "the old KSK is no longer an anchor that validates" "; fully validated" \
  "$(delv_at "$A0" SOA "$E2E_ZONE" | grep -o '; fully validated')"

# ---- a restart keeps the rolled keys
e2e_stop
e2e_daemon_start
assert_eq "after a restart: the new ZSK only (the old one was removed)" "$(sorted "$zsk1")" "$(served_tags 256)"
assert_eq "after a restart: the new KSK" "$ksk1 " "$(served_tags 257)"
verify "after a restart" "$A1"

e2e_finish
