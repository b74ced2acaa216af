#include "dns/serial.hpp"

#include <catch2/catch.hpp>

using iotreg::dns::serial_lt;

TEST_CASE("serial/rfc1982 comparison") {
  CHECK(serial_lt(1, 2));
  CHECK_FALSE(serial_lt(2, 1));
  CHECK_FALSE(serial_lt(5, 5));
  SECTION("wrap-around") {
    CHECK(serial_lt(0xffffffffU, 0));
    CHECK(serial_lt(0xfffffff0U, 5));
    CHECK_FALSE(serial_lt(5, 0xfffffff0U));
  }
  SECTION("largest step forward is 2^31 - 1") {
    CHECK(serial_lt(0, 0x7fffffffU));
    CHECK_FALSE(serial_lt(0x7fffffffU, 0));
  }
  SECTION("distance 2^31 is undefined: neither is before the other") {
    CHECK_FALSE(serial_lt(0, 0x80000000U));
    CHECK_FALSE(serial_lt(0x80000000U, 0));
  }
}
