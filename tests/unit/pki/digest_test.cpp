#include "pki/digest.hpp"

#include <catch2/catch.hpp>

#include <string_view>

using namespace iotreg::pki;

namespace {
std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST_CASE("sha256 known answers (FIPS 180-2 / NIST examples)", "[pki][digest]") {
  struct vector_case {
    const char* name;
    std::string_view input;
    const char* hex;
  };
  const auto c =
      GENERATE(vector_case{"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
               vector_case{"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
               vector_case{"448 bits", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"});
  SECTION(c.name) { CHECK(to_hex(sha256(bytes(c.input))) == c.hex); }
}

TEST_CASE("sha1 known answer", "[pki][digest]") {
  CHECK(to_hex(sha1(bytes("abc"))) == "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST_CASE("to_hex is lower case without separators", "[pki][digest]") {
  const std::uint8_t b[] = {0x00, 0x0f, 0xa0, 0xff};
  CHECK(to_hex(b) == "000fa0ff");
  CHECK(to_hex({}).empty());
}

TEST_CASE("random_bytes returns the requested length and differs between calls", "[pki][digest]") {
  CHECK(random_bytes(0).empty());
  const auto a = random_bytes(32);
  const auto b = random_bytes(32);
  CHECK(a.size() == 32);
  CHECK(a != b);
}
