// Internal building blocks: canonical order, NSEC3 hashing, base32hex, type bitmaps.
#include "dns/nsec3.hpp"
#include "dns/ldns.hpp"
#include "dns/wire_name.hpp"

#include <catch2/catch.hpp>

using namespace iotreg::dns::detail;

namespace {
wire_name n(std::string_view text) {
  auto w = name_from_text(text);
  REQUIRE(w);
  return *w;
}
}  // namespace

TEST_CASE("wire_name/canonical order of RFC 4034 section 6.1") {
  // The RFC's list minus the names our text parser cannot express (escapes, '*').
  const std::vector<wire_name> ordered = {n("example"),     n("a.example"),      n("yljkjljk.a.example"),
                                          n("Z.a.example"), n("zABC.a.EXAMPLE"), n("z.example")};
  for (std::size_t i = 0; i + 1 < ordered.size(); ++i) {
    INFO(i);
    CHECK(canonical_compare(ordered[i], ordered[i + 1]) < 0);
    CHECK(canonical_compare(ordered[i + 1], ordered[i]) > 0);
  }
  // Raw labels: \001.z.example < *.z.example < \200.z.example
  const wire_name z = n("z.example");
  const std::uint8_t one[] = {1};
  const std::uint8_t star[] = {'*'};
  const std::uint8_t high[] = {0x80};
  CHECK(canonical_compare(z, prepend_label(one, z)) < 0);
  CHECK(canonical_compare(prepend_label(one, z), prepend_label(star, z)) < 0);
  CHECK(canonical_compare(prepend_label(star, z), prepend_label(high, z)) < 0);
  CHECK(canonical_compare(n("A.Example"), n("a.example")) == 0);
}

TEST_CASE("wire_name/relations") {
  CHECK(is_at_or_below(n("a.b.example"), n("example")));
  CHECK(is_at_or_below(n("example"), n("EXAMPLE")));
  CHECK_FALSE(is_at_or_below(n("example"), n("a.example")));
  CHECK_FALSE(is_at_or_below(n("badexample"), n("example")));
  CHECK(label_count(n("a.b.example")) == 3);
  CHECK(label_count(n(".")) == 0);
  CHECK(name_to_text(n("a.B.example")) == "a.b.example.");
  CHECK(name_to_text(n(".")) == ".");
}

TEST_CASE("nsec3/base32hex of RFC 4648 vectors") {
  const auto b = [](std::string_view s) {
    return base32hex(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  };
  CHECK(b("") == "");
  CHECK(b("f") == "co");
  CHECK(b("fo") == "cpng");
  CHECK(b("foo") == "cpnmu");
  CHECK(b("foob") == "cpnmuog");
  CHECK(b("fooba") == "cpnmuoj1");
  CHECK(b("foobar") == "cpnmuoj1e8");
}

TEST_CASE("nsec3/hash agrees with ldns_nsec3_hash_name") {
  for (const char* text :
       {"iotregistry.test.", "_device.iotregistry.test.", "ABC._device.IoTRegistry.test."}) {
    INFO(text);
    const nsec3_hash h = nsec3_hash_of(n(text));
    ldns_rdf* name = ldns_dname_new_frm_str(text);
    REQUIRE(name != nullptr);
    ldns_rdf* hashed = ldns_nsec3_hash_name(name, 1, 0, 0, nullptr);
    REQUIRE(hashed != nullptr);
    char* s = ldns_rdf2str(hashed);
    std::string ldns_label(s);
    std::free(s);
    ldns_rdf_deep_free(hashed);
    ldns_rdf_deep_free(name);
    ldns_label = ldns_label.substr(0, ldns_label.find('.'));
    for (auto& c : ldns_label) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(base32hex(h) == ldns_label);
    const auto back = base32hex_hash(
        std::span(reinterpret_cast<const std::uint8_t*>(ldns_label.data()), ldns_label.size()));
    REQUIRE(back);
    CHECK(*back == h);
  }
}

TEST_CASE("nsec3/type bitmap of RFC 4034 section 4.3") {
  // A MX RRSIG NSEC TYPE1234
  const std::vector<std::uint16_t> types = {1, 15, 46, 47, 1234};
  bytes want = {0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b};
  want.insert(want.end(), 26, 0x00);
  want.push_back(0x20);
  CHECK(type_bitmap(types) == want);
  CHECK(type_bitmap({}).empty());
}
