// Tenant TLS client certificates at the API: the router's authentication step (Bearer token or
// the TLS client certificate of request_info::peer_cert_der) and the handlers of
// /api/v1/tenants/{id}/certificates, over fake services.

#include "api/router.hpp"
#include "api/status_map.hpp"
#include "fake_enrollment_base.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

namespace http = boost::beast::http;
namespace json = boost::json;
namespace registry = iotreg::registry;
using registry::errc;

namespace {

constexpr std::string_view token = "good-token";
const std::string tenant_cert = "DER-OF-A-REGISTERED-CERTIFICATE";

/// GET /api/v1/devices/{id} answers the caller's principal in the device's id.
struct echo_enrollment final : iotreg::testing::fake_enrollment_base {
  std::optional<registry::api_key> last;
};

struct fake_auth final : registry::authenticator {
  int token_calls = 0;
  int cert_calls = 0;
  registry::result<registry::api_key> authenticate(std::string_view bearer) override {
    ++token_calls;
    if (bearer != token) return registry::error{errc::unauthenticated, "unknown API key"};
    return registry::api_key{1, "admin", "admin", 1};
  }
  registry::result<registry::api_key> authenticate_certificate(std::string_view der) override {
    ++cert_calls;
    if (der != tenant_cert) return registry::error{errc::unauthenticated, "unknown certificate"};
    return registry::api_key{7, "cert", "admin", 2};
  }
};

struct fake_certificates final : registry::tenant_certificate_service {
  std::optional<registry::api_key> caller;
  std::string pem;
  std::optional<registry::time_point> expires;
  std::string revoked;
  std::optional<registry::error> fail;

  registry::tenant_certificate sample() const {
    registry::tenant_certificate c;
    c.id = 9;
    c.tenant_id = 2;
    c.der = {0x30, 0x03, 0x02, 0x01, 0x01};
    c.sha256.fill(0xab);
    c.subject = "CN=x";
    c.not_after = registry::time_point{} + std::chrono::hours(24 * 365 * 60);
    c.expires_at = c.not_after;
    c.created_at = registry::time_point{} + std::chrono::hours(24 * 365 * 56);
    return c;
  }
  registry::result<registry::tenant_certificate> register_certificate(
      const registry::api_key& who, std::int64_t, std::string_view p,
      std::optional<registry::time_point> e) override {
    caller = who;
    pem = p;
    expires = e;
    if (fail) return *fail;
    return sample();
  }
  registry::result<std::vector<registry::tenant_certificate>> list(const registry::api_key& who,
                                                                   std::int64_t) override {
    caller = who;
    if (fail) return *fail;
    auto c = sample();
    c.revoked_at = c.created_at;
    return std::vector{sample(), c};
  }
  registry::result<registry::fingerprint> revoke(const registry::api_key& who, std::int64_t,
                                                 std::string_view f) override {
    caller = who;
    revoked = f;
    if (fail) return *fail;
    return sample().sha256;
  }
};

struct fixture {
  echo_enrollment svc;
  fake_auth auth;
  fake_certificates certs;
  iotreg::api::router router{svc, auth};
  fixture() { router.add_tenant_certificates(certs); }

  iotreg::api::response send(http::verb v, std::string target, std::string body = {},
                             std::optional<std::string> authz = "Bearer " + std::string(token),
                             std::string peer = {}, std::string content_type = "application/json") {
    iotreg::api::request req{v, target, 11};
    if (authz) req.set(http::field::authorization, *authz);
    if (!body.empty() || v == http::verb::post) {
      if (!content_type.empty()) req.set(http::field::content_type, content_type);
      req.body() = std::move(body);
      req.prepare_payload();
    }
    return router.handle(req, {"req-1", "192.0.2.1:5000", {}, std::move(peer)});
  }
};

json::object body_of(const iotreg::api::response& res) { return json::parse(res.body()).as_object(); }

void check_problem(const iotreg::api::response& res, http::status status, std::string_view slug) {
  INFO(res.body());
  CHECK(res.result() == status);
  CHECK(res[http::field::content_type] == "application/problem+json");
  CHECK(body_of(res).at("type").as_string() == "urn:iotreg:problem:" + std::string(slug));
}

const std::string list_path = "/api/v1/tenants/2/certificates";

}  // namespace

TEST_CASE("status_map: the client certificate errors") {
  const auto check = [](errc e, http::status s, std::string_view slug) {
    const auto k = iotreg::api::problem_for(e);
    CHECK(k.status == s);
    CHECK(k.slug == slug);
  };
  check(errc::client_certificate_invalid, http::status::bad_request, "invalid-client-certificate");
  check(errc::client_certificate_refused, http::status::bad_request, "client-certificate-refused");
  check(errc::client_certificate_exists, http::status::conflict, "client-certificate-exists");
  check(errc::client_certificate_not_found, http::status::not_found, "client-certificate-not-found");
}

TEST_CASE("authentication: Bearer token or registered client certificate") {
  fixture fx;
  SECTION("no header, a registered certificate: the certificate's principal") {
    auto res = fx.send(http::verb::get, list_path, {}, std::nullopt, tenant_cert);
    CHECK(res.result() == http::status::ok);
    REQUIRE(fx.certs.caller);
    CHECK(fx.certs.caller->id == 7);
    CHECK(fx.certs.caller->tenant_id == 2);
    CHECK(fx.auth.cert_calls == 1);
    CHECK(fx.auth.token_calls == 0);
  }
  SECTION("no header, an unknown certificate: 401 with a challenge") {
    auto res = fx.send(http::verb::get, list_path, {}, std::nullopt, "SOME-OTHER-DER");
    check_problem(res, http::status::unauthorized, "unauthenticated");
    CHECK(res[http::field::www_authenticate] == "Bearer realm=\"iotreg\"");
    CHECK_FALSE(fx.certs.caller);
  }
  SECTION("a token and a certificate: the token is the credential") {
    auto res = fx.send(http::verb::get, list_path, {}, "Bearer " + std::string(token), tenant_cert);
    CHECK(res.result() == http::status::ok);
    REQUIRE(fx.certs.caller);
    CHECK(fx.certs.caller->id == 1);
    CHECK(fx.auth.cert_calls == 0);
  }
  SECTION("a bad token beside a good certificate: 401, the certificate is not tried") {
    auto res = fx.send(http::verb::get, list_path, {}, "Bearer nope", tenant_cert);
    check_problem(res, http::status::unauthorized, "unauthenticated");
    CHECK(fx.auth.cert_calls == 0);
  }
  SECTION("an Authorization header that is not Bearer beside a certificate: 401") {
    auto res = fx.send(http::verb::get, list_path, {}, "Basic dXNlcjpwYXNz", tenant_cert);
    check_problem(res, http::status::unauthorized, "unauthenticated");
    CHECK(fx.auth.cert_calls == 0);
  }
  SECTION("neither: 401") {
    auto res = fx.send(http::verb::get, list_path, {}, std::nullopt);
    check_problem(res, http::status::unauthorized, "unauthenticated");
    CHECK(res[http::field::www_authenticate] == "Bearer realm=\"iotreg\"");
    CHECK(fx.auth.cert_calls == 0);
  }
  SECTION("routes without authentication ignore the certificate") {
    auto res = fx.send(http::verb::get, "/healthz", {}, std::nullopt, "SOME-OTHER-DER");
    CHECK(res.result() == http::status::ok);
    CHECK(fx.auth.cert_calls == 0);
  }
}

TEST_CASE("POST /api/v1/tenants/{id}/certificates") {
  fixture fx;
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  SECTION("created, with Location and the credential") {
    auto res =
        fx.send(http::verb::post, list_path,
                json::serialize(json::object{{"certificate", pem}, {"expires_at", "2030-01-02T03:04:05Z"}}));
    INFO(res.body());
    REQUIRE(res.result() == http::status::created);
    CHECK(fx.certs.pem == pem);
    REQUIRE(fx.certs.expires);
    std::string want_fp;
    for (int i = 0; i < 32; ++i) want_fp += "ab";
    CHECK(res[http::field::location] == "/api/v1/tenants/2/certificates/" + want_fp);
    auto o = body_of(res);
    CHECK(o.at("fingerprint").as_string() == want_fp);
    CHECK(o.at("id").as_int64() == 9);
    CHECK(o.at("revoked").as_bool() == false);
    CHECK_FALSE(o.contains("revoked_at"));
    CHECK(o.at("not_after").as_string() == "2029-12-17T00:00:00Z");
    CHECK(o.at("certificate").as_string() ==
          "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n");
  }
  SECTION("malformed requests, the service not called") {
    check_problem(fx.send(http::verb::post, list_path, "{"), http::status::bad_request, "invalid-json");
    check_problem(fx.send(http::verb::post, list_path, "[]"), http::status::bad_request, "invalid-request");
    check_problem(fx.send(http::verb::post, list_path, "{}"), http::status::bad_request, "invalid-request");
    check_problem(fx.send(http::verb::post, list_path, R"({"certificate": 5})"), http::status::bad_request,
                  "invalid-request");
    check_problem(fx.send(http::verb::post, list_path, R"({"certificate": ""})"), http::status::bad_request,
                  "invalid-request");
    check_problem(fx.send(http::verb::post, list_path,
                          json::serialize(json::object{{"certificate", pem}, {"expires_at", "tomorrow"}})),
                  http::status::bad_request, "invalid-request");
    check_problem(fx.send(http::verb::post, list_path,
                          json::serialize(json::object{{"certificate", pem}, {"name", "x"}})),
                  http::status::bad_request, "invalid-request");
    check_problem(fx.send(http::verb::post, list_path,
                          json::serialize(json::object{{"certificate", std::string(70000, 'a')}})),
                  http::status::bad_request, "invalid-request");
    check_problem(fx.send(http::verb::post, list_path, json::serialize(json::object{{"certificate", pem}}),
                          "Bearer " + std::string(token), {}, "text/plain"),
                  http::status::unsupported_media_type, "unsupported-media-type");
    check_problem(fx.send(http::verb::post, "/api/v1/tenants/x/certificates",
                          json::serialize(json::object{{"certificate", pem}})),
                  http::status::not_found, "tenant-not-found");
    CHECK_FALSE(fx.certs.caller);
  }
  SECTION("the service's refusals") {
    const auto body = json::serialize(json::object{{"certificate", pem}});
    fx.certs.fail = registry::error{errc::client_certificate_refused, "expired"};
    check_problem(fx.send(http::verb::post, list_path, body), http::status::bad_request,
                  "client-certificate-refused");
    fx.certs.fail = registry::error{errc::client_certificate_invalid, "not PEM"};
    check_problem(fx.send(http::verb::post, list_path, body), http::status::bad_request,
                  "invalid-client-certificate");
    fx.certs.fail = registry::error{errc::client_certificate_exists, "exists"};
    check_problem(fx.send(http::verb::post, list_path, body), http::status::conflict,
                  "client-certificate-exists");
    fx.certs.fail = registry::error{errc::forbidden, "no"};
    check_problem(fx.send(http::verb::post, list_path, body), http::status::forbidden, "forbidden");
  }
}

TEST_CASE("GET and DELETE /api/v1/tenants/{id}/certificates") {
  fixture fx;
  auto res = fx.send(http::verb::get, list_path);
  REQUIRE(res.result() == http::status::ok);
  const auto listed = body_of(res);
  const auto& arr = listed.at("certificates").as_array();
  REQUIRE(arr.size() == 2);
  CHECK(arr[1].as_object().at("revoked").as_bool());
  CHECK(arr[1].as_object().at("revoked_at").as_string() == "2025-12-18T00:00:00Z");

  res = fx.send(http::verb::delete_, list_path + "/AB:CD");
  REQUIRE(res.result() == http::status::ok);
  CHECK(fx.certs.revoked == "AB:CD");
  CHECK(body_of(res).at("revoked").as_bool());
  CHECK(body_of(res).at("tenant_id").as_int64() == 2);

  fx.certs.fail = registry::error{errc::client_certificate_not_found, "none"};
  check_problem(fx.send(http::verb::delete_, list_path + "/ab"), http::status::not_found,
                "client-certificate-not-found");
  check_problem(fx.send(http::verb::delete_, "/api/v1/tenants/0/certificates/ab"), http::status::not_found,
                "tenant-not-found");
  auto m = fx.send(http::verb::put, list_path);
  CHECK(m.result() == http::status::method_not_allowed);
  CHECK(m[http::field::allow] == "POST, GET");
}
