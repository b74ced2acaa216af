#include "dns/query_parser.hpp"

#include "dns/rr_types.hpp"

namespace iotreg::dns::detail {
namespace {

constexpr std::size_t max_name = 255;

std::uint16_t get16(std::span<const std::uint8_t> m, std::size_t pos) noexcept {
  return static_cast<std::uint16_t>((m[pos] << 8) | m[pos + 1]);
}

std::uint32_t get32(std::span<const std::uint8_t> m, std::size_t pos) noexcept {
  return (static_cast<std::uint32_t>(get16(m, pos)) << 16) | get16(m, pos + 2);
}

}  // namespace

bool read_name(std::span<const std::uint8_t> msg, std::size_t& pos, wire_name* out) {
  std::size_t p = pos;
  std::size_t run_start = pos;  // pointers must target strictly before this
  std::size_t length = 0;
  bool jumped = false;
  // A legal name has at most 127 labels, so it never needs more pointer hops than that; chains
  // of backward pointers would otherwise cost time quadratic in the message size.
  int hops = 0;
  if (out != nullptr) out->clear();
  while (true) {
    if (p >= msg.size()) return false;
    const std::uint8_t len = msg[p];
    if ((len & 0xc0) == 0xc0) {
      if (p + 1 >= msg.size()) return false;
      const std::size_t target = static_cast<std::size_t>((len & 0x3f) << 8) | msg[p + 1];
      if (target >= run_start) return false;  // forward or self pointer: a loop in the making
      if (++hops > 127) return false;
      if (!jumped) pos = p + 2;
      jumped = true;
      p = target;
      run_start = target;
      continue;
    }
    if ((len & 0xc0) != 0) return false;  // 0x40 / 0x80: obsolete or reserved label types
    length += len + 1U;
    if (length > max_name) return false;
    if (p + 1 + len > msg.size()) return false;
    if (out != nullptr)
      out->insert(out->end(), msg.begin() + static_cast<std::ptrdiff_t>(p),
                  msg.begin() + static_cast<std::ptrdiff_t>(p + 1 + len));
    p += 1U + len;
    if (len == 0) break;
  }
  if (!jumped) pos = p;
  return true;
}

bool parse_query(std::span<const std::uint8_t> msg, parsed_query& out) {
  out.id = get16(msg, 0);
  out.flags = get16(msg, 2);
  out.qdcount = get16(msg, 4);
  const std::size_t an = get16(msg, 6);
  const std::size_t ns = get16(msg, 8);
  const std::size_t ar = get16(msg, 10);
  std::size_t pos = header_size;
  for (std::size_t i = 0; i < out.qdcount; ++i) {
    wire_name* target = i == 0 ? &out.qname : nullptr;
    if (!read_name(msg, pos, target) || pos + 4 > msg.size()) return false;
    if (i == 0) {
      out.qtype = get16(msg, pos);
      out.qclass = get16(msg, pos + 2);
    }
    pos += 4;
  }
  const std::size_t records = an + ns + ar;
  for (std::size_t i = 0; i < records; ++i) {
    wire_name owner;
    const std::size_t start = pos;
    if (!read_name(msg, pos, &owner) || pos + 10 > msg.size()) return false;
    const std::uint16_t type = get16(msg, pos);
    const std::uint16_t cls = get16(msg, pos + 2);
    const std::uint32_t ttl = get32(msg, pos + 4);
    const std::size_t rdlen = get16(msg, pos + 8);
    pos += 10;
    if (pos + rdlen > msg.size()) return false;
    if (type == rr_type::soa && i >= an && i < an + ns && !out.authority_soa_serial) {
      // MNAME and RNAME (compression allowed, RFC 1035 §3.3.13), then five 32-bit fields.
      std::size_t p = pos;
      const auto rdata = msg.first(pos + rdlen);
      if (!read_name(rdata, p, nullptr) || !read_name(rdata, p, nullptr) || p + 20 != pos + rdlen)
        return false;
      out.authority_soa_serial = get32(msg, p);
    }
    if (type == rr_type::tsig) {
      if (i + 1 != records || i < an + ns) return false;
      out.tsig_offset = start;
    }
    if (type == rr_type::opt) {
      // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
      if (i < an + ns || out.edns || owner.size() != 1) return false;
      edns_info e;
      e.udp_size = cls;
      e.version = static_cast<std::uint8_t>(ttl >> 16);
      e.dnssec_ok = (ttl & 0x8000U) != 0;
      // Options must tile the RDATA exactly.
      std::size_t o = pos;
      while (o < pos + rdlen) {
        if (o + 4 > pos + rdlen) return false;
        const std::size_t olen = get16(msg, o + 2);
        o += 4 + olen;
        if (o > pos + rdlen) return false;
      }
      out.edns = e;
    }
    pos += rdlen;
  }
  return pos == msg.size();  // trailing garbage is malformed too
}

}  // namespace iotreg::dns::detail
