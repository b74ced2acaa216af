#include "api/handlers/audit.hpp"

#include "api/problem.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

namespace iotreg::api::handlers {
namespace {

/// RFC 3339 UTC with microseconds, e.g. 2026-11-29T04:05:06.123456Z.
std::string rfc3339(registry::time_point t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  long frac = static_cast<long>(us % 1000000);
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%.*s.%06ldZ", static_cast<int>(n), buf, frac);
  return out;
}

bool parse_int(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

response bad_param(const call& c, std::string_view detail) {
  return make_problem(http::status::bad_request, "invalid-request", "Invalid request", detail,
                      c.info.request_id);
}

}  // namespace

response list_audit(registry::audit_log_reader& reader, const call& c) {
  if (!c.key || c.key->role != "admin")
    return make_problem(http::status::forbidden, "forbidden", "Forbidden", "the audit log is for the admin",
                        c.info.request_id);
  registry::audit_query q;
  if (auto url = boost::urls::parse_origin_form(c.req.target())) {
    for (const auto& p : url->params()) {
      std::int64_t v = 0;
      if (p.key == "after") {
        if (!parse_int(p.value, v) || v < 0) return bad_param(c, "after must be a non-negative integer");
        q.after = v;
      } else if (p.key == "limit") {
        if (!parse_int(p.value, v) || v < 1 || v > 1000)
          return bad_param(c, "limit must be between 1 and 1000");
        q.limit = static_cast<std::size_t>(v);
      } else if (p.key == "device_id") {
        if (p.value.empty() || p.value.size() > 255)
          return bad_param(c, "device_id must be 1 to 255 characters");
        std::string id = p.value;
        // Device ids are stored in lower case.
        std::transform(id.begin(), id.end(), id.begin(), [](unsigned char ch) { return std::tolower(ch); });
        q.device_id = std::move(id);
      } else {
        return bad_param(c, "unknown query parameter (allowed: after, limit, device_id)");
      }
    }
  }

  const auto rows = reader.list(q);
  boost::json::array items;
  for (const auto& e : rows) {
    boost::json::object o;
    o["id"] = e.id;
    o["at"] = rfc3339(e.at);
    if (e.api_key_id)
      o["api_key_id"] = *e.api_key_id;
    else
      o["api_key_id"] = nullptr;
    o["action"] = e.action;
    o["zone"] = e.zone.empty() ? boost::json::value(nullptr) : boost::json::value(e.zone);
    o["device_id"] = e.device_id.empty() ? boost::json::value(nullptr) : boost::json::value(e.device_id);
    o["request_id"] = e.request_id.empty() ? boost::json::value(nullptr) : boost::json::value(e.request_id);
    boost::system::error_code ec;
    auto detail = boost::json::parse(e.detail_json, ec);
    o["detail"] = ec || !detail.is_object() ? boost::json::value(boost::json::object{}) : std::move(detail);
    items.push_back(std::move(o));
  }
  boost::json::object body;
  // A full page may have more after it; a short page is the end (for now).
  body["next_after"] =
      rows.size() == q.limit ? boost::json::value(rows.back().id) : boost::json::value(nullptr);
  body["items"] = std::move(items);
  return json_response(http::status::ok, body);
}

}  // namespace iotreg::api::handlers
