#include "dns/message.hpp"

#include "dns/journal.hpp"
#include "dns/ldns.hpp"
#include "dns/signer.hpp"
#include "dns/wire_name.hpp"
#include "dns/zone_snapshot.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <ostream>
#include <random>

using namespace iotreg::dns;
using namespace iotreg::dns::test;

namespace {

using wire = std::vector<std::uint8_t>;

/// A query made by ldns, the way a real client would send it.
wire make_query(const std::string& qname, ldns_rr_type type, bool edns = true, bool dnssec_ok = true,
                std::uint16_t id = 0x4242) {
  ldns_rdf* name = ldns_dname_new_frm_str(qname.c_str());
  REQUIRE(name != nullptr);
  ldns_pkt* p = ldns_pkt_query_new(name, type, LDNS_RR_CLASS_IN, LDNS_RD);  // takes `name`
  REQUIRE(p != nullptr);
  ldns_pkt_set_id(p, id);
  if (edns) {
    ldns_pkt_set_edns_udp_size(p, 1232);
    ldns_pkt_set_edns_do(p, dnssec_ok);
  }
  return take_wire(p);
}

using reply = parsed_message;

zone_parameters params_with(denial_mode denial) {
  auto p = make_params();
  p.denial = denial;
  return p;
}

/// The zone every test queries: three devices, signed now.
struct fixture {
  zone_signer signer;
  std::shared_ptr<const zone_snapshot> zone;
  explicit fixture(denial_mode denial = denial_mode::nsec3) : signer(params_with(denial), make_keys()) {
    signer.build(
        std::vector<device_record>{make_device("dev-1", 1), make_device("dev-2", 2), make_device("dev-3", 3)},
        77, std::chrono::system_clock::now());
    zone = signer.snapshot();
  }
  std::vector<wire> ask(const wire& q, query_context ctx = {}) const {
    return handle_message(zone.get(), q, ctx);
  }
  wire ask_one(const wire& q, query_context ctx = {}) const {
    auto r = ask(q, ctx);
    REQUIRE(r.size() == 1);
    return r.front();
  }
};

/// The zone's DNSKEY RRset, fetched through handle_message.
ldns_rr_list* fetch_keys(const fixture& f) {
  const reply r(f.ask_one(make_query(zone_apex, LDNS_RR_TYPE_DNSKEY)));
  ldns_rr_list* keys = ldns_rr_list_new();
  ldns_rr_list* ans = ldns_pkt_answer(r.pkt);
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(ans); ++i) {
    if (ldns_rr_get_type(ldns_rr_list_rr(ans, i)) == LDNS_RR_TYPE_DNSKEY) {
      ldns_rr_list_push_rr(keys, ldns_rr_clone(ldns_rr_list_rr(ans, i)));
    }
  }
  return keys;
}

/// Verifies every RRset in `section` against `keys` with ldns; returns how many verified.
std::size_t verify_section(ldns_rr_list* section, ldns_rr_list* keys) {
  std::size_t verified = 0;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(section); ++i) {
    ldns_rr* sig = ldns_rr_list_rr(section, i);
    if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG) continue;
    ldns_rr_list* covered = ldns_rr_list_new();
    for (std::size_t j = 0; j < ldns_rr_list_rr_count(section); ++j) {
      ldns_rr* rr = ldns_rr_list_rr(section, j);
      if (ldns_rr_get_type(rr) == ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) &&
          ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(sig)) == 0) {
        ldns_rr_list_push_rr(covered, rr);
      }
    }
    ldns_rr_list* good = ldns_rr_list_new();
    if (ldns_verify_rrsig_keylist(covered, sig, keys, good) == LDNS_STATUS_OK) ++verified;
    ldns_rr_list_free(good);
    ldns_rr_list_free(covered);  // shallow: the RRs belong to the packet
  }
  return verified;
}

std::uint16_t rcode_of(const wire& w) { return w.size() >= 4 ? (w[3] & 0x0f) : 0xffff; }
std::uint16_t id_of(const wire& w) { return static_cast<std::uint16_t>((w[0] << 8) | w[1]); }

}  // namespace

TEST_CASE("message/positive TLSA answer with DO") {
  fixture f;
  const reply r(f.ask_one(make_query("dev-1._device." + zone_apex, LDNS_RR_TYPE_TLSA)));
  CHECK(r.rcode() == LDNS_RCODE_NOERROR);
  CHECK(ldns_pkt_aa(r.pkt));
  CHECK_FALSE(ldns_pkt_ra(r.pkt));
  CHECK(ldns_pkt_rd(r.pkt));
  CHECK(ldns_pkt_qr(r.pkt));
  CHECK(ldns_pkt_id(r.pkt) == 0x4242);
  CHECK(ldns_pkt_qdcount(r.pkt) == 1);
  CHECK(r.answers(LDNS_RR_TYPE_TLSA) == 1);
  CHECK(r.answers(LDNS_RR_TYPE_RRSIG) == 1);
  CHECK(ldns_pkt_edns_do(r.pkt));
  CHECK(ldns_pkt_edns_udp_size(r.pkt) == 1232);
  ldns_rr_list* keys = fetch_keys(f);
  CHECK(ldns_rr_list_rr_count(keys) == 2);
  CHECK(verify_section(ldns_pkt_answer(r.pkt), keys) == 1);
  ldns_rr_list_deep_free(keys);
}

TEST_CASE("message/positive answer without DO has no RRSIG, and qname case is kept") {
  fixture f;
  const reply r(f.ask_one(make_query("DEV-1._Device." + zone_apex, LDNS_RR_TYPE_TLSA, true, false)));
  CHECK(r.answers(LDNS_RR_TYPE_TLSA) == 1);
  CHECK(r.answers(LDNS_RR_TYPE_RRSIG) == 0);
  CHECK_FALSE(ldns_pkt_edns_do(r.pkt));
  {
    char* q = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(r.pkt), 0)));
    CHECK(std::string(q) == "DEV-1._Device.iotregistry.test.");
    std::free(q);
  }
}

TEST_CASE("message/NXDOMAIN with DO carries a verifiable closest-encloser proof") {
  fixture f;
  for (const std::string& qname :
       {"nope._device." + zone_apex, "a.b.c.dev-1._device." + zone_apex, "zzz." + zone_apex}) {
    INFO(qname);
    const reply r(f.ask_one(make_query(qname, LDNS_RR_TYPE_TLSA)));
    CHECK(r.rcode() == LDNS_RCODE_NXDOMAIN);
    CHECK(ldns_pkt_aa(r.pkt));
    CHECK(r.answers(LDNS_RR_TYPE_TLSA) == 0);
    CHECK(r.authority(LDNS_RR_TYPE_SOA) == 1);
    const std::size_t nsec3 = r.authority(LDNS_RR_TYPE_NSEC3);
    CHECK(nsec3 >= 2);  // 3 unless two of them coincide
    CHECK(nsec3 <= 3);
    CHECK(r.authority(LDNS_RR_TYPE_RRSIG) == nsec3 + 1);

    ldns_rr_list* auth = ldns_pkt_authority(r.pkt);
    ldns_rr_list* nsecs = ldns_rr_list_new();
    ldns_rr_list* sigs = ldns_rr_list_new();
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(auth); ++i) {
      ldns_rr* rr = ldns_rr_list_rr(auth, i);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3) ldns_rr_list_push_rr(nsecs, rr);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG) ldns_rr_list_push_rr(sigs, rr);
    }
    ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(r.pkt), 0);
    CHECK(ldns_dnssec_verify_denial_nsec3(question, nsecs, sigs, LDNS_RCODE_NXDOMAIN, LDNS_RR_TYPE_TLSA,
                                          true) == LDNS_STATUS_OK);
    ldns_rr_list_free(nsecs);
    ldns_rr_list_free(sigs);

    ldns_rr_list* keys = fetch_keys(f);
    CHECK(verify_section(auth, keys) == nsec3 + 1);
    ldns_rr_list_deep_free(keys);
  }
}

TEST_CASE("message/NODATA for an empty non-terminal and for a missing type") {
  fixture f;
  for (const std::string& qname : {"_device." + zone_apex, "dev-2._device." + zone_apex}) {
    INFO(qname);
    const reply r(f.ask_one(make_query(qname, LDNS_RR_TYPE_TXT)));
    CHECK(r.rcode() == LDNS_RCODE_NOERROR);
    CHECK(ldns_pkt_ancount(r.pkt) == 0);
    CHECK(r.authority(LDNS_RR_TYPE_SOA) == 1);
    CHECK(r.authority(LDNS_RR_TYPE_NSEC3) == 1);
    CHECK(r.authority(LDNS_RR_TYPE_RRSIG) == 2);
    // Negative TTL: min(SOA TTL 3600, MINIMUM 300).
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_authority(r.pkt)); ++i) {
      CHECK(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(r.pkt), i)) == 300);
    }
    ldns_rr_list* auth = ldns_pkt_authority(r.pkt);
    ldns_rr_list* nsecs = ldns_rr_list_new();
    ldns_rr_list* sigs = ldns_rr_list_new();
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(auth); ++i) {
      ldns_rr* rr = ldns_rr_list_rr(auth, i);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3) ldns_rr_list_push_rr(nsecs, rr);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG) ldns_rr_list_push_rr(sigs, rr);
    }
    ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(r.pkt), 0);
    CHECK(ldns_dnssec_verify_denial_nsec3(question, nsecs, sigs, LDNS_RCODE_NOERROR, LDNS_RR_TYPE_TXT,
                                          true) == LDNS_STATUS_OK);
    ldns_rr_list_free(nsecs);
    ldns_rr_list_free(sigs);
  }
  SECTION("device.<zone> has an A record: AAAA is NODATA, A is an answer") {
    const reply r(f.ask_one(make_query("device." + zone_apex, LDNS_RR_TYPE_A)));
    CHECK(r.answers(LDNS_RR_TYPE_A) == 1);
  }
}

TEST_CASE("message/ANY, RRSIG and NSEC3 queries") {
  fixture f;
  {
    // Over TCP: with DO and two CA certificates the apex does not fit 1232 octets.
    const reply r(f.ask_one(make_query(zone_apex, LDNS_RR_TYPE_ANY), {transport::tcp, false}));
    CHECK(r.answers(LDNS_RR_TYPE_SOA) == 1);
    CHECK(r.answers(LDNS_RR_TYPE_NS) == 1);
    CHECK(r.answers(LDNS_RR_TYPE_DNSKEY) == 2);
    CHECK(r.answers(LDNS_RR_TYPE_NSEC3PARAM) == 1);
    CHECK(r.answers(LDNS_RR_TYPE_TLSA) == 2);
    CHECK(r.answers(LDNS_RR_TYPE_RRSIG) == 5);
  }
  {
    const reply r(f.ask_one(make_query(zone_apex, LDNS_RR_TYPE_RRSIG, true, false)));
    CHECK(r.answers(LDNS_RR_TYPE_RRSIG) == 5);
    CHECK(ldns_pkt_ancount(r.pkt) == 5);
  }
  {
    // Find an NSEC3 owner through a NODATA answer, then ask for it directly.
    const reply nodata(f.ask_one(make_query(zone_apex, LDNS_RR_TYPE_TXT)));
    ldns_rr_list* auth = ldns_pkt_authority(nodata.pkt);
    std::string owner;
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(auth); ++i) {
      if (ldns_rr_get_type(ldns_rr_list_rr(auth, i)) == LDNS_RR_TYPE_NSEC3) {
        char* s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(auth, i)));
        owner = s;
        std::free(s);
      }
    }
    REQUIRE_FALSE(owner.empty());
    const reply r(f.ask_one(make_query(owner, LDNS_RR_TYPE_NSEC3)));
    CHECK(r.answers(LDNS_RR_TYPE_NSEC3) == 1);
    CHECK(r.answers(LDNS_RR_TYPE_RRSIG) == 1);
    const reply r2(f.ask_one(make_query(owner, LDNS_RR_TYPE_A)));
    CHECK(r2.rcode() == LDNS_RCODE_NXDOMAIN);  // RFC 5155 §7.2.8
  }
}

TEST_CASE("message/refusals and errors") {
  fixture f;
  SECTION("out of zone") {
    const reply r(f.ask_one(make_query("example.com.", LDNS_RR_TYPE_A)));
    CHECK(r.rcode() == LDNS_RCODE_REFUSED);
    CHECK_FALSE(ldns_pkt_aa(r.pkt));
  }
  SECTION("a name that merely ends like the zone") {
    const reply r(f.ask_one(make_query("xiotregistry.test.", LDNS_RR_TYPE_A)));
    CHECK(r.rcode() == LDNS_RCODE_REFUSED);
  }
  SECTION("class CH") {
    auto q = make_query(zone_apex, LDNS_RR_TYPE_TXT, false);
    q[q.size() - 1] = 3;  // QCLASS is the last field without EDNS
    CHECK(rcode_of(f.ask_one(q)) == LDNS_RCODE_REFUSED);
  }
  SECTION("no zone loaded yet") {
    const auto r = handle_message(nullptr, make_query(zone_apex, LDNS_RR_TYPE_SOA), {});
    REQUIRE(r.size() == 1);
    CHECK(rcode_of(r[0]) == LDNS_RCODE_SERVFAIL);
  }
  SECTION("opcode 2 (STATUS) is NOTIMP") {
    auto q = make_query(zone_apex, LDNS_RR_TYPE_SOA);
    q[2] = static_cast<std::uint8_t>((q[2] & 0x87) | (2 << 3));
    const auto r = f.ask_one(q);
    CHECK(rcode_of(r) == LDNS_RCODE_NOTIMPL);
    CHECK(id_of(r) == 0x4242);
  }
  SECTION("EDNS version 1 is BADVERS") {
    auto q = make_query(zone_apex, LDNS_RR_TYPE_SOA);
    // OPT is the last record: root(1) type(2) class(2) ext-rcode(1) version(1) flags(2) rdlen(2)
    q[q.size() - 5] = 1;
    const reply r(f.ask_one(q));
    CHECK(ldns_pkt_edns_extended_rcode(r.pkt) == 1);  // BADVERS = 16 = (1 << 4) | 0
    CHECK(r.rcode() == 0);
    CHECK(ldns_pkt_ancount(r.pkt) == 0);
  }
}

TEST_CASE("message/UDP truncation") {
  fixture f;
  // The apex TLSA RRset holds two CA certificates (about 500 octets of RDATA).
  const auto small = f.ask_one(make_query(zone_apex, LDNS_RR_TYPE_TLSA, false));
  const reply r(small);
  CHECK(small.size() <= 512);
  CHECK(ldns_pkt_tc(r.pkt));
  CHECK(ldns_pkt_ancount(r.pkt) == 0);
  CHECK(ldns_pkt_qdcount(r.pkt) == 1);

  const auto big = f.ask_one(make_query(zone_apex, LDNS_RR_TYPE_TLSA, true, true));
  const reply r2(big);
  CHECK_FALSE(ldns_pkt_tc(r2.pkt));
  CHECK(big.size() > 512);
  CHECK(big.size() <= 1232);

  const auto tcp = f.ask_one(make_query(zone_apex, LDNS_RR_TYPE_TLSA, false), {transport::tcp, false});
  const reply r3(tcp);
  CHECK_FALSE(ldns_pkt_tc(r3.pkt));
  CHECK(r3.answers(LDNS_RR_TYPE_TLSA) == 2);
}

TEST_CASE("message/zone transfers") {
  fixture f;
  const auto axfr = make_query(zone_apex, LDNS_RR_TYPE_AXFR, false);
  SECTION("refused over UDP, or when not allowed, or below the apex") {
    CHECK(rcode_of(f.ask_one(axfr, {transport::udp, true})) == LDNS_RCODE_REFUSED);
    CHECK(rcode_of(f.ask_one(axfr, {transport::tcp, false})) == LDNS_RCODE_REFUSED);
    CHECK(rcode_of(f.ask_one(make_query("_device." + zone_apex, LDNS_RR_TYPE_AXFR, false),
                             {transport::tcp, true})) == LDNS_RCODE_REFUSED);
  }
  SECTION("AXFR over TCP: SOA ... SOA, every record once") {
    const auto msgs = f.ask(axfr, {transport::tcp, true});
    REQUIRE_FALSE(msgs.empty());
    std::vector<ldns_rr_type> types;
    std::size_t total = 0;
    for (std::size_t m = 0; m < msgs.size(); ++m) {
      CHECK(msgs[m].size() <= 16 * 1024);
      const reply r(msgs[m]);
      CHECK(r.rcode() == LDNS_RCODE_NOERROR);
      CHECK(ldns_pkt_qdcount(r.pkt) == (m == 0 ? 1 : 0));
      ldns_rr_list* ans = ldns_pkt_answer(r.pkt);
      for (std::size_t i = 0; i < ldns_rr_list_rr_count(ans); ++i) {
        types.push_back(ldns_rr_get_type(ldns_rr_list_rr(ans, i)));
      }
      total += ldns_rr_list_rr_count(ans);
    }
    REQUIRE(types.size() >= 2);
    CHECK(types.front() == LDNS_RR_TYPE_SOA);
    CHECK(types.back() == LDNS_RR_TYPE_SOA);
    CHECK(std::count(types.begin(), types.end(), LDNS_RR_TYPE_SOA) == 2);
    CHECK(total == f.zone->record_count() + 1);
    CHECK(std::count(types.begin(), types.end(), LDNS_RR_TYPE_NSEC3) ==
          8);  // apex ns1 device _rootcert.device _device 3 devices
  }
  SECTION("a big zone spans several messages") {
    std::vector<device_record> many;
    for (int i = 0; i < 300; ++i) many.push_back(make_device("d" + std::to_string(i), i));
    f.signer.build(many, 78, std::chrono::system_clock::now());
    const auto zone = f.signer.snapshot();
    const auto msgs = handle_message(zone.get(), axfr, {transport::tcp, true});
    CHECK(msgs.size() > 5);
    std::size_t total = 0;
    for (const auto& m : msgs) {
      CHECK(m.size() <= 16 * 1024);
      const reply r(m);
      total += ldns_pkt_ancount(r.pkt);
    }
    CHECK(total == zone->record_count() + 1);
  }
  SECTION("IXFR: full transfer over TCP, current SOA over UDP") {
    const auto ixfr = make_query(zone_apex, LDNS_RR_TYPE_IXFR, false);
    const auto tcp = f.ask(ixfr, {transport::tcp, true});
    std::size_t total = 0;
    for (const auto& m : tcp) total += reply(m).answers(LDNS_RR_TYPE_SOA);
    CHECK(total == 2);
    const reply udp(f.ask_one(ixfr, {transport::udp, true}));
    CHECK(ldns_pkt_ancount(udp.pkt) == 1);
    CHECK(udp.answers(LDNS_RR_TYPE_SOA) == 1);
    CHECK(rcode_of(f.ask_one(ixfr, {transport::udp, false})) == LDNS_RCODE_REFUSED);
  }
}

TEST_CASE("message/hostile input") {
  fixture f;
  const wire good = make_query("dev-1._device." + zone_apex, LDNS_RR_TYPE_TLSA);
  const auto header = [](std::uint16_t qd, std::uint16_t flags = 0) {
    return wire{0xbe,
                0xef,
                static_cast<std::uint8_t>(flags >> 8),
                static_cast<std::uint8_t>(flags),
                0,
                static_cast<std::uint8_t>(qd),
                0,
                0,
                0,
                0,
                0,
                0};
  };
  const auto expect_formerr = [&](const wire& q) {
    const auto r = f.ask(q);
    REQUIRE(r.size() == 1);
    CHECK(rcode_of(r[0]) == LDNS_RCODE_FORMERR);
    CHECK(id_of(r[0]) == 0xbeef);
    CHECK((r[0][2] & 0x80) != 0);  // QR
  };

  SECTION("too short to hold a header: dropped") {
    CHECK(f.ask(wire{}).empty());
    CHECK(f.ask(wire{1, 2, 3, 4, 5}).empty());
  }
  SECTION("a response (QR=1) is dropped") {
    auto q = good;
    q[2] |= 0x80;
    CHECK(f.ask(q).empty());
  }
  SECTION("truncated question") {
    wire h = header(1);
    h.insert(h.end(), {7, 'e', 'x', 'a'});
    expect_formerr(h);
  }
  SECTION("compression pointer loops") {
    wire self = header(1);
    self.insert(self.end(), {0xc0, 12, 0, 1, 0, 1});  // points at itself
    expect_formerr(self);
    wire pair = header(1);
    pair.insert(pair.end(), {1, 'a', 0xc0, 12, 0, 1, 0, 1});  // a -> back to a
    expect_formerr(pair);
    wire forward = header(1);
    forward.insert(forward.end(), {0xc0, 14, 0, 0, 1, 0, 1});
    expect_formerr(forward);
  }
  SECTION("label length 64 (reserved label type 0x40)") {
    wire q = header(1);
    q.push_back(64);
    q.insert(q.end(), 64, 'a');
    q.insert(q.end(), {0, 0, 1, 0, 1});
    expect_formerr(q);
  }
  SECTION("name longer than 255 octets") {
    wire q = header(1);
    for (int i = 0; i < 5; ++i) {
      q.push_back(63);
      q.insert(q.end(), 63, 'a');
    }
    q.insert(q.end(), {0, 0, 1, 0, 1});
    expect_formerr(q);
  }
  SECTION("70000-octet message") {
    wire q = good;
    q.resize(70000, 0);
    q[0] = 0xbe;
    q[1] = 0xef;
    expect_formerr(q);
  }
  SECTION("trailing garbage and QDCOUNT != 1") {
    wire q = good;
    q[0] = 0xbe;
    q[1] = 0xef;
    q.push_back(0);
    expect_formerr(q);
    expect_formerr(header(0));
    wire two = header(2);
    two.insert(two.end(), {0, 0, 1, 0, 1, 0, 0, 1, 0, 1});
    expect_formerr(two);
  }
  SECTION("random bytes and mutated queries never crash") {
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int i = 0; i < 20000; ++i) {
      wire q;
      if (i % 2 == 0) {
        q.resize(static_cast<std::size_t>(std::uniform_int_distribution<int>(0, 300)(rng)));
        for (auto& b : q) b = static_cast<std::uint8_t>(byte(rng));
      } else {
        q = good;
        const int flips = std::uniform_int_distribution<int>(1, 6)(rng);
        for (int k = 0; k < flips; ++k) {
          q[std::uniform_int_distribution<std::size_t>(0, q.size() - 1)(rng)] =
              static_cast<std::uint8_t>(byte(rng));
        }
        if (i % 3 == 0) q.resize(std::uniform_int_distribution<std::size_t>(0, q.size())(rng));
      }
      for (const auto via : {transport::udp, transport::tcp}) {
        const auto replies = f.ask(q, {via, true});
        for (const auto& r : replies) {
          REQUIRE(r.size() >= 12);
          REQUIRE((r[2] & 0x80) != 0);
          if (via == transport::udp) REQUIRE(r.size() <= 1232);
        }
      }
    }
  }
}

namespace {

/// An IXFR query as a secondary sends it: the SOA it has, with `serial`, in the authority
/// section (RFC 1995 §3).
wire make_ixfr(std::uint32_t serial, bool edns = false) {
  ldns_pkt* p =
      ldns_pkt_query_new(ldns_dname_new_frm_str(zone_apex.c_str()), LDNS_RR_TYPE_IXFR, LDNS_RR_CLASS_IN, 0);
  REQUIRE(p != nullptr);
  ldns_pkt_set_id(p, 0x1995);
  if (edns) ldns_pkt_set_edns_udp_size(p, 1232);
  push_rr(p, LDNS_SECTION_AUTHORITY,
          zone_apex + " 3600 IN SOA ns1." + zone_apex + " hostmaster." + zone_apex + " " +
              std::to_string(serial) + " 3600 900 1209600 300");
  return take_wire(p);
}

/// One record as the tests compare them: SOAs by serial only, others in full.
struct seen_rr {
  std::uint16_t type = 0;
  std::uint32_t soa_serial = 0;
  rr_record rr;
  friend bool operator==(const seen_rr&, const seen_rr&) = default;
};

std::ostream& operator<<(std::ostream& os, const seen_rr& r) {
  if (r.type == LDNS_RR_TYPE_SOA) return os << "SOA " << r.soa_serial;
  return os << iotreg::dns::detail::name_to_text(r.rr.owner) << " type " << r.type << " ttl " << r.rr.ttl
            << " (" << r.rr.rdata.size() << " octets)";
}

seen_rr soa_rr(std::uint32_t serial) { return {LDNS_RR_TYPE_SOA, serial, {}}; }

/// Every answer record of a transfer, in order, with each message checked (size, rcode, one
/// question in the first message only).
std::vector<seen_rr> transfer_records(const std::vector<wire>& msgs) {
  std::vector<seen_rr> out;
  for (std::size_t m = 0; m < msgs.size(); ++m) {
    CHECK(msgs[m].size() <= 16 * 1024);
    const reply r(msgs[m]);
    CHECK(r.rcode() == LDNS_RCODE_NOERROR);
    CHECK(ldns_pkt_qdcount(r.pkt) == (m == 0 ? 1 : 0));
    ldns_rr_list* ans = ldns_pkt_answer(r.pkt);
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(ans); ++i) {
      ldns_rr* rr = ldns_rr_list_rr(ans, i);
      seen_rr s;
      s.type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
      if (s.type == LDNS_RR_TYPE_SOA) {
        s.soa_serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
      } else {
        const ldns_rdf* owner = ldns_rr_owner(rr);
        s.rr.owner.assign(ldns_rdf_data(owner), ldns_rdf_data(owner) + ldns_rdf_size(owner));
        s.rr.type = s.type;
        s.rr.ttl = ldns_rr_ttl(rr);
        ldns_buffer* b = ldns_buffer_new(512);
        REQUIRE(ldns_rr_rdata2buffer_wire(b, rr) == LDNS_STATUS_OK);
        s.rr.rdata.assign(ldns_buffer_begin(b), ldns_buffer_begin(b) + ldns_buffer_position(b));
        ldns_buffer_free(b);
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

/// The sequence RFC 1995 §4 prescribes for `chain` ending at `current`.
std::vector<seen_rr> expected_ixfr(const std::vector<zone_diff>& chain, std::uint32_t current) {
  std::vector<seen_rr> out{soa_rr(current)};
  for (const auto& d : chain) {
    out.push_back(soa_rr(d.from_serial));
    for (const auto& r : d.removed) out.push_back({r.type, 0, r});
    out.push_back(soa_rr(d.to_serial));
    for (const auto& r : d.added) out.push_back({r.type, 0, r});
  }
  out.push_back(soa_rr(current));
  return out;
}

/// Serials 77 (three devices), 78 (dev-4 added), 79 (dev-1 removed, dev-2 changed) and a journal
/// of the two diffs.
struct ixfr_fixture {
  zone_signer signer{make_params(), make_keys()};
  std::vector<std::shared_ptr<const zone_snapshot>> zones;
  std::vector<zone_diff> diffs;
  std::shared_ptr<const journal> j = std::make_shared<journal>();
  ixfr_fixture() {
    const auto now = std::chrono::system_clock::now();
    signer.build(
        std::vector<device_record>{make_device("dev-1", 1), make_device("dev-2", 2), make_device("dev-3", 3)},
        77, now);
    zones.push_back(signer.snapshot());
    signer.apply(std::vector<change>{upsert("dev-4", 4)}, 78, now);
    zones.push_back(signer.snapshot());
    signer.apply(std::vector<change>{removal("dev-1"), upsert("dev-2", 22)}, 79, now);
    zones.push_back(signer.snapshot());
    for (std::size_t i = 1; i < zones.size(); ++i) {
      diffs.push_back(diff_snapshots(*zones[i - 1], *zones[i]));
      j = j->with_diff(std::make_shared<zone_diff>(diffs.back()));
    }
  }
  const zone_snapshot& current() const { return *zones.back(); }
  std::vector<wire> ask(const wire& q, transport via, const journal* jr) const {
    query_context ctx{via, true};
    ctx.ixfr_journal = jr;
    return handle_message(zones.back().get(), q, ctx);
  }
};

}  // namespace

TEST_CASE("message/IXFR from the journal (RFC 1995)") {
  const ixfr_fixture f;
  REQUIRE(f.diffs.size() == 2);
  REQUIRE_FALSE(f.diffs[0].added.empty());
  REQUIRE_FALSE(f.diffs[1].removed.empty());

  SECTION("a client two serials behind gets both diffs, framed by SOAs") {
    const auto got = transfer_records(f.ask(make_ixfr(77), transport::tcp, f.j.get()));
    CHECK(got == expected_ixfr(f.diffs, 79));
  }
  SECTION("a client one serial behind gets the last diff only; EDNS gets an OPT in every message") {
    const auto msgs = f.ask(make_ixfr(78, true), transport::tcp, f.j.get());
    CHECK(transfer_records(msgs) == expected_ixfr({f.diffs[1]}, 79));
    for (const auto& m : msgs) CHECK(ldns_pkt_edns(reply(m).pkt));
  }
  SECTION("the SOAs of the reply are the current SOA with the diff's serials") {
    const auto msgs = f.ask(make_ixfr(78), transport::tcp, f.j.get());
    const reply r(msgs.front());
    ldns_rr_list* ans = ldns_pkt_answer(r.pkt);
    ldns_rr* first = ldns_rr_clone(ldns_rr_list_rr(ans, 0));
    ldns_rr* old = ldns_rr_clone(ldns_rr_list_rr(ans, 1));
    REQUIRE(ldns_rr_get_type(old) == LDNS_RR_TYPE_SOA);
    CHECK(ldns_rdf2native_int32(ldns_rr_rdf(old, 2)) == 78);
    ldns_rdf_deep_free(ldns_rr_set_rdf(old, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, 79), 2));
    CHECK(ldns_rr_compare(first, old) == 0);
    ldns_rr_free(first);
    ldns_rr_free(old);
  }
  SECTION("a client that is current, or newer, gets the current SOA alone (TCP and UDP)") {
    for (const std::uint32_t serial : {79U, 80U, 79U + 1000U}) {
      for (const auto via : {transport::tcp, transport::udp}) {
        const auto msgs = f.ask(make_ixfr(serial), via, f.j.get());
        REQUIRE(msgs.size() == 1);
        CHECK(transfer_records(msgs) == std::vector<seen_rr>{soa_rr(79)});
      }
    }
  }
  SECTION("over UDP an older client gets the current SOA alone (retry over TCP)") {
    const auto msgs = f.ask(make_ixfr(77), transport::udp, f.j.get());
    REQUIRE(msgs.size() == 1);
    CHECK(transfer_records(msgs) == std::vector<seen_rr>{soa_rr(79)});
  }
  SECTION("a serial older than the journal, unknown, or no journal: full transfer") {
    const auto full = transfer_records(f.ask(make_ixfr(70), transport::tcp, nullptr));
    REQUIRE(full.size() == f.current().record_count() + 1);
    CHECK(full.front() == soa_rr(79));
    CHECK(full.back() == soa_rr(79));
    CHECK(std::count(full.begin(), full.end(), soa_rr(79)) == 2);
    CHECK(transfer_records(f.ask(make_ixfr(70), transport::tcp, f.j.get())) == full);
    CHECK(transfer_records(f.ask(make_ixfr(77), transport::tcp, nullptr)) == full);
    // Serial 2^31 away: neither older nor newer (RFC 1982): full transfer, never "up to date".
    CHECK(transfer_records(f.ask(make_ixfr(79U + 0x80000000U), transport::tcp, f.j.get())) == full);
    // A journal that lost the oldest diff (count limit 1).
    std::shared_ptr<const journal> small = std::make_shared<journal>(journal_limits{1, 1U << 30});
    for (const auto& d : f.diffs) small = small->with_diff(std::make_shared<zone_diff>(d));
    CHECK(transfer_records(f.ask(make_ixfr(77), transport::tcp, small.get())) == full);
    CHECK(transfer_records(f.ask(make_ixfr(78), transport::tcp, small.get())) ==
          expected_ixfr({f.diffs[1]}, 79));
    // An IXFR without the client's SOA (not RFC 1995, but answerable).
    CHECK(transfer_records(
              f.ask(make_query(zone_apex, LDNS_RR_TYPE_IXFR, false), transport::tcp, f.j.get())) == full);
  }
  SECTION("not allowed: REFUSED") {
    query_context ctx{transport::tcp, false};
    ctx.ixfr_journal = f.j.get();
    const auto msgs = handle_message(&f.current(), make_ixfr(77), ctx);
    REQUIRE(msgs.size() == 1);
    CHECK(rcode_of(msgs.front()) == LDNS_RCODE_REFUSED);
  }
  SECTION("a malformed SOA in the authority section is FORMERR") {
    auto q = make_ixfr(77);
    // The SOA is the last record: find its RDLENGTH, then drop the last octet of the RDATA
    // (the message stays well formed, the SOA RDATA does not).
    std::size_t at = q.size() - 22;
    while (at > 12 && static_cast<std::size_t>((q[at] << 8) | q[at + 1]) != q.size() - at - 2) --at;
    REQUIRE(at > 12);
    q.pop_back();
    const auto len = static_cast<std::uint16_t>(q.size() - at - 2);
    q[at] = static_cast<std::uint8_t>(len >> 8);
    q[at + 1] = static_cast<std::uint8_t>(len);
    const auto msgs = f.ask(q, transport::tcp, f.j.get());
    REQUIRE(msgs.size() == 1);
    CHECK(rcode_of(msgs.front()) == LDNS_RCODE_FORMERR);
  }
}

TEST_CASE("message/IXFR of a big diff spans several messages") {
  zone_signer signer{make_params(), make_keys()};
  const auto now = std::chrono::system_clock::now();
  signer.build(std::vector<device_record>{make_device("dev-1", 1)}, 100, now);
  const auto before = signer.snapshot();
  std::vector<change> many;
  for (int i = 0; i < 300; ++i) many.push_back(upsert("d" + std::to_string(i), i));
  signer.apply(many, 101, now);
  const auto after = signer.snapshot();
  const auto d = diff_snapshots(*before, *after);
  const auto j = journal().with_diff(std::make_shared<zone_diff>(d));
  query_context ctx{transport::tcp, true};
  ctx.ixfr_journal = j.get();
  const auto msgs = handle_message(after.get(), make_ixfr(100), ctx);
  CHECK(msgs.size() > 5);
  CHECK(transfer_records(msgs) == expected_ixfr({d}, 101));
}

namespace {

/// The NSEC records of the authority section, by ldns.
std::vector<ldns_rr*> nsecs_of(const reply& r) {
  std::vector<ldns_rr*> out;
  ldns_rr_list* auth = ldns_pkt_authority(r.pkt);
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(auth); ++i) {
    if (ldns_rr_get_type(ldns_rr_list_rr(auth, i)) == LDNS_RR_TYPE_NSEC)
      out.push_back(ldns_rr_list_rr(auth, i));
  }
  return out;
}

/// True if some NSEC in `nsecs` covers `name` (owner < name < next, ldns_nsec_covers_name).
bool covered(const std::vector<ldns_rr*>& nsecs, const std::string& name) {
  ldns_rdf* n = ldns_dname_new_frm_str(name.c_str());
  bool yes = false;
  for (ldns_rr* rr : nsecs) yes = yes || ldns_nsec_covers_name(rr, n);
  ldns_rdf_deep_free(n);
  return yes;
}

}  // namespace

TEST_CASE("message/NSEC mode: NXDOMAIN proves the name and the wildcard absent") {
  fixture f(denial_mode::nsec);
  // (qname, closest encloser)
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"nope._device." + zone_apex, "_device." + zone_apex},
      {"a.b.c.dev-1._device." + zone_apex, "dev-1._device." + zone_apex},
      {"zzz." + zone_apex, zone_apex},
      {"aaa." + zone_apex, zone_apex}};
  for (const auto& [qname, encloser] : cases) {
    INFO(qname);
    const reply r(f.ask_one(make_query(qname, LDNS_RR_TYPE_TLSA)));
    CHECK(r.rcode() == LDNS_RCODE_NXDOMAIN);
    CHECK(r.answers(LDNS_RR_TYPE_TLSA) == 0);
    CHECK(r.authority(LDNS_RR_TYPE_SOA) == 1);
    CHECK(r.authority(LDNS_RR_TYPE_NSEC3) == 0);
    const auto nsecs = nsecs_of(r);
    CHECK(nsecs.size() >= 1);
    CHECK(nsecs.size() <= 2);
    CHECK(r.authority(LDNS_RR_TYPE_RRSIG) == nsecs.size() + 1);
    CHECK(covered(nsecs, qname));
    CHECK(covered(nsecs, "*." + encloser));
    ldns_rr_list* keys = fetch_keys(f);
    CHECK(verify_section(ldns_pkt_authority(r.pkt), keys) == nsecs.size() + 1);
    ldns_rr_list_deep_free(keys);
  }
  SECTION("without DO: no NSEC, no RRSIG") {
    const reply r(f.ask_one(make_query("nope._device." + zone_apex, LDNS_RR_TYPE_TLSA, true, false)));
    CHECK(r.rcode() == LDNS_RCODE_NXDOMAIN);
    CHECK(r.authority(LDNS_RR_TYPE_NSEC) == 0);
    CHECK(r.authority(LDNS_RR_TYPE_RRSIG) == 0);
  }
}

TEST_CASE("message/NSEC mode: NODATA carries the matching or covering NSEC") {
  fixture f(denial_mode::nsec);
  SECTION("an owner without the type: its own NSEC, whose bitmap lacks it") {
    for (const std::string& qname : {"dev-2._device." + zone_apex, zone_apex, "device." + zone_apex}) {
      INFO(qname);
      const reply r(f.ask_one(make_query(qname, LDNS_RR_TYPE_TXT)));
      CHECK(r.rcode() == LDNS_RCODE_NOERROR);
      CHECK(ldns_pkt_ancount(r.pkt) == 0);
      const auto nsecs = nsecs_of(r);
      REQUIRE(nsecs.size() == 1);
      ldns_rdf* owner = ldns_dname_new_frm_str(qname.c_str());
      CHECK(ldns_dname_compare(ldns_rr_owner(nsecs[0]), owner) == 0);
      ldns_rdf_deep_free(owner);
      CHECK_FALSE(ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(nsecs[0]), LDNS_RR_TYPE_TXT));
      CHECK(ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(nsecs[0]), LDNS_RR_TYPE_NSEC));
      CHECK(ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(nsecs[0]), LDNS_RR_TYPE_RRSIG));
      CHECK(r.authority(LDNS_RR_TYPE_RRSIG) == 2);
      for (std::size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_authority(r.pkt)); ++i) {
        CHECK(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(r.pkt), i)) == 300);
      }
      ldns_rr_list* keys = fetch_keys(f);
      CHECK(verify_section(ldns_pkt_authority(r.pkt), keys) == 2);
      ldns_rr_list_deep_free(keys);
    }
  }
  SECTION("an empty non-terminal: the NSEC covering it, whose next name is below it") {
    const std::string qname = "_device." + zone_apex;
    const reply r(f.ask_one(make_query(qname, LDNS_RR_TYPE_TXT)));
    CHECK(r.rcode() == LDNS_RCODE_NOERROR);
    const auto nsecs = nsecs_of(r);
    REQUIRE(nsecs.size() == 1);
    CHECK(covered(nsecs, qname));
    ldns_rdf* ent = ldns_dname_new_frm_str(qname.c_str());
    CHECK(ldns_dname_is_subdomain(ldns_rr_rdf(nsecs[0], 0), ent));
    ldns_rdf_deep_free(ent);
    CHECK(r.authority(LDNS_RR_TYPE_RRSIG) == 2);
  }
  SECTION("qtype NSEC at an owner is an answer") {
    const reply r(f.ask_one(make_query("dev-1._device." + zone_apex, LDNS_RR_TYPE_NSEC)));
    CHECK(r.answers(LDNS_RR_TYPE_NSEC) == 1);
    CHECK(r.answers(LDNS_RR_TYPE_RRSIG) == 1);
  }
  SECTION("no NSEC3PARAM at the apex") {
    const reply r(f.ask_one(make_query(zone_apex, LDNS_RR_TYPE_NSEC3PARAM)));
    CHECK(r.answers(LDNS_RR_TYPE_NSEC3PARAM) == 0);
    CHECK(r.authority(LDNS_RR_TYPE_NSEC) == 1);
  }
}
