// IoT SAFE over the router (issue 5 item 5) with a fake service: content negotiation (JSON by
// default, DER on request, 406 otherwise), the JSON shape, the problems the service's errors map
// to, and the service endpoint body's decoding (400 before the service sees a bad body).

#include "api/dto/iotsafe_dto.hpp"
#include "api/handlers/iotsafe.hpp"
#include "api/router.hpp"
#include "registry/iotsafe_der.hpp"
#include "tests/unit/api/fake_enrollment_base.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

namespace http = boost::beast::http;
namespace json = boost::json;
namespace registry = iotreg::registry;
using iotreg::api::handlers::iotsafe_format;
using iotreg::api::handlers::negotiate_iotsafe;
using registry::errc;

namespace {

constexpr std::string_view token = "good-token";

struct fake_auth final : registry::authenticator {
  registry::api_key who{42, "ops", "asp", 10};
  registry::result<registry::api_key> authenticate(std::string_view bearer) override {
    if (bearer != token) return registry::error{errc::unauthenticated, "unknown API key"};
    return who;
  }
};

/// A tiny stand-in for a certificate: one DER SEQUENCE.
const std::vector<std::uint8_t> fake_cert{0x30, 0x03, 0x02, 0x01, 0x05};

struct fake_iotsafe final : registry::iotsafe_service {
  std::optional<registry::error> fail;
  std::optional<registry::service_endpoint_input> last_put;
  int calls = 0;
  registry::result<registry::iotsafe_payload> payload(const registry::api_key&,
                                                      std::string_view id) override {
    ++calls;
    if (fail) return *fail;
    registry::iotsafe_payload p;
    p.device_id = std::string(id);
    p.dns_name = p.device_id + "._device.iotregistry.test";
    p.device_certificate = fake_cert;
    p.issuing_ca = fake_cert;
    p.zone = "iotregistry.test";
    p.ds.push_back({43, {0x12, 0x34, 13, 2}, "iotregistry.test. 3600 IN DS 4660 13 2 00"});
    p.device_tlsa.push_back({52, {3, 1, 1, 0xab}, "x. 300 IN TLSA 3 1 1 ab"});
    return p;
  }
  registry::result<registry::service_endpoint> get_endpoint(const registry::api_key&, std::int64_t) override {
    if (fail) return *fail;
    return registry::service_endpoint{"svc.example", 443, {{3, 1, 1, std::vector<std::uint8_t>(32, 0xcd)}}};
  }
  registry::result<registry::service_endpoint> put_endpoint(
      const registry::api_key&, std::int64_t, const registry::service_endpoint_input& in) override {
    last_put = in;
    if (fail) return *fail;
    return registry::check_service_endpoint(in.host, in.port, in.tlsa);
  }
  registry::result<std::int64_t> delete_endpoint(const registry::api_key&, std::int64_t id) override {
    if (fail) return *fail;
    return id;
  }
};

struct fixture {
  iotreg::testing::fake_enrollment_base enroll;
  fake_auth auth;
  fake_iotsafe svc;
  iotreg::api::router router{enroll, auth};
  fixture() { router.add_iotsafe(svc); }

  iotreg::api::response send(http::verb v, std::string target,
                             std::optional<std::string> accept = std::nullopt, std::string body = {},
                             std::string content_type = "application/json") {
    iotreg::api::request req{v, target, 11};
    req.set(http::field::authorization, "Bearer " + std::string(token));
    if (accept) req.set(http::field::accept, *accept);
    if (!body.empty()) {
      req.set(http::field::content_type, content_type);
      req.body() = std::move(body);
      req.prepare_payload();
    }
    return router.handle(req, {"req-1", "192.0.2.1:5000"});
  }
};

std::string slug_of(const iotreg::api::response& res) {
  auto o = json::parse(res.body()).as_object();
  return std::string(o.at("type").as_string());
}

}  // namespace

TEST_CASE("iotsafe api: content negotiation") {
  CHECK(negotiate_iotsafe("") == iotsafe_format::json);
  CHECK(negotiate_iotsafe("*/*") == iotsafe_format::json);
  CHECK(negotiate_iotsafe("application/*") == iotsafe_format::json);
  CHECK(negotiate_iotsafe("application/json") == iotsafe_format::json);
  CHECK(negotiate_iotsafe("application/vnd.iotreg.iotsafe+der") == iotsafe_format::der);
  CHECK(negotiate_iotsafe("Application/VND.iotreg.iotsafe+DER") == iotsafe_format::der);
  CHECK(negotiate_iotsafe("application/json;q=0.5, application/vnd.iotreg.iotsafe+der") ==
        iotsafe_format::der);
  CHECK(negotiate_iotsafe("application/json, application/vnd.iotreg.iotsafe+der;q=0.9") ==
        iotsafe_format::json);
  CHECK(negotiate_iotsafe("application/vnd.iotreg.iotsafe+der, */*;q=0.1") == iotsafe_format::der);
  CHECK_FALSE(negotiate_iotsafe("text/html"));
  CHECK_FALSE(negotiate_iotsafe("application/xml, text/*"));
  CHECK_FALSE(negotiate_iotsafe("application/json;q=0"));
  CHECK_FALSE(negotiate_iotsafe("application/json;q=2"));
}

TEST_CASE("iotsafe api: JSON by default, DER on request, 406 otherwise") {
  fixture f;
  const std::string path = "/api/v1/devices/dev1/iotsafe";
  auto res = f.send(http::verb::get, path);
  REQUIRE(res.result() == http::status::ok);
  CHECK(res[http::field::content_type] == "application/json");
  auto o = json::parse(res.body()).as_object();
  CHECK(o.at("format_version").as_int64() == 1);
  CHECK(o.at("device_id").as_string() == "dev1");
  CHECK(o.at("issuing_ca_is_root").as_bool());
  CHECK_FALSE(o.contains("root_ca_certificate"));
  CHECK_FALSE(o.contains("service_endpoint"));
  CHECK(o.at("device_certificate").as_string() ==
        "-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\n");
  CHECK(o.at("trust_anchor").at("ds").at(0).at("type").as_string() == "DS");
  CHECK(o.at("trust_anchor").at("ds").at(0).at("rdata").as_string() == "12340d02");
  CHECK(o.at("device_tlsa").at(0).at("rdata").as_string() == "030101ab");

  res = f.send(http::verb::get, path, "application/vnd.iotreg.iotsafe+der");
  REQUIRE(res.result() == http::status::ok);
  CHECK(res[http::field::content_type] == "application/vnd.iotreg.iotsafe+der");
  const std::vector<std::uint8_t> body(res.body().begin(), res.body().end());
  auto back = registry::decode_iotsafe_der(body);
  REQUIRE(back.has_value());
  CHECK(back->device_id == "dev1");
  CHECK(back->device_certificate == fake_cert);
  CHECK_FALSE(back->root_ca);

  const int before = f.svc.calls;
  res = f.send(http::verb::get, path, "text/html");
  CHECK(res.result() == http::status::not_acceptable);
  CHECK(res[http::field::content_type] == "application/problem+json");
  CHECK(slug_of(res) == "urn:iotreg:problem:not-acceptable");
  CHECK(f.svc.calls == before);
}

TEST_CASE("iotsafe api: the service's refusals become problems") {
  fixture f;
  const std::vector<std::tuple<errc, http::status, std::string>> cases = {
      {errc::device_not_found, http::status::not_found, "device-not-found"},
      {errc::forbidden, http::status::forbidden, "forbidden"},
      {errc::no_live_certificate, http::status::conflict, "no-live-certificate"},
  };
  for (const auto& [code, status, slug] : cases) {
    f.svc.fail = registry::error{code, "x"};
    auto res = f.send(http::verb::get, "/api/v1/devices/dev1/iotsafe", "application/vnd.iotreg.iotsafe+der");
    CHECK(res.result() == status);
    CHECK(slug_of(res) == "urn:iotreg:problem:" + slug);
  }
}

TEST_CASE("iotsafe api: the service endpoint body") {
  fixture f;
  const std::string path = "/api/v1/tenants/10/service-endpoint";
  auto res = f.send(
      http::verb::put, path, std::nullopt,
      R"({"host":"svc.example","port":8443,"tlsa":[{"usage":3,"selector":1,"matching_type":1,"data":")" +
          std::string(64, 'A') + R"("}]})");
  REQUIRE(res.result() == http::status::ok);
  auto o = json::parse(res.body()).as_object();
  CHECK(o.at("tenant_id").as_int64() == 10);
  CHECK(o.at("tlsa_name").as_string() == "_8443._tcp.svc.example");
  CHECK(o.at("tlsa").at(0).at("data").as_string() == std::string(64, 'a'));
  REQUIRE(f.svc.last_put);
  CHECK(f.svc.last_put->tlsa.at(0).association == std::vector<std::uint8_t>(32, 0xaa));

  const std::vector<std::pair<const char*, std::string>> bad = {
      {"unknown member", R"({"host":"svc.example","port":1,"extra":1})"},
      {"host not a string", R"({"host":1,"port":1})"},
      {"no port", R"({"host":"svc.example"})"},
      {"port a string", R"({"host":"svc.example","port":"443"})"},
      {"port fractional", R"({"host":"svc.example","port":1.5})"},
      {"tlsa not an array", R"({"host":"svc.example","port":1,"tlsa":{}})"},
      {"odd hex",
       R"({"host":"svc.example","port":1,"tlsa":[{"usage":3,"selector":1,"matching_type":0,"data":"abc"}]})"},
      {"not hex",
       R"({"host":"svc.example","port":1,"tlsa":[{"usage":3,"selector":1,"matching_type":0,"data":"zz"}]})"},
      {"usage missing",
       R"({"host":"svc.example","port":1,"tlsa":[{"selector":1,"matching_type":0,"data":"ab"}]})"},
      {"port 70000 (checked by the service)", R"({"host":"svc.example","port":70000})"},
      {"array body", R"([1])"},
  };
  for (const auto& [what, body] : bad) {
    INFO(what);
    res = f.send(http::verb::put, path, std::nullopt, body);
    CHECK(res.result() == http::status::bad_request);
    CHECK(slug_of(res) == "urn:iotreg:problem:invalid-service-endpoint");
  }
  res = f.send(http::verb::put, path, std::nullopt, "{", "application/json");
  CHECK(slug_of(res) == "urn:iotreg:problem:invalid-json");
  res = f.send(http::verb::put, path, std::nullopt, "{}", "text/plain");
  CHECK(res.result() == http::status::unsupported_media_type);
  res = f.send(http::verb::get, "/api/v1/tenants/x/service-endpoint");
  CHECK(slug_of(res) == "urn:iotreg:problem:tenant-not-found");
  res = f.send(http::verb::delete_, path);
  CHECK(res.result() == http::status::no_content);
  f.svc.fail = registry::error{errc::service_endpoint_not_found, "none"};
  res = f.send(http::verb::get, path);
  CHECK(res.result() == http::status::not_found);
  CHECK(slug_of(res) == "urn:iotreg:problem:service-endpoint-not-found");
}
