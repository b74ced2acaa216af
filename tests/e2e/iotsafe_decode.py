#!/usr/bin/env python3
"""An independent decoder of iotreg's IoT SAFE payload (README "IoT SAFE payload", version 1),
standard library only: reads the DER, writes each certificate as DER into OUTDIR and prints the
other fields as JSON (RDATA as lower-case hex). Exits 1 on malformed input.

usage: iotsafe_decode.py PAYLOAD.der OUTDIR
"""
import json
import os
import sys


def tlv(buf, pos):
    """(tag, content_start, end) of the element at pos; strict DER lengths."""
    if pos + 2 > len(buf):
        raise ValueError("truncated header")
    tag, first = buf[pos], buf[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if n == 0 or n > 4 or pos + n > len(buf) or buf[pos] == 0:
            raise ValueError("bad length")
        length = int.from_bytes(buf[pos:pos + n], "big")
        if length < 0x80:
            raise ValueError("non-minimal length")
        pos += n
    if pos + length > len(buf):
        raise ValueError("length past the end")
    return tag, pos, pos + length


def children(buf, start, end):
    out, pos = [], start
    while pos < end:
        tag, cs, ce = tlv(buf, pos)
        if ce > end:
            raise ValueError("child past its parent")
        out.append((tag, pos, cs, ce))
        pos = ce
    return out


def expect(item, tag):
    if item[0] != tag:
        raise ValueError("tag %#x where %#x expected" % (item[0], tag))
    return item


def records(buf, item):
    expect(item, 0x30)
    out = []
    for rec in children(buf, item[2], item[3]):
        f = children(buf, expect(rec, 0x30)[2], rec[3])
        rrtype = int.from_bytes(buf[expect(f[0], 0x02)[2]:f[0][3]], "big")
        out.append({"type": {43: "DS", 48: "DNSKEY", 52: "TLSA"}.get(rrtype, str(rrtype)),
                    "rdata": buf[expect(f[1], 0x04)[2]:f[1][3]].hex()})
    return out


def main():
    buf = open(sys.argv[1], "rb").read()
    outdir = sys.argv[2]
    tag, cs, ce = tlv(buf, 0)
    if tag != 0x30 or ce != len(buf):
        raise ValueError("not one SEQUENCE")
    f = children(buf, cs, ce)
    text = lambda it, t=0x16: buf[expect(it, t)[2]:it[3]].decode("ascii")
    res = {"format_version": int.from_bytes(buf[expect(f[0], 0x02)[2]:f[0][3]], "big"),
           "device_id": text(f[1]), "dns_name": text(f[2])}
    i = 3

    def cert(name, item):
        expect(item, 0x30)
        with open(os.path.join(outdir, name + ".der"), "wb") as fh:
            fh.write(buf[item[1]:item[3]])  # the certificate's complete TLV

    cert("device", f[i]); i += 1
    cert("issuing", f[i]); i += 1
    res["issuing_ca_is_root"] = True
    if f[i][0] == 0xA0:
        inner = children(buf, f[i][2], f[i][3])
        cert("root", inner[0])
        res["issuing_ca_is_root"] = False
        i += 1
    anchor = children(buf, expect(f[i], 0x30)[2], f[i][3]); i += 1
    res["trust_anchor"] = {"zone": text(anchor[0]), "ds": records(buf, anchor[1]),
                           "dnskey": records(buf, anchor[2])}
    res["device_tlsa"] = records(buf, f[i]); i += 1
    if i < len(f) and f[i][0] == 0xA1:
        ep = children(buf, f[i][2], f[i][3])
        e = children(buf, expect(ep[0], 0x30)[2], ep[0][3])
        res["service_endpoint"] = {"host": text(e[0]),
                                   "port": int.from_bytes(buf[expect(e[1], 0x02)[2]:e[1][3]], "big"),
                                   "tlsa_name": text(e[2]), "tlsa": records(buf, e[3])}
        i += 1
    if i != len(f):
        raise ValueError("unexpected trailing element")
    print(json.dumps(res, sort_keys=True))


if __name__ == "__main__":
    try:
        main()
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        print("malformed payload: %s" % e, file=sys.stderr)
        sys.exit(1)
