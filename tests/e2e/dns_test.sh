#!/usr/bin/env bash
# Acceptance e and f (issue 2): the served zone answers with signed TLSA records that delv and
# unbound validate against the zone's own KSK, proves non-existence with NSEC3, transfers by AXFR,
# and the zone file passes ldns-verify-zone, kzonecheck and dnssec-verify after enrollments and
# after a delete. SOA serials increase with every change.
source "$(dirname "$0")/lib.sh"

e2e_start
A=$E2E_DIR/anchors
ROOT=$E2E_STATE/ca/root.pem

serial0=$(soa_serial)
assert_match "SOA served before any enrollment" "$serial0" '^[0-9]+$'

# ---- zone shape (issue item 7): NSEC3PARAM 1 0 0 -, DNSKEYs of algorithm 13, KSK and ZSK
assert_eq "NSEC3PARAM is 1 0 0 -" "1 0 0 -" "$(dig_at +short NSEC3PARAM "$E2E_ZONE." | head -n1)"
dnskeys=$(dig_at +tcp +short DNSKEY "$E2E_ZONE.")
assert_eq "DNSKEY flags/protocol/algorithm" $'256 3 13\n257 3 13' \
  "$(awk '{print $1, $2, $3}' <<<"$dnskeys" | sort)"

# ---- enroll two devices; each reply's serial is already served (published before the 201)
declare -A KEYHASH SERIAL
prev=$serial0
for n in 1 2; do
  id=$(eid_for $((200 + n)))
  IDS[$n]=$id
  make_csr ec "$E2E_DIR/dev$n"
  KEYHASH[$id]=$(spki_sha256 "$E2E_DIR/dev$n/key.pem")
  enroll "$id" "$E2E_DIR/dev$n/csr.pem"
  assert_eq "enroll device $n: status" 201 "$HTTP_STATUS"
  s=$(json_get "$HTTP_BODY" zone_serial)
  SERIAL[$id]=$s
  # serial strictly increases with each change
  assert_gt "enroll device $n: zone_serial $s > previous $prev" "$s" "$prev"
  # reply sent only after publication: the served SOA already has that serial
  assert_ge "enroll device $n: served SOA >= zone_serial right after the 201" "$(soa_serial)" "$s"
  assert_eq "enroll device $n: TLSA served right after the 201" "3 1 1 ${KEYHASH[$id]}" \
    "$(tlsa_rdata "$(dig_at +noall +answer TLSA "$id._device.$E2E_ZONE.")")"
  prev=$s
done
id1=${IDS[1]} id2=${IDS[2]}
missing=$(eid_for 299)   # a valid EID that is never enrolled

# ---- e: dig +dnssec over UDP and TCP: NOERROR, aa, the TLSA with the right data, its RRSIG
for id in "$id1" "$id2"; do
  name=$id._device.$E2E_ZONE.
  for transport in udp tcp; do
    flag=+notcp
    [[ $transport == tcp ]] && flag=+tcp
    out=$(dig_at $flag +dnssec TLSA "$name" 2>&1)
    answer=$(dig_section "$out" ANSWER)
    assert_eq "e: $transport TLSA $id: status" NOERROR "$(dig_status "$out")"
    assert_match "e: $transport TLSA $id: aa flag" " $(dig_flags "$out") " ' aa '
    assert_eq "e: $transport TLSA $id: record and data" "3 1 1 ${KEYHASH[$id]}" "$(tlsa_rdata "$answer")"
    assert_eq "e: $transport TLSA $id: one RRSIG TLSA, algorithm 13" "TLSA 13" \
      "$(awk '$4 == "RRSIG" {print $5, $6}' <<<"$answer")"
  done
done

# ---- e: delv, with the KSK as the only trust anchor, validates the answers
write_anchors "$A"
assert_eq "e: one KSK served" 1 "$(wc -l <"$A/ksk.txt")"
for id in "$id1" "$id2"; do
  out=$(delv_at "$A" TLSA "$id._device.$E2E_ZONE")
  assert_contains "e: delv TLSA $id: fully validated" "$out" "; fully validated"
  assert_contains "e: delv TLSA $id: the record" "$(tr 'A-F' 'a-f' <<<"$out" | tr -d ' ')" "${KEYHASH[$id]}"
done

# ---- e: a valid EID that is not enrolled: NXDOMAIN with NSEC3, validated as non-existence
out=$(dig_at +dnssec TLSA "$missing._device.$E2E_ZONE." 2>&1)
auth=$(dig_section "$out" AUTHORITY)
assert_eq "e: not enrolled: NXDOMAIN" NXDOMAIN "$(dig_status "$out")"
assert_match "e: not enrolled: aa flag" " $(dig_flags "$out") " ' aa '
# (one NSEC3 may both match the closest encloser and, wrapping around the chain, cover the next
# closer name and the wildcard: so at least one; delv below judges whether the proof is complete)
n3=$(awk '$4 == "NSEC3"' <<<"$auth" | wc -l)
assert_ge "e: not enrolled: NSEC3 records in authority ($n3)" "$n3" 1
assert_eq "e: not enrolled: one RRSIG per NSEC3" "$n3" "$(awk '$4 == "RRSIG" && $5 == "NSEC3"' <<<"$auth" | wc -l)"
assert_eq "e: not enrolled: SOA in authority" 1 "$(awk '$4 == "SOA"' <<<"$auth" | wc -l)"
assert_eq "e: not enrolled: NSEC3 parameters 1 0 0 -" "1 0 -" \
  "$(awk '$4 == "NSEC3" {print $5, $7, $8}' <<<"$auth" | sort -u)"
out=$(delv_at "$A" TLSA "$missing._device.$E2E_ZONE")
assert_contains "e: delv not enrolled: negative response, fully validated" "$out" \
  "; negative response, fully validated"

# ---- e: unbound (libunbound via unbound-host) validates the TLSA as secure
for id in "$id1" "$id2"; do
  out=$(timeout 30 unbound-host -C "$A/unbound.conf" -v -t TLSA "$id._device.$E2E_ZONE" 2>&1)
  assert_contains "e: unbound-host TLSA $id: (secure)" "$out" "(secure)"
  assert_contains "e: unbound-host TLSA $id: the record" "$(tr 'A-F' 'a-f' <<<"$out" | tr -d ' ')" "${KEYHASH[$id]}"
done

# ---- e: AXFR over TCP: starts and ends with the SOA, holds both device TLSA records
zone=$(axfr)
assert_eq "e: AXFR first record is SOA" SOA "$(awk 'NR==1 {print $4}' <<<"$zone")"
assert_eq "e: AXFR last record is SOA" SOA "$(awk 'END {print $4}' <<<"$zone")"
assert_eq "e: AXFR device TLSA records" \
  "$(printf '%s %s\n' "$id1" "${KEYHASH[$id1]}" "$id2" "${KEYHASH[$id2]}" | sort)" \
  "$(axfr_device_tlsa "$zone")"

# ---- issue item 7: _rootcert.device.<zone> TLSA 0 0 0 <root CA DER>
rootder=$(openssl x509 -in "$ROOT" -outform DER | xxd -p | tr -d '\n')
out=$(dig_at +dnssec TLSA "_rootcert.device.$E2E_ZONE." 2>&1)
assert_eq "_rootcert TLSA 0 0 0 = root.pem DER" "0 0 0 $rootder" "$(tlsa_rdata "$(dig_section "$out" ANSWER)")"
assert_contains "_rootcert TLSA delv fully validated" \
  "$(delv_at "$A" TLSA "_rootcert.device.$E2E_ZONE")" "; fully validated"

# ---- iotregctl zone ds matches the DS computed by BIND and ldns from the served KSK
ds_norm() {  # owner tag alg digesttype digest(lower-case), one a line
  awk '{for (i=1;i<=NF;i++) if ($i=="DS") {d=""; for (j=i+4;j<=NF;j++) d=d $j;
        o=$1; sub(/\.$/, "", o); print tolower(o), $(i+1), $(i+2), $(i+3), tolower(d)}}'
}
ours=$(ctl zone ds | ds_norm)
bind=$(dig_at +tcp +noall +answer DNSKEY "$E2E_ZONE." | dnssec-dsfromkey -2 -f - "$E2E_ZONE" 2>&1 | ds_norm)
assert_match "iotregctl zone ds prints a SHA-256 DS" "$ours" "^$E2E_ZONE [0-9]+ 13 2 [0-9a-f]{64}\$"
assert_eq "iotregctl zone ds = dnssec-dsfromkey -2 (KSK)" "$bind" "$ours"
(cd "$A" && awk '$5==257' ksk.txt >ksk.key && ldns-key2ds -n -2 ksk.key >ds.ldns 2>&1)
assert_eq "iotregctl zone ds = ldns-key2ds -2" "$(ds_norm <"$A/ds.ldns")" "$ours"

# ---- f: the zone file, once it holds the latest serial, passes three independent verifiers
verify_zone_file() {  # verify_zone_file WHEN SERIAL
  local when=$1 s=$2
  if ! wait_zone_file "$s"; then
    fail "f ($when): zone file reaches serial $s within 10 s" "zone file serial: $(zone_file_serial)"
    return
  fi
  pass "f ($when): zone file holds serial >= $s"
  assert_cmd "f ($when): ldns-verify-zone" ldns-verify-zone "$E2E_ZONE_FILE"
  assert_cmd "f ($when): kzonecheck" kzonecheck -o "$E2E_ZONE." -d on "$E2E_ZONE_FILE"
  assert_cmd "f ($when): dnssec-verify" dnssec-verify -o "$E2E_ZONE." "$E2E_ZONE_FILE"
  # the file holds the same device records as the served zone
  assert_eq "f ($when): zone file device TLSA = AXFR device TLSA" \
    "$(axfr_device_tlsa "$(axfr)")" \
    "$(axfr_device_tlsa "$(ldns-read-zone "$E2E_ZONE_FILE" 2>&1)")"
}
verify_zone_file "after enrollments" "${SERIAL[$id2]}"

# ---- delete one device: 200, revoked, larger serial; the name is gone, provably
before_delete=$(soa_serial)
http_req DELETE "/api/v1/devices/$id1"
assert_eq "DELETE: status" 200 "$HTTP_STATUS"
assert_eq "DELETE: device status" revoked "$(json_get "$HTTP_BODY" status)"
assert_eq "DELETE: device_id" "$id1" "$(json_get "$HTTP_BODY" device_id)"
sdel=$(json_get "$HTTP_BODY" zone_serial)
assert_gt "DELETE: zone_serial $sdel > serial before $before_delete" "$sdel" "$before_delete"
assert_ge "DELETE: served SOA >= zone_serial right after the 200" "$(soa_serial)" "$sdel"

out=$(dig_at +dnssec TLSA "$id1._device.$E2E_ZONE." 2>&1)
assert_eq "e: deleted device: NXDOMAIN" NXDOMAIN "$(dig_status "$out")"
assert_ge "e: deleted device: NSEC3 in authority" \
  "$(dig_section "$out" AUTHORITY | awk '$4 == "NSEC3"' | wc -l)" 1
assert_contains "e: deleted device: delv negative response, fully validated" \
  "$(delv_at "$A" TLSA "$id1._device.$E2E_ZONE")" "; negative response, fully validated"
out=$(dig_at +dnssec TLSA "$id2._device.$E2E_ZONE." 2>&1)
assert_eq "e: other device still served after the delete" "3 1 1 ${KEYHASH[$id2]}" \
  "$(tlsa_rdata "$(dig_section "$out" ANSWER)")"
assert_contains "e: other device still validates" \
  "$(delv_at "$A" TLSA "$id2._device.$E2E_ZONE")" "; fully validated"
assert_eq "AXFR after delete: only the remaining device" "$id2 ${KEYHASH[$id2]}" \
  "$(axfr_device_tlsa "$(axfr)")"

http_req GET "/api/v1/devices/$id1"
assert_eq "GET deleted device: status field revoked" revoked "$(json_get "$HTTP_BODY" status)"

verify_zone_file "after delete" "$sdel"

e2e_finish
