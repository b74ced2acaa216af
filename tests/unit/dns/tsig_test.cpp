// TSIG (RFC 8945) on transfers and queries, checked against ldns's independent implementation:
// ldns signs the requests and verifies our responses, message by message.
#include "dns/tsig.hpp"

#include "dns/journal.hpp"
#include "dns/ldns.hpp"
#include "dns/message.hpp"
#include "dns/notify.hpp"
#include "dns/signer.hpp"
#include "dns/zone_snapshot.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <ctime>
#include <fstream>

using namespace iotreg::dns;
using namespace iotreg::dns::test;

namespace {

using wire = std::vector<std::uint8_t>;

const char* const key_name = "xfr.iotregistry.test.";
const char* const secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";
const char* const other_secret = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3Q=";

/// A query made and (optionally) TSIG-signed by ldns. `mac` receives the request MAC rdf.
/// `client_soa`: an SOA record in presentation form for the authority section (IXFR).
wire make_request(const std::string& qname, ldns_rr_type type, const char* name, const char* key,
                  ldns_rdf** mac = nullptr, const std::string& client_soa = {}) {
  ldns_pkt* p = ldns_pkt_query_new(ldns_dname_new_frm_str(qname.c_str()), type, LDNS_RR_CLASS_IN, 0);
  REQUIRE(p != nullptr);
  ldns_pkt_set_id(p, 0x1234);
  if (!client_soa.empty()) {
    push_rr(p, LDNS_SECTION_AUTHORITY, client_soa);
  }
  if (name != nullptr) {
    REQUIRE(ldns_pkt_tsig_sign(p, name, key, 300, "hmac-sha256.", nullptr) == LDNS_STATUS_OK);
    if (mac != nullptr) *mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
  }
  return take_wire(p);
}

using parsed = parsed_message;

struct fixture {
  zone_signer signer{make_params(), make_keys()};
  std::shared_ptr<const zone_snapshot> zone;
  tsig_key key = make_tsig_key(key_name, "hmac-sha256", secret);
  explicit fixture(int devices = 3) {
    std::vector<device_record> records;
    for (int i = 0; i < devices; ++i) records.push_back(make_device("dev-" + std::to_string(i), i));
    signer.build(records, 77, std::chrono::system_clock::now());
    zone = signer.snapshot();
  }
  query_context ctx(bool allowed = true) const { return {transport::tcp, allowed, &key, 0}; }
  std::vector<wire> ask(const wire& q, const query_context& c) const {
    return handle_message(zone.get(), q, c);
  }
};

/// Verifies every message of a response stream with ldns: the first against the request MAC,
/// the following against the previous MAC with the timers only (RFC 8945 §5.3.1).
void verify_stream(const std::vector<wire>& answers, ldns_rdf* request_mac, const char* key) {
  ldns_rdf* mac = ldns_rdf_clone(request_mac);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    parsed r(answers[i]);
    INFO("message " << i << " of " << answers.size());
    REQUIRE(r.tsig() != nullptr);
    CHECK(ldns_pkt_tsig_verify_next(r.pkt, answers[i].data(), answers[i].size(), key_name, key, mac,
                                    i == 0 ? 0 : 1));
    ldns_rdf_deep_free(mac);
    mac = ldns_rdf_clone(ldns_rr_rdf(r.tsig(), 3));
  }
  ldns_rdf_deep_free(mac);
}

}  // namespace

TEST_CASE("tsig/a signed AXFR is answered, every message signed and verified by ldns") {
  const fixture f(300);  // large enough for several messages
  ldns_rdf* mac = nullptr;
  const auto q = make_request(zone_apex, LDNS_RR_TYPE_AXFR, key_name, secret, &mac);
  const auto answers = f.ask(q, f.ctx());
  REQUIRE(answers.size() > 1);
  for (const auto& a : answers) CHECK(parsed(a).rcode() == LDNS_RCODE_NOERROR);
  const parsed first(answers.front());
  CHECK(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(first.pkt), 0)) == LDNS_RR_TYPE_SOA);
  verify_stream(answers, mac, secret);
  ldns_rdf_deep_free(mac);
}

TEST_CASE("tsig/a signed IXFR from the journal: every message signed and verified by ldns") {
  fixture f(3);
  const auto before = f.zone;
  std::vector<change> many;
  for (int i = 0; i < 200; ++i) many.push_back(upsert("new-" + std::to_string(i), 1000 + i));
  f.signer.apply(many, 78, std::chrono::system_clock::now());
  f.zone = f.signer.snapshot();
  const auto j = journal().with_diff(std::make_shared<zone_diff>(diff_snapshots(*before, *f.zone)));
  auto ctx = f.ctx();
  ctx.ixfr_journal = j.get();
  ldns_rdf* mac = nullptr;
  const auto q =
      make_request(zone_apex, LDNS_RR_TYPE_IXFR, key_name, secret, &mac,
                   zone_apex + " 3600 IN SOA ns1." + zone_apex + " h." + zone_apex + " 77 1 1 1 1");
  const auto answers = f.ask(q, ctx);
  REQUIRE(answers.size() > 1);
  std::vector<std::uint32_t> soa_serials;
  for (const auto& a : answers) {
    const parsed r(a);
    CHECK(r.rcode() == LDNS_RCODE_NOERROR);
    ldns_rr_list* ans = ldns_pkt_answer(r.pkt);
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(ans); ++i) {
      ldns_rr* rr = ldns_rr_list_rr(ans, i);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
        soa_serials.push_back(ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)));
    }
  }
  CHECK(soa_serials == std::vector<std::uint32_t>{78, 77, 78, 78});  // incremental, not AXFR-style
  verify_stream(answers, mac, secret);
  ldns_rdf_deep_free(mac);
}

TEST_CASE("tsig/a signed SOA query gets a signed answer") {
  const fixture f;
  ldns_rdf* mac = nullptr;
  const auto answers = f.ask(make_request(zone_apex, LDNS_RR_TYPE_SOA, key_name, secret, &mac), f.ctx());
  REQUIRE(answers.size() == 1);
  CHECK(parsed(answers.front()).rcode() == LDNS_RCODE_NOERROR);
  verify_stream(answers, mac, secret);
  ldns_rdf_deep_free(mac);
}

TEST_CASE("tsig/a wrong secret gets NOTAUTH with BADSIG, unsigned") {
  const fixture f;
  const auto answers = f.ask(make_request(zone_apex, LDNS_RR_TYPE_AXFR, key_name, other_secret), f.ctx());
  REQUIRE(answers.size() == 1);
  const parsed r(answers.front());
  CHECK(r.rcode() == LDNS_RCODE_NOTAUTH);
  REQUIRE(r.tsig() != nullptr);
  CHECK(r.tsig_error() == tsig_error::badsig);
  CHECK(r.mac_size() == 0);
  CHECK(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt)) == 0);
}

TEST_CASE("tsig/an unknown key gets NOTAUTH with BADKEY") {
  const fixture f;
  const auto answers =
      f.ask(make_request(zone_apex, LDNS_RR_TYPE_AXFR, "other.iotregistry.test.", secret), f.ctx());
  REQUIRE(answers.size() == 1);
  const parsed r(answers.front());
  CHECK(r.rcode() == LDNS_RCODE_NOTAUTH);
  REQUIRE(r.tsig() != nullptr);
  CHECK(r.tsig_error() == tsig_error::badkey);
  CHECK(r.mac_size() == 0);
  // No key configured at all: any TSIG is BADKEY too.
  query_context none{transport::tcp, true, nullptr, 0};
  const parsed r2(f.ask(make_request(zone_apex, LDNS_RR_TYPE_SOA, key_name, secret), none).front());
  CHECK(r2.rcode() == LDNS_RCODE_NOTAUTH);
  CHECK(r2.tsig_error() == tsig_error::badkey);
}

TEST_CASE("tsig/a time outside the fudge gets a signed BADTIME with our time") {
  const fixture f;
  auto c = f.ctx();
  c.now = static_cast<std::uint64_t>(std::time(nullptr)) + 1000;
  const auto answers = f.ask(make_request(zone_apex, LDNS_RR_TYPE_AXFR, key_name, secret), c);
  REQUIRE(answers.size() == 1);
  const parsed r(answers.front());
  CHECK(r.rcode() == LDNS_RCODE_NOTAUTH);
  REQUIRE(r.tsig() != nullptr);
  CHECK(r.tsig_error() == tsig_error::badtime);
  CHECK(r.mac_size() == 32);
  CHECK(ldns_rdf_size(ldns_rr_rdf(r.tsig(), 6)) == 2 + 6);  // Other Len + 48-bit server time
  CHECK(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt)) == 0);
}

TEST_CASE("tsig/an unsigned transfer is refused when the key is required; the address ACL comes first") {
  const fixture f;
  const auto unsigned_q = make_request(zone_apex, LDNS_RR_TYPE_AXFR, nullptr, nullptr);
  CHECK(parsed(f.ask(unsigned_q, f.ctx()).front()).rcode() == LDNS_RCODE_NOTAUTH);
  const auto ixfr = make_request(zone_apex, LDNS_RR_TYPE_IXFR, nullptr, nullptr);
  CHECK(parsed(f.ask(ixfr, f.ctx()).front()).rcode() == LDNS_RCODE_NOTAUTH);
  // A valid signature from an address not in transfer_allow: REFUSED (signed).
  const auto signed_q = make_request(zone_apex, LDNS_RR_TYPE_AXFR, key_name, secret);
  CHECK(parsed(f.ask(signed_q, f.ctx(false)).front()).rcode() == LDNS_RCODE_REFUSED);
  // Unsigned ordinary queries are still answered.
  CHECK(parsed(f.ask(make_request(zone_apex, LDNS_RR_TYPE_SOA, nullptr, nullptr), f.ctx()).front()).rcode() ==
        LDNS_RCODE_NOERROR);
}

TEST_CASE("tsig/a TSIG that is not the last record is FORMERR") {
  const fixture f;
  auto q = make_request(zone_apex, LDNS_RR_TYPE_SOA, key_name, secret);
  // An empty A record after the TSIG.
  const std::uint8_t extra[] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
  q.insert(q.end(), std::begin(extra), std::end(extra));
  q[11] = static_cast<std::uint8_t>(q[11] + 1);
  CHECK(parsed(f.ask(q, f.ctx()).front()).rcode() == LDNS_RCODE_FORMERR);
}

TEST_CASE("tsig/keys: algorithm, secret and secret file checks") {
  CHECK_THROWS_AS(make_tsig_key("k.", "hmac-md5", secret), std::invalid_argument);
  CHECK_THROWS_AS(make_tsig_key("k.", "hmac-sha256", "not base64!"), std::invalid_argument);
  CHECK(make_tsig_key("K.Example", "HMAC-SHA256", secret).name == "k.example.");
  temp_dir dir;
  const auto path = dir.path() / "key.tsig";
  std::ofstream(path) << secret << "\n";
  ::chmod(path.c_str(), 0644);
  try {
    load_tsig_key_blocking("k.", "hmac-sha256", path);
    FAIL("a world-readable secret file was accepted");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(),
               Catch::Matchers::Contains(path.string()) && Catch::Matchers::Contains("world-readable"));
  }
  ::chmod(path.c_str(), 0600);
  CHECK(load_tsig_key_blocking("k.", "hmac-sha256", path).secret ==
        make_tsig_key("k.", "hmac-sha256", secret).secret);
}

TEST_CASE("notify/a signed NOTIFY that ldns parses and verifies") {
  const fixture f;
  const auto msg = make_notify(*f.zone, 0x5151, &f.key, static_cast<std::uint64_t>(std::time(nullptr)));
  const parsed r(msg);
  CHECK(ldns_pkt_get_opcode(r.pkt) == LDNS_PACKET_NOTIFY);
  CHECK(ldns_pkt_aa(r.pkt));
  CHECK_FALSE(ldns_pkt_qr(r.pkt));
  CHECK(ldns_pkt_id(r.pkt) == 0x5151);
  REQUIRE(ldns_pkt_qdcount(r.pkt) == 1);
  CHECK(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(r.pkt), 0)) == LDNS_RR_TYPE_SOA);
  REQUIRE(ldns_pkt_ancount(r.pkt) == 1);
  CHECK(ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(r.pkt), 0), 2)) == 77);
  CHECK(ldns_pkt_tsig_verify(r.pkt, msg.data(), msg.size(), key_name, secret, nullptr));

  wire reply = msg;
  reply[2] |= 0x80;
  CHECK(is_notify_response(reply, 0x5151));
  CHECK_FALSE(is_notify_response(reply, 0x5152));
  CHECK_FALSE(is_notify_response(msg, 0x5151));  // not a response
}
