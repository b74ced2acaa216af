#!/usr/bin/env python3
"""Writes the seed corpus of dns_message_fuzz into corpus/dns/ (one DNS message a file, no TCP
length prefix). Run it again after changing it; the files are committed."""
import base64
import hashlib
import hmac
import os
import struct

ZONE = "iotregistry.test."
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "dns")

A, NS, SOA, ANY, AXFR, IXFR, TLSA, DNSKEY, NSEC3, NSEC3PARAM, RRSIG, OPT = (
    1, 2, 6, 255, 252, 251, 52, 48, 50, 51, 46, 41)


def name(n):
    out = b""
    for label in n.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def opt(size=1232, do=False, version=0, options=b""):
    ttl = (version << 16) | (0x8000 if do else 0)
    return b"\0" + struct.pack(">HHIH", OPT, size, ttl, len(options)) + options


def msg(qname, qtype, qclass=1, ident=0x1234, flags=0x0000, edns=None, extra_an=b"", ancount=0):
    ar = 1 if edns is not None else 0
    head = struct.pack(">HHHHHH", ident, flags, 1, ancount, 0, ar)
    return head + name(qname) + struct.pack(">HH", qtype, qclass) + extra_an + (edns or b"")


# TSIG (RFC 8945, hmac-sha256): the key and time dns_message_fuzz.cpp answers with.
TSIG, ANY_CLASS = 250, 255
TSIG_KEY = "xfr.iotregistry.test."
TSIG_SECRET = base64.b64decode("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=")
TSIG_NOW = 1700000000
HMAC_SHA256 = "hmac-sha256."


def tsig_sign(m):
    """m with a TSIG record appended (ARCOUNT + 1), MAC over m and the TSIG variables (§4.3)."""
    ident = struct.unpack(">H", m[:2])[0]
    time48 = struct.pack(">HI", TSIG_NOW >> 32, TSIG_NOW & 0xffffffff)
    variables = (name(TSIG_KEY) + struct.pack(">HI", ANY_CLASS, 0) + name(HMAC_SHA256) + time48 +
                 struct.pack(">HHH", 300, 0, 0))
    mac = hmac.new(TSIG_SECRET, m + variables, hashlib.sha256).digest()
    rdata = (name(HMAC_SHA256) + time48 + struct.pack(">HH", 300, len(mac)) + mac +
             struct.pack(">HHH", ident, 0, 0))
    rr = name(TSIG_KEY) + struct.pack(">HHIH", TSIG, ANY_CLASS, 0, len(rdata)) + rdata
    arcount = struct.unpack(">H", m[10:12])[0]
    return m[:10] + struct.pack(">H", arcount + 1) + m[12:] + rr


def ixfr(serial, qname=ZONE, edns=None):
    """An IXFR query with the client's SOA (that serial) in the authority section (RFC 1995 §3)."""
    soa = name("ns1." + ZONE) + name("hostmaster." + ZONE) + struct.pack(">IIIII", serial, 3600, 600,
                                                                        86400, 300)
    auth = name(ZONE) + struct.pack(">HHIH", SOA, 1, 3600, len(soa)) + soa
    head = struct.pack(">HHHHHH", 0x4321, 0, 1, 0, 1, 1 if edns is not None else 0)
    return head + name(qname) + struct.pack(">HH", IXFR, 1) + auth + (edns or b"")


dev = "dev-1._device." + ZONE
seeds = {
    "tlsa_do": msg(dev, TLSA, edns=opt(do=True)),
    "tlsa_no_edns": msg(dev, TLSA),
    "nxdomain_do": msg("nope._device." + ZONE, TLSA, edns=opt(do=True)),
    "nodata_do": msg(dev, A, edns=opt(do=True)),
    "soa": msg(ZONE, SOA, flags=0x0100),
    "dnskey_do_512": msg(ZONE, DNSKEY, edns=opt(size=512, do=True)),
    "any_do": msg(ZONE, ANY, edns=opt(size=4096, do=True)),
    "nsec3param": msg(ZONE, NSEC3PARAM, edns=opt()),
    "rrsig": msg(ZONE, RRSIG, edns=opt(do=True)),
    "axfr": msg(ZONE, AXFR),
    "axfr_edns": msg(ZONE, AXFR, edns=opt(do=True)),
    "ixfr": msg(ZONE, IXFR),
    # The fuzz target's journal holds 2024010101 -> ...02 -> ...03 (the zone's serial).
    "ixfr_soa_oldest": ixfr(2024010101),  # the whole journal: two diffs
    "ixfr_soa_middle": ixfr(2024010102, edns=opt()),  # the last diff
    "ixfr_soa_current": ixfr(2024010103),  # up to date: the SOA alone
    "ixfr_soa_newer": ixfr(2024010200),  # newer than ours: the SOA alone
    "ixfr_soa_too_old": ixfr(2024010001),  # before the journal: a full transfer
    "ixfr_soa_not_apex": ixfr(2024010101, qname="dev-1._device." + ZONE),
    "ixfr_tsig_oldest": tsig_sign(ixfr(2024010101)),
    "ixfr_tsig_too_old": tsig_sign(ixfr(2024010001)),
    "axfr_tsig": tsig_sign(msg(ZONE, AXFR)),
    # a signed message with an opcode we do not implement: the TSIG is checked first (a NOTAUTH
    # for a mangled one is right, RFC 8945 §5.2), NOTIMP once it verifies
    "opcode9_tsig": tsig_sign(msg(ZONE, SOA, flags=9 << 11)),
    "outside_zone": msg("example.com.", A),
    "edns_v1": msg(ZONE, SOA, edns=opt(version=1)),
    "edns_cookie": msg(ZONE, SOA, edns=opt(options=struct.pack(">HH", 10, 8) + b"\x01" * 8)),
    "notify_opcode": msg(ZONE, SOA, flags=4 << 11),
    "class_ch": msg(ZONE, SOA, qclass=3),
    # question name behind a compression pointer into itself (a loop): FORMERR
    "compression_loop": struct.pack(">HHHHHH", 7, 0, 1, 0, 0, 0) + b"\xc0\x0c" + struct.pack(">HH", A, 1),
    # a second record whose owner points back at the question name
    "compressed_owner": msg(dev, TLSA, ancount=1,
                            extra_an=b"\xc0\x0c" + struct.pack(">HHIH", TLSA, 1, 60, 3) + b"\x03\x01\x01"),
}

os.makedirs(OUT, exist_ok=True)
for k, v in seeds.items():
    with open(os.path.join(OUT, k), "wb") as f:
        f.write(v)
print(f"wrote {len(seeds)} seeds to {OUT}")
