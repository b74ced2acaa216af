// HTTP dates (IMF-fixdate) for Last-Modified, Expires and If-Modified-Since.

#include "api/http_cache.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono;
using iotreg::api::format_http_date;
using iotreg::api::parse_http_date;

TEST_CASE("http dates: IMF-fixdate both ways") {
  // RFC 9110 §5.6.7's example.
  const iotreg::registry::time_point t = sys_days{1994y / November / 6} + 8h + 49min + 37s;
  CHECK(format_http_date(t) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(format_http_date(t + 999ms) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == t);
  CHECK(format_http_date(sys_days{2038y / January / 19} + 3h + 14min + 8s) ==
        "Tue, 19 Jan 2038 03:14:08 GMT");
  CHECK(format_http_date(sys_days{2024y / February / 29}) == "Thu, 29 Feb 2024 00:00:00 GMT");
  for (const auto s : {"Thu, 29 Feb 2024 00:00:00 GMT", "Fri, 31 Dec 2060 23:59:59 GMT"}) {
    const auto p = parse_http_date(s);
    REQUIRE(p);
    CHECK(format_http_date(*p) == s);
  }
}

TEST_CASE("http dates: anything but IMF-fixdate is refused") {
  for (const auto s :
       {"", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Xyz 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT",
        "Sun, 0x Nov 1994 08:49:37 GMT", "Sun, 06 Nov -994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT "}) {
    CAPTURE(s);
    CHECK_FALSE(parse_http_date(s));
  }
}
