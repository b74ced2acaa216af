// dnssec_key to and from private key text (what the database stores, encrypted), and DNSKEY / DS
// text from the public RDATA alone.
#include "dns/dnskey_text.hpp"
#include "dns/errors.hpp"
#include "dns/keys.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <boost/system/system_error.hpp>

using namespace iotreg::dns;
using iotreg::dns::test::zone_apex;

TEST_CASE("key text/private text round trip keeps key, role and tag") {
  for (std::uint8_t alg : {std::uint8_t{13}, std::uint8_t{15}, std::uint8_t{8}}) {
    for (auto role : {key_role::ksk, key_role::zsk}) {
      INFO("algorithm " << int(alg));
      const auto key = dnssec_key::generate(alg, role, zone_apex);
      const std::string text = key.private_text();
      CHECK(text.starts_with("Private-key-format: v1."));
      CHECK(text.find(role == key_role::ksk ? "Flags: 257\n" : "Flags: 256\n") != std::string::npos);
      const auto back = dnssec_key::from_private_text(text, zone_apex, "test key");
      CHECK(back.role() == role);
      CHECK(back.algorithm() == alg);
      CHECK(back.key_tag() == key.key_tag());
      CHECK(back.dnskey_rdata() == key.dnskey_rdata());
      CHECK(back.private_text() == text);
    }
  }
}

TEST_CASE("key text/bad private text names the origin, never the text") {
  const auto key = dnssec_key::generate(13, key_role::zsk, zone_apex);
  std::string text = key.private_text();
  auto message_of = [](std::string_view t) -> std::string {
    try {
      (void)dnssec_key::from_private_text(t, zone_apex, "DNSSEC key 4711 from the database");
    } catch (const boost::system::system_error& e) {
      return e.what();
    }
    return "";
  };
  SECTION("no Flags line") {
    const auto cut = text.substr(0, text.find("Flags:"));
    const auto msg = message_of(cut);
    CHECK(msg.find("DNSSEC key 4711 from the database") != std::string::npos);
    CHECK(msg.find("PrivateKey") == std::string::npos);
  }
  SECTION("garbage") {
    const auto msg = message_of("Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\nFlags: 256\n");
    CHECK(msg.find("DNSSEC key 4711 from the database") != std::string::npos);
  }
  SECTION("empty") { CHECK(message_of("").find("DNSSEC key 4711") != std::string::npos); }
}

TEST_CASE("key text/DNSKEY, DS and key tag from the public rdata match the key's") {
  for (std::uint8_t alg : {std::uint8_t{13}, std::uint8_t{15}, std::uint8_t{8}}) {
    INFO("algorithm " << int(alg));
    const auto key = dnssec_key::generate(alg, key_role::ksk, zone_apex);
    const auto rdata = key.dnskey_rdata();
    CHECK(dnskey_text_from_rdata(zone_apex, rdata) == key.dnskey_text());
    CHECK(ds_text_from_rdata(zone_apex, rdata) == key.ds_text(2));
    CHECK(ds_text_from_rdata(zone_apex, rdata, 4) == key.ds_text(4));
    CHECK(key_tag_of_rdata(rdata) == key.key_tag());
  }
  const auto key = dnssec_key::generate(13, key_role::ksk, zone_apex);
  CHECK_THROWS_AS(ds_text_from_rdata(zone_apex, key.dnskey_rdata(), 1), std::invalid_argument);
  CHECK_THROWS_AS(ds_text_from_rdata(zone_apex, std::vector<std::uint8_t>{1, 1, 3}), std::invalid_argument);
}

TEST_CASE("key text/RFC 4034 key tag known answer") {
  // RFC 4034 section 5.4: the DNSKEY 256 3 5 of dskey.example.com. has key tag 60485.
  const std::vector<std::uint8_t> rdata{
      0x01, 0x00, 0x03, 0x05, 0x01, 0x03, 0x9e, 0x8a, 0x24, 0x74, 0x18, 0xe3, 0x18, 0x90, 0x3b, 0x21, 0x5a,
      0x84, 0x8a, 0xcf, 0xd5, 0xf3, 0x7f, 0x02, 0x6b, 0xd4, 0x06, 0x2d, 0xb2, 0x6c, 0x77, 0x4c, 0x69, 0x09,
      0x68, 0xd5, 0xd5, 0x6d, 0xf8, 0xbf, 0xda, 0x91, 0xe6, 0xf3, 0x6d, 0x9a, 0x27, 0x98, 0x88, 0xf4, 0x13,
      0x33, 0x35, 0x7c, 0x5e, 0x60, 0x29, 0x99, 0x0d, 0x10, 0xfd, 0xf5, 0x66, 0x30, 0x62, 0xa5, 0x12, 0x76,
      0x33, 0x26, 0x98, 0x0a, 0x61, 0x5d, 0xdb, 0xf1, 0x7a, 0x05, 0xdd, 0xfc, 0xce, 0x7e, 0x5f, 0xb3, 0xab,
      0xcc, 0xa0, 0x5a, 0x31, 0xb0, 0x95, 0x74, 0x52, 0xd4, 0x52, 0x1e, 0x83, 0x87, 0x07, 0x89, 0x06, 0x31,
      0x15, 0xbf, 0x97, 0xf6, 0xc3, 0x08, 0xcc, 0xf5, 0x7c, 0xdc, 0x9c, 0xe7, 0xfe, 0x10, 0xf6, 0xed, 0x1b,
      0xd0, 0xcc, 0x06, 0x60, 0x03, 0x8c, 0x50, 0xdc, 0xdb, 0x0f, 0xeb, 0x96, 0x3c, 0x2f, 0x17};
  CHECK(key_tag_of_rdata(rdata) == 60485);
}
