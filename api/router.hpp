#pragma once
// The REST dispatcher: a verb+path table (STYLE.md §6 api) and the API's error boundary
// (STYLE.md §4.3).

#include "api/http.hpp"
#include "registry/audit_log.hpp"
#include "registry/ca_directory.hpp"
#include "registry/enrollment_service.hpp"
#include "registry/est_service.hpp"
#include "registry/iotsafe.hpp"
#include "registry/reads.hpp"
#include "registry/revocation_responder.hpp"
#include "registry/tenancy.hpp"
#include "registry/tenant_certificates.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::api {

struct call;
class idempotency_layer;
class rate_limiter;

class router {
 public:
  /// The services must outlive the router; the router does not own them. With `cas`, the router
  /// also serves GET /.well-known/ca/{aki}.pem; with `revocation`, the /crl/<aki>.crl and /ocsp
  /// routes (all without authentication); with `est`, EST under /.well-known/est/
  /// (api/handlers/est.hpp: those routes authenticate themselves).
  router(registry::enrollment_service& enroll, registry::authenticator& auth,
         const registry::ca_directory* cas = nullptr, registry::revocation_responder* revocation = nullptr,
         registry::est_service* est = nullptr);

  /// Tenants (issue 5): adds the admin's tenant and API key routes and the device lifecycle
  /// routes, and makes the device routes authorize each call by the caller's tenant. Call before
  /// serving; the services must outlive the router.
  void add_tenancy(registry::lifecycle_service& lifecycle, registry::tenant_service& tenants,
                   registry::reads_service* reads = nullptr);

  /// Answers one request. Blocking (enroll and revoke wait for zone publication): run it on the
  /// work pool, never on an io thread. Never throws except std::bad_alloc: an unexpected
  /// exception becomes a 500 problem carrying `info.request_id`, its text goes to the "api" log
  /// only. Every response carries X-Request-Id and, unless the handler set its own (the cacheable
  /// CRL, OCSP GET and CA replies), Cache-Control: no-store; it has the request's HTTP
  /// version and keep-alive, and a prepared payload.
  /// @par Thread Safety: may be called concurrently (if the services allow it).
  response handle(const request& req, const request_info& info);

  /// IoT SAFE (issue 5 item 5): GET /api/v1/devices/{id}/iotsafe and GET/PUT/DELETE
  /// /api/v1/tenants/{id}/service-endpoint from `svc`, which must outlive the router. Call before
  /// serving.
  void add_iotsafe(registry::iotsafe_service& svc);

  /// Serves GET /api/v1/audit (admin keys only) from `reader`, which must outlive the router.
  /// Call before serving.
  void add_audit(registry::audit_log_reader& reader);

  /// Puts every authenticated POST under /api/v1/ that carries Idempotency-Key through `layer`
  /// (api/idempotency.hpp); nullptr: none. Must outlive the router. Call before serving.
  void set_idempotency(idempotency_layer* layer) noexcept { idempotency_ = layer; }

  /// Limits every authenticated request per tenant (429 + Retry-After past the limit), EST
  /// enrollment included, and EST re-enrollment per device certificate; nullptr: no limit.
  /// Unauthenticated routes (OCSP, CRL, CA, health, EST cacerts/csrattrs) are not limited. Must
  /// outlive the router. Call before serving.
  void set_rate_limiter(rate_limiter* limiter) noexcept { limiter_ = limiter; }

  /// Tenants' TLS client certificates (issue 5 item 1): the admin's routes under
  /// /api/v1/tenants/{id}/certificates. Authentication by certificate works without them (the
  /// authenticator decides); these only manage the credentials. `certificates` must outlive the
  /// router. Call before serving.
  void add_tenant_certificates(registry::tenant_certificate_service& certificates);

 private:
  struct route {
    http::verb verb;
    std::string_view pattern;  // "/a/{x}/b": `{…}` matches one non-empty segment, a final `{*}` the rest
    bool needs_auth;
    std::function<response(const call&)> handler;
    /// With needs_auth: HTTP Basic with the API key as password is accepted besides Bearer
    /// (EST enrollment, RFC 7030 §3.2.3), and a 401 challenges both.
    bool basic_auth = false;
    /// Without needs_auth: a request with a verified TLS client certificate is rate limited and
    /// audited under the scope "device:<id>" (EST simplereenroll: the device is the
    /// credential; est_service::device_scope).
    bool device_scope = false;
  };

  response dispatch(const request& req, const request_info& info);
  /// The 429 to send if `scope`'s bucket is empty (nullopt: go on, a token was taken).
  std::optional<response> rate_limited(const std::string& scope, const request_info& info);
  /// Runs a device_scope route's handler under the device's rate limit and audit scope.
  response device_scoped(const route& r, const call& c);

  registry::authenticator& auth_;
  std::vector<route> routes_;
  idempotency_layer* idempotency_ = nullptr;
  rate_limiter* limiter_ = nullptr;
  registry::lifecycle_service* lifecycle_ = nullptr;  // set by add_tenancy
  registry::est_service* est_ = nullptr;              // device scopes of simplereenroll
};

}  // namespace iotreg::api
