// The signer in NSEC mode (zone_parameters::denial = nsec): the chain it builds and keeps, checked
// by hand and by ldns-verify-zone, kzonecheck and dnssec-verify, and the diffs of its changes.

#include "dns/nsec_chain.hpp"
#include "dns/rr_types.hpp"
#include "dns/signer.hpp"
#include "dns/zone_file.hpp"
#include "dns/zone_snapshot.hpp"
#include "dns/zone_walk.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

using namespace iotreg::dns;
using namespace iotreg::dns::test;
namespace d = iotreg::dns::detail;

namespace {

zone_parameters nsec_params() {
  auto p = make_params();
  p.denial = denial_mode::nsec;
  return p;
}

d::wire_name name(const std::string& text) { return *d::name_from_text(text); }

/// Checks that every owner has exactly one NSEC, naming the next owner (the last one the apex)
/// with the owner's types plus NSEC and RRSIG, signed, with the negative TTL; and that nothing
/// NSEC3 is left. Returns the number of owners.
std::size_t check_chain(const zone_snapshot& snap) {
  const auto& z = snap.data();
  CHECK(z.nsec);
  CHECK(z.nsec3.empty());
  std::size_t owners = 0;
  for (auto it = z.nodes.begin(); it != z.nodes.end(); ++it) {
    ++owners;
    INFO(d::name_to_text(it->first));
    auto next = it;
    ++next;
    const d::wire_name& next_name = next == z.nodes.end() ? z.apex : next->first;
    const d::rrset* s = it->second.find(d::rr_type::nsec);
    REQUIRE(s != nullptr);
    REQUIRE(s->rdata.size() == 1);
    CHECK(s->rdata[0] == d::nsec_rdata(next_name, d::nsec_types(it->second)));
    CHECK(s->ttl == 300);
    CHECK_FALSE(s->rrsig.empty());
    CHECK(it->second.find(d::rr_type::nsec3param) == nullptr);
    CHECK(it->second.find(d::rr_type::nsec3) == nullptr);
  }
  return owners;
}

/// Replays the signer's last diff on `records` and checks the result is the current zone.
void replay(std::set<rr_record>& records, const zone_signer& signer) {
  const zone_diff* diff = signer.last_diff();
  REQUIRE(diff != nullptr);
  replay_diff(records, *diff);
  CHECK(records == diffable_records(*signer.snapshot()));
}

std::size_t count_type(const std::vector<rr_record>& v, std::uint16_t type) {
  return static_cast<std::size_t>(
      std::count_if(v.begin(), v.end(), [&](const rr_record& r) { return r.type == type; }));
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("nsec/build, apply and removal keep a valid NSEC chain") {
  const auto now = std::chrono::system_clock::now();
  zone_signer signer(nsec_params(), make_keys());
  signer.build(std::vector<device_record>{make_device("dev-1", 1), make_device("dev-2", 2),
                                          make_device("89049032004008882600000123456789", 3)},
               1, now);
  // 3 devices, apex, ns1, device, _rootcert.device; _device is an empty non-terminal: no NSEC.
  CHECK(check_chain(*signer.snapshot()) == 7);
  CHECK_FALSE(signer.snapshot()->data().nodes.contains(name("_device." + zone_apex)));
  temp_dir dir;
  const auto file = dir.path() / "zone";
  write_zone_file(*signer.snapshot(), file);
  verify_with_real_tools(file);
  const std::string text = read_all(file);
  CHECK(text.find("\tNSEC\t") != std::string::npos);
  CHECK(text.find("NSEC3") == std::string::npos);
  auto records = diffable_records(*signer.snapshot());

  SECTION("a new device: its NSEC and its predecessor's, nothing else but SOA") {
    signer.apply(std::vector<change>{upsert("dev-15", 4)}, 2, now);
    const zone_diff* diff = signer.last_diff();
    REQUIRE(diff != nullptr);
    // Removed: the predecessor's (dev-1) NSEC and RRSIG, the SOA RRSIG.
    CHECK(diff->removed.size() == 3);
    CHECK(count_type(diff->removed, d::rr_type::nsec) == 1);
    // Added: TLSA, two NSECs, their three RRSIGs and the SOA's.
    CHECK(diff->added.size() == 7);
    CHECK(count_type(diff->added, d::rr_type::nsec) == 2);
    replay(records, signer);
    CHECK(check_chain(*signer.snapshot()) == 8);
    write_zone_file(*signer.snapshot(), file);
    verify_with_real_tools(file);
  }
  SECTION("replace and remove") {
    signer.apply(std::vector<change>{upsert("dev-1", 11), removal("dev-2"), removal("ghost")}, 2, now);
    replay(records, signer);
    CHECK(check_chain(*signer.snapshot()) == 6);
    write_zone_file(*signer.snapshot(), file);
    verify_with_real_tools(file);
  }
  SECTION("every device gone, then one back") {
    signer.apply(
        std::vector<change>{removal("dev-1"), removal("dev-2"), removal("89049032004008882600000123456789")},
        2, now);
    replay(records, signer);
    CHECK(check_chain(*signer.snapshot()) == 4);
    write_zone_file(*signer.snapshot(), file);
    verify_with_real_tools(file);
    signer.apply(std::vector<change>{upsert("solo", 9)}, 3, now);
    replay(records, signer);
    CHECK(check_chain(*signer.snapshot()) == 5);
    write_zone_file(*signer.snapshot(), file);
    verify_with_real_tools(file);
  }
}

TEST_CASE("nsec/set_keys: the apex NSEC bitmap follows CDS/CDNSKEY") {
  const auto now = std::chrono::system_clock::now();
  temp_dir keydir;
  auto keys = make_keys();
  keys[0].save(keydir.path() / "ksk");
  keys[1].save(keydir.path() / "zsk");
  const auto load = [&](const char* f) { return dnssec_key::load(keydir.path() / f, zone_apex); };
  zone_signer signer(nsec_params(), std::move(keys));
  signer.build(std::vector<device_record>{make_device("dev-1", 1)}, 1, now);
  auto records = diffable_records(*signer.snapshot());
  const auto apex_nsec = [&] {
    const auto& z = signer.snapshot()->data();
    return z.nodes.at(z.apex).find(d::rr_type::nsec)->rdata.at(0);
  };
  const auto before = apex_nsec();

  std::vector<zone_key> with_cds;
  with_cds.push_back(zone_key{load("ksk"), true, true, true});
  with_cds.push_back(zone_key{load("zsk"), true, true, false});
  signer.set_keys(std::move(with_cds), 2, now);
  CHECK(apex_nsec() != before);  // check_chain() below checks the new bitmap
  CHECK(count_type(signer.last_diff()->added, d::rr_type::nsec) == 1);
  replay(records, signer);
  check_chain(*signer.snapshot());
  temp_dir dir;
  write_zone_file(*signer.snapshot(), dir.path() / "zone");
  verify_with_real_tools(dir.path() / "zone");

  std::vector<zone_key> without;
  without.push_back(zone_key{load("ksk"), true, true, false});
  without.push_back(zone_key{load("zsk"), true, true, false});
  signer.set_keys(std::move(without), 3, now);
  CHECK(apex_nsec() == before);
  replay(records, signer);

  SECTION("a ZSK rollover re-signs everything and keeps the chain") {
    std::vector<zone_key> rolled;
    rolled.push_back(zone_key{load("ksk"), true, true, true});
    rolled.push_back(zone_key{dnssec_key::generate(13, key_role::zsk, zone_apex), true, true, false});
    signer.set_keys(std::move(rolled), 4, now);
    check_chain(*signer.snapshot());
    CHECK(apex_nsec() != before);  // CDS came back with the rollover
    write_zone_file(*signer.snapshot(), dir.path() / "zone");
    verify_with_real_tools(dir.path() / "zone");
  }
}
