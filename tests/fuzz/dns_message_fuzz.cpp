// libFuzzer target for iotreg::dns::handle_message (issue 3, acceptance f).
//
// A small zone (alg-13 KSK + ZSK, NSEC3, a few devices) is signed once, then changed twice by
// apply(), the two diffs (last_diff()) kept in an IXFR journal: serials 2024010101 (oldest in
// the journal), ...02, and the zone's ...03. Every input is then answered over UDP and TCP, with
// transfers allowed and not, without a journal; over TCP and UDP with transfers allowed and the
// journal, so that IXFR queries whose authority SOA holds a serial inside the journal reach the
// incremental path (and others the SOA-only or full-transfer fallbacks); the same with a TSIG key
// required (the seeds *_tsig* are signed with it at the fixed tsig_now below); and
// once with no zone loaded. Any broken invariant aborts, which libFuzzer reports as a crash with
// the input saved:
//   - a response is 12..65535 octets, parses as a DNS message (ldns), has QR=1, the query's ID
//     and the query's opcode;
//   - no response to a message shorter than 12 octets or with QR=1;
//   - an opcode other than QUERY gets NOTIMP or FORMERR (or NOTAUTH if it carries a TSIG);
//   - over UDP: at most one response, no larger than the client's limit (512 without EDNS,
//     else the advertised size clamped to 512..1232);
//   - without transfer permission: at most one response, and AXFR/IXFR get no zone content;
//   - with a TSIG key required, AXFR/IXFR content (ANCOUNT > 0) only in signed responses;
//   - an AXFR/IXFR answered NOERROR with content starts and ends with the zone's SOA (serial
//     2024010103): SOA alone, incremental and full replies all do (RFC 1995 §4, RFC 5936).
// Built only with clang (-fsanitize=fuzzer); see run_fuzz.sh.

#include "dns/journal.hpp"
#include "dns/keys.hpp"
#include "dns/message.hpp"
#include "dns/signer.hpp"
#include "dns/tlsa.hpp"
#include "dns/tsig.hpp"
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

// The first serial; the journal leads from it to first_serial + 2, the zone's serial.
constexpr std::uint32_t first_serial = 2024010101;
// TSIG: the key make_corpus.py signs the ixfr_tsig_* seeds with, at time tsig_now (fudge 300).
constexpr const char* tsig_name = "xfr.iotregistry.test.";
constexpr const char* tsig_secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";
constexpr std::uint64_t tsig_now = 1700000000;

struct served_zone {
  std::shared_ptr<const zone_snapshot> zone;
  std::shared_ptr<const journal> diffs;
};

std::vector<std::uint8_t> fake_spki(int seed) {
  std::vector<std::uint8_t> spki(91);
  for (std::size_t i = 0; i < spki.size(); ++i) spki[i] = static_cast<std::uint8_t>(seed * 31 + i);
  return spki;
}

served_zone make_zone() {
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
    devices.push_back({"dev-" + std::to_string(seed), {dane_ee_spki_sha256(fake_spki(seed))}});
  }
  // A 32-digit EID like the real registry's device ids.
  devices.push_back(
      {"89049032000000000000000000000142", {dane_ee_spki_sha256(std::vector<std::uint8_t>(91, 7))}});

  zone_signer signer(std::move(p), std::move(keys));
  const auto now = std::chrono::system_clock::now();
  signer.build(devices, first_serial, now);
  // Two diffs: a device added (new name, NSEC3 chain changes), then one changed and one removed.
  auto diffs = std::make_shared<const journal>();
  const std::vector<std::vector<change>> steps = {
      {{change::kind::upsert, "dev-6", {dane_ee_spki_sha256(fake_spki(6))}}},
      {{change::kind::upsert, "dev-1", {dane_ee_spki_sha256(fake_spki(7))}},
       {change::kind::remove, "dev-2", {}}},
  };
  std::uint32_t serial = first_serial;
  for (const auto& step : steps) {
    signer.apply(step, ++serial, now);
    if (signer.last_diff() == nullptr) {
      std::fprintf(stderr, "fuzz setup: apply() left no diff\n");
      std::abort();
    }
    diffs = diffs->with_diff(std::make_shared<const zone_diff>(*signer.last_diff()));
  }
  if (diffs->size() != 2 || diffs->oldest_serial() != first_serial || signer.serial() != first_serial + 2) {
    std::fprintf(stderr, "fuzz setup: journal does not lead from %u to the zone\n", first_serial);
    std::abort();
  }
  return {signer.snapshot(), diffs};
}

[[noreturn]] void violated(const char* what, std::span<const std::uint8_t> query, const query_context& ctx,
                           bool with_zone) {
  std::fprintf(stderr,
               "INVARIANT VIOLATED: %s (transport %s, transfer_allowed %d, tsig %d, journal %d, zone %s, "
               "query %zu octets)\n",
               what, ctx.via == transport::udp ? "udp" : "tcp", ctx.transfer_allowed ? 1 : 0,
               ctx.transfer_key != nullptr ? 1 : 0, ctx.ixfr_journal != nullptr ? 1 : 0,
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

/// What the records of a query say, found independently of the product's parser and more
/// permissively: every record read before the message stops parsing counts.
struct record_facts {
  /// The largest UDP answer the query may get: any OPT record raises it, so a query the product
  /// rejects (FORMERR, which is small) is never held to a tighter bound.
  std::size_t udp_limit = 512;
  /// A TSIG record is present: the product checks it before anything else (RFC 8945 §5.2), so
  /// NOTAUTH (BADKEY/BADSIG/BADTIME) may answer any opcode.
  bool has_tsig = false;
};

record_facts records_of(std::span<const std::uint8_t> m) {
  record_facts facts;
  if (m.size() < 12) return facts;
  const std::size_t qd = get16(m, 4);
  const std::size_t rr = std::size_t{get16(m, 6)} + get16(m, 8) + get16(m, 10);
  std::size_t pos = 12;
  for (std::size_t i = 0; i < qd; ++i) {
    if (!skip_name(m, pos) || pos + 4 > m.size()) return facts;
    pos += 4;
  }
  for (std::size_t i = 0; i < rr; ++i) {
    if (!skip_name(m, pos) || pos + 10 > m.size()) return facts;
    const std::uint16_t type = get16(m, pos);
    const std::uint16_t cls = get16(m, pos + 2);
    const std::size_t rdlen = get16(m, pos + 8);
    if (type == 41) facts.udp_limit = std::max(facts.udp_limit, std::clamp<std::size_t>(cls, 512, 1232));
    if (type == 250) facts.has_tsig = true;
    pos += 10 + rdlen;
    if (pos > m.size()) return facts;
  }
  return facts;
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

  const record_facts facts = records_of(q);
  const std::uint8_t q_opcode = (q[2] >> 3) & 0x0f;
  const int qtype = qtype_of(q);
  const bool transfer_q = qtype == 252 || qtype == 251;

  std::uint32_t first_serial_seen = 0;  // serial of the transfer's first and last answer SOA
  std::uint32_t last_serial_seen = 0;
  bool first_is_soa = false;
  bool last_is_soa = false;
  bool transfer_content = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const wire& r = out[i];
    if (r.size() < 12) fail("response shorter than 12 octets");
    if (r.size() > 65535) fail("response longer than 65535 octets");
    if (ctx.via == transport::udp && r.size() > facts.udp_limit)
      fail("UDP response larger than the client's limit");
    if (r[0] != q[0] || r[1] != q[1]) fail("response ID differs from the query's");
    if ((r[2] & 0x80) == 0) fail("response without QR");
    if (((r[2] >> 3) & 0x0f) != q_opcode) fail("response opcode differs from the query's");
    const std::uint8_t rcode = r[3] & 0x0f;
    if (q_opcode != 0 && rcode != 4 && rcode != 1 && !(rcode == 9 && facts.has_tsig))
      fail("opcode other than QUERY not answered NOTIMP/FORMERR (or NOTAUTH when signed)");
    if (transfer_q && !ctx.transfer_allowed && get16(r, 6) != 0) fail("transfer answered without permission");

    ldns_pkt* pkt = nullptr;
    if (ldns_wire2pkt(&pkt, r.data(), r.size()) != LDNS_STATUS_OK) fail("response does not parse (ldns)");
    if (transfer_q && rcode == 0 && get16(r, 6) != 0) {
      // ldns_wire2pkt moves a TSIG record out of the additional section into ldns_pkt_tsig.
      if (ctx.transfer_key != nullptr && ldns_pkt_tsig(pkt) == nullptr) fail("unsigned transfer content");
      const ldns_rr_list* an = ldns_pkt_answer(pkt);
      const std::size_t n = ldns_rr_list_rr_count(an);
      const auto soa_serial = [&](std::size_t at, bool& is_soa) {
        const ldns_rr* rr = ldns_rr_list_rr(an, at);
        is_soa = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7;
        return is_soa ? ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)) : 0;
      };
      if (i == 0) {
        transfer_content = true;
        first_serial_seen = soa_serial(0, first_is_soa);
      }
      if (i + 1 == out.size()) last_serial_seen = soa_serial(n - 1, last_is_soa);
    }
    ldns_pkt_free(pkt);
  }
  if (transfer_content && zone != nullptr) {
    if (!first_is_soa || first_serial_seen != zone->serial())
      fail("transfer does not start with the zone's SOA");
    if (!last_is_soa || last_serial_seen != zone->serial()) fail("transfer does not end with the zone's SOA");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const served_zone served = make_zone();
  static const tsig_key key = make_tsig_key(tsig_name, "hmac-sha256", tsig_secret);
  const zone_snapshot* zone = served.zone.get();
  const journal* diffs = served.diffs.get();
  const std::span<const std::uint8_t> q(data, size);
  for (const transport via : {transport::udp, transport::tcp}) {
    for (const bool allowed : {false, true}) check(zone, q, query_context{via, allowed});
    check(zone, q, query_context{via, true, nullptr, 0, diffs});
  }
  // TSIG required: signed seeds verify at tsig_now; the others get NOTAUTH/BADKEY/BADSIG/BADTIME.
  check(zone, q, query_context{transport::tcp, true, &key, tsig_now, diffs});
  check(zone, q, query_context{transport::udp, true, &key, tsig_now, diffs});
  check(nullptr, q, query_context{transport::udp, true});
  return 0;
}
