#!/usr/bin/env bash
# Issue 3 item 6: with [zone] denial = "nsec" the daemon serves an NSEC zone (no NSEC3PARAM, no
# NSEC3) whose negative answers delv validates against the zone's own KSK: NXDOMAIN for a device
# never enrolled or deleted, NODATA for a missing type and for the empty non-terminal _device;
# the zone file passes ldns-verify-zone, kzonecheck and dnssec-verify.
E2E_EXTRA_CONFIG='denial = "nsec"'
source "$(dirname "$0")/lib.sh"

e2e_start
A=$E2E_DIR/anchors

assert_eq "no NSEC3PARAM in NSEC mode" "" "$(dig_at +short NSEC3PARAM "$E2E_ZONE.")"

id1=$(eid_for 401)
id2=$(eid_for 402)
missing=$(eid_for 499)
for id in "$id1" "$id2"; do
  make_csr ec "$E2E_DIR/$id"
  enroll "$id" "$E2E_DIR/$id/csr.pem"
  assert_eq "enroll $id: status" 201 "$HTTP_STATUS"
done
s_enrolled=$(json_get "$HTTP_BODY" zone_serial)
write_anchors "$A"

assert_contains "delv TLSA $id1: fully validated" "$(delv_at "$A" TLSA "$id1._device.$E2E_ZONE")" \
  "; fully validated"

# ---- NXDOMAIN: the NSEC covering the name (and the wildcard), signed
out=$(dig_at +dnssec TLSA "$missing._device.$E2E_ZONE." 2>&1)
auth=$(dig_section "$out" AUTHORITY)
assert_eq "not enrolled: NXDOMAIN" NXDOMAIN "$(dig_status "$out")"
n=$(awk '$4 == "NSEC"' <<<"$auth" | wc -l)
assert_ge "not enrolled: NSEC records in authority ($n)" "$n" 1
assert_eq "not enrolled: one RRSIG per NSEC" "$n" "$(awk '$4 == "RRSIG" && $5 == "NSEC"' <<<"$auth" | wc -l)"
assert_eq "not enrolled: no NSEC3" 0 "$(awk '$4 == "NSEC3"' <<<"$auth" | wc -l)"
assert_contains "delv not enrolled: negative response, fully validated" \
  "$(delv_at "$A" TLSA "$missing._device.$E2E_ZONE")" "; negative response, fully validated"

# ---- NODATA: a type the device lacks, and the empty non-terminal _device
out=$(dig_at +dnssec TXT "$id1._device.$E2E_ZONE." 2>&1)
assert_eq "NODATA: NOERROR" NOERROR "$(dig_status "$out")"
assert_eq "NODATA: the owner's NSEC" 1 "$(dig_section "$out" AUTHORITY | awk '$4 == "NSEC"' | wc -l)"
assert_contains "delv NODATA TXT: negative response, fully validated" \
  "$(delv_at "$A" TXT "$id1._device.$E2E_ZONE")" "; negative response, fully validated"
assert_contains "delv NODATA at the empty non-terminal _device: negative response, fully validated" \
  "$(delv_at "$A" TLSA "_device.$E2E_ZONE")" "; negative response, fully validated"
assert_contains "delv NODATA AAAA at the apex: negative response, fully validated" \
  "$(delv_at "$A" AAAA "$E2E_ZONE")" "; negative response, fully validated"
out=$(timeout 30 unbound-host -C "$A/unbound.conf" -v -t TLSA "$missing._device.$E2E_ZONE" 2>&1)
assert_contains "unbound-host not enrolled: (secure)" "$out" "(secure)"

verify_file() {  # verify_file WHEN SERIAL
  if ! wait_zone_file "$2"; then
    fail "$1: zone file reaches serial $2 within 10 s" "zone file serial: $(zone_file_serial)"
    return
  fi
  assert_cmd "$1: ldns-verify-zone" ldns-verify-zone "$E2E_ZONE_FILE"
  assert_cmd "$1: kzonecheck" kzonecheck -o "$E2E_ZONE." -d on "$E2E_ZONE_FILE"
  assert_cmd "$1: dnssec-verify" dnssec-verify -o "$E2E_ZONE." "$E2E_ZONE_FILE"
  assert_eq "$1: no NSEC3 in the file" 0 "$(grep -c 'NSEC3' "$E2E_ZONE_FILE")"
}
verify_file "after enrollments" "$s_enrolled"

# ---- delete a device: the chain closes over it, and the name is provably gone
http_req DELETE "/api/v1/devices/$id1"
assert_eq "DELETE: status" 200 "$HTTP_STATUS"
sdel=$(json_get "$HTTP_BODY" zone_serial)
assert_contains "deleted device: delv negative response, fully validated" \
  "$(delv_at "$A" TLSA "$id1._device.$E2E_ZONE")" "; negative response, fully validated"
assert_contains "other device still validates" \
  "$(delv_at "$A" TLSA "$id2._device.$E2E_ZONE")" "; fully validated"
verify_file "after delete" "$sdel"

e2e_finish
