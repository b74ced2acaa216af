#include "dns/message.hpp"

#include "dns/ldns.hpp"
#include "dns/signer.hpp"
#include "dns/zone_snapshot.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

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
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  REQUIRE(ldns_pkt2wire(&data, p, &size) == LDNS_STATUS_OK);
  wire out(data, data + size);
  std::free(data);
  ldns_pkt_free(p);
  return out;
}

/// A parsed reply that frees itself.
struct reply {
  ldns_pkt* pkt = nullptr;
  explicit reply(const wire& w) { REQUIRE(ldns_wire2pkt(&pkt, w.data(), w.size()) == LDNS_STATUS_OK); }
  ~reply() { ldns_pkt_free(pkt); }
  reply(const reply&) = delete;
  reply& operator=(const reply&) = delete;

  ldns_pkt_rcode rcode() const { return ldns_pkt_get_rcode(pkt); }
  std::size_t count(ldns_rr_list* l, ldns_rr_type t) const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(l); ++i) {
      if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t) ++n;
    }
    return n;
  }
  std::size_t answers(ldns_rr_type t) const { return count(ldns_pkt_answer(pkt), t); }
  std::size_t authority(ldns_rr_type t) const { return count(ldns_pkt_authority(pkt), t); }
};

/// The zone every test queries: three devices, signed now.
struct fixture {
  zone_signer signer{make_params(), make_keys()};
  std::shared_ptr<const zone_snapshot> zone;
  fixture() {
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
