#include "pki/pem.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace iotreg::pki;

TEST_CASE("decode_base64 is strict", "[pki][pem]") {
  std::vector<std::uint8_t> out;
  struct row {
    const char* name;
    const char* in;
    bool ok;
    std::string decoded;
  };
  const auto r =
      GENERATE(row{"ok/no padding", "YWJj", true, "abc"}, row{"ok/one pad", "YWI=", true, "ab"},
               row{"ok/two pads", "YQ==", true, "a"}, row{"ok/whitespace", " YW\r\nJj\t", true, "abc"},
               row{"error/short", "YWJ", false, ""}, row{"error/bad char", "YW*j", false, ""},
               row{"error/pad in middle", "YQ==YWJj", false, ""}, row{"error/three pads", "Y===", false, ""},
               row{"error/pad first", "=WJj", false, ""}, row{"error/url alphabet", "YW-_", false, ""});
  SECTION(r.name) {
    REQUIRE(decode_base64(r.in, out) == r.ok);
    if (r.ok) CHECK(std::string(out.begin(), out.end()) == r.decoded);
  }
}

TEST_CASE("parse_single_pem_block framing", "[pki][pem]") {
  const std::string block = "-----BEGIN TEST-----\nYWJj\n-----END TEST-----\n";
  struct row {
    const char* name;
    std::string text;
    pem_status status;
  };
  const auto r = GENERATE_COPY(
      row{"ok/plain", block, pem_status::ok},
      row{"ok/crlf", "-----BEGIN TEST-----\r\nYWJj\r\n-----END TEST-----\r\n", pem_status::ok},
      row{"ok/leading text", "Certificate Request:\n  Data: ...\n" + block, pem_status::ok},
      row{"ok/trailing blank lines", block + "\n\n  \n", pem_status::ok},
      row{"error/no pem", "hello", pem_status::not_pem}, row{"error/empty", "", pem_status::not_pem},
      row{"error/begin not at line start", "x-----BEGIN TEST-----\nYWJj\n-----END TEST-----\n",
          pem_status::not_pem},
      row{"error/no end", "-----BEGIN TEST-----\nYWJj\n", pem_status::malformed},
      row{"error/end label differs", "-----BEGIN TEST-----\nYWJj\n-----END OTHER-----\n",
          pem_status::malformed},
      row{"error/trailing garbage", block + "garbage", pem_status::malformed},
      row{"error/two blocks", block + block, pem_status::malformed},
      row{"error/header lines", "-----BEGIN TEST-----\nProc-Type: 4,ENCRYPTED\n\nYWJj\n-----END TEST-----\n",
          pem_status::malformed},
      row{"error/empty body", "-----BEGIN TEST-----\n-----END TEST-----\n", pem_status::malformed},
      row{"error/broken begin line", "-----BEGIN TEST\nYWJj\n-----END TEST-----\n", pem_status::malformed});
  SECTION(r.name) {
    const pem_block b = parse_single_pem_block(r.text);
    CHECK(b.status == r.status);
    if (r.status == pem_status::ok) {
      CHECK(b.label == "TEST");
      CHECK(std::string(b.data.begin(), b.data.end()) == "abc");
    }
  }
}
