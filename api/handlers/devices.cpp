#include "api/handlers/devices.hpp"

#include "api/dto/device_dto.hpp"
#include "api/dto/tenant_dto.hpp"
#include "api/problem.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json/serializer.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>

namespace iotreg::api::handlers {
namespace {

bool is_json_media_type(std::string_view content_type) {
  // "application/json" with optional parameters (charset); media types are case-insensitive.
  auto semi = content_type.find(';');
  auto type = content_type.substr(0, semi);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return boost::beast::iequals(type, "application/json");
}

// A JSON response whose body holds a secret (a server-generated key): serialized into one
// buffer that is wiped whenever it has to grow, where boost::json::serialize would leave the
// partial text behind in each buffer it outgrew. The server wipes the final body once sent.
response secret_json_response(http::status status, const boost::json::value& body) {
  boost::json::serializer sr;
  sr.reset(&body);
  std::string out(16 * 1024, '\0');
  std::size_t used = 0;
  while (!sr.done()) {
    if (used == out.size()) {
      std::string bigger(out.size() * 2, '\0');
      bigger.replace(0, used, out, 0, used);
      registry::wipe(out);
      out.swap(bigger);
    }
    used += sr.read(out.data() + used, out.size() - used).size();
  }
  out.resize(used);  // shrinking keeps the buffer: no copy is made
  response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(out);
  return res;
}

/// 415 for a body that is not application/json.
response not_json(const call& c) {
  auto res = make_problem(http::status::unsupported_media_type, "unsupported-media-type",
                          "Unsupported media type", "the body must be application/json", c.info.request_id);
  res.set("Accept-Post", "application/json");
  return res;
}

/// 400 for a body that does not decode: invalid-json or invalid-request.
response decode_problem(const dto::decode_error& e, const call& c) {
  if (e.what == dto::decode_error::kind::invalid_json)
    return make_problem(http::status::bad_request, "invalid-json", "Invalid JSON", e.detail,
                        c.info.request_id);
  return make_problem(http::status::bad_request, "invalid-request", "Invalid request", e.detail,
                      c.info.request_id);
}

}  // namespace

response enroll_device(registry::enrollment_service& svc, const call& c, registry::lifecycle_service* lc) {
  if (!is_json_media_type(c.req[http::field::content_type])) return not_json(c);
  auto body = dto::decode_enroll(c.req.body());
  if (!body) {
    return decode_problem(body.error(), c);
  }

  registry::enroll_request req;
  req.device_id = std::move(body->device_id);
  req.csr_pem = std::move(body->csr);
  if (body->server_keygen) {
    auto& kg = *body->server_keygen;
    req.server_keygen =
        registry::server_keygen_request{std::move(kg.key_type), std::move(kg.format), std::move(kg.password)};
  }
  if (c.key) req.api_key_id = c.key->id;
  if (lc != nullptr && c.key) {
    auto mno = lc->authorize_activation(*c.key, req.device_id);
    if (!mno) return error_response(mno.error(), c.info);
    req.mno_tenant_id = *mno;
  }

  auto enrolled = svc.enroll(req);
  if (!enrolled) return error_response(enrolled.error(), c.info);

  auto res = enrolled->private_key.empty()
                 ? json_response(http::status::created, dto::to_json(*enrolled, false))
                 : secret_json_response(http::status::created,
                                        dto::to_json(*enrolled, false, dto::wiping_storage()));
  res.set(http::field::location,
          "/api/v1/devices/" + boost::urls::encode(enrolled->device_id, boost::urls::pchars));
  return res;
}

response get_device(registry::enrollment_service& svc, const call& c, registry::lifecycle_service* lc) {
  std::optional<registry::device_ownership> owners;
  if (lc != nullptr && c.key) {
    auto o = lc->authorize_device(*c.key, registry::scope::device_read, c.params.at(0));
    if (!o) return error_response(o.error(), c.info);
    // Registered, not yet activated: no certificate, no TLSA.
    if (o->status == registry::device_status::registered)
      return json_response(http::status::ok, dto::to_json(*o));
    owners = std::move(*o);
  }
  auto found = svc.get(c.params.at(0));
  if (!found) return error_response(found.error(), c.info);
  auto body = dto::to_json(*found, true);
  if (owners) {
    for (auto& kv : dto::to_json(*owners)) body[kv.key()] = kv.value();
  }
  return json_response(http::status::ok, body);
}

namespace {

response revoke_with(registry::enrollment_service& svc, const call& c, std::string_view reason_name,
                     registry::lifecycle_service* lc) {
  const auto reason = pki::revocation_reason_from_name(reason_name);
  if (!reason) {
    // The name is client text: quote it only when short, so problems stay small.
    std::string detail = "reason must be an RFC 5280 CRLReason name such as keyCompromise";
    if (reason_name.size() <= 64) detail = "unknown reason \"" + std::string(reason_name) + "\": " + detail;
    return error_response({registry::errc::invalid_revocation_reason, std::move(detail)}, c.info);
  }
  auto revoked = lc != nullptr && c.key ? lc->revoke(*c.key, c.params.at(0), *reason)
                                        : svc.revoke(c.params.at(0), *reason);
  if (!revoked) return error_response(revoked.error(), c.info);
  return json_response(http::status::ok, dto::to_json(*revoked));
}

}  // namespace

response revoke_device(registry::enrollment_service& svc, const call& c, registry::lifecycle_service* lc) {
  std::string reason = "unspecified";
  if (auto url = boost::urls::parse_origin_form(c.req.target())) {
    const auto params = url->params();
    if (auto it = params.find("reason"); it != params.end()) reason = (*it).value;
  }
  return revoke_with(svc, c, reason, lc);
}

response revoke_device_post(registry::enrollment_service& svc, const call& c,
                            registry::lifecycle_service* lc) {
  // An empty body is "no reason given"; anything else must be the JSON object.
  if (c.req.body().empty()) return revoke_with(svc, c, "unspecified", lc);
  if (!is_json_media_type(c.req[http::field::content_type])) return not_json(c);
  auto body = dto::decode_revoke(c.req.body());
  if (!body) {
    return decode_problem(body.error(), c);
  }
  return revoke_with(svc, c, body->reason, lc);
}

}  // namespace iotreg::api::handlers
