#include "api/handlers/reads.hpp"

#include "api/dto/renewal_dto.hpp"
#include "api/dto/tenant_dto.hpp"
#include "api/problem.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

namespace iotreg::api::handlers {
namespace {

registry::error bad_query(std::string detail) { return {registry::errc::invalid_request, std::move(detail)}; }

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || n < 1) return std::nullopt;
  return n;
}

/// Both queries: `filters` says whether the list filters are accepted.
registry::result<device_list_query> parse_query(std::string_view target, bool filters) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return bad_query("the request target does not parse");
  device_list_query q;
  for (const auto& p : url->params()) {
    const std::string_view value = p.value;
    if (p.key == "limit") {
      auto n = parse_page_limit(value);
      if (!n) return bad_query("limit must be an integer from 1 to 1000");
      q.limit = *n;
    } else if (p.key == "cursor") {
      q.after = dto::decode_cursor(value);
      if (!q.after) return bad_query("cursor must be the \"next\" value of a previous page");
    } else if (filters && p.key == "state") {
      q.filter.status = registry::device_status_from_string(value);
      if (!q.filter.status)
        return bad_query("state must be one of registered, active, suspended, revoked, deleted");
    } else if (filters && (p.key == "asp" || p.key == "mno")) {
      auto id = parse_id(value);
      if (!id) return bad_query(std::string(p.key) + " must be a tenant id (a positive integer)");
      (p.key == "asp" ? q.filter.asp_tenant_id : q.filter.mno_tenant_id) = *id;
    } else if (filters && p.key == "updated_since") {
      q.filter.updated_since = dto::parse_rfc3339(value);
      if (!q.filter.updated_since)
        return bad_query("updated_since must be an RFC 3339 date-time such as 2027-01-01T00:00:00Z");
    } else {
      std::string detail = "unknown query parameter";
      if (p.key.size() <= 64) detail += " \"" + std::string(p.key) + "\"";
      return bad_query(std::move(detail));
    }
  }
  return q;
}

response invalid_query(const registry::error& e, const call& c) {
  return make_problem(http::status::bad_request, "invalid-query", "Invalid query parameter", e.detail,
                      c.info.request_id);
}

boost::json::value next_json(const std::optional<registry::page_cursor>& next) {
  if (!next) return nullptr;
  return boost::json::string(dto::encode_cursor(*next));
}

/// Without a key (unit tests of issue 2 run the router without tenants) nothing is shown.
registry::api_key caller_of(const call& c) { return c.key ? *c.key : registry::api_key{}; }

}  // namespace

std::optional<std::size_t> parse_page_limit(std::string_view value) {
  constexpr std::size_t max_limit = 1000;
  std::size_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc{} || ptr != value.data() + value.size() || n < 1 || n > max_limit)
    return std::nullopt;
  return n;
}

registry::result<device_list_query> parse_device_list_query(std::string_view target) {
  return parse_query(target, true);
}

registry::result<device_list_query> parse_history_query(std::string_view target) {
  return parse_query(target, false);
}

response list_devices(registry::reads_service& svc, const call& c) {
  auto q = parse_device_list_query(c.req.target());
  if (!q) return invalid_query(q.error(), c);
  auto page = svc.list_devices(caller_of(c), q->filter, q->after, q->limit);
  if (!page) return error_response(page.error(), c.info);
  boost::json::array items;
  items.reserve(page->items.size());
  for (const auto& d : page->items) {
    // The lifecycle fields, then dns_name and every TLSA record (GET /api/v1/devices/{id} shows
    // one, the current certificate's; a device in a renewal overlap serves several).
    auto o = dto::to_json(d.device);
    o["dns_name"] = d.dns_name;
    boost::json::array tlsa;
    for (const auto& t : d.tlsa) tlsa.emplace_back(t);
    o["tlsa"] = std::move(tlsa);
    items.push_back(std::move(o));
  }
  boost::json::object out;
  out["devices"] = std::move(items);
  out["next"] = next_json(page->next);
  return json_response(http::status::ok, out);
}

response device_history(registry::reads_service& svc, const call& c) {
  auto q = parse_history_query(c.req.target());
  if (!q) return invalid_query(q.error(), c);
  auto page = svc.history(caller_of(c), c.params.at(0), q->after, q->limit);
  if (!page) return error_response(page.error(), c.info);
  boost::json::array items;
  items.reserve(page->items.size());
  for (const auto& h : page->items) {
    boost::json::object o;
    o["action"] = h.action;
    o["at"] = dto::to_rfc3339(h.at);
    if (h.api_key_id)
      o["api_key_id"] = *h.api_key_id;
    else
      o["api_key_id"] = nullptr;
    if (h.request_id)
      o["request_id"] = *h.request_id;
    else
      o["request_id"] = nullptr;
    // The column is jsonb, so it parses; an empty object if it ever did not.
    boost::system::error_code ec;
    auto detail = boost::json::parse(h.detail_json, ec);
    o["detail"] = ec || !detail.is_object() ? boost::json::value(boost::json::object{}) : std::move(detail);
    items.push_back(std::move(o));
  }
  boost::json::object out;
  out["device_id"] = c.params.at(0);
  out["history"] = std::move(items);
  out["next"] = next_json(page->next);
  return json_response(http::status::ok, out);
}

response zone_status(registry::reads_service& svc, const call& c) {
  auto z = svc.zone(caller_of(c));
  if (!z) return error_response(z.error(), c.info);
  boost::json::array keys;
  for (const auto& k : z->keys) {
    boost::json::object o;
    o["key_tag"] = k.key_tag;
    o["algorithm"] = k.algorithm;
    o["role"] = registry::to_string(k.role);
    o["state"] = k.state;
    keys.push_back(std::move(o));
  }
  boost::json::object out;
  out["zone"] = z->zone;
  if (z->serial)
    out["serial"] = *z->serial;
  else
    out["serial"] = nullptr;
  if (z->published_at)
    out["published_at"] = dto::to_rfc3339(*z->published_at);
  else
    out["published_at"] = nullptr;
  out["active_devices"] = z->active_devices;
  out["tlsa_records"] = z->tlsa_records;
  out["keys"] = std::move(keys);
  return json_response(http::status::ok, out);
}

}  // namespace iotreg::api::handlers
