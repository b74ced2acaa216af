// The Date header's value (server/http_date.hpp): the exact IMF-fixdate of a known time, the
// per-second cache never serving another second's text, and use from several threads.

#include "server/http_date.hpp"
#include "api/http_cache.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono;
using iotreg::server::http_date_now;

TEST_CASE("http_date_now: a known time gives the exact IMF-fixdate") {
  // RFC 9110 §5.6.7's example, then sub-seconds (dropped), the next second, a leap day, 2100.
  const system_clock::time_point t = sys_days{1994y / November / 6} + 8h + 49min + 37s;
  CHECK(http_date_now(t) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(http_date_now(t + 999ms) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(http_date_now(t + 1s) == "Sun, 06 Nov 1994 08:49:38 GMT");
  CHECK(http_date_now(sys_days{2024y / February / 29} + 23h + 59min + 59s) ==
        "Thu, 29 Feb 2024 23:59:59 GMT");
  CHECK(http_date_now(sys_days{2100y / January / 1}) == "Fri, 01 Jan 2100 00:00:00 GMT");
  // Back in time (a clock step): the cache is per second, not "the latest".
  CHECK(http_date_now(t) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(http_date_now(system_clock::time_point{}) == "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST_CASE("http_date_now: now, parseable, within a second of the clock") {
  const auto before = floor<seconds>(system_clock::now());
  const auto text = http_date_now();
  const auto after = system_clock::now();
  const auto parsed = iotreg::api::parse_http_date(text);
  REQUIRE(parsed);
  CHECK(*parsed >= before);
  CHECK(*parsed <= after);
}

TEST_CASE("http_date_now: from several threads at once") {
  const std::regex imf{
      R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$)"};
  std::vector<std::string> last(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < last.size(); ++i) {
    threads.emplace_back([&last, i] {
      for (int n = 0; n < 20000; ++n) last[i] = http_date_now();
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& s : last) CHECK(std::regex_match(s, imf));
}
