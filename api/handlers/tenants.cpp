#include "api/handlers/tenants.hpp"
#include "api/idempotency.hpp"

#include "api/dto/tenant_dto.hpp"
#include "api/problem.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>

#include <charconv>

namespace iotreg::api::handlers {
namespace {

std::string_view media_type(std::string_view content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return type;
}

response bad_request(const call& c, std::string_view slug, std::string_view title, std::string detail) {
  return make_problem(http::status::bad_request, slug, title, detail, c.info.request_id);
}

response not_json(const call& c, std::string_view accepted = "application/json") {
  auto res =
      make_problem(http::status::unsupported_media_type, "unsupported-media-type", "Unsupported media type",
                   "the body must be " + std::string(accepted), c.info.request_id);
  res.set("Accept-Post", accepted);
  return res;
}

/// The body as a JSON object (an empty body is an empty object), or the problem to answer.
std::variant<boost::json::object, response> json_object_body(const call& c) {
  if (c.req.body().empty()) return boost::json::object{};
  if (!boost::beast::iequals(media_type(c.req[http::field::content_type]), "application/json"))
    return not_json(c);
  boost::system::error_code ec;
  auto v = boost::json::parse(c.req.body(), ec);
  if (ec) return bad_request(c, "invalid-json", "Invalid JSON", "the body is not JSON");
  if (!v.is_object())
    return bad_request(c, "invalid-request", "Invalid request", "the body must be a JSON object");
  return std::move(v.get_object());
}

/// Member `name` of `o` as a string: absent → nullopt; another type → the problem in `err`.
std::optional<std::string> string_member(const boost::json::object& o, std::string_view name,
                                         bool& wrong_type) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    wrong_type = true;
    return std::nullopt;
  }
  return std::string(v->get_string().c_str(), v->get_string().size());
}

std::optional<std::int64_t> parse_id(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

const registry::api_key& caller(const call& c) { return *c.key; }

response device_reply(const registry::result<registry::lifecycle_result>& r, const call& c) {
  if (!r) return error_response(r.error(), c.info);
  return json_response(http::status::ok, dto::to_json(r->device, r->zone_serial));
}

}  // namespace

response create_tenant(registry::tenant_service& svc, const call& c) {
  auto body = json_object_body(c);
  if (auto* res = std::get_if<response>(&body)) return std::move(*res);
  const auto& o = std::get<boost::json::object>(body);
  bool wrong = false;
  auto name = string_member(o, "name", wrong);
  auto kind = string_member(o, "kind", wrong);
  if (wrong || !name || !kind) {
    return bad_request(c, "invalid-request", "Invalid request",
                       "name and kind (mno, asp or admin) are required strings");
  }
  auto t = svc.create_tenant(caller(c), *name, *kind);
  if (!t) return error_response(t.error(), c.info);
  auto res = json_response(http::status::created, dto::to_json(*t));
  res.set(http::field::location, "/api/v1/tenants/" + std::to_string(t->id));
  return res;
}

response list_tenants(registry::tenant_service& svc, const call& c) {
  auto ts = svc.list_tenants(caller(c));
  if (!ts) return error_response(ts.error(), c.info);
  boost::json::array arr;
  for (const auto& t : *ts) arr.push_back(dto::to_json(t));
  return json_response(http::status::ok, boost::json::object{{"tenants", std::move(arr)}});
}

response create_api_key(registry::tenant_service& svc, const call& c) {
  auto body = json_object_body(c);
  if (auto* res = std::get_if<response>(&body)) return std::move(*res);
  const auto& o = std::get<boost::json::object>(body);
  const auto tenant = parse_id(c.params.at(0));
  if (!tenant) return error_response({registry::errc::tenant_not_found, "no such tenant"}, c.info);
  bool wrong = false;
  auto name = string_member(o, "name", wrong);
  auto expires_text = string_member(o, "expires_at", wrong);
  if (wrong)
    return bad_request(c, "invalid-request", "Invalid request", "name and expires_at must be strings");
  std::optional<registry::time_point> expires;
  if (expires_text) {
    expires = dto::from_rfc3339(*expires_text);
    if (!expires) {
      return bad_request(c, "invalid-request", "Invalid request",
                         "expires_at must be RFC 3339 UTC, e.g. 2027-01-01T00:00:00Z");
    }
  }
  auto k = svc.create_api_key(caller(c), *tenant, name.value_or(""), expires);
  if (!k) return error_response(k.error(), c.info);
  // The key is shown once and stored only hashed: never kept for an Idempotency-Key replay.
  auto res = json_response(http::status::created, dto::to_json(*k));
  res.set(secret_body_field, "1");
  return res;
}

response revoke_api_key(registry::tenant_service& svc, const call& c) {
  const auto id = parse_id(c.params.at(0));
  if (!id) return error_response({registry::errc::api_key_not_found, "no such API key"}, c.info);
  auto r = svc.revoke_api_key(caller(c), *id);
  if (!r) return error_response(r.error(), c.info);
  return json_response(http::status::ok, boost::json::object{{"id", *r}, {"revoked", true}});
}

response set_tenant_disabled(registry::tenant_service& svc, const call& c, bool disabled) {
  const auto id = parse_id(c.params.at(0));
  if (!id) return error_response({registry::errc::tenant_not_found, "no such tenant"}, c.info);
  auto t = svc.set_tenant_disabled(caller(c), *id, disabled);
  if (!t) return error_response(t.error(), c.info);
  return json_response(http::status::ok, dto::to_json(*t));
}

response register_device(registry::lifecycle_service& svc, const call& c) {
  auto body = json_object_body(c);
  if (auto* res = std::get_if<response>(&body)) return std::move(*res);
  bool wrong = false;
  auto id = string_member(std::get<boost::json::object>(body), "device_id", wrong);
  if (wrong || !id)
    return bad_request(c, "invalid-request", "Invalid request", "device_id is a required string");
  auto d = svc.register_device(caller(c), *id);
  if (!d) return error_response(d.error(), c.info);
  auto res = json_response(http::status::created, dto::to_json(*d));
  res.set(http::field::location, "/api/v1/devices/" + boost::urls::encode(d->id, boost::urls::pchars));
  return res;
}

response register_bulk(registry::lifecycle_service& svc, const call& c) {
  const auto type = media_type(c.req[http::field::content_type]);
  std::vector<std::string> ids;
  if (boost::beast::iequals(type, "application/json")) {
    std::string err;
    auto decoded = dto::decode_bulk_json(c.req.body(), err);
    if (!decoded) return bad_request(c, "invalid-request", "Invalid request", err);
    ids = std::move(*decoded);
  } else if (boost::beast::iequals(type, "text/csv")) {
    ids = dto::decode_bulk_csv(c.req.body());
  } else {
    return not_json(c, "application/json, text/csv");
  }
  auto rows = svc.register_bulk(caller(c), ids);
  if (!rows) return error_response(rows.error(), c.info);
  return json_response(http::status::ok, dto::to_json(*rows));
}

response suspend_device(registry::lifecycle_service& svc, const call& c) {
  return device_reply(svc.suspend(caller(c), c.params.at(0)), c);
}

response resume_device(registry::lifecycle_service& svc, const call& c) {
  return device_reply(svc.resume(caller(c), c.params.at(0)), c);
}

response delete_device(registry::lifecycle_service& svc, const call& c) {
  return device_reply(svc.remove(caller(c), c.params.at(0)), c);
}

response create_transfer_code(registry::lifecycle_service& svc, const call& c) {
  auto code = svc.create_transfer_code(caller(c), c.params.at(0));
  if (!code) return error_response(code.error(), c.info);
  // The code is stored only hashed: never kept for an Idempotency-Key replay.
  auto res = json_response(http::status::created, dto::to_json(*code));
  res.set(secret_body_field, "1");
  return res;
}

response transfer_device(registry::lifecycle_service& svc, const call& c) {
  auto body = json_object_body(c);
  if (auto* res = std::get_if<response>(&body)) return std::move(*res);
  bool wrong = false;
  auto code = string_member(std::get<boost::json::object>(body), "code", wrong);
  if (wrong || !code || code->size() > 256) {
    return bad_request(c, "invalid-request", "Invalid request", "code is a required string");
  }
  return device_reply(svc.transfer(caller(c), c.params.at(0), *code), c);
}

}  // namespace iotreg::api::handlers
