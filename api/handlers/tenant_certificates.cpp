#include "api/handlers/tenant_certificates.hpp"

#include "api/base64.hpp"
#include "api/dto/tenant_dto.hpp"
#include "api/problem.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <charconv>

namespace iotreg::api::handlers {
namespace {

/// Bigger than any client certificate worth pinning, small enough to refuse a chain of many.
constexpr std::size_t max_pem_size = 64 * 1024;

response bad_request(const call& c, std::string_view detail) {
  return make_problem(http::status::bad_request, "invalid-request", "Invalid request", detail,
                      c.info.request_id);
}

std::optional<std::int64_t> parse_id(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

std::string pem_of(const std::vector<std::uint8_t>& der) {
  std::string body = base64_lines(der);
  body.erase(std::remove(body.begin(), body.end(), '\r'), body.end());
  return "-----BEGIN CERTIFICATE-----\n" + body + "-----END CERTIFICATE-----\n";
}

std::string_view media_type(std::string_view content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return type;
}

}  // namespace

boost::json::object client_certificate_json(const registry::tenant_certificate& c) {
  boost::json::object o{
      {"id", c.id},
      {"tenant_id", c.tenant_id},
      {"fingerprint", registry::fingerprint_text(c.sha256)},
      {"subject", c.subject},
      {"not_after", dto::to_rfc3339(c.not_after)},
      {"expires_at", dto::to_rfc3339(c.expires_at)},
      {"created_at", dto::to_rfc3339(c.created_at)},
      {"revoked", c.revoked_at.has_value()},
      {"certificate", pem_of(c.der)},
  };
  if (c.revoked_at) o["revoked_at"] = dto::to_rfc3339(*c.revoked_at);
  return o;
}

response register_client_certificate(registry::tenant_certificate_service& svc, const call& c) {
  const auto tenant = parse_id(c.params.at(0));
  if (!tenant) return error_response({registry::errc::tenant_not_found, "no such tenant"}, c.info);
  if (!boost::beast::iequals(media_type(c.req[http::field::content_type]), "application/json")) {
    auto res = make_problem(http::status::unsupported_media_type, "unsupported-media-type",
                            "Unsupported media type", "the body must be application/json", c.info.request_id);
    res.set("Accept-Post", "application/json");
    return res;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(c.req.body(), ec);
  if (ec)
    return make_problem(http::status::bad_request, "invalid-json", "Invalid JSON", "the body is not JSON",
                        c.info.request_id);
  const auto* o = v.if_object();
  if (o == nullptr) return bad_request(c, "the body must be a JSON object");
  const auto* cert = o->if_contains("certificate");
  if (cert == nullptr || !cert->is_string() || cert->get_string().empty() ||
      cert->get_string().size() > max_pem_size)
    return bad_request(c, "certificate is a required string: one PEM certificate");
  std::optional<registry::time_point> expires;
  if (const auto* e = o->if_contains("expires_at"); e != nullptr && !e->is_null()) {
    if (e->is_string()) expires = dto::from_rfc3339(e->get_string());
    if (!expires) return bad_request(c, "expires_at must be RFC 3339 UTC, e.g. 2027-01-01T00:00:00Z");
  }
  for (const auto& [name, value] : *o) {
    (void)value;
    if (name != "certificate" && name != "expires_at")
      return bad_request(c, "unknown member " + std::string(name) + " (certificate, expires_at)");
  }
  auto r = svc.register_certificate(*c.key, *tenant, cert->get_string(), expires);
  if (!r) return error_response(r.error(), c.info);
  auto res = json_response(http::status::created, client_certificate_json(*r));
  res.set(http::field::location, "/api/v1/tenants/" + std::to_string(*tenant) + "/certificates/" +
                                     registry::fingerprint_text(r->sha256));
  return res;
}

response list_client_certificates(registry::tenant_certificate_service& svc, const call& c) {
  const auto tenant = parse_id(c.params.at(0));
  if (!tenant) return error_response({registry::errc::tenant_not_found, "no such tenant"}, c.info);
  auto r = svc.list(*c.key, *tenant);
  if (!r) return error_response(r.error(), c.info);
  boost::json::array arr;
  for (const auto& cert : *r) arr.push_back(client_certificate_json(cert));
  return json_response(http::status::ok, boost::json::object{{"certificates", std::move(arr)}});
}

response revoke_client_certificate(registry::tenant_certificate_service& svc, const call& c) {
  const auto tenant = parse_id(c.params.at(0));
  if (!tenant) return error_response({registry::errc::tenant_not_found, "no such tenant"}, c.info);
  auto r = svc.revoke(*c.key, *tenant, c.params.at(1));
  if (!r) return error_response(r.error(), c.info);
  return json_response(http::status::ok, boost::json::object{{"tenant_id", *tenant},
                                                             {"fingerprint", registry::fingerprint_text(*r)},
                                                             {"revoked", true}});
}

}  // namespace iotreg::api::handlers
