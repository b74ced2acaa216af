// The query parameters of the reads (issue 5 item 3): GET /api/v1/devices and .../history.

#include "api/dto/renewal_dto.hpp"
#include "api/handlers/reads.hpp"

#include <catch2/catch.hpp>

using iotreg::api::handlers::parse_device_list_query;
using iotreg::api::handlers::parse_history_query;
using iotreg::api::handlers::parse_page_limit;
namespace registry = iotreg::registry;

TEST_CASE("reads query: defaults and every filter", "[api][reads]") {
  auto q = parse_device_list_query("/api/v1/devices");
  REQUIRE(q.has_value());
  CHECK(q->limit == 100);
  CHECK_FALSE(q->after);
  CHECK_FALSE(q->filter.status);

  const auto cursor = iotreg::api::dto::encode_cursor({registry::time_point(std::chrono::seconds(5)), 42});
  q = parse_device_list_query(
      "/api/v1/devices?state=suspended&asp=3&mno=4&limit=2"
      "&updated_since=2026-06-01T00:00:00Z&cursor=" +
      cursor);
  REQUIRE(q.has_value());
  CHECK(q->filter.status == registry::device_status::suspended);
  CHECK(q->filter.asp_tenant_id == 3);
  CHECK(q->filter.mno_tenant_id == 4);
  CHECK(q->limit == 2);
  REQUIRE(q->filter.updated_since);
  CHECK(
      std::chrono::duration_cast<std::chrono::seconds>(q->filter.updated_since->time_since_epoch()).count() ==
      1780272000);
  REQUIRE(q->after);
  CHECK(q->after->row_id == 42);
  CHECK(q->after->not_after == registry::time_point(std::chrono::seconds(5)));
}

TEST_CASE("reads query: bad parameters are refused with a detail naming them", "[api][reads]") {
  const char* bad[] = {
      "/api/v1/devices?limit=0",
      "/api/v1/devices?limit=1001",
      "/api/v1/devices?limit=x",
      "/api/v1/devices?limit=",
      "/api/v1/devices?state=frozen",
      "/api/v1/devices?asp=-1",
      "/api/v1/devices?mno=abc",
      "/api/v1/devices?asp=0",
      "/api/v1/devices?updated_since=yesterday",
      "/api/v1/devices?cursor=%21%21",
      "/api/v1/devices?colour=red",
      "/api/v1/devices?updated_since=2026-13-01T00:00:00Z",
  };
  for (const char* target : bad) {
    INFO(target);
    auto q = parse_device_list_query(target);
    REQUIRE_FALSE(q.has_value());
    CHECK(q.error().code == registry::errc::invalid_request);
    CHECK_FALSE(q.error().detail.empty());
  }
  CHECK(parse_device_list_query("/api/v1/devices?state=frozen").error().detail.find("state") !=
        std::string::npos);
  CHECK(parse_device_list_query("/api/v1/devices?colour=red").error().detail.find("colour") !=
        std::string::npos);
}

TEST_CASE("reads query: history takes limit and cursor only", "[api][reads]") {
  auto q = parse_history_query("/api/v1/devices/x/history?limit=5");
  REQUIRE(q.has_value());
  CHECK(q->limit == 5);
  CHECK_FALSE(parse_history_query("/api/v1/devices/x/history?state=active").has_value());
  CHECK(parse_page_limit("1000") == std::optional<std::size_t>{1000});
  CHECK_FALSE(parse_page_limit("1e3"));
  CHECK_FALSE(parse_page_limit(" 1"));
}
