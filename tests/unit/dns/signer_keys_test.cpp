// zone_signer::set_keys: key changes as a rollover makes them, for every supported algorithm.

#include "dns/nsec3.hpp"
#include "dns/rr_types.hpp"
#include "dns/signer.hpp"
#include "dns/zone_file.hpp"
#include "dns/zone_snapshot.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

using namespace iotreg::dns;
using namespace iotreg::dns::test;
namespace d = iotreg::dns::detail;

namespace {

const std::vector<device_record> devices = {make_device("dev-1", 1), make_device("dev-2", 2)};

/// Keys kept as files so that each set_keys call gets its own objects (dnssec_key is move-only).
struct key_files {
  temp_dir dir;
  std::map<std::string, std::filesystem::path> files;
  std::map<std::string, std::uint16_t> tags;
  void add(const std::string& name, std::uint8_t alg, key_role role) {
    auto k = dnssec_key::generate(alg, role, zone_apex);
    files[name] = dir.path() / name;
    tags[name] = k.key_tag();
    k.save(files[name]);
  }
  dnssec_key load(const std::string& name) const { return dnssec_key::load(files.at(name), zone_apex); }
  zone_key key(const std::string& name, bool publish, bool sign, bool cds) const {
    return zone_key{load(name), publish, sign, cds};
  }
};

std::set<std::uint16_t> signers_of(const zone_snapshot& z, std::uint16_t type) {
  std::set<std::uint16_t> tags;
  const auto* s = z.data().nodes.at(z.data().apex).find(type);
  if (s == nullptr) return tags;
  for (const auto& sig : s->rrsig) tags.insert(static_cast<std::uint16_t>((sig[16] << 8) | sig[17]));
  return tags;
}

std::size_t count(const zone_snapshot& z, std::uint16_t type) {
  const auto* s = z.data().nodes.at(z.data().apex).find(type);
  return s == nullptr ? 0 : s->rdata.size();
}

std::vector<std::uint16_t> apex_bitmap(const zone_snapshot& z) {
  return d::nsec3_types_of(z.data().nsec3.at(d::nsec3_hash_of(z.data().apex)).rdata);
}

bool has(const std::vector<std::uint16_t>& v, std::uint16_t t) {
  return std::find(v.begin(), v.end(), t) != v.end();
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("signer/set_keys: rollover states verify for algorithms 8, 13 and 15") {
  const std::uint8_t alg = GENERATE(as<std::uint8_t>{}, 8, 13, 15);
  INFO("algorithm " << int(alg));
  key_files kf;
  kf.add("k1", alg, key_role::ksk);
  kf.add("k2", alg, key_role::ksk);
  kf.add("z1", alg, key_role::zsk);
  kf.add("z2", alg, key_role::zsk);
  const auto now = std::chrono::system_clock::now();
  std::vector<dnssec_key> initial;
  initial.push_back(kf.load("k1"));
  initial.push_back(kf.load("z1"));
  zone_signer signer(make_params(), std::move(initial));
  signer.build(devices, 1, now);
  temp_dir dir;
  const auto file = dir.path() / "zone";
  write_zone_file(*signer.snapshot(), file);
  verify_with_real_tools(file);
  CHECK(count(*signer.snapshot(), d::rr_type::cds) == 0);

  // 1. CDS for k1; z2 pre-published: only the apex changes.
  {
    std::vector<zone_key> ks;
    ks.push_back(kf.key("k1", true, true, true));
    ks.push_back(kf.key("z1", true, true, false));
    ks.push_back(kf.key("z2", true, false, false));
    const auto before = signer.snapshot();
    signer.set_keys(std::move(ks), 2, now);
    const auto z = signer.snapshot();
    CHECK(z->serial() == 2);
    CHECK(count(*z, d::rr_type::dnskey) == 3);
    CHECK(count(*z, d::rr_type::cds) == 1);
    CHECK(count(*z, d::rr_type::cdnskey) == 1);
    CHECK(signers_of(*z, d::rr_type::cds) == std::set<std::uint16_t>{kf.tags["k1"]});
    CHECK(signers_of(*z, d::rr_type::cdnskey) == std::set<std::uint16_t>{kf.tags["k1"]});
    CHECK(signers_of(*z, d::rr_type::soa) == std::set<std::uint16_t>{kf.tags["z1"]});
    CHECK(has(apex_bitmap(*z), d::rr_type::cds));
    CHECK(has(apex_bitmap(*z), d::rr_type::cdnskey));
    // The device RRsets were not re-signed (same ZSK): their RRSIGs are the old bytes.
    const auto name = *d::name_from_text("dev-1._device." + zone_apex);
    CHECK(z->data().nodes.at(name).find(d::rr_type::tlsa)->rrsig ==
          before->data().nodes.at(name).find(d::rr_type::tlsa)->rrsig);
    write_zone_file(*z, file);
    verify_with_real_tools(file);
    const auto text = read_all(file);
    CHECK(text.find("\tCDS\t" + std::to_string(kf.tags["k1"]) + " " + std::to_string(alg) + " 2 ") !=
          std::string::npos);
  }
  // 2. Double-KSK with CDS for both; z2 takes over from z1 (full re-sign).
  {
    std::vector<zone_key> ks;
    ks.push_back(kf.key("k1", true, true, true));
    ks.push_back(kf.key("k2", true, true, true));
    ks.push_back(kf.key("z1", true, false, false));
    ks.push_back(kf.key("z2", true, true, false));
    signer.set_keys(std::move(ks), 3, now);
    const auto z = signer.snapshot();
    CHECK(count(*z, d::rr_type::dnskey) == 4);
    CHECK(count(*z, d::rr_type::cds) == 2);
    CHECK(signers_of(*z, d::rr_type::dnskey) == std::set<std::uint16_t>{kf.tags["k1"], kf.tags["k2"]});
    CHECK(signers_of(*z, d::rr_type::soa) == std::set<std::uint16_t>{kf.tags["z2"]});
    const auto name = *d::name_from_text("dev-1._device." + zone_apex);
    const auto& sigs = z->data().nodes.at(name).find(d::rr_type::tlsa)->rrsig;
    REQUIRE(sigs.size() == 1);
    CHECK(((sigs[0][16] << 8) | sigs[0][17]) == kf.tags["z2"]);
    for (const auto& [h, rec] : z->data().nsec3) {
      REQUIRE(rec.rrsig.size() == 1);
      CHECK(((rec.rrsig[0][16] << 8) | rec.rrsig[0][17]) == kf.tags["z2"]);
    }
    write_zone_file(*z, file);
    verify_with_real_tools(file);
  }
  // 3. Old keys gone, CDS for k2 only; then no CDS at all; device changes still work.
  {
    std::vector<zone_key> ks;
    ks.push_back(kf.key("k2", true, true, true));
    ks.push_back(kf.key("z2", true, true, false));
    ks.push_back(kf.key("z1", false, false, false));  // dropped
    signer.set_keys(std::move(ks), 4, now);
    CHECK(count(*signer.snapshot(), d::rr_type::dnskey) == 2);
    CHECK(count(*signer.snapshot(), d::rr_type::cds) == 1);
    std::vector<zone_key> ks2;
    ks2.push_back(kf.key("k2", true, true, false));
    ks2.push_back(kf.key("z2", true, true, false));
    signer.set_keys(std::move(ks2), 5, now);
    const auto z = signer.snapshot();
    CHECK(count(*z, d::rr_type::cds) == 0);
    CHECK(count(*z, d::rr_type::cdnskey) == 0);
    CHECK_FALSE(has(apex_bitmap(*z), d::rr_type::cds));
    CHECK_FALSE(has(apex_bitmap(*z), d::rr_type::cdnskey));
    signer.apply(std::vector<change>{upsert("dev-3", 3), removal("dev-1")}, 6, now);
    write_zone_file(*signer.snapshot(), file);
    verify_with_real_tools(file);
    CHECK(signers_of(*signer.snapshot(), d::rr_type::soa) == std::set<std::uint16_t>{kf.tags["z2"]});
  }
}

TEST_CASE("signer/set_keys checks its arguments and keeps the zone on error") {
  key_files kf;
  kf.add("k1", 13, key_role::ksk);
  kf.add("z1", 13, key_role::zsk);
  kf.add("z2", 13, key_role::zsk);
  const auto now = std::chrono::system_clock::now();
  std::vector<dnssec_key> initial;
  initial.push_back(kf.load("k1"));
  initial.push_back(kf.load("z1"));
  zone_signer signer(make_params(), std::move(initial));

  SECTION("before build only the keys change, and build uses them") {
    std::vector<zone_key> ks;
    ks.push_back(kf.key("k1", true, true, true));
    ks.push_back(kf.key("z1", true, false, false));
    ks.push_back(kf.key("z2", true, true, false));
    signer.set_keys(std::move(ks), 7, now);
    CHECK(signer.snapshot() == nullptr);
    signer.build(devices, 1, now);
    CHECK(signers_of(*signer.snapshot(), d::rr_type::soa) == std::set<std::uint16_t>{kf.tags["z2"]});
    CHECK(count(*signer.snapshot(), d::rr_type::cds) == 1);
    CHECK(count(*signer.snapshot(), d::rr_type::dnskey) == 3);
  }
  SECTION("errors") {
    signer.build(devices, 10, now);
    const auto before = signer.snapshot();
    const auto attempt = [&](std::vector<zone_key> ks, std::uint32_t serial) {
      CHECK_THROWS_AS(signer.set_keys(std::move(ks), serial, now), std::invalid_argument);
      CHECK(signer.snapshot() == before);
    };
    {
      std::vector<zone_key> ks;  // no signing ZSK
      ks.push_back(kf.key("k1", true, true, false));
      ks.push_back(kf.key("z1", true, false, false));
      attempt(std::move(ks), 11);
    }
    {
      std::vector<zone_key> ks;  // signs without being published
      ks.push_back(kf.key("k1", true, true, false));
      ks.push_back(kf.key("z1", false, true, false));
      attempt(std::move(ks), 11);
    }
    {
      std::vector<zone_key> ks;  // CDS for an unpublished key
      ks.push_back(kf.key("k1", true, true, false));
      ks.push_back(kf.key("z1", true, true, false));
      ks.push_back(kf.key("z2", false, false, true));
      attempt(std::move(ks), 11);
    }
    {
      std::vector<zone_key> ks;  // key of another zone
      ks.push_back(kf.key("k1", true, true, false));
      ks.push_back(kf.key("z1", true, true, false));
      ks.push_back(zone_key{dnssec_key::generate(13, key_role::zsk, "other.test."), true, false, false});
      attempt(std::move(ks), 11);
    }
    {
      std::vector<zone_key> ks;  // a change needs a newer serial
      ks.push_back(kf.key("k1", true, true, true));
      ks.push_back(kf.key("z1", true, true, false));
      attempt(std::move(ks), 10);
    }
    // The same keys with the same serial: nothing changes.
    std::vector<zone_key> same;
    same.push_back(kf.key("z1", true, true, false));
    same.push_back(kf.key("k1", true, true, false));
    signer.set_keys(std::move(same), 10, now);
    CHECK(signer.snapshot() == before);
    // And the signer still works with its (new) key objects.
    signer.apply(std::vector<change>{upsert("dev-9", 9)}, 11, now);
    temp_dir dir;
    write_zone_file(*signer.snapshot(), dir.path() / "z");
    verify_with_real_tools(dir.path() / "z");
  }
}
