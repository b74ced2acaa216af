#include "dns/signer.hpp"

#include "dns/nsec3.hpp"
#include "dns/rr_types.hpp"
#include "dns/zone_file.hpp"
#include "dns/zone_snapshot.hpp"
#include "dns/zone_walk.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <random>
#include <set>

using namespace iotreg::dns;
using namespace iotreg::dns::test;
namespace d = iotreg::dns::detail;

namespace {

const std::vector<device_record> three_devices = {make_device("dev-1", 1), make_device("dev-2", 2),
                                                  make_device("89049032004008882600000123456789", 3)};

/// Every record as "owner type ttl hex-rdata", RRSIGs without their signature bytes (ECDSA
/// signatures are randomized): two zones with equal output hold the same data.
std::multiset<std::string> comparable(const zone_snapshot& z) {
  std::multiset<std::string> out;
  const std::size_t signer_name = z.data().apex.size();
  d::for_each_record(z.data(), [&](const d::rr_ref& r) {
    auto rdata = r.rdata;
    if (r.type == d::rr_type::rrsig) rdata = rdata.first(18 + signer_name);
    std::string line =
        d::name_to_text(r.owner) + " " + std::to_string(r.type) + " " + std::to_string(r.ttl) + " ";
    static constexpr char hex[] = "0123456789abcdef";
    for (const auto b : rdata) {
      line += hex[b >> 4];
      line += hex[b & 15];
    }
    out.insert(line);
  });
  return out;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

bool has_nsec3_for(const zone_snapshot& z, const std::string& name) {
  return z.data().nsec3.contains(d::nsec3_hash_of(*d::name_from_text(name)));
}

/// Key tags of the RRSIGs over `type` at the apex.
std::set<std::uint16_t> signing_tags(const zone_snapshot& z, std::uint16_t type) {
  std::set<std::uint16_t> tags;
  const auto* s = z.data().nodes.at(z.data().apex).find(type);
  REQUIRE(s != nullptr);
  for (const auto& sig : s->rrsig) tags.insert(static_cast<std::uint16_t>((sig[16] << 8) | sig[17]));
  return tags;
}

}  // namespace

TEST_CASE("signer/build passes ldns-verify-zone, kzonecheck and dnssec-verify") {
  const auto now = std::chrono::system_clock::now();
  zone_signer signer(make_params(), make_keys());
  CHECK(signer.snapshot() == nullptr);
  signer.build(three_devices, 2024010101, now);
  const auto snap = signer.snapshot();
  REQUIRE(snap);
  CHECK(snap->serial() == 2024010101);
  CHECK(signer.serial() == 2024010101);
  CHECK(snap->apex() == zone_apex);

  temp_dir dir;
  const auto file = dir.path() / "iotregistry.test.zone";
  write_zone_file(*snap, file);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  verify_with_real_tools(file);

  const std::string text = read_file(file);
  INFO(text);
  CHECK(text.find("iotregistry.test.\t3600\tIN\tSOA\tns1.iotregistry.test. "
                  "hostmaster.iotregistry.test. 2024010101 3600 600 1209600 300") != std::string::npos);
  CHECK(text.find("\tNSEC3PARAM\t1 0 0 -") != std::string::npos);
  CHECK(text.find("dev-1._device.iotregistry.test.\t300\tIN\tTLSA\t3 1 1 ") != std::string::npos);
  CHECK(text.find("_rootcert.device.iotregistry.test.\t3600\tIN\tTLSA\t0 0 0 3082") != std::string::npos);
  CHECK(text.find("\t300\tIN\tNSEC3\t1 0 0 - ") != std::string::npos);  // min(300, 3600)
  // SOA is the first record.
  const auto first_rr = text.substr(text.find('\n') + 1);
  CHECK(first_rr.find("\tSOA\t") < first_rr.find('\n'));

  SECTION("empty non-terminals get NSEC3 records; device.<zone> has an A so is not one") {
    CHECK(has_nsec3_for(*snap, "_device.iotregistry.test."));
    CHECK(has_nsec3_for(*snap, "device.iotregistry.test."));
    const auto& ent =
        snap->data().nsec3.at(d::nsec3_hash_of(*d::name_from_text("_device.iotregistry.test.")));
    CHECK(d::nsec3_types_of(ent.rdata).empty());
    const auto& dev = snap->data().nsec3.at(d::nsec3_hash_of(*d::name_from_text("device.iotregistry.test.")));
    CHECK(d::nsec3_types_of(dev.rdata) == std::vector<std::uint16_t>{d::rr_type::a, d::rr_type::rrsig});
    // 3 devices, _device, apex, ns1, device, _rootcert.device
    CHECK(snap->data().nsec3.size() == 8);
  }

  SECTION("DNSKEY is signed by the KSK only, everything else by the ZSK only") {
    CHECK(signing_tags(*snap, d::rr_type::dnskey).size() == 1);
    CHECK(signing_tags(*snap, d::rr_type::soa).size() == 1);
    CHECK(signing_tags(*snap, d::rr_type::dnskey) != signing_tags(*snap, d::rr_type::soa));
  }

  SECTION("incremental add, replace and remove still verify") {
    const std::vector<change> changes = {upsert("dev-4", 4), upsert("dev-1", 11), removal("dev-2"),
                                         removal("never-there")};
    signer.apply(changes, 2024010102, now);
    const auto next = signer.snapshot();
    CHECK(next->serial() == 2024010102);
    CHECK(snap->serial() == 2024010101);  // the old snapshot is untouched
    write_zone_file(*next, file);
    verify_with_real_tools(file);
    const std::string after = read_file(file);
    CHECK(after.find("dev-4._device") != std::string::npos);
    CHECK(after.find("dev-2._device") == std::string::npos);
    CHECK(after.find(make_device("dev-1", 11).tlsa[0].to_text()) != std::string::npos);
    CHECK(after.find(make_device("dev-1", 1).tlsa[0].to_text()) == std::string::npos);
  }

  SECTION("removing every device removes _device's NSEC3; adding one brings it back") {
    signer.apply(
        std::vector<change>{removal("dev-1"), removal("dev-2"), removal("89049032004008882600000123456789")},
        2024010102, now);
    CHECK_FALSE(has_nsec3_for(*signer.snapshot(), "_device.iotregistry.test."));
    write_zone_file(*signer.snapshot(), file);
    verify_with_real_tools(file);
    signer.apply(std::vector<change>{upsert("solo", 9)}, 2024010103, now);
    CHECK(has_nsec3_for(*signer.snapshot(), "_device.iotregistry.test."));
    write_zone_file(*signer.snapshot(), file);
    verify_with_real_tools(file);
  }
}

TEST_CASE("signer/Ed25519 zone verifies") {
  zone_signer signer(make_params(), make_keys(15));
  signer.build(three_devices, 1, std::chrono::system_clock::now());
  temp_dir dir;
  write_zone_file(*signer.snapshot(), dir.path() / "z");
  verify_with_real_tools(dir.path() / "z");
}

TEST_CASE("signer/apply is idempotent and checks its preconditions") {
  const auto now = std::chrono::system_clock::now();
  zone_signer signer(make_params(), make_keys());
  CHECK_THROWS_AS(signer.apply(std::vector<change>{upsert("a", 1)}, 2, now), std::logic_error);
  signer.build(three_devices, 10, now);
  const auto before = signer.snapshot();

  SECTION("identical upsert and absent remove with the same serial change nothing") {
    signer.apply(std::vector<change>{upsert("dev-1", 1), removal("ghost")}, 10, now);
    CHECK(signer.snapshot() == before);
  }
  SECTION("with a new serial only the SOA and its signature change") {
    signer.apply(std::vector<change>{upsert("dev-1", 1)}, 11, now);
    auto a = comparable(*before);
    auto b = comparable(*signer.snapshot());
    std::vector<std::string> only_a, only_b;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
    // Only the SOA RDATA: its RRSIG differs in signature bytes alone (same `now`).
    REQUIRE(only_a.size() == 1);
    REQUIRE(only_b.size() == 1);
    CHECK(only_a[0].find(" 6 3600 ") != std::string::npos);
    CHECK(only_b[0].find(" 6 3600 ") != std::string::npos);
  }
  SECTION("serial must not go backwards") {
    CHECK_THROWS_AS(signer.apply(std::vector<change>{upsert("x", 1)}, 9, now), std::invalid_argument);
    CHECK(signer.snapshot() == before);
  }
  SECTION("bad device id") {
    CHECK_THROWS_AS(signer.apply(std::vector<change>{upsert("bad_id", 1)}, 11, now), std::invalid_argument);
    CHECK_THROWS_AS(signer.apply(std::vector<change>{upsert("-x", 1)}, 11, now), std::invalid_argument);
    CHECK(signer.snapshot() == before);
  }
}

TEST_CASE("signer/constructor validates parameters and keys") {
  CHECK_THROWS_AS(zone_signer(make_params(), {}), std::invalid_argument);
  {
    auto keys = make_keys();
    keys.pop_back();  // no ZSK
    CHECK_THROWS_AS(zone_signer(make_params(), std::move(keys)), std::invalid_argument);
  }
  {
    auto keys = make_keys();
    keys.push_back(dnssec_key::generate(13, key_role::zsk, "other.test."));
    CHECK_THROWS_AS(zone_signer(make_params(), std::move(keys)), std::invalid_argument);
  }
  auto p = make_params();
  p.addresses.emplace_back("www.elsewhere.test.", "127.0.0.1");
  CHECK_THROWS_AS(zone_signer(p, make_keys()), std::invalid_argument);
  p = make_params();
  p.addresses.emplace_back("www.iotregistry.test.", "not-an-ip");
  CHECK_THROWS_AS(zone_signer(p, make_keys()), std::invalid_argument);
  p = make_params();
  p.ns.clear();
  CHECK_THROWS_AS(zone_signer(p, make_keys()), std::invalid_argument);
}

TEST_CASE("signer/incremental equals full build") {
  // Same `now` for both paths so that RRSIG times match; only signature bytes differ.
  const auto now = std::chrono::system_clock::now();
  auto params = make_params();
  params.denial = GENERATE(denial_mode::nsec3, denial_mode::nsec);
  INFO("denial mode " << static_cast<int>(params.denial));
  auto keys = make_keys();
  temp_dir dir;
  keys[0].save(dir.path() / "ksk");
  keys[1].save(dir.path() / "zsk");
  std::vector<dnssec_key> keys2;
  keys2.push_back(dnssec_key::load(dir.path() / "ksk", zone_apex));
  keys2.push_back(dnssec_key::load(dir.path() / "zsk", zone_apex));

  zone_signer incremental(params, std::move(keys));
  incremental.build({}, 1, now);
  CHECK_FALSE(has_nsec3_for(*incremental.snapshot(), "_device.iotregistry.test."));

  std::mt19937 rng(20240601);
  std::map<std::string, int> model;  // device id -> seed
  std::uint32_t serial = 1;
  for (int batch = 0; batch < 30; ++batch) {
    std::vector<change> changes;
    const int n = std::uniform_int_distribution<int>(1, 6)(rng);
    for (int i = 0; i < n; ++i) {
      const std::string id = "d" + std::to_string(std::uniform_int_distribution<int>(0, 14)(rng));
      const int action = std::uniform_int_distribution<int>(0, 2)(rng);
      if (action == 0) {
        changes.push_back(removal(id));
        model.erase(id);
      } else {
        const int seed = std::uniform_int_distribution<int>(0, 3)(rng);
        changes.push_back(upsert(id, seed));
        model[id] = seed;
      }
    }
    incremental.apply(changes, ++serial, now);
  }
  std::vector<device_record> devices;
  for (const auto& [id, seed] : model) devices.push_back(make_device(id, seed));
  zone_signer full(params, std::move(keys2));
  full.build(devices, serial, now);

  const auto inc = incremental.snapshot();
  const auto ful = full.snapshot();
  CHECK(inc->record_count() == ful->record_count());
  CHECK(comparable(*inc) == comparable(*ful));
  // The same NSEC3 chain, hash for hash.
  std::vector<d::nsec3_hash> a, b;
  for (const auto& [h, r] : inc->data().nsec3) a.push_back(d::nsec3_next(r.rdata));
  for (const auto& [h, r] : ful->data().nsec3) b.push_back(d::nsec3_next(r.rdata));
  CHECK(a == b);

  write_zone_file(*inc, dir.path() / "zone");
  verify_with_real_tools(dir.path() / "zone");
}
