#include "dns/keys.hpp"

#include "dns/errors.hpp"
#include "dns/ldns.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <regex>

using namespace iotreg::dns;
using iotreg::dns::test::temp_dir;
using iotreg::dns::test::zone_apex;

namespace {

/// Key tag as ldns computes it from the presentation-form DNSKEY.
std::uint16_t ldns_tag_of(const std::string& dnskey_text) {
  ldns_rr* rr = nullptr;
  REQUIRE(ldns_rr_new_frm_str(&rr, dnskey_text.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK);
  const std::uint16_t tag = ldns_calc_keytag(rr);
  ldns_rr_free(rr);
  return tag;
}

}  // namespace

TEST_CASE("keys/generate ECDSA P-256 KSK and ZSK") {
  const auto ksk = dnssec_key::generate(13, key_role::ksk, "IoTRegistry.Test");
  const auto zsk = dnssec_key::generate(13, key_role::zsk, zone_apex);
  CHECK(ksk.role() == key_role::ksk);
  CHECK(zsk.role() == key_role::zsk);
  CHECK(ksk.algorithm() == 13);
  CHECK(ksk.zone_apex() == zone_apex);
  CHECK(ksk.dnskey_text().starts_with(zone_apex + "\t3600\tIN\tDNSKEY\t257 3 13 "));
  CHECK(zsk.dnskey_text().find("DNSKEY\t256 3 13 ") != std::string::npos);
  CHECK(ksk.key_tag() == ldns_tag_of(ksk.dnskey_text()));
  CHECK(zsk.key_tag() == ldns_tag_of(zsk.dnskey_text()));
  const auto rdata = ksk.dnskey_rdata();
  REQUIRE(rdata.size() == 4 + 64);  // flags, protocol, algorithm, X||Y
  CHECK(rdata[0] == 1);
  CHECK(rdata[1] == 1);
  CHECK(rdata[2] == 3);
  CHECK(rdata[3] == 13);
}

TEST_CASE("keys/DS record") {
  const auto ksk = dnssec_key::generate(13, key_role::ksk, zone_apex);
  const std::string ds = ksk.ds_text();
  INFO(ds);
  const std::regex re("^iotregistry\\.test\\.\\s+\\d+\\s+IN\\s+DS\\s+(\\d+) 13 2 ([0-9a-fA-F]+)$");
  std::smatch m;
  REQUIRE(std::regex_match(ds, m, re));
  CHECK(std::stoi(m[1].str()) == ksk.key_tag());
  CHECK(m[2].str().size() == 64);
  CHECK(ksk.ds_text(4).find(" 13 4 ") != std::string::npos);
  CHECK_THROWS_AS(ksk.ds_text(1), std::invalid_argument);
}

TEST_CASE("keys/save is 0600 and load gives the same key") {
  temp_dir dir;
  for (const auto role : {key_role::ksk, key_role::zsk}) {
    const auto key = dnssec_key::generate(13, role, zone_apex);
    const auto file = dir.path() / "key.private";
    key.save(file);
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const auto loaded = dnssec_key::load(file, zone_apex);
    CHECK(loaded.role() == role);
    CHECK(loaded.algorithm() == 13);
    CHECK(loaded.key_tag() == key.key_tag());
    CHECK(loaded.dnskey_text() == key.dnskey_text());
    // No temp files left behind.
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
  }
}

TEST_CASE("keys/other algorithms") {
  for (const std::uint8_t alg : {std::uint8_t{15}, std::uint8_t{8}}) {
    const auto key = dnssec_key::generate(alg, key_role::zsk, zone_apex);
    CHECK(key.algorithm() == alg);
    CHECK(key.key_tag() == ldns_tag_of(key.dnskey_text()));
  }
  CHECK_THROWS_AS(dnssec_key::generate(5, key_role::zsk, zone_apex), boost::system::system_error);
  CHECK_THROWS_AS(dnssec_key::generate(13, key_role::zsk, "bad..name"), std::invalid_argument);
}

TEST_CASE("keys/load rejects bad files") {
  temp_dir dir;
  const auto file = dir.path() / "bad.private";
  SECTION("missing file") {
    CHECK_THROWS_AS(dnssec_key::load(dir.path() / "nope", zone_apex), boost::system::system_error);
  }
  SECTION("garbage") {
    std::ofstream(file) << "Flags: 256\nhello\n";
    try {
      (void)dnssec_key::load(file, zone_apex);
      FAIL("no exception");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == errc::bad_key_file);
    }
  }
  SECTION("no role") {
    const auto key = dnssec_key::generate(13, key_role::zsk, zone_apex);
    key.save(file);
    std::string text;
    {
      std::ifstream in(file);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    text.erase(text.find("Flags:"));
    std::ofstream(file) << text;
    CHECK_THROWS_AS(dnssec_key::load(file, zone_apex), boost::system::system_error);
  }
}
