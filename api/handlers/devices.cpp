#include "api/handlers/devices.hpp"

#include "api/dto/device_dto.hpp"
#include "api/dto/renewal_dto.hpp"
#include "api/dto/tenant_dto.hpp"
#include "api/handlers/reads.hpp"
#include "api/handlers/renewal.hpp"
#include "api/idempotency.hpp"
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
  res.set(secret_body_field, "1");  // never stored for an Idempotency-Key replay
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

namespace {

/// The registry's form of an enroll or rekey body's "server_keygen" member (moved: the password
/// is not copied).
std::optional<registry::server_keygen_request> keygen_request(std::optional<dto::server_keygen_body> kg) {
  if (!kg) return std::nullopt;
  return registry::server_keygen_request{std::move(kg->key_type), std::move(kg->format),
                                         std::move(kg->password)};
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
  req.server_keygen = keygen_request(std::move(body->server_keygen));
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

// Renewal (issue 4 item 4), declared in renewal.hpp; here for the body helpers above.

namespace {

/// With tenants: may the caller renew, rekey or confirm the device? nullopt if so, else the
/// problem (403 for a role without the scope, 404 for another tenant's device).
std::optional<response> renewal_refused(const call& c, registry::lifecycle_service* lc) {
  if (lc == nullptr || !c.key) return std::nullopt;
  auto o = lc->authorize_device(*c.key, registry::scope::device_activate, c.params.at(0));
  if (!o) return error_response(o.error(), c.info);
  return std::nullopt;
}

}  // namespace

response renew_device(registry::enrollment_service& svc, const call& c, registry::lifecycle_service* lc) {
  if (auto refused = renewal_refused(c, lc)) return std::move(*refused);
  if (!c.req.body().empty() && !is_json_media_type(c.req[http::field::content_type])) return not_json(c);
  auto body = dto::decode_renew(c.req.body());
  if (!body) return decode_problem(body.error(), c);
  registry::renew_request req{c.params.at(0), std::nullopt};
  if (c.key) req.api_key_id = c.key->id;
  auto renewed = svc.renew(req);
  if (!renewed) return error_response(renewed.error(), c.info);
  return json_response(http::status::created, dto::to_json_renewed(*renewed));
}

response rekey_device(registry::enrollment_service& svc, const call& c, registry::lifecycle_service* lc) {
  if (auto refused = renewal_refused(c, lc)) return std::move(*refused);
  if (!is_json_media_type(c.req[http::field::content_type])) return not_json(c);
  auto body = dto::decode_rekey(c.req.body());
  if (!body) return decode_problem(body.error(), c);
  registry::rekey_request req;
  req.device_id = c.params.at(0);
  req.csr_pem = std::move(body->csr);
  req.server_keygen = keygen_request(std::move(body->server_keygen));
  if (c.key) req.api_key_id = c.key->id;
  auto rekeyed = svc.rekey(req);
  if (!rekeyed) return error_response(rekeyed.error(), c.info);
  return rekeyed->private_key.empty()
             ? json_response(http::status::created, dto::to_json_renewed(*rekeyed))
             : secret_json_response(http::status::created,
                                    dto::to_json_renewed(*rekeyed, dto::wiping_storage()));
}

response confirm_certificate(registry::enrollment_service& svc, const call& c,
                             registry::lifecycle_service* lc) {
  if (auto refused = renewal_refused(c, lc)) return std::move(*refused);
  if (!is_json_media_type(c.req[http::field::content_type])) return not_json(c);
  auto body = dto::decode_confirm(c.req.body());
  if (!body) return decode_problem(body.error(), c);
  auto confirmed = svc.confirm(c.params.at(0), body->serial);
  if (!confirmed) return error_response(confirmed.error(), c.info);
  return json_response(http::status::ok, dto::to_json(*confirmed));
}

response list_expiring(registry::enrollment_service& svc, const call& c, registry::lifecycle_service*) {
  if (!c.key)
    return error_response({registry::errc::unauthenticated, "send Authorization: Bearer <API key>"}, c.info);
  constexpr std::size_t default_limit = 100;
  auto bad = [&](std::string detail) {
    return make_problem(http::status::bad_request, "invalid-query", "Invalid query parameter",
                        std::move(detail), c.info.request_id);
  };
  auto url = boost::urls::parse_origin_form(c.req.target());
  if (!url) return bad("the request target does not parse");
  std::optional<registry::time_point> before;
  std::optional<registry::expiring_cursor> after;
  std::size_t limit = default_limit;
  for (const auto& p : url->params()) {
    const std::string_view value = p.value;
    if (p.key == "expiring_before") {
      before = dto::parse_rfc3339(value);
      if (!before) return bad("expiring_before must be an RFC 3339 date-time such as 2027-01-01T00:00:00Z");
    } else if (p.key == "limit") {
      auto n = parse_page_limit(value);
      if (!n) return bad("limit must be an integer from 1 to 1000");
      limit = *n;
    } else if (p.key == "after") {
      after = dto::decode_cursor(value);
      if (!after) return bad("after must be the \"next\" value of a previous page");
    } else {
      std::string detail = "unknown query parameter";
      if (p.key.size() <= 64) detail += " \"" + std::string(p.key) + "\"";
      return bad(std::move(detail));
    }
  }
  if (!before) return bad("expiring_before is required");
  auto page = svc.expiring(*c.key, *before, after, limit);
  if (!page) return error_response(page.error(), c.info);
  return json_response(http::status::ok, dto::to_json(*page));
}

}  // namespace iotreg::api::handlers
