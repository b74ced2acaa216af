#!/usr/bin/env python3
"""Writes the seed corpus of dns_message_fuzz into corpus/dns/ (one DNS message a file, no TCP
length prefix). Run it again after changing it; the files are committed."""
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
