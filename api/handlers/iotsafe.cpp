#include "api/handlers/iotsafe.hpp"

#include "api/dto/iotsafe_dto.hpp"
#include "api/problem.hpp"
#include "registry/iotsafe_der.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>

#include <charconv>

namespace iotreg::api::handlers {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// The q of one media range's parameters ("q=0.5"); 1 when absent, -1 when malformed.
double quality(std::string_view params) {
  while (!params.empty()) {
    const auto semi = params.find(';');
    const auto p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() < 2 || !boost::beast::iequals(p.substr(0, 2), "q=")) continue;
    double q = 0;
    const auto v = p.substr(2);
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), q);
    if (ec != std::errc{} || ptr != v.data() + v.size() || q < 0 || q > 1) return -1;
    return q;
  }
  return 1;
}

std::optional<std::int64_t> tenant_id(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

const registry::api_key& caller(const call& c) { return *c.key; }

}  // namespace

std::optional<iotsafe_format> negotiate_iotsafe(std::string_view accept) {
  if (trim(accept).empty()) return iotsafe_format::json;
  double json = 0, der = 0;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    const auto item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    const auto semi = item.find(';');
    const auto range = trim(item.substr(0, semi));
    const double q = quality(semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1));
    if (q <= 0) continue;
    if (boost::beast::iequals(range, "application/json") || boost::beast::iequals(range, "application/*") ||
        range == "*/*")
      json = std::max(json, q);
    else if (boost::beast::iequals(range, iotsafe_der_media_type))
      der = std::max(der, q);
  }
  if (der > json) return iotsafe_format::der;
  if (json > 0) return iotsafe_format::json;
  return std::nullopt;
}

response get_iotsafe(registry::iotsafe_service& svc, const call& c) {
  const auto format = negotiate_iotsafe(c.req[http::field::accept]);
  if (!format) {
    return make_problem(
        http::status::not_acceptable, "not-acceptable", "Not acceptable",
        "the payload is available as application/json and " + std::string(iotsafe_der_media_type),
        c.info.request_id);
  }
  auto p = svc.payload(caller(c), c.params.at(0));
  if (!p) return error_response(p.error(), c.info);
  if (*format == iotsafe_format::json) return json_response(http::status::ok, dto::to_json(*p));
  const auto der = registry::encode_iotsafe_der(*p);
  response res{http::status::ok, 11};
  res.set(http::field::content_type, iotsafe_der_media_type);
  res.body().assign(der.begin(), der.end());
  return res;
}

response get_service_endpoint(registry::iotsafe_service& svc, const call& c) {
  const auto id = tenant_id(c.params.at(0));
  if (!id) return error_response({registry::errc::tenant_not_found, "no such tenant"}, c.info);
  auto e = svc.get_endpoint(caller(c), *id);
  if (!e) return error_response(e.error(), c.info);
  return json_response(http::status::ok, dto::to_json(*id, *e));
}

response put_service_endpoint(registry::iotsafe_service& svc, const call& c) {
  const auto id = tenant_id(c.params.at(0));
  if (!id) return error_response({registry::errc::tenant_not_found, "no such tenant"}, c.info);
  const auto type = c.req[http::field::content_type];
  if (!boost::beast::iequals(trim(type.substr(0, type.find(';'))), "application/json")) {
    return make_problem(http::status::unsupported_media_type, "unsupported-media-type",
                        "Unsupported media type", "the body must be application/json", c.info.request_id);
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(c.req.body(), ec);
  if (ec)
    return make_problem(http::status::bad_request, "invalid-json", "Invalid JSON", "the body is not JSON",
                        c.info.request_id);
  if (!v.is_object())
    return error_response({registry::errc::invalid_service_endpoint, "the body must be a JSON object"},
                          c.info);
  auto in = dto::service_endpoint_from_json(v.get_object());
  if (!in) return error_response(in.error(), c.info);
  auto e = svc.put_endpoint(caller(c), *id, *in);
  if (!e) return error_response(e.error(), c.info);
  return json_response(http::status::ok, dto::to_json(*id, *e));
}

response delete_service_endpoint(registry::iotsafe_service& svc, const call& c) {
  const auto id = tenant_id(c.params.at(0));
  if (!id) return error_response({registry::errc::tenant_not_found, "no such tenant"}, c.info);
  auto r = svc.delete_endpoint(caller(c), *id);
  if (!r) return error_response(r.error(), c.info);
  return response{http::status::no_content, 11};
}

}  // namespace iotreg::api::handlers
