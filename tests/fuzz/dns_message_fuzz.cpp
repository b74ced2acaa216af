// libFuzzer target for iotreg::dns::handle_message (issue 3, acceptance f).
//
// A small zone (alg-13 KSK + ZSK, NSEC3, a few devices) is signed once; every input is then
// answered over UDP and TCP, with transfers allowed and not, and once with no zone loaded. Any
// broken invariant aborts, which libFuzzer reports as a crash with the input saved:
//   - a response is 12..65535 octets, parses as a DNS message (ldns), has QR=1, the query's ID
//     and the query's opcode;
//   - no response to a message shorter than 12 octets or with QR=1;
//   - an opcode other than QUERY gets NOTIMP or FORMERR;
//   - over UDP: at most one response, no larger than the client's limit (512 without EDNS,
//     else the advertised size clamped to 512..1232);
//   - without transfer permission: at most one response, and AXFR/IXFR get no zone content.
// Built only with clang (-fsanitize=fuzzer); see run_fuzz.sh.

#include "dns/keys.hpp"
#include "dns/message.hpp"
#include "dns/signer.hpp"
#include "dns/tlsa.hpp"
#include "dns/zone_parameters.hpp"
#include "dns/zone_snapshot.hpp"

#include <ldns/ldns.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace iotreg::dns;
using wire = std::vector<std::uint8_t>;

const std::string apex = "iotregistry.test.";

std::shared_ptr<const zone_snapshot> make_zone() {
  zone_parameters p;
  p.apex = apex;
  p.soa_mname = "ns1." + apex;
  p.soa_rname = "hostmaster." + apex;
  p.ns = {"ns1." + apex};
  p.addresses = {{"ns1." + apex, "127.0.0.1"}, {"ns1." + apex, "::1"}, {"device." + apex, "127.0.0.1"}};
  p.root_ca_der.assign(300, 0x30);
  p.root_ca_der[1] = 0x82;
  p.apex_ca_der = {p.root_ca_der, std::vector<std::uint8_t>(200, 0x31)};

  std::vector<dnssec_key> keys;
  keys.push_back(dnssec_key::generate(13, key_role::ksk, apex));
  keys.push_back(dnssec_key::generate(13, key_role::zsk, apex));

  std::vector<device_record> devices;
  for (int seed = 1; seed <= 5; ++seed) {
    std::vector<std::uint8_t> spki(91);
    for (std::size_t i = 0; i < spki.size(); ++i) spki[i] = static_cast<std::uint8_t>(seed * 31 + i);
    devices.push_back({"dev-" + std::to_string(seed), {dane_ee_spki_sha256(spki)}});
  }
  // A 32-digit EID like the real registry's device ids.
  devices.push_back(
      {"89049032000000000000000000000142", {dane_ee_spki_sha256(std::vector<std::uint8_t>(91, 7))}});

  zone_signer signer(std::move(p), std::move(keys));
  signer.build(devices, 2024010101, std::chrono::system_clock::now());
  return signer.snapshot();
}

[[noreturn]] void violated(const char* what, std::span<const std::uint8_t> query, const query_context& ctx,
                           bool with_zone) {
  std::fprintf(stderr,
               "INVARIANT VIOLATED: %s (transport %s, transfer_allowed %d, zone %s, query %zu octets)\n",
               what, ctx.via == transport::udp ? "udp" : "tcp", ctx.transfer_allowed ? 1 : 0,
               with_zone ? "loaded" : "null", query.size());
  std::abort();
}

std::uint16_t get16(std::span<const std::uint8_t> m, std::size_t pos) {
  return static_cast<std::uint16_t>((m[pos] << 8) | m[pos + 1]);
}

/// Skips a (possibly compressed) name; permissive (any pointer, bounded hops). False if cut short.
bool skip_name(std::span<const std::uint8_t> m, std::size_t& pos) {
  while (pos < m.size()) {
    const std::uint8_t len = m[pos];
    if ((len & 0xc0) == 0xc0) {
      pos += 2;
      return pos <= m.size();
    }
    if ((len & 0xc0) != 0) return false;
    pos += 1U + len;
    if (len == 0) return pos <= m.size();
  }
  return false;
}

/// The largest UDP answer this query may get. Independent of the product's parser and more
/// permissive: any OPT record found before the message stops parsing raises the limit, so a
/// query the product rejects (FORMERR, which is small) is never held to a tighter bound.
std::size_t udp_limit_of(std::span<const std::uint8_t> m) {
  std::size_t limit = 512;
  if (m.size() < 12) return limit;
  const std::size_t qd = get16(m, 4);
  const std::size_t rr = std::size_t{get16(m, 6)} + get16(m, 8) + get16(m, 10);
  std::size_t pos = 12;
  for (std::size_t i = 0; i < qd; ++i) {
    if (!skip_name(m, pos) || pos + 4 > m.size()) return limit;
    pos += 4;
  }
  for (std::size_t i = 0; i < rr; ++i) {
    if (!skip_name(m, pos) || pos + 10 > m.size()) return limit;
    const std::uint16_t type = get16(m, pos);
    const std::uint16_t cls = get16(m, pos + 2);
    const std::size_t rdlen = get16(m, pos + 8);
    if (type == 41) limit = std::max(limit, std::clamp<std::size_t>(cls, 512, 1232));
    pos += 10 + rdlen;
    if (pos > m.size()) return limit;
  }
  return limit;
}

/// The query's QTYPE when QDCOUNT >= 1 and the first question is complete, else -1.
int qtype_of(std::span<const std::uint8_t> m) {
  if (m.size() < 12 || get16(m, 4) == 0) return -1;
  std::size_t pos = 12;
  if (!skip_name(m, pos) || pos + 4 > m.size()) return -1;
  return get16(m, pos);
}

void check(const zone_snapshot* zone, std::span<const std::uint8_t> q, const query_context& ctx) {
  const auto out = handle_message(zone, q, ctx);
  const bool with_zone = zone != nullptr;
  const auto fail = [&](const char* what) { violated(what, q, ctx, with_zone); };

  if (q.size() < 12 || (q[2] & 0x80) != 0) {
    if (!out.empty()) fail("answered a message shorter than 12 octets or with QR=1");
    return;
  }
  if (out.empty()) fail("no answer to a query");
  if (out.size() > 1 && ctx.via == transport::udp) fail("several UDP responses");
  if (out.size() > 1 && !ctx.transfer_allowed) fail("several responses without transfer permission");
  if (out.size() > 1 && zone == nullptr) fail("several responses without a zone");

  const std::size_t udp_limit = udp_limit_of(q);
  const std::uint8_t q_opcode = (q[2] >> 3) & 0x0f;
  const int qtype = qtype_of(q);
  const bool transfer_q = qtype == 252 || qtype == 251;

  for (const wire& r : out) {
    if (r.size() < 12) fail("response shorter than 12 octets");
    if (r.size() > 65535) fail("response longer than 65535 octets");
    if (ctx.via == transport::udp && r.size() > udp_limit)
      fail("UDP response larger than the client's limit");
    if (r[0] != q[0] || r[1] != q[1]) fail("response ID differs from the query's");
    if ((r[2] & 0x80) == 0) fail("response without QR");
    if (((r[2] >> 3) & 0x0f) != q_opcode) fail("response opcode differs from the query's");
    const std::uint8_t rcode = r[3] & 0x0f;
    if (q_opcode != 0 && rcode != 4 && rcode != 1)
      fail("opcode other than QUERY not answered NOTIMP/FORMERR");
    if (transfer_q && !ctx.transfer_allowed && get16(r, 6) != 0) fail("transfer answered without permission");

    ldns_pkt* pkt = nullptr;
    if (ldns_wire2pkt(&pkt, r.data(), r.size()) != LDNS_STATUS_OK) fail("response does not parse (ldns)");
    ldns_pkt_free(pkt);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::shared_ptr<const zone_snapshot> zone = make_zone();
  const std::span<const std::uint8_t> q(data, size);
  for (const transport via : {transport::udp, transport::tcp}) {
    for (const bool allowed : {false, true}) check(zone.get(), q, query_context{via, allowed});
  }
  check(nullptr, q, query_context{transport::udp, true});
  return 0;
}
