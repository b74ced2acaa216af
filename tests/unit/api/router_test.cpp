// The router with fake services: status/slug mapping, decoding, auth, routing, success shapes.

#include "api/router.hpp"
#include "api/http_cache.hpp"
#include "api/problem.hpp"
#include "api/status_map.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

namespace http = boost::beast::http;
namespace json = boost::json;
using iotreg::registry::errc;
namespace registry = iotreg::registry;

namespace {

constexpr std::string_view token = "good-token";
constexpr std::string_view csr_pem =
    "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";

registry::enrollment sample(std::string id) {
  registry::enrollment e;
  e.device_id = id;
  e.dns_name = id + "._device.iotregistry.test";
  e.certificate_pem = "-----BEGIN CERTIFICATE-----\nDEV\n-----END CERTIFICATE-----\n";
  e.chain_pem = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
  e.tlsa = e.dns_name + ". 3600 IN TLSA 3 1 1 abcd";
  e.zone_serial = 2024010101;
  return e;
}

/// Enrollment service whose next failure (or exception) the test chooses.
struct fake_enrollment final : registry::enrollment_service {
  std::optional<registry::error> fail;
  bool throw_next = false;
  registry::enroll_request last_enroll;
  std::string last_id;
  iotreg::pki::revocation_reason last_reason = iotreg::pki::revocation_reason::unspecified;
  std::optional<std::uint32_t> serial = 2024010101;
  registry::device_status status = registry::device_status::active;

  registry::result<registry::enrollment> enroll(const registry::enroll_request& req) override {
    last_enroll = req;
    if (throw_next) throw std::runtime_error("secret database detail");
    if (fail) return *fail;
    return sample(req.device_id);
  }
  registry::result<registry::enrollment> get(std::string_view id) override {
    last_id = id;
    if (throw_next) throw std::runtime_error("secret database detail");
    if (fail) return *fail;
    auto e = sample(std::string(id));
    e.zone_serial = serial;
    e.status = status;
    return e;
  }
  registry::result<registry::revocation> revoke(std::string_view id,
                                                iotreg::pki::revocation_reason reason) override {
    last_id = id;
    last_reason = reason;
    if (throw_next) throw std::runtime_error("secret database detail");
    if (fail) return *fail;
    return registry::revocation{std::string(id), 2024010102, reason};
  }
  // Renewal (issue 4 item 4).
  registry::rekey_request last_rekey;
  std::string last_serial;
  std::optional<registry::time_point> last_before;
  std::optional<registry::expiring_cursor> last_after;
  std::size_t last_limit = 0;
  registry::result<registry::enrollment> renew(const registry::renew_request& req) override {
    last_id = req.device_id;
    if (fail) return *fail;
    auto e = sample(req.device_id);
    e.serial_hex = "0a1b";
    return e;
  }
  registry::result<registry::enrollment> rekey(const registry::rekey_request& req) override {
    last_rekey = req;
    if (fail) return *fail;
    auto e = sample(req.device_id);
    e.serial_hex = "0c1d";
    return e;
  }
  registry::result<registry::confirmation> confirm(std::string_view id,
                                                   std::string_view serial_hex) override {
    last_id = id;
    last_serial = serial_hex;
    if (fail) return *fail;
    return registry::confirmation{std::string(id), std::string(serial_hex), 1, 2024010103};
  }
  std::optional<registry::api_key> last_caller;
  registry::result<registry::expiring_page> expiring(const registry::api_key& caller,
                                                     registry::time_point before,
                                                     const std::optional<registry::expiring_cursor>& after,
                                                     std::size_t limit) override {
    last_caller = caller;
    if (fail) return *fail;
    last_before = before;
    last_after = after;
    last_limit = limit;
    registry::expiring_page p;
    p.items.push_back({"dev1", "0a1b", "a1b2c3", registry::time_point(std::chrono::seconds(1798761600)), 7});
    p.next = registry::expiring_cursor{p.items.back().not_after, 7};
    return p;
  }
};

struct fake_auth final : registry::authenticator {
  int calls = 0;
  std::string last_token;
  std::optional<registry::error> fail;
  registry::result<registry::api_key> authenticate(std::string_view bearer) override {
    ++calls;
    last_token = bearer;
    if (fail) return *fail;
    if (bearer != token) return registry::error{errc::unauthenticated, "unknown API key"};
    return registry::api_key{42, "ops", "admin"};
  }
};

struct fixture {
  fake_enrollment svc;
  fake_auth auth;
  iotreg::api::router router{svc, auth};

  iotreg::api::response send(http::verb v, std::string target, std::string body = {},
                             std::string content_type = "application/json",
                             std::optional<std::string> authz = "Bearer " + std::string(token)) {
    iotreg::api::request req{v, target, 11};
    if (authz) req.set(http::field::authorization, *authz);
    if (!body.empty() || v == http::verb::post) {
      if (!content_type.empty()) req.set(http::field::content_type, content_type);
      req.body() = std::move(body);
      req.prepare_payload();
    }
    return router.handle(req, {"req-1", "192.0.2.1:5000"});
  }
};

std::string enroll_body(std::string id = "dev1") {
  json::object o{{"device_id", id}, {"csr", csr_pem}};
  return json::serialize(o);
}

json::object body_of(const iotreg::api::response& res) { return json::parse(res.body()).as_object(); }

/// Checks a problem response field by field.
void check_problem(const iotreg::api::response& res, http::status status, std::string_view slug) {
  INFO(res.body());
  CHECK(res.result() == status);
  CHECK(res[http::field::content_type] == "application/problem+json");
  CHECK(res[http::field::cache_control] == "no-store");
  CHECK(res["X-Request-Id"] == "req-1");
  auto o = body_of(res);
  CHECK(o.at("type").as_string() == "urn:iotreg:problem:" + std::string(slug));
  CHECK(!o.at("title").as_string().empty());
  CHECK(o.at("status").as_int64() == static_cast<int>(status));
  CHECK(o.at("detail").is_string());
  CHECK(o.at("request_id").as_string() == "req-1");
  CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
}

}  // namespace

TEST_CASE("status_map: every errc has a status, slug and title") {
  struct row {
    errc e;
    http::status status;
    std::string_view slug;
  };
  const row rows[] = {
      {errc::invalid_request, http::status::bad_request, "invalid-request"},
      {errc::invalid_device_id, http::status::bad_request, "invalid-device-id"},
      {errc::csr_not_pem, http::status::bad_request, "invalid-csr"},
      {errc::csr_malformed, http::status::bad_request, "invalid-csr"},
      {errc::csr_bad_signature, http::status::bad_request, "csr-signature"},
      {errc::csr_key_not_allowed, http::status::bad_request, "csr-key-not-allowed"},
      {errc::device_exists, http::status::conflict, "device-exists"},
      {errc::device_not_found, http::status::not_found, "device-not-found"},
      {errc::device_already_revoked, http::status::conflict, "device-revoked"},
      {errc::unauthenticated, http::status::unauthorized, "unauthenticated"},
      {errc::forbidden, http::status::forbidden, "forbidden"},
      {errc::publication_timeout, http::status::service_unavailable, "publication-timeout"},
      {errc::ca_not_found, http::status::not_found, "ca-not-found"},
      {errc::csr_ca_requested, http::status::bad_request, "csr-ca-requested"},
      {errc::csr_name_mismatch, http::status::bad_request, "csr-name-mismatch"},
      {errc::invalid_server_keygen, http::status::bad_request, "invalid-server-keygen"},
      {errc::invalid_revocation_reason, http::status::bad_request, "invalid-revocation-reason"},
      {errc::ok, http::status::internal_server_error, "internal"},
  };
  for (const auto& r : rows) {
    INFO(static_cast<int>(r.e));
    auto k = iotreg::api::problem_for(r.e);
    CHECK(k.status == r.status);
    CHECK(k.slug == r.slug);
    CHECK(!k.title.empty());
  }
}

TEST_CASE("error/service failures become problems on every device route") {
  struct row {
    errc e;
    http::status status;
    std::string_view slug;
  };
  const row rows[] = {
      {errc::invalid_request, http::status::bad_request, "invalid-request"},
      {errc::invalid_device_id, http::status::bad_request, "invalid-device-id"},
      {errc::csr_not_pem, http::status::bad_request, "invalid-csr"},
      {errc::csr_malformed, http::status::bad_request, "invalid-csr"},
      {errc::csr_bad_signature, http::status::bad_request, "csr-signature"},
      {errc::csr_key_not_allowed, http::status::bad_request, "csr-key-not-allowed"},
      {errc::device_exists, http::status::conflict, "device-exists"},
      {errc::device_not_found, http::status::not_found, "device-not-found"},
      {errc::device_already_revoked, http::status::conflict, "device-revoked"},
      {errc::forbidden, http::status::forbidden, "forbidden"},
      {errc::publication_timeout, http::status::service_unavailable, "publication-timeout"},
      {errc::csr_ca_requested, http::status::bad_request, "csr-ca-requested"},
      {errc::csr_name_mismatch, http::status::bad_request, "csr-name-mismatch"},
  };
  fixture f;
  for (const auto& r : rows) {
    f.svc.fail = registry::error{r.e, "detail for the client"};
    for (auto [verb, target] : {std::pair{http::verb::post, "/api/v1/devices"},
                                {http::verb::get, "/api/v1/devices/dev1"},
                                {http::verb::delete_, "/api/v1/devices/dev1"}}) {
      auto res = verb == http::verb::post ? f.send(verb, target, enroll_body()) : f.send(verb, target);
      check_problem(res, r.status, r.slug);
      CHECK(body_of(res).at("detail").as_string() == "detail for the client");
      if (r.e == errc::publication_timeout)
        CHECK(res[http::field::retry_after] == "5");
      else
        CHECK(res.find(http::field::retry_after) == res.end());
    }
  }
}

TEST_CASE("error/empty detail falls back to the title") {
  fixture f;
  f.svc.fail = registry::error{errc::device_not_found, ""};
  auto res = f.send(http::verb::get, "/api/v1/devices/x");
  check_problem(res, http::status::not_found, "device-not-found");
  CHECK(body_of(res).at("detail").as_string() == body_of(res).at("title").as_string());
}

TEST_CASE("error/exception becomes a 500 without its text") {
  fixture f;
  f.svc.throw_next = true;
  auto res = f.send(http::verb::post, "/api/v1/devices", enroll_body());
  check_problem(res, http::status::internal_server_error, "internal");
  CHECK(res.body().find("secret") == std::string::npos);
}

TEST_CASE("error/request body") {
  fixture f;
  struct row {
    const char* name;
    std::string body;
    std::string_view slug;
  };
  const row rows[] = {
      {"not json", "{\"device_id\": ", "invalid-json"},
      {"empty body", "", "invalid-json"},
      {"trailing garbage", enroll_body() + "x", "invalid-json"},
      {"array", "[1,2]", "invalid-request"},
      {"string", "\"dev1\"", "invalid-request"},
      {"missing device_id", json::serialize(json::object{{"csr", csr_pem}}), "invalid-request"},
      {"missing csr", json::serialize(json::object{{"device_id", "d"}}), "invalid-request"},
      {"unknown field", json::serialize(json::object{{"device_id", "d"}, {"csr", csr_pem}, {"x", 1}}),
       "invalid-request"},
      {"device_id number", json::serialize(json::object{{"device_id", 5}, {"csr", csr_pem}}),
       "invalid-request"},
      {"csr null", json::serialize(json::object{{"device_id", "d"}, {"csr", nullptr}}), "invalid-request"},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      auto res = f.send(http::verb::post, "/api/v1/devices", r.body);
      check_problem(res, http::status::bad_request, r.slug);
      CHECK(f.svc.last_enroll.device_id.empty());  // the service was not called
    }
  }
}

TEST_CASE("error/content type") {
  fixture f;
  SECTION("text/plain") {
    auto res = f.send(http::verb::post, "/api/v1/devices", enroll_body(), "text/plain");
    check_problem(res, http::status::unsupported_media_type, "unsupported-media-type");
    CHECK(res["Accept-Post"] == "application/json");
  }
  SECTION("missing") {
    auto res = f.send(http::verb::post, "/api/v1/devices", enroll_body(), "");
    check_problem(res, http::status::unsupported_media_type, "unsupported-media-type");
  }
  SECTION("application/json with charset, any case, is accepted") {
    auto res = f.send(http::verb::post, "/api/v1/devices", enroll_body(), "Application/JSON; charset=utf-8");
    CHECK(res.result() == http::status::created);
  }
}

TEST_CASE("error/authentication") {
  fixture f;
  SECTION("missing header") {
    auto res = f.send(http::verb::get, "/api/v1/devices/dev1", {}, {}, std::nullopt);
    check_problem(res, http::status::unauthorized, "unauthenticated");
    CHECK(res[http::field::www_authenticate].starts_with("Bearer"));
    CHECK(f.auth.calls == 0);
    CHECK(f.svc.last_id.empty());
  }
  SECTION("other scheme") {
    auto res = f.send(http::verb::get, "/api/v1/devices/dev1", {}, {}, "Basic Zm9vOmJhcg==");
    check_problem(res, http::status::unauthorized, "unauthenticated");
    CHECK(res[http::field::www_authenticate].starts_with("Bearer"));
  }
  SECTION("empty token") {
    auto res = f.send(http::verb::get, "/api/v1/devices/dev1", {}, {}, "Bearer ");
    check_problem(res, http::status::unauthorized, "unauthenticated");
  }
  SECTION("unknown token") {
    auto res = f.send(http::verb::post, "/api/v1/devices", enroll_body(), "application/json", "Bearer nope");
    check_problem(res, http::status::unauthorized, "unauthenticated");
    CHECK(res[http::field::www_authenticate].starts_with("Bearer"));
    CHECK(f.auth.last_token == "nope");
    CHECK(f.svc.last_enroll.device_id.empty());
  }
  SECTION("forbidden key") {
    f.auth.fail = registry::error{errc::forbidden, "key may not enroll"};
    auto res = f.send(http::verb::delete_, "/api/v1/devices/dev1");
    check_problem(res, http::status::forbidden, "forbidden");
  }
  SECTION("scheme is case-insensitive") {
    auto res = f.send(http::verb::get, "/api/v1/devices/dev1", {}, {}, "bearer " + std::string(token));
    CHECK(res.result() == http::status::ok);
  }
  SECTION("healthz needs none") {
    auto res = f.send(http::verb::get, "/healthz", {}, {}, std::nullopt);
    CHECK(res.result() == http::status::ok);
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(body_of(res) == json::object{{"status", "ok"}});
    CHECK(res["X-Request-Id"] == "req-1");
    CHECK(f.auth.calls == 0);
  }
}

TEST_CASE("error/routing") {
  fixture f;
  SECTION("unknown path") {
    for (auto target :
         {"/", "/api", "/api/v1/device", "/api/v1/devices/a/b", "/api/v1/devices/", "/api/v2/devices"}) {
      INFO(target);
      check_problem(f.send(http::verb::get, target), http::status::not_found, "not-found");
    }
  }
  SECTION("wrong method on the collection") {
    auto res = f.send(http::verb::get, "/api/v1/devices");
    check_problem(res, http::status::method_not_allowed, "method-not-allowed");
    CHECK(res[http::field::allow] == "POST");
  }
  SECTION("wrong method on a device") {
    auto res = f.send(http::verb::put, "/api/v1/devices/dev1", "{}");
    check_problem(res, http::status::method_not_allowed, "method-not-allowed");
    CHECK(res[http::field::allow] == "GET, DELETE");
  }
  SECTION("wrong method on healthz") {
    auto res = f.send(http::verb::post, "/healthz", "{}");
    check_problem(res, http::status::method_not_allowed, "method-not-allowed");
    CHECK(res[http::field::allow] == "GET");
  }
  SECTION("malformed target") {
    check_problem(f.send(http::verb::get, "http://x/healthz"), http::status::bad_request, "invalid-request");
  }
  SECTION("query string is ignored, id is percent-decoded") {
    auto res = f.send(http::verb::get, "/api/v1/devices/dev%31?x=y");
    CHECK(res.result() == http::status::ok);
    CHECK(f.svc.last_id == "dev1");
  }
}

TEST_CASE("success/enroll") {
  fixture f;
  auto res = f.send(http::verb::post, "/api/v1/devices", enroll_body("dev1"));
  REQUIRE(res.result() == http::status::created);
  CHECK(res[http::field::content_type] == "application/json");
  CHECK(res[http::field::location] == "/api/v1/devices/dev1");
  CHECK(res[http::field::cache_control] == "no-store");
  CHECK(res["X-Request-Id"] == "req-1");
  CHECK(res.version() == 11);
  CHECK(res.keep_alive());
  CHECK(f.svc.last_enroll.device_id == "dev1");
  CHECK(f.svc.last_enroll.csr_pem == csr_pem);
  CHECK(f.svc.last_enroll.api_key_id == 42);

  const auto want = sample("dev1");
  auto o = body_of(res);
  CHECK(o.size() == 6);
  CHECK(o.at("device_id").as_string() == want.device_id);
  CHECK(o.at("dns_name").as_string() == want.dns_name);
  CHECK(o.at("certificate").as_string() == want.certificate_pem);
  CHECK(o.at("chain").as_string() == want.chain_pem);
  CHECK(o.at("tlsa").as_string() == want.tlsa);
  CHECK(o.at("zone_serial").as_int64() == 2024010101);
}

TEST_CASE("success/location is percent-encoded") {
  fixture f;
  auto res = f.send(http::verb::post, "/api/v1/devices", enroll_body("a b/c"));
  CHECK(res[http::field::location] == "/api/v1/devices/a%20b%2Fc");
}

TEST_CASE("success/get") {
  fixture f;
  SECTION("active, published") {
    auto res = f.send(http::verb::get, "/api/v1/devices/dev7");
    REQUIRE(res.result() == http::status::ok);
    CHECK(res[http::field::content_type] == "application/json");
    auto o = body_of(res);
    CHECK(o.size() == 7);
    CHECK(o.at("device_id").as_string() == "dev7");
    CHECK(o.at("dns_name").as_string() == "dev7._device.iotregistry.test");
    CHECK(o.at("certificate").is_string());
    CHECK(o.at("chain").is_string());
    CHECK(o.at("tlsa").is_string());
    CHECK(o.at("zone_serial").as_int64() == 2024010101);
    CHECK(o.at("status").as_string() == "active");
  }
  SECTION("revoked, serial unknown") {
    f.svc.serial.reset();
    f.svc.status = registry::device_status::revoked;
    auto o = body_of(f.send(http::verb::get, "/api/v1/devices/dev7"));
    CHECK(o.at("zone_serial").is_null());
    CHECK(o.at("status").as_string() == "revoked");
  }
}

TEST_CASE("success/revoke") {
  fixture f;
  auto res = f.send(http::verb::delete_, "/api/v1/devices/dev9");
  REQUIRE(res.result() == http::status::ok);
  CHECK(res[http::field::cache_control] == "no-store");
  CHECK(f.svc.last_id == "dev9");
  auto o = body_of(res);
  CHECK(o.size() == 4);
  CHECK(o.at("device_id").as_string() == "dev9");
  CHECK(o.at("status").as_string() == "revoked");
  CHECK(o.at("reason").as_string() == "unspecified");
  CHECK(o.at("zone_serial").as_int64() == 2024010102);
  CHECK(f.svc.last_reason == iotreg::pki::revocation_reason::unspecified);
}

TEST_CASE("success/revoke with a reason") {
  using iotreg::pki::revocation_reason;
  fixture f;
  SECTION("DELETE ?reason=") {
    auto res = f.send(http::verb::delete_, "/api/v1/devices/dev9?reason=keyCompromise");
    REQUIRE(res.result() == http::status::ok);
    CHECK(f.svc.last_reason == revocation_reason::key_compromise);
    CHECK(body_of(res).at("reason").as_string() == "keyCompromise");
  }
  SECTION("POST /revoke with a JSON body") {
    auto res =
        f.send(http::verb::post, "/api/v1/devices/dev9/revoke", R"({"reason":"cessationOfOperation"})");
    REQUIRE(res.result() == http::status::ok);
    CHECK(f.svc.last_id == "dev9");
    CHECK(f.svc.last_reason == revocation_reason::cessation_of_operation);
  }
  SECTION("POST /revoke without a body") {
    auto res = f.send(http::verb::post, "/api/v1/devices/dev9/revoke", "", "");
    REQUIRE(res.result() == http::status::ok);
    CHECK(f.svc.last_reason == revocation_reason::unspecified);
  }
  SECTION("bad reasons are 400 problems and revoke nothing") {
    check_problem(f.send(http::verb::delete_, "/api/v1/devices/dev9?reason=KeyCompromise"),
                  http::status::bad_request, "invalid-revocation-reason");
    check_problem(f.send(http::verb::delete_, "/api/v1/devices/dev9?reason=removeFromCRL"),
                  http::status::bad_request, "invalid-revocation-reason");
    check_problem(f.send(http::verb::delete_, "/api/v1/devices/dev9?reason="), http::status::bad_request,
                  "invalid-revocation-reason");
    check_problem(f.send(http::verb::post, "/api/v1/devices/dev9/revoke", R"({"reason":"nope"})"),
                  http::status::bad_request, "invalid-revocation-reason");
    check_problem(f.send(http::verb::post, "/api/v1/devices/dev9/revoke", R"({"reason":1})"),
                  http::status::bad_request, "invalid-request");
    check_problem(f.send(http::verb::post, "/api/v1/devices/dev9/revoke", R"({"why":"x"})"),
                  http::status::bad_request, "invalid-request");
    check_problem(f.send(http::verb::post, "/api/v1/devices/dev9/revoke", "{"), http::status::bad_request,
                  "invalid-json");
    check_problem(f.send(http::verb::post, "/api/v1/devices/dev9/revoke", "x", "text/plain"),
                  http::status::unsupported_media_type, "unsupported-media-type");
    CHECK(f.svc.last_id.empty());
  }
  SECTION("POST /revoke needs a key") {
    auto res = f.send(http::verb::post, "/api/v1/devices/dev9/revoke", "", "", std::nullopt);
    check_problem(res, http::status::unauthorized, "unauthenticated");
  }
}

namespace {

struct fake_responder final : iotreg::registry::revocation_responder {
  std::string last_aki;
  std::vector<std::uint8_t> last_request;
  std::optional<std::vector<std::uint8_t>> crl(std::string_view aki) override {
    last_aki = aki;
    if (aki != "0a-1b") return std::nullopt;
    return std::vector<std::uint8_t>{0x30, 0x01, 0x00};
  }
  std::vector<std::uint8_t> ocsp(std::span<const std::uint8_t> req) override {
    last_request.assign(req.begin(), req.end());
    return {0x30, 0x03, 0x0a, 0x01, 0x00};
  }
};

}  // namespace

TEST_CASE("revocation endpoints: CRL and OCSP without authentication") {
  fake_enrollment svc;
  fake_auth auth;
  fake_responder responder;
  iotreg::api::router router{svc, auth, nullptr, &responder};
  const auto send = [&](http::verb v, std::string target, std::string body = {}, std::string type = {}) {
    iotreg::api::request req{v, target, 11};
    if (!type.empty()) req.set(http::field::content_type, type);
    req.body() = std::move(body);
    req.prepare_payload();
    return router.handle(req, {"req-1", "192.0.2.1:5000"});
  };
  SECTION("CRL") {
    auto res = send(http::verb::get, "/crl/0a-1b.crl");
    REQUIRE(res.result() == http::status::ok);
    CHECK(res[http::field::content_type] == "application/pkix-crl");
    CHECK(res.body() == std::string("\x30\x01\x00", 3));
    CHECK(auth.calls == 0);
    check_problem(send(http::verb::get, "/crl/ff-ff.crl"), http::status::not_found, "ca-not-found");
    check_problem(send(http::verb::get, "/crl/0a-1b"), http::status::not_found, "ca-not-found");
    check_problem(send(http::verb::get, "/crl/.crl"), http::status::not_found, "ca-not-found");
    check_problem(send(http::verb::post, "/crl/0a-1b.crl", "x", "text/plain"),
                  http::status::method_not_allowed, "method-not-allowed");
  }
  SECTION("OCSP POST") {
    auto res = send(http::verb::post, "/ocsp", std::string("\x30\x00", 2), "application/ocsp-request");
    REQUIRE(res.result() == http::status::ok);
    CHECK(res[http::field::content_type] == "application/ocsp-response");
    CHECK(responder.last_request == std::vector<std::uint8_t>{0x30, 0x00});
    CHECK(res.body().size() == 5);
    check_problem(send(http::verb::post, "/ocsp", "x", "application/json"),
                  http::status::unsupported_media_type, "unsupported-media-type");
  }
  SECTION("OCSP GET: base64, '/' percent-encoded or not") {
    // MA== is {0x30}; "+/8=" is {0xfb, 0xff}.
    auto res = send(http::verb::get, "/ocsp/MA==");
    REQUIRE(res.result() == http::status::ok);
    CHECK(responder.last_request == std::vector<std::uint8_t>{0x30});
    send(http::verb::get, "/ocsp/%2B%2F8%3D");
    CHECK(responder.last_request == std::vector<std::uint8_t>{0xfb, 0xff});
    send(http::verb::get, "/ocsp/+/8=");
    CHECK(responder.last_request == std::vector<std::uint8_t>{0xfb, 0xff});
    // Not base64: handed on as an empty request (the responder answers malformedRequest).
    res = send(http::verb::get, "/ocsp/not*base64");
    CHECK(res.result() == http::status::ok);
    CHECK(responder.last_request.empty());
  }
}

TEST_CASE("success/keep-alive follows the request") {
  fixture f;
  iotreg::api::request req{http::verb::get, "/healthz", 10};
  auto res = f.router.handle(req, {"r", "x"});
  CHECK(res.version() == 10);
  CHECK(!res.keep_alive());
}

TEST_CASE("make_problem") {
  auto res = iotreg::api::make_problem(http::status::payload_too_large, "payload-too-large",
                                       "Payload too large", "at most 65536 bytes", "rid", "/api/v1/devices");
  CHECK(res.result() == http::status::payload_too_large);
  CHECK(res[http::field::content_type] == "application/problem+json");
  CHECK(res["X-Request-Id"] == "rid");
  auto o = body_of(res);
  CHECK(o.size() == 6);
  CHECK(o.at("type").as_string() == "urn:iotreg:problem:payload-too-large");
  CHECK(o.at("title").as_string() == "Payload too large");
  CHECK(o.at("status").as_int64() == 413);
  CHECK(o.at("detail").as_string() == "at most 65536 bytes");
  CHECK(o.at("instance").as_string() == "/api/v1/devices");
  CHECK(o.at("request_id").as_string() == "rid");
}

namespace {

/// Two CAs by key id.
struct fake_cas final : registry::ca_directory {
  mutable std::string last;
  registry::result<std::string> find_ca_pem(std::string_view key_id) const override {
    last = key_id;
    if (key_id == "0a-1b")
      return std::string("-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----\n");
    return registry::error{errc::ca_not_found, {}};
  }
};

}  // namespace

TEST_CASE("ca discovery: GET /.well-known/ca/<aki>.pem, no authentication") {
  fake_enrollment svc;
  fake_auth auth;
  fake_cas cas;
  iotreg::api::router router{svc, auth, &cas};
  const auto get = [&](std::string target) {
    iotreg::api::request req{http::verb::get, target, 11};
    return router.handle(req, {"req-1", "192.0.2.1:5000"});
  };

  auto res = get("/.well-known/ca/0a-1b.pem");
  CHECK(res.result() == http::status::ok);
  CHECK(res[http::field::content_type] == "application/pem-certificate-chain");
  CHECK(res.body() == "-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----\n");
  CHECK(cas.last == "0a-1b");
  CHECK(auth.calls == 0);

  check_problem(get("/.well-known/ca/ff-ff.pem"), http::status::not_found, "ca-not-found");
  check_problem(get("/.well-known/ca/0a-1b"), http::status::not_found, "ca-not-found");
  check_problem(get("/.well-known/ca/.pem"), http::status::not_found, "ca-not-found");
  check_problem(get("/.well-known/ca/0a-1b.pem/x"), http::status::not_found, "not-found");
  iotreg::api::request post{http::verb::post, "/.well-known/ca/0a-1b.pem", 11};
  check_problem(router.handle(post, {"req-1", "192.0.2.1:5000"}), http::status::method_not_allowed,
                "method-not-allowed");
  CHECK(auth.calls == 0);

  SECTION("without a directory the route does not exist") {
    iotreg::api::router plain{svc, auth};
    iotreg::api::request req{http::verb::get, "/.well-known/ca/0a-1b.pem", 11};
    check_problem(plain.handle(req, {"req-1", "192.0.2.1:5000"}), http::status::not_found, "not-found");
  }
}

namespace {

/// A responder whose CRL and successful OCSP answers carry a validity window (RFC 5019 §6).
struct caching_responder final : iotreg::registry::revocation_responder {
  registry::time_point this_update =
      std::chrono::floor<std::chrono::seconds>(registry::clock::now()) - std::chrono::minutes(5);
  registry::time_point next_update = this_update + std::chrono::hours(2);
  bool ocsp_successful = true;
  std::optional<std::vector<std::uint8_t>> crl(std::string_view aki) override {
    if (aki != "0a-1b") return std::nullopt;
    return std::vector<std::uint8_t>{0x30, 0x01, 0x00};
  }
  std::vector<std::uint8_t> ocsp(std::span<const std::uint8_t>) override {
    return {0x30, 0x03, 0x0a, 0x01, 0x00};
  }
  std::optional<registry::signed_document> crl_document(std::string_view aki) override {
    auto der = crl(aki);
    if (!der) return std::nullopt;
    return registry::signed_document{*der, this_update, next_update, "\"crl-tag\""};
  }
  registry::signed_document ocsp_document(std::span<const std::uint8_t> req) override {
    if (!ocsp_successful) return {{0x30, 0x03, 0x0a, 0x01, 0x01}, std::nullopt, std::nullopt, "\"err\""};
    return {ocsp(req), this_update, next_update, "\"ocsp-tag\""};
  }
};

/// The max-age of "max-age=N, ..." or -1.
long max_age(std::string_view cache_control) {
  if (!cache_control.starts_with("max-age=")) return -1;
  return std::stol(std::string(cache_control.substr(8, cache_control.find(',') - 8)));
}

}  // namespace

TEST_CASE("revocation endpoints: RFC 5019 caching headers and conditional GETs") {
  fake_enrollment svc;
  fake_auth auth;
  caching_responder responder;
  iotreg::api::router router{svc, auth, nullptr, &responder};
  const auto send = [&](http::verb v, std::string target,
                        std::vector<std::pair<http::field, std::string>> hdrs = {}, std::string body = {}) {
    iotreg::api::request req{v, target, 11};
    for (auto& [f, value] : hdrs) req.set(f, value);
    req.body() = std::move(body);
    req.prepare_payload();
    return router.handle(req, {"req-1", "192.0.2.1:5000"});
  };
  const auto last_modified = iotreg::api::format_http_date(responder.this_update);
  const auto expires = iotreg::api::format_http_date(responder.next_update);

  for (const std::string target : {"/crl/0a-1b.crl", "/ocsp/MA=="}) {
    CAPTURE(target);
    const std::string tag = target.starts_with("/crl") ? "\"crl-tag\"" : "\"ocsp-tag\"";
    auto res = send(http::verb::get, target);
    REQUIRE(res.result() == http::status::ok);
    const std::string cc{res[http::field::cache_control]};
    CHECK(cc.ends_with(", public, no-transform, must-revalidate"));
    // nextUpdate is 1h55m away: max-age counts down to it, never past it.
    CHECK(max_age(cc) <= 115 * 60);
    CHECK(max_age(cc) >= 115 * 60 - 60);
    CHECK(res[http::field::last_modified] == last_modified);
    CHECK(res[http::field::expires] == expires);
    CHECK(res[http::field::etag] == tag);
    CHECK(res.body().size() > 0);

    // If-None-Match with the tag (among others, or weak): 304, no body, validators kept.
    for (const std::string& inm : {tag, "\"x\", " + tag, "W/" + tag, std::string("*")}) {
      CAPTURE(inm);
      auto nm = send(http::verb::get, target, {{http::field::if_none_match, inm}});
      CHECK(nm.result() == http::status::not_modified);
      CHECK(nm.body().empty());
      CHECK(nm[http::field::etag] == tag);
      CHECK(nm[http::field::cache_control] == cc);
      CHECK(nm[http::field::expires] == expires);
      CHECK(nm.find(http::field::content_length) == nm.end());
      CHECK(nm.find(http::field::content_type) == nm.end());
      CHECK(nm["X-Request-Id"] == "req-1");
    }
    CHECK(send(http::verb::get, target, {{http::field::if_none_match, "\"other\""}}).result() ==
          http::status::ok);
    // If-Modified-Since: 304 at or after thisUpdate, 200 before; ignored when If-None-Match is
    // present (RFC 9110 §13.1.3) or the date does not parse.
    CHECK(send(http::verb::get, target, {{http::field::if_modified_since, last_modified}}).result() ==
          http::status::not_modified);
    CHECK(send(http::verb::get, target,
               {{http::field::if_modified_since,
                 iotreg::api::format_http_date(responder.this_update + std::chrono::hours(1))}})
              .result() == http::status::not_modified);
    CHECK(send(http::verb::get, target,
               {{http::field::if_modified_since,
                 iotreg::api::format_http_date(responder.this_update - std::chrono::seconds(1))}})
              .result() == http::status::ok);
    CHECK(send(http::verb::get, target,
               {{http::field::if_modified_since, last_modified}, {http::field::if_none_match, "\"other\""}})
              .result() == http::status::ok);
    CHECK(send(http::verb::get, target, {{http::field::if_modified_since, "yesterday"}}).result() ==
          http::status::ok);
  }

  SECTION("past nextUpdate: max-age=0") {
    responder.next_update = responder.this_update + std::chrono::minutes(1);
    CHECK(send(http::verb::get, "/crl/0a-1b.crl")[http::field::cache_control] ==
          "max-age=0, public, no-transform, must-revalidate");
  }
  SECTION("POST /ocsp is not cacheable") {
    auto res = send(http::verb::post, "/ocsp", {{http::field::content_type, "application/ocsp-request"}},
                    std::string("\x30\x00", 2));
    REQUIRE(res.result() == http::status::ok);
    CHECK(res[http::field::cache_control] == "no-store");
    CHECK(res.find(http::field::etag) == res.end());
    CHECK(res.find(http::field::expires) == res.end());
  }
  SECTION("an OCSP error response is not cacheable and never 304") {
    responder.ocsp_successful = false;
    auto res = send(http::verb::get, "/ocsp/MA==", {{http::field::if_none_match, "*"}});
    CHECK(res.result() == http::status::ok);
    CHECK(res[http::field::cache_control] == "no-store");
    CHECK(res.find(http::field::last_modified) == res.end());
  }
  SECTION("problems and API replies stay no-store") {
    auto res = send(http::verb::get, "/crl/ff-ff.crl", {{http::field::if_none_match, "*"}});
    CHECK(res.result() == http::status::not_found);
    CHECK(res[http::field::cache_control] == "no-store");
    CHECK(send(http::verb::get, "/healthz")[http::field::cache_control] == "no-store");
  }
}

namespace {

struct tagged_cas final : registry::ca_directory {
  registry::result<std::string> find_ca_pem(std::string_view key_id) const override {
    if (key_id == "0a-1b")
      return std::string("-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----\n");
    return registry::error{errc::ca_not_found, {}};
  }
  std::string entity_tag(std::string_view key_id) const override {
    return key_id == "0a-1b" ? "\"ca-tag\"" : "";
  }
};

}  // namespace

TEST_CASE("ca discovery: cacheable for a day, ETag, 304 on If-None-Match") {
  fake_enrollment svc;
  fake_auth auth;
  tagged_cas cas;
  iotreg::api::router router{svc, auth, &cas};
  const auto get = [&](std::optional<std::string> inm) {
    iotreg::api::request req{http::verb::get, "/.well-known/ca/0a-1b.pem", 11};
    if (inm) req.set(http::field::if_none_match, *inm);
    return router.handle(req, {"req-1", "192.0.2.1:5000"});
  };
  auto res = get(std::nullopt);
  REQUIRE(res.result() == http::status::ok);
  CHECK(res[http::field::cache_control] == "max-age=86400, public");
  CHECK(res[http::field::etag] == "\"ca-tag\"");
  auto nm = get("\"ca-tag\"");
  CHECK(nm.result() == http::status::not_modified);
  CHECK(nm.body().empty());
  CHECK(nm[http::field::etag] == "\"ca-tag\"");
  CHECK(get("\"old\"").result() == http::status::ok);
  // Without a tag from the directory: still cacheable, never 304.
  fake_cas plain;
  iotreg::api::router untagged{svc, auth, &plain};
  iotreg::api::request req{http::verb::get, "/.well-known/ca/0a-1b.pem", 11};
  req.set(http::field::if_none_match, "*");
  auto r2 = untagged.handle(req, {"req-1", "192.0.2.1:5000"});
  CHECK(r2.result() == http::status::ok);
  CHECK(r2.find(http::field::etag) == r2.end());
}
TEST_CASE("router/renew, rekey and confirm") {
  fixture f;
  auto r = f.send(http::verb::post, "/api/v1/devices/dev1/renew");
  CHECK(r.result() == http::status::created);
  CHECK(body_of(r).at("serial").as_string() == "0a1b");
  CHECK(f.svc.last_id == "dev1");
  CHECK(f.send(http::verb::post, "/api/v1/devices/dev1/renew", "{}").result() == http::status::created);
  check_problem(f.send(http::verb::post, "/api/v1/devices/dev1/renew", R"({"x":1})"),
                http::status::bad_request, "invalid-request");

  auto k =
      f.send(http::verb::post, "/api/v1/devices/dev2/rekey", json::serialize(json::object{{"csr", csr_pem}}));
  CHECK(k.result() == http::status::created);
  CHECK(f.svc.last_rekey.device_id == "dev2");
  CHECK(f.svc.last_rekey.csr_pem == csr_pem);
  CHECK(f.svc.last_rekey.api_key_id == 42);
  CHECK(body_of(k).at("serial").as_string() == "0c1d");
  auto kg = f.send(http::verb::post, "/api/v1/devices/dev2/rekey",
                   R"({"server_keygen":{"key_type":"ec-p384","password":"correct horse battery"}})");
  CHECK(kg.result() == http::status::created);
  REQUIRE(f.svc.last_rekey.server_keygen.has_value());
  CHECK(f.svc.last_rekey.server_keygen->key_type == "ec-p384");
  check_problem(f.send(http::verb::post, "/api/v1/devices/dev2/rekey", "{}"), http::status::bad_request,
                "invalid-request");
  check_problem(f.send(http::verb::post, "/api/v1/devices/dev2/rekey", "{"), http::status::bad_request,
                "invalid-json");

  auto c = f.send(http::verb::post, "/api/v1/devices/dev1/confirm", R"({"serial":"0C1D"})");
  CHECK(c.result() == http::status::ok);
  CHECK(f.svc.last_serial == "0C1D");
  CHECK(body_of(c).at("removed_records").as_int64() == 1);
  check_problem(f.send(http::verb::post, "/api/v1/devices/dev1/confirm", R"({"serial":1})"),
                http::status::bad_request, "invalid-request");
  check_problem(f.send(http::verb::post, "/api/v1/devices/dev1/confirm", "{}"), http::status::bad_request,
                "invalid-request");
  f.svc.fail = registry::error{errc::certificate_not_live, "withdrawn"};
  check_problem(f.send(http::verb::post, "/api/v1/devices/dev1/confirm", R"({"serial":"01"})"),
                http::status::conflict, "certificate-not-live");
  f.svc.fail = registry::error{errc::certificate_not_found, "no"};
  check_problem(f.send(http::verb::post, "/api/v1/devices/dev1/confirm", R"({"serial":"01"})"),
                http::status::not_found, "certificate-not-found");
  // Authentication is required.
  check_problem(f.send(http::verb::post, "/api/v1/devices/dev1/renew", {}, "application/json", std::nullopt),
                http::status::unauthorized, "unauthenticated");
}

TEST_CASE("router/the expiring-certificates list") {
  fixture f;
  auto r =
      f.send(http::verb::get, "/api/v1/certificates?expiring_before=2027-01-01T01:00:00%2B01:00&limit=5");
  INFO(r.body());
  REQUIRE(r.result() == http::status::ok);
  REQUIRE(f.svc.last_before.has_value());
  CHECK(*f.svc.last_before == registry::time_point(std::chrono::seconds(1798761600)));
  CHECK(f.svc.last_limit == 5);
  CHECK_FALSE(f.svc.last_after.has_value());
  // The caller's key goes to the registry, which scopes the list by its tenant.
  REQUIRE(f.svc.last_caller.has_value());
  CHECK(f.svc.last_caller->id == 42);
  auto o = body_of(r);
  auto& item = o.at("certificates").as_array().at(0).as_object();
  CHECK(item.at("device_id").as_string() == "dev1");
  CHECK(item.at("serial").as_string() == "0a1b");
  CHECK(item.at("not_after").as_string() == "2027-01-01T00:00:00Z");
  CHECK(item.at("issuer").as_string() == "a1-b2-c3");
  const std::string next(o.at("next").as_string());
  // The cursor comes back as given.
  auto r2 =
      f.send(http::verb::get, "/api/v1/certificates?expiring_before=2027-01-01T00:00:00Z&after=" + next);
  REQUIRE(r2.result() == http::status::ok);
  REQUIRE(f.svc.last_after.has_value());
  CHECK(f.svc.last_after->row_id == 7);
  CHECK(f.svc.last_limit == 100);

  for (const char* bad :
       {"", "?expiring_before=tomorrow", "?expiring_before=2027-02-30T00:00:00Z",
        "?expiring_before=2027-01-01T00:00:00Z&limit=0", "?expiring_before=2027-01-01T00:00:00Z&limit=1001",
        "?expiring_before=2027-01-01T00:00:00Z&limit=x", "?expiring_before=2027-01-01T00:00:00Z&after=nope",
        "?expiring_before=2027-01-01T00:00:00Z&colour=red"}) {
    INFO(bad);
    check_problem(f.send(http::verb::get, std::string("/api/v1/certificates") + bad),
                  http::status::bad_request, "invalid-query");
  }
  // A refusal of the registry (a role without device_read) is its problem.
  f.svc.fail = registry::error{errc::forbidden, "no"};
  check_problem(f.send(http::verb::get, "/api/v1/certificates?expiring_before=2027-01-01T00:00:00Z"),
                http::status::forbidden, "forbidden");
}
