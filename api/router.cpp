#include "api/router.hpp"

#include "api/handlers/audit.hpp"
#include "api/handlers/ca.hpp"
#include "api/handlers/devices.hpp"
#include "api/handlers/est.hpp"
#include "api/handlers/iotsafe.hpp"
#include "api/handlers/reads.hpp"
#include "api/handlers/renewal.hpp"
#include "api/handlers/revocation.hpp"
#include "api/handlers/tenant_certificates.hpp"
#include "api/handlers/tenants.hpp"
#include "api/idempotency.hpp"
#include "api/log.hpp"
#include "api/problem.hpp"
#include "api/rate_limiter.hpp"
#include "api/status_map.hpp"
#include "registry/request_context.hpp"
#include "registry/secret.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <exception>
#include <optional>

namespace iotreg::api {

namespace {

/// The decoded path segments of an origin-form target, or nullopt if it is not one.
std::optional<std::vector<std::string>> path_segments(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  std::vector<std::string> out;
  for (auto seg : url->segments()) out.push_back(seg);
  return out;
}

/// Matches `segments` against a pattern; appends `{…}` captures to `params`. A final `{*}` matches
/// the rest of the path (one or more segments, rejoined with '/'): an OCSP GET request is base64,
/// whose '/' clients do not always percent-encode.
bool match(std::string_view pattern, const std::vector<std::string>& segments,
           std::vector<std::string>& params) {
  std::vector<std::string> captured;
  std::size_t i = 0;
  pattern.remove_prefix(1);  // every pattern starts with '/'
  while (true) {
    const auto slash = pattern.find('/');
    const auto part = pattern.substr(0, slash);
    if (i >= segments.size()) return false;
    if (part == "{*}" && slash == std::string_view::npos) {
      std::string rest = segments[i];
      for (++i; i < segments.size(); ++i) rest += "/" + segments[i];
      if (rest.empty()) return false;
      captured.push_back(std::move(rest));
      break;
    }
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      if (segments[i].empty()) return false;
      captured.push_back(segments[i]);
    } else if (part != segments[i]) {
      return false;
    }
    ++i;
    if (slash == std::string_view::npos) break;
    pattern.remove_prefix(slash + 1);
  }
  if (i != segments.size()) return false;
  params = std::move(captured);
  return true;
}

/// The token of "Authorization: Bearer <token>" (RFC 6750 §2.1), or empty.
std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "bearer";
  if (header.size() <= scheme.size() || !boost::beast::iequals(header.substr(0, 6), scheme) ||
      header[6] != ' ')
    return {};
  header.remove_prefix(7);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.find_first_of(" \t,") != std::string_view::npos) return {};
  return header;
}

}  // namespace

router::router(registry::enrollment_service& enroll, registry::authenticator& auth,
               const registry::ca_directory* cas, registry::revocation_responder* revocation,
               registry::est_service* est)
    : auth_(auth), est_(est) {
  using http::verb;
  routes_ = {
      {verb::post, "/api/v1/devices", true,
       [this, &enroll](const call& c) { return handlers::enroll_device(enroll, c, lifecycle_); }},
      {verb::get, "/api/v1/devices/{id}", true,
       [this, &enroll](const call& c) { return handlers::get_device(enroll, c, lifecycle_); }},
      {verb::delete_, "/api/v1/devices/{id}", true,
       [this, &enroll](const call& c) { return handlers::revoke_device(enroll, c, lifecycle_); }},
      {verb::post, "/api/v1/devices/{id}/revoke", true,
       [this, &enroll](const call& c) { return handlers::revoke_device_post(enroll, c, lifecycle_); }},
      {verb::get, "/healthz", false, [](const call& c) { return handlers::healthz(c); }},
  };
  // Renewal (issue 4 item 4).
  routes_.push_back({verb::post, "/api/v1/devices/{id}/renew", true, [this, &enroll](const call& c) {
                       return handlers::renew_device(enroll, c, lifecycle_);
                     }});
  routes_.push_back({verb::post, "/api/v1/devices/{id}/rekey", true, [this, &enroll](const call& c) {
                       return handlers::rekey_device(enroll, c, lifecycle_);
                     }});
  routes_.push_back({verb::post, "/api/v1/devices/{id}/confirm", true, [this, &enroll](const call& c) {
                       return handlers::confirm_certificate(enroll, c, lifecycle_);
                     }});
  routes_.push_back({verb::get, "/api/v1/certificates", true, [this, &enroll](const call& c) {
                       return handlers::list_expiring(enroll, c, lifecycle_);
                     }});
  if (cas != nullptr) {
    routes_.push_back({verb::get, "/.well-known/ca/{file}", false,
                       [cas](const call& c) { return handlers::get_ca_certificate(*cas, c); }});
  }
  if (revocation != nullptr) {
    auto& r = *revocation;
    routes_.push_back(
        {verb::get, "/crl/{file}", false, [&r](const call& c) { return handlers::get_crl(r, c); }});
    routes_.push_back(
        {verb::get, "/ocsp/{*}", false, [&r](const call& c) { return handlers::get_ocsp(r, c); }});
    routes_.push_back(
        {verb::post, "/ocsp", false, [&r](const call& c) { return handlers::post_ocsp(r, c); }});
  }
  if (est != nullptr) {
    // RFC 7030 §3.2.2. simpleenroll and serverkeygen are authenticated here, Bearer or Basic
    // (basic_auth), so that the tenant's rate limit and audit scope apply; simplereenroll is
    // authenticated by the handler from the TLS client certificate and limited per device.
    auto& e = *est;
    routes_.push_back({verb::get, "/.well-known/est/cacerts", false,
                       [&e](const call& c) { return handlers::est_cacerts(e, c); }});
    routes_.push_back({verb::get, "/.well-known/est/csrattrs", false,
                       [&e](const call& c) { return handlers::est_csrattrs(e, c); }});
    routes_.push_back({verb::post, "/.well-known/est/simpleenroll", true,
                       [&e](const call& c) { return handlers::est_simpleenroll(e, c); }, true});
    routes_.push_back({verb::post, "/.well-known/est/simplereenroll", false,
                       [&e](const call& c) { return handlers::est_simplereenroll(e, c); }, false, true});
    routes_.push_back({verb::post, "/.well-known/est/serverkeygen", true,
                       [&e](const call& c) { return handlers::est_serverkeygen(e, c); }, true});
  }
}

void router::add_tenancy(registry::lifecycle_service& lifecycle, registry::tenant_service& tenants,
                         registry::reads_service* reads) {
  using http::verb;
  lifecycle_ = &lifecycle;
  auto& l = lifecycle;
  auto& t = tenants;
  const std::vector<route> more = {
      {verb::post, "/api/v1/tenants", true, [&t](const call& c) { return handlers::create_tenant(t, c); }},
      {verb::get, "/api/v1/tenants", true, [&t](const call& c) { return handlers::list_tenants(t, c); }},
      {verb::post, "/api/v1/tenants/{id}/api-keys", true,
       [&t](const call& c) { return handlers::create_api_key(t, c); }},
      {verb::delete_, "/api/v1/api-keys/{id}", true,
       [&t](const call& c) { return handlers::revoke_api_key(t, c); }},
      {verb::post, "/api/v1/devices/register", true,
       [&l](const call& c) { return handlers::register_device(l, c); }},
      {verb::post, "/api/v1/devices/bulk", true,
       [&l](const call& c) { return handlers::register_bulk(l, c); }},
      {verb::post, "/api/v1/devices/{id}/suspend", true,
       [&l](const call& c) { return handlers::suspend_device(l, c); }},
      {verb::post, "/api/v1/devices/{id}/resume", true,
       [&l](const call& c) { return handlers::resume_device(l, c); }},
      {verb::post, "/api/v1/devices/{id}/delete", true,
       [&l](const call& c) { return handlers::delete_device(l, c); }},
      {verb::post, "/api/v1/devices/{id}/transfer-code", true,
       [&l](const call& c) { return handlers::create_transfer_code(l, c); }},
      {verb::post, "/api/v1/devices/{id}/transfer", true,
       [&l](const call& c) { return handlers::transfer_device(l, c); }},
  };
  routes_.insert(routes_.end(), more.begin(), more.end());
  routes_.push_back({verb::post, "/api/v1/tenants/{id}/disable", true,
                     [&t](const call& c) { return handlers::set_tenant_disabled(t, c, true); }});
  routes_.push_back({verb::post, "/api/v1/tenants/{id}/enable", true,
                     [&t](const call& c) { return handlers::set_tenant_disabled(t, c, false); }});
  // Reads (issue 5 item 3). GET /api/v1/devices/{id}/history has one segment more than
  // GET /api/v1/devices/{id}, so the two never match the same path.
  if (reads != nullptr) {
    auto& r = *reads;
    routes_.push_back(
        {verb::get, "/api/v1/devices", true, [&r](const call& c) { return handlers::list_devices(r, c); }});
    routes_.push_back({verb::get, "/api/v1/devices/{id}/history", true,
                       [&r](const call& c) { return handlers::device_history(r, c); }});
    routes_.push_back(
        {verb::get, "/api/v1/zone", true, [&r](const call& c) { return handlers::zone_status(r, c); }});
  }
}

response router::handle(const request& req, const request_info& info) {
  response res;
  try {
    res = dispatch(req, info);
  } catch (const std::exception& e) {
    logger()->error("request {}: {} {}: unhandled exception: {}", info.request_id,
                    std::string_view{req.method_string()}, std::string_view{req.target()}, e.what());
    res = make_problem(http::status::internal_server_error, "internal", "Internal error",
                       "an unexpected error occurred; quote the request id", info.request_id);
  } catch (...) {
    logger()->error("request {}: unhandled non-standard exception", info.request_id);
    res = make_problem(http::status::internal_server_error, "internal", "Internal error",
                       "an unexpected error occurred; quote the request id", info.request_id);
  }
  res.erase(secret_body_field);  // internal to the server (idempotency.hpp)
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  // The API's replies are per caller and must not be cached; the public PKI documents set their
  // own freshness (handlers/revocation.cpp, handlers/ca.cpp).
  if (res.find(http::field::cache_control) == res.end()) res.set(http::field::cache_control, "no-store");
  res.set("X-Request-Id", info.request_id);
  res.prepare_payload();
  // A 304 has no content, and a Content-Length it carries would have to be the 200's (RFC 9110
  // §8.6): send none.
  if (res.result() == http::status::not_modified) res.erase(http::field::content_length);
  return res;
}

response router::dispatch(const request& req, const request_info& info) {
  auto segments = path_segments(req.target());
  if (!segments)
    return make_problem(http::status::bad_request, "invalid-request", "Invalid request",
                        "malformed request target", info.request_id);

  std::vector<std::string> params;
  const route* found = nullptr;
  std::string allow;
  for (const auto& r : routes_) {
    if (!match(r.pattern, *segments, params)) continue;
    if (r.verb == req.method()) {
      found = &r;
      break;
    }
    if (!allow.empty()) allow += ", ";
    allow += std::string_view{http::to_string(r.verb)};
  }
  if (!found) {
    if (allow.empty())
      return make_problem(http::status::not_found, "not-found", "Not found", "no resource at this path",
                          info.request_id);
    auto res = make_problem(http::status::method_not_allowed, "method-not-allowed", "Method not allowed",
                            "allowed: " + allow, info.request_id);
    res.set(http::field::allow, allow);
    return res;
  }

  call c{req, info, std::nullopt, std::move(params)};
  if (found->needs_auth) {
    // Two kinds of credential (issue 5 item 1): an API key as Bearer token, or a TLS client
    // certificate registered for a tenant (registry/tenant_certificates.hpp). With both, the
    // token is the credential: a request says which one it means by sending the header. Without
    // the header, the certificate whose key the TLS handshake proved is looked up.
    if (req.find(http::field::authorization) == req.end() && !info.peer_cert_der.empty()) {
      auto key = auth_.authenticate_certificate(info.peer_cert_der);
      if (!key) {
        auto res = error_response(key.error(), info);
        res.set(http::field::www_authenticate, "Bearer realm=\"iotreg\"");
        if (found->basic_auth) res.insert(http::field::www_authenticate, "Basic realm=\"iotreg-est\"");
        return res;
      }
      c.key = std::move(*key);
    } else {
      // EST routes (basic_auth) also take the key as an HTTP Basic password (RFC 7030 §3.2.3).
      std::string token{bearer_token(req[http::field::authorization])};
      if (token.empty() && found->basic_auth)
        token = handlers::est_credentials(req[http::field::authorization]).value_or(std::string{});
      if (token.empty()) {
        if (found->basic_auth)
          return handlers::est_unauthenticated(
              info, "send Authorization: Bearer <API key> or Basic with the API key as password");
        auto res = make_problem(
            http::status::unauthorized, "unauthenticated", "Authentication required",
            "send Authorization: Bearer <API key>, or a registered TLS client certificate", info.request_id);
        res.set(http::field::www_authenticate, "Bearer realm=\"iotreg\"");
        return res;
      }
      auto key = auth_.authenticate(token);
      registry::wipe(token);
      if (!key) {
        auto res = error_response(key.error(), info);
        if (found->basic_auth) res.insert(http::field::www_authenticate, "Basic realm=\"iotreg-est\"");
        return res;
      }
      c.key = std::move(*key);
    }
  }
  if (!c.key) {
    if (found->device_scope && !info.client_cert_der.empty()) return device_scoped(*found, c);
    return found->handler(c);
  }

  // Rate limits and idempotency keys belong to the tenant, so that a tenant's several keys share
  // one budget and a retry through another of its keys is still recognised; a key without a
  // tenant (none since migration 006, but the type allows it) is its own scope.
  const std::string scope = c.key->tenant_id ? "tenant:" + std::to_string(*c.key->tenant_id)
                                             : "api_key:" + std::to_string(c.key->id);
  if (auto refused = rate_limited(scope, info)) return std::move(*refused);
  // The audit rows of whatever the handler changes name this request and credential.
  const registry::request_scope audit_scope({info.request_id, c.key->id});
  if (idempotency_ && req.method() == http::verb::post &&
      std::string_view{req.target()}.starts_with("/api/v1/"))
    return idempotency_->handle(req, info, scope, [&] { return found->handler(c); });
  return found->handler(c);
}

std::optional<response> router::rate_limited(const std::string& scope, const request_info& info) {
  if (limiter_) {
    if (const auto d = limiter_->acquire(scope); !d.allowed) {
      auto res = make_problem(http::status::too_many_requests, "rate-limited", "Too many requests",
                              "the request rate of this tenant is over its limit; retry after the "
                              "Retry-After delay",
                              info.request_id);
      res.set(http::field::retry_after, std::to_string(d.retry_after.count()));
      return res;
    }
  }
  return std::nullopt;
}

response router::device_scoped(const route& r, const call& c) {
  // EST re-enrollment has no tenant key: the device's certificate (verified by the TLS layer
  // against iotreg's CAs) is the credential. Its budget is the device's own ("device:<id>", the
  // same across renewals and rekeys), at the per-tenant rate: a device in a retry loop slows
  // only itself, never its MNO's provisioning.
  const auto& der = c.info.client_cert_der;
  const auto scope =
      est_ == nullptr ? std::string{}
                      : est_->device_scope({reinterpret_cast<const std::uint8_t*>(der.data()), der.size()});
  if (scope.empty()) return r.handler(c);  // not a device certificate: the handler refuses it
  if (auto refused = rate_limited(scope, c.info)) return std::move(*refused);
  // Audit rows carry the request id; there is no API key to name: the row's device is the
  // credential (and its detail the new certificate's serial).
  const registry::request_scope audit_scope({c.info.request_id, std::nullopt});
  return r.handler(c);
}

void router::add_audit(registry::audit_log_reader& reader) {
  routes_.push_back({http::verb::get, "/api/v1/audit", true,
                     [&reader](const call& c) { return handlers::list_audit(reader, c); }});
}

void router::add_iotsafe(registry::iotsafe_service& svc) {
  using http::verb;
  routes_.push_back({verb::get, "/api/v1/devices/{id}/iotsafe", true,
                     [&svc](const call& c) { return handlers::get_iotsafe(svc, c); }});
  routes_.push_back({verb::get, "/api/v1/tenants/{id}/service-endpoint", true,
                     [&svc](const call& c) { return handlers::get_service_endpoint(svc, c); }});
  routes_.push_back({verb::put, "/api/v1/tenants/{id}/service-endpoint", true,
                     [&svc](const call& c) { return handlers::put_service_endpoint(svc, c); }});
  routes_.push_back({verb::delete_, "/api/v1/tenants/{id}/service-endpoint", true,
                     [&svc](const call& c) { return handlers::delete_service_endpoint(svc, c); }});
}

void router::add_tenant_certificates(registry::tenant_certificate_service& certificates) {
  using http::verb;
  auto& s = certificates;
  routes_.push_back({verb::post, "/api/v1/tenants/{id}/certificates", true,
                     [&s](const call& c) { return handlers::register_client_certificate(s, c); }});
  routes_.push_back({verb::get, "/api/v1/tenants/{id}/certificates", true,
                     [&s](const call& c) { return handlers::list_client_certificates(s, c); }});
  routes_.push_back({verb::delete_, "/api/v1/tenants/{id}/certificates/{fingerprint}", true,
                     [&s](const call& c) { return handlers::revoke_client_certificate(s, c); }});
}

}  // namespace iotreg::api
