// rrset_signer builds RRSIGs from wire form; ldns (ldns_verify_rrsig_keylist) must accept them.

#include "dns/rrset_signer.hpp"

#include "dns/ldns.hpp"
#include "dns/rr_types.hpp"
#include "dns/rr_wire.hpp"
#include "dns/zone_file.hpp"
#include "dns/zone_snapshot.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace iotreg::dns;
using namespace iotreg::dns::test;
namespace d = iotreg::dns::detail;

namespace {

d::wire_name name(const std::string& text) {
  auto n = d::name_from_text(text);
  REQUIRE(n);
  return *n;
}

/// `n` with every ASCII letter upper-cased (name_from_text always lower-cases).
d::wire_name upper(d::wire_name n) {
  for (auto& c : n) {
    if (c >= 'a' && c <= 'z') c = static_cast<std::uint8_t>(c - 'a' + 'A');
  }
  return n;
}

d::ldns_ptr<ldns_rr_list> rr_list(d::name_view owner, std::uint16_t type, std::uint32_t ttl,
                                  const std::vector<d::bytes>& rdata) {
  d::ldns_ptr<ldns_rr_list> list(ldns_rr_list_new());
  for (const auto& rd : rdata)
    REQUIRE(ldns_rr_list_push_rr(list.get(), d::rr_to_ldns(owner, type, ttl, rd).release()));
  return list;
}

/// ldns's verdict on each signature over (owner, type, ttl, rdata) with the zone's DNSKEYs.
std::vector<ldns_status> verify(const std::vector<dnssec_key>& keys, d::name_view owner, std::uint16_t type,
                                std::uint32_t ttl, const std::vector<d::bytes>& rdata,
                                const std::vector<d::bytes>& sigs) {
  const auto apex = name(zone_apex);
  std::vector<d::bytes> dnskeys;
  for (const auto& k : keys) dnskeys.push_back(k.dnskey_rdata());
  auto key_rrs = rr_list(apex, d::rr_type::dnskey, 3600, dnskeys);
  auto rrset = rr_list(owner, type, ttl, rdata);
  std::vector<ldns_status> out;
  for (const auto& sig : sigs) {
    auto rrsig = d::rr_to_ldns(owner, d::rr_type::rrsig, ttl, sig);
    // ldns canonicalises (lower-cases, sorts) a clone of the RRset. `good` borrows the keys.
    ldns_rr_list* good = ldns_rr_list_new();
    out.push_back(ldns_verify_rrsig_keylist(rrset.get(), rrsig.get(), key_rrs.get(), good));
    ldns_rr_list_free(good);
  }
  return out;
}

std::uint16_t get16(const d::bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>(b.at(at) << 8 | b.at(at + 1));
}

}  // namespace

TEST_CASE("rrset_signer/signatures from wire form verify with ldns") {
  const auto alg = GENERATE(as<std::uint8_t>{}, 13, 15, 8);
  CAPTURE(static_cast<int>(alg));
  const auto keys = make_keys(alg);
  const d::rrset_signer signer(keys);
  const auto now = std::chrono::system_clock::now();
  const d::rrsig_validity window{d::rrsig_time(now - std::chrono::hours(1)),
                                 d::rrsig_time(now + std::chrono::hours(24))};
  const auto owner = upper(name("Dev-1._device." + zone_apex));
  const auto zsk = keys[0].role() == key_role::zsk ? &keys[0] : &keys[1];
  const auto ksk = keys[0].role() == key_role::ksk ? &keys[0] : &keys[1];

  SECTION("several records in non-canonical order, upper-case owner, a duplicate") {
    const std::vector<d::bytes> rdata = {{10, 0, 0, 3}, {10, 0, 0, 1}, {192, 0, 2, 7}, {10, 0, 0, 1}};
    const auto sigs = signer.sign(owner, d::rr_type::a, 300, rdata, window);
    REQUIRE(sigs.size() == 1);
    const auto& s = sigs[0];
    CHECK(get16(s, 0) == d::rr_type::a);    // type covered
    CHECK(s[2] == alg);                     // algorithm
    CHECK(s[3] == 4);                       // labels of dev-1._device.iotregistry.test.
    CHECK(get16(s, 16) == zsk->key_tag());  // key tag: the ZSK
    // As served: each record once, in any order.
    const std::vector<d::bytes> served = {{192, 0, 2, 7}, {10, 0, 0, 1}, {10, 0, 0, 3}};
    for (const auto st : verify(keys, owner, d::rr_type::a, 300, served, sigs)) {
      INFO(ldns_get_errorstr_by_id(st));
      CHECK(st == LDNS_STATUS_OK);
    }
    SECTION("a changed record no longer verifies") {
      auto other = served;
      other[1] = {10, 0, 0, 2};
      for (const auto st : verify(keys, owner, d::rr_type::a, 300, other, sigs)) CHECK(st != LDNS_STATUS_OK);
    }
  }

  SECTION("names in NS RDATA are signed lower-cased") {
    const std::vector<d::bytes> rdata = {upper(name("NS2." + zone_apex)), name("ns1." + zone_apex)};
    const auto apex = upper(name(zone_apex));
    const auto sigs = signer.sign(apex, d::rr_type::ns, 3600, rdata, window);
    for (const auto st : verify(keys, apex, d::rr_type::ns, 3600, rdata, sigs)) CHECK(st == LDNS_STATUS_OK);
  }

  SECTION("DNSKEY is signed by the KSK, through the set_validity interface") {
    d::rrset_signer mutable_signer(keys);
    mutable_signer.set_validity(window.inception, window.expiration);
    std::vector<d::bytes> rdata;
    for (const auto& k : keys) rdata.push_back(k.dnskey_rdata());
    const auto apex = name(zone_apex);
    const auto sigs = mutable_signer.sign(apex, d::rr_type::dnskey, 3600, rdata);
    REQUIRE(sigs.size() == 1);
    CHECK(get16(sigs[0], 16) == ksk->key_tag());
    CHECK(sigs[0][3] == 2);
    for (const auto st : verify(keys, apex, d::rr_type::dnskey, 3600, rdata, sigs))
      CHECK(st == LDNS_STATUS_OK);
  }

  SECTION("a single record through sign_one; an expired window fails") {
    const d::bytes rd = {3, 1, 1, 0xAB, 0xCD};
    const auto sigs = signer.sign_one(owner, d::rr_type::tlsa, 300, rd, window);
    for (const auto st : verify(keys, owner, d::rr_type::tlsa, 300, {rd}, sigs)) CHECK(st == LDNS_STATUS_OK);
    const d::rrsig_validity old{d::rrsig_time(now - std::chrono::hours(48)),
                                d::rrsig_time(now - std::chrono::hours(24))};
    const auto stale = signer.sign_one(owner, d::rr_type::tlsa, 300, rd, old);
    for (const auto st : verify(keys, owner, d::rr_type::tlsa, 300, {rd}, stale)) {
      CHECK(st == LDNS_STATUS_CRYPTO_SIG_EXPIRED);
    }
  }

  SECTION("a wildcard owner's label count leaves out the '*'") {
    const auto wild = d::prepend_label(std::string_view("*"), name("_device." + zone_apex));
    const d::bytes rd = {3, 1, 1, 0x01};
    const auto sigs = signer.sign_one(wild, d::rr_type::tlsa, 300, rd, window);
    CHECK(sigs.at(0)[3] == 3);
  }

  SECTION("an empty RRset is refused") {
    CHECK_THROWS_AS(signer.sign(owner, d::rr_type::a, 300, std::vector<d::bytes>{}, window),
                    std::invalid_argument);
  }
}

TEST_CASE("rrset_signer/whole zones signed this way pass the real validators, algorithms 13, 15 and 8") {
  const auto alg = GENERATE(as<std::uint8_t>{}, 13, 15, 8);
  CAPTURE(static_cast<int>(alg));
  const auto now = std::chrono::system_clock::now();
  zone_signer signer(make_params(), make_keys(alg));
  std::vector<device_record> devices;
  for (int i = 0; i < 300; ++i)
    devices.push_back(make_device("Dev-" + std::to_string(i), i));  // several slices
  signer.build(devices, 1, now);
  signer.apply(std::vector<change>{upsert("late", 1000), removal("Dev-7")}, 2, now);
  temp_dir dir;
  write_zone_file(*signer.snapshot(), dir.path() / "zone");
  verify_with_real_tools(dir.path() / "zone");
}
