#include "pki/der_check.hpp"

#include <catch2/catch.hpp>

#include <vector>

using iotreg::pki::is_strict_der;
using bytes = std::vector<std::uint8_t>;

TEST_CASE("is_strict_der accepts DER", "[pki][der]") {
  CHECK(is_strict_der(bytes{0x30, 0x00}));                          // empty SEQUENCE
  CHECK(is_strict_der(bytes{0x30, 0x03, 0x02, 0x01, 0x00}));        // INTEGER 0
  CHECK(is_strict_der(bytes{0x30, 0x04, 0x02, 0x02, 0x00, 0x80}));  // INTEGER 128
  CHECK(is_strict_der(bytes{0x30, 0x04, 0x02, 0x02, 0xff, 0x7f}));  // INTEGER -129
  CHECK(is_strict_der(bytes{0x30, 0x03, 0x01, 0x01, 0xff}));        // BOOLEAN TRUE
  CHECK(is_strict_der(bytes{0x30, 0x02, 0x05, 0x00}));              // NULL
  CHECK(is_strict_der(bytes{0x06, 0x03, 0x55, 0x04, 0x03}));        // OID 2.5.4.3
  CHECK(is_strict_der(bytes{0x06, 0x03, 0x2b, 0x81, 0x04}));        // 1.3.132.4
  CHECK(is_strict_der(bytes{0x03, 0x02, 0x07, 0x80}));              // BIT STRING, 1 bit
  CHECK(is_strict_der(bytes{0x03, 0x01, 0x00}));                    // empty BIT STRING
  CHECK(is_strict_der(bytes{0xa0, 0x00}));                          // [0] constructed
  CHECK(is_strict_der(bytes{0x80, 0x02, 0x00, 0x00}));              // [0] primitive
  bytes long_form{0x04, 0x81, 0x80};
  long_form.resize(3 + 0x80);
  CHECK(is_strict_der(long_form));
}

TEST_CASE("is_strict_der refuses BER and garbage", "[pki][der]") {
  CHECK_FALSE(is_strict_der(bytes{}));
  CHECK_FALSE(is_strict_der(bytes{0x30}));
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x80, 0x00, 0x00}));                    // indefinite length
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x81, 0x00}));                          // long form under 128
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x82, 0x00, 0x00}));                    // leading zero octet
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00}));  // 5 length octets
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x01}));                                // length past the end
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x00, 0x00}));                          // trailing octet
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x00, 0x30, 0x00}));                    // two elements
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x02, 0x02, 0x00}));                    // empty INTEGER
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x04, 0x02, 0x02, 0x00, 0x7f}));        // INTEGER padded
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x04, 0x02, 0x02, 0xff, 0x80}));        // negative padded
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x03, 0x01, 0x01, 0x01}));              // BOOLEAN 01
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x03, 0x05, 0x01, 0x00}));              // NULL with content
  CHECK_FALSE(is_strict_der(bytes{0x06, 0x03, 0x55, 0x80, 0x03}));              // OID 0x80 septet
  CHECK_FALSE(is_strict_der(bytes{0x06, 0x02, 0x55, 0x84}));                    // OID cut
  CHECK_FALSE(is_strict_der(bytes{0x03, 0x02, 0x08, 0x00}));                    // 8 unused bits
  CHECK_FALSE(is_strict_der(bytes{0x03, 0x02, 0x07, 0x81}));                    // padding bit set
  CHECK_FALSE(is_strict_der(bytes{0x03, 0x01, 0x01}));                          // empty with unused
  CHECK_FALSE(is_strict_der(bytes{0x24, 0x03, 0x04, 0x01, 0x00}));              // constructed OCTET STRING
  CHECK_FALSE(is_strict_der(bytes{0x10, 0x00}));                                // primitive SEQUENCE
  CHECK_FALSE(is_strict_der(bytes{0x1f, 0x81, 0x00, 0x00}));                    // high tag number
  CHECK_FALSE(is_strict_der(bytes{0x30, 0x02, 0x00, 0x00}));                    // end-of-contents
}

TEST_CASE("is_strict_der bounds the nesting depth", "[pki][der]") {
  bytes nested;
  for (int i = 0; i < 40; ++i) {
    bytes outer{0x30, static_cast<std::uint8_t>(nested.size())};
    if (nested.size() >= 0x80) break;
    outer.insert(outer.end(), nested.begin(), nested.end());
    nested = outer;
  }
  // 40 levels fit in short-form lengths? 2 octets each: 80 octets at the top.
  REQUIRE(nested.size() == 80);
  CHECK_FALSE(is_strict_der(nested));  // deeper than 32
  CHECK(is_strict_der(nested, 40));
  CHECK_FALSE(is_strict_der(nested, 39));
}
