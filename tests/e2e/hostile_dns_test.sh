#!/usr/bin/env bash
# Acceptance f (issue 3): hostile DNS input over the wire. Truncated messages, bad label lengths,
# compression loops, a 64 KiB TCP message, a TCP length prefix longer than what follows, unknown
# opcodes, QR=1 messages, random bytes, and AXFR/IXFR from a host not in transfer_allow get
# FORMERR, NOTIMP or REFUSED or are dropped; iotregd keeps answering over UDP and TCP, and its
# log has no sanitizer report (the e2e build may be an IOTREG_SANITIZE one).
source "$(dirname "$0")/lib.sh"

e2e_setup
# Only 127.0.0.2 may transfer: the test's client (127.0.0.1) may not. [zone] is the config's last table.
echo 'transfer_allow = ["127.0.0.2"]' >>"$E2E_CONFIG"
e2e_init
e2e_daemon_start

serial0=$(soa_serial)
assert_match "SOA served before the hostile input" "$serial0" '^[0-9]+$'

# The client prints one "CHECK<TAB>what<TAB>expected<TAB>actual" line per check, and "NOTE ..." lines.
HOSTILE=$E2E_DIR/hostile.out
"$PYTHON" - "$E2E_DNS_PORT" "$E2E_ZONE." >"$HOSTILE" 2>&1 <<'PY'
import random, socket, struct, sys, time

PORT = int(sys.argv[1])
ZONE = sys.argv[2]
HOST = "127.0.0.1"
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def check(what, expected, actual):
    print(f"CHECK\t{what}\t{expected}\t{actual}", flush=True)


def name(n):
    out = b""
    for label in n.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(ident=0x4242, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)


def query(qname=ZONE, qtype=6, ident=0x4242, flags=0, edns=False):
    m = header(ident, flags, 1, 0, 0, 1 if edns else 0) + name(qname) + struct.pack(">HH", qtype, 1)
    if edns:
        m += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    return m


def udp(msg, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, (HOST, PORT))
        return s.recvfrom(65535)[0]
    except socket.timeout:
        return None
    finally:
        s.close()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_read(s):
    """One framed message; None on close, "timeout" if nothing came."""
    try:
        ln = recv_exact(s, 2)
        if ln is None:
            return None
        return recv_exact(s, struct.unpack(">H", ln)[0])
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return None


def tcp_conn(timeout=3.0):
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    s.settimeout(timeout)
    return s


def tcp(msg, timeout=3.0):
    s = tcp_conn(timeout)
    try:
        s.sendall(struct.pack(">H", len(msg)) + msg)
        return tcp_read(s)
    finally:
        s.close()


def outcome(reply, ident=0x4242):
    if reply is None:
        return "closed"
    if reply == "timeout":
        return "no answer"
    if len(reply) < 12:
        return f"short reply ({len(reply)} octets)"
    rid, flags = struct.unpack(">HH", reply[:4])
    if rid != ident:
        return f"wrong id {rid:#x}"
    if not flags & 0x8000:
        return "reply without QR"
    return RCODES.get(flags & 0xF, f"rcode {flags & 0xF}")


def udp_outcome(msg, ident=0x4242):
    r = udp(msg)
    return "dropped" if r is None else outcome(r, ident)


# ---- truncated messages
check("udp: 5-octet message dropped", "dropped", udp_outcome(b"\x42\x42\x01\x00\x00"))
check("udp: header only, QDCOUNT=1", "FORMERR", udp_outcome(header()))
full = query()
check("udp: question cut inside a label", "FORMERR", udp_outcome(full[:17]))
check("udp: question without QTYPE/QCLASS", "FORMERR", udp_outcome(full[:-4]))
check("udp: question cut inside QCLASS", "FORMERR", udp_outcome(full[:-1]))
check("udp: ARCOUNT=1 and no record", "FORMERR", udp_outcome(header(ar=1) + full[12:]))
e = query(edns=True)
check("udp: OPT record cut short", "FORMERR", udp_outcome(e[:-3]))
check("tcp: question cut inside a label", "FORMERR", outcome(tcp(full[:17])))

# ---- bad label lengths
q = struct.pack(">HH", 6, 1)
check("udp: label type 0x40", "FORMERR", udp_outcome(header() + b"\x41" + b"a" * 1 + b"\0" + q))
check("udp: label type 0x80", "FORMERR", udp_outcome(header() + b"\x81a\0" + q))
check("udp: label length beyond the message", "FORMERR", udp_outcome(header() + b"\x3fabcde"))
check("udp: name longer than 255 octets", "FORMERR",
      udp_outcome(header() + (b"\x3f" + b"a" * 63) * 5 + b"\0" + q))
check("tcp: name longer than 255 octets", "FORMERR",
      outcome(tcp(header() + (b"\x3f" + b"a" * 63) * 5 + b"\0" + q)))

# ---- compression loops and bad pointers
check("udp: pointer to itself", "FORMERR", udp_outcome(header() + b"\xc0\x0c" + q))
check("udp: two pointers to each other", "FORMERR", udp_outcome(header() + b"\xc0\x0e\xc0\x0c" + q))
check("udp: forward pointer", "FORMERR", udp_outcome(header() + b"\xc0\x12" + q + name(ZONE)))
check("udp: pointer beyond the message", "FORMERR", udp_outcome(header() + b"\xff\xff" + q))
# the record's owner starts at offset 34 and points there
loop_owner = header(ar=1) + name(ZONE) + q + b"\xc0\x22" + struct.pack(">HHIH", 1, 1, 0, 0)
check("udp: record owner pointing at itself", "FORMERR", udp_outcome(loop_owner))
check("tcp: pointer to itself", "FORMERR", outcome(tcp(header() + b"\xc0\x0c" + q)))

# ---- oversized messages
pad = 65535 - len(query(edns=True))
big_ok = query(edns=True)[:-2] + struct.pack(">H", pad) + struct.pack(">HH", 12, pad - 4) + b"\0" * (pad - 4)
check("tcp: 65535-octet query (EDNS padding) answered", "NOERROR", outcome(tcp(big_ok)))
big_bad = query() + b"\xaa" * (65535 - len(query()))
check("tcp: 65535-octet message with trailing garbage", "FORMERR", outcome(tcp(big_bad)))
dgram = query() + b"\xaa" * (65507 - len(query()))
check("udp: 65507-octet datagram with trailing garbage", "FORMERR", udp_outcome(dgram))
# Each question a pointer to the previous one (pointers reach 16 KiB; past that, to the last
# question within reach): pointer chains of quadratic total length.
chain = bytearray(header(qd=0) + name(ZONE) + q)
prev, qd = 12, 1
while len(chain) + 6 <= 65535:
    here = len(chain)
    chain += struct.pack(">H", 0xC000 | prev) + q
    qd += 1
    if here <= 0x3FFF:
        prev = here
chain[4:6] = struct.pack(">H", qd)
t0 = time.monotonic()
r = tcp(bytes(chain), timeout=30)
took = time.monotonic() - t0
check("tcp: 64 KiB of chained compression pointers", "FORMERR", outcome(r))
t0 = time.monotonic()
tcp(query())
print(f"NOTE pointer-chain message ({qd} questions, {len(chain)} octets) answered in {took:.3f} s;"
      f" a SOA query in {time.monotonic() - t0:.3f} s", flush=True)

# ---- TCP framing abuse
s = tcp_conn()
s.sendall(struct.pack(">H", 1000) + full)  # promises 1000 octets, sends fewer, then closes
s.shutdown(socket.SHUT_WR)
check("tcp: length prefix larger than the data, then EOF", "closed", outcome(tcp_read(s)))
s.close()
s = tcp_conn()
s.sendall(struct.pack(">H", 1000) + full)
s.close()  # abrupt close with the server waiting for more
s = tcp_conn()
s.sendall(b"\x00\x05hello")
check("tcp: length prefix shorter than a header closes", "closed", outcome(tcp_read(s)))
s.close()
s = tcp_conn()
s.sendall(b"\x00")  # half a length prefix, then close
s.close()

# ---- unknown opcodes
for op in (1, 2, 3, 6, 7, 15):
    check(f"udp: opcode {op}", "NOTIMP", udp_outcome(query(flags=op << 11)))
    check(f"tcp: opcode {op}", "NOTIMP", outcome(tcp(query(flags=op << 11))))
r = udp_outcome(query(flags=5 << 11))
check("udp: opcode 5 (UPDATE) refused or not implemented", "yes", "yes" if r in ("NOTIMP", "REFUSED") else r)

# ---- QR=1: dropped over UDP; over TCP ignored, and the connection still serves queries
check("udp: QR=1 message dropped", "dropped", udp_outcome(query(flags=0x8000)))
check("udp: QR=1 garbage dropped", "dropped", udp_outcome(b"\x42\x42\x80" + b"\xff" * 30))
s = tcp_conn(timeout=1.5)
s.sendall(struct.pack(">H", len(full)) + query(flags=0x8400, ident=0x1111))
s.sendall(struct.pack(">H", len(full)) + query(ident=0x2222))
r = tcp_read(s)
check("tcp: QR=1 ignored, next query on the connection answered", "NOERROR", outcome(r, 0x2222))
s.close()

# ---- transfers from a host not in transfer_allow
for qt, label in ((252, "AXFR"), (251, "IXFR")):
    s = tcp_conn()
    m = query(qtype=qt)
    s.sendall(struct.pack(">H", len(m)) + m)
    r = tcp_read(s)
    check(f"tcp: {label} from 127.0.0.1 (not allowed)", "REFUSED", outcome(r))
    ancount = struct.unpack(">H", r[6:8])[0] if isinstance(r, bytes) and len(r) >= 12 else -1
    check(f"tcp: {label} refused without records", 0, ancount)
    s.settimeout(0.5)
    check(f"tcp: {label} refused in one message", "no answer", outcome(tcp_read(s)))
    s.close()
check("udp: AXFR", "REFUSED", udp_outcome(query(qtype=252)))
check("udp: IXFR from a host not allowed", "REFUSED", udp_outcome(query(qtype=251)))

# ---- random bytes (seeded: reproducible)
rng = random.Random(20240301)
bad = []
for i in range(300):
    n = rng.choice([rng.randrange(0, 12), rng.randrange(12, 64), rng.randrange(64, 1500)])
    m = bytes(rng.getrandbits(8) for _ in range(n))
    if rng.random() < 0.5 and n >= 12:  # mostly plausible headers: QR=0, QDCOUNT=1
        m = m[:2] + bytes([m[2] & 0x7F]) + m[3:4] + b"\x00\x01" + m[6:]
    r = udp(m, timeout=0.3)
    if r is None:
        if n >= 12 and not m[2] & 0x80:
            bad.append(f"udp #{i}: no answer to a {n}-octet message with QR=0")
        continue
    if n < 12 or m[2] & 0x80 or len(r) < 12 or r[:2] != m[:2] or not r[2] & 0x80:
        bad.append(f"udp #{i}: bad reply to {m.hex()}: {r[:12].hex()}")
for i in range(30):
    n = rng.randrange(12, 3000)
    m = bytes(rng.getrandbits(8) for _ in range(n))
    m = m[:2] + bytes([m[2] & 0x7F]) + m[3:]
    r = tcp(m, timeout=3)
    if not isinstance(r, bytes) or len(r) < 12 or r[:2] != m[:2] or not r[2] & 0x80:
        bad.append(f"tcp #{i}: bad reply to {m.hex()}: {r!r:.40}")
check("random messages: every QR=0 message of >= 12 octets answered with its ID, the rest dropped",
      "", "; ".join(bad[:5]))
PY
py_rc=$?
while IFS=$'\t' read -r tag what expected actual; do
  case $tag in
    CHECK) assert_eq "$what" "$expected" "$actual" ;;
    NOTE*) echo "# ${tag#NOTE }" ;;
    *) [[ -n $tag ]] && echo "# $tag" ;;
  esac
done <"$HOSTILE"
assert_eq "hostile client ran to the end" 0 "$py_rc"

# ---- iotregd is still there and answers normally
assert_eq "iotregd still running" 0 "$(kill -0 "$E2E_DAEMON_PID" 2>/dev/null && echo 0 || echo 1)"
for transport in notcp tcp; do
  out=$(dig_at +$transport SOA "$E2E_ZONE." 2>&1)
  assert_eq "SOA over ${transport/notcp/udp} after the hostile input: status" NOERROR "$(dig_status "$out")"
  assert_eq "SOA over ${transport/notcp/udp} after the hostile input: serial" "$serial0" \
    "$(dig_section "$out" ANSWER | awk '$4 == "SOA" {print $7}')"
done
e2e_stop
assert_eq "iotregd exits 0 on SIGTERM" 0 "$E2E_DAEMON_RC"
reports=$(grep -E -c 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' "$E2E_LOG")
assert_eq "no sanitizer report in the iotregd log" 0 "$reports"
e2e_finish
