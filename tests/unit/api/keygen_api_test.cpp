// POST /api/v1/devices with "server_keygen" instead of "csr": decoding, what reaches the service,
// the shape of the reply (private_key / pkcs12), and refusals that never quote the password.

#include "api/router.hpp"
#include "fake_enrollment_base.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace http = boost::beast::http;
namespace json = boost::json;
namespace registry = iotreg::registry;

namespace {

constexpr std::string_view token = "good-token";
const std::string password = "s3cret-password-for-the-test";
const std::string pem_key =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";

struct fake_enrollment final : iotreg::testing::fake_enrollment_base {
  int calls = 0;
  registry::enroll_request last;
  std::string pkcs12_bytes = "foobar";

  registry::result<registry::enrollment> enroll(const registry::enroll_request& req) override {
    ++calls;
    last = req;
    registry::enrollment e;
    e.device_id = req.device_id;
    e.dns_name = req.device_id + "._device.iotregistry.test";
    e.certificate_pem = "CERT";
    e.chain_pem = "CHAIN";
    e.tlsa = "TLSA";
    e.zone_serial = 7;
    if (req.server_keygen) {
      if (req.server_keygen->format == "pkcs12") {
        e.private_key_format = registry::key_format::pkcs12;
        e.private_key = registry::secret_text(pkcs12_bytes);
      } else {
        e.private_key_format = registry::key_format::pkcs8;
        e.private_key = registry::secret_text(pem_key);
      }
    }
    return e;
  }
  registry::result<registry::enrollment> get(std::string_view) override {
    return registry::error{registry::errc::device_not_found, ""};
  }
  registry::result<registry::revocation> revoke(std::string_view, iotreg::pki::revocation_reason) override {
    return registry::error{registry::errc::device_not_found, ""};
  }
};

struct fake_auth final : registry::authenticator {
  registry::result<registry::api_key> authenticate(std::string_view bearer) override {
    if (bearer != token) return registry::error{registry::errc::unauthenticated, "unknown API key"};
    return registry::api_key{42, "ops", "admin"};
  }
};

struct fixture {
  fake_enrollment svc;
  fake_auth auth;
  iotreg::api::router router{svc, auth};

  iotreg::api::response post(std::string body) {
    iotreg::api::request req{http::verb::post, "/api/v1/devices", 11};
    req.set(http::field::authorization, "Bearer " + std::string(token));
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    return router.handle(req, {"req-1", "192.0.2.1:5000"});
  }
};

std::string keygen_body(json::object kg) {
  return json::serialize(json::object{{"device_id", "dev1"}, {"server_keygen", std::move(kg)}});
}

json::object body_of(const iotreg::api::response& res) { return json::parse(res.body()).as_object(); }

}  // namespace

TEST_CASE("server_keygen/pkcs8: the request reaches the service, the reply carries private_key") {
  fixture f;
  auto res = f.post(keygen_body({{"key_type", "ed25519"}, {"format", "pkcs8"}, {"password", password}}));
  REQUIRE(res.result() == http::status::created);
  CHECK(res[http::field::content_type] == "application/json");
  CHECK(res[http::field::cache_control] == "no-store");
  CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
  REQUIRE(f.svc.last.server_keygen.has_value());
  CHECK(f.svc.last.csr_pem.empty());
  CHECK(f.svc.last.server_keygen->key_type == "ed25519");
  CHECK(f.svc.last.server_keygen->format == "pkcs8");
  CHECK(f.svc.last.server_keygen->password.view() == password);
  CHECK(f.svc.last.api_key_id == 42);

  auto o = body_of(res);
  CHECK(o.size() == 7);
  CHECK(o.at("private_key").as_string() == pem_key);
  CHECK(o.at("certificate").as_string() == "CERT");
  CHECK(o.at("zone_serial").as_int64() == 7);
  CHECK_FALSE(o.contains("pkcs12"));
}

TEST_CASE("server_keygen/defaults: key_type ec-p256, format pkcs8") {
  fixture f;
  auto res = f.post(keygen_body({{"password", password}}));
  REQUIRE(res.result() == http::status::created);
  REQUIRE(f.svc.last.server_keygen.has_value());
  CHECK(f.svc.last.server_keygen->key_type == "ec-p256");
  CHECK(f.svc.last.server_keygen->format == "pkcs8");
}

TEST_CASE("server_keygen/pkcs12: the bundle as padded base64 (RFC 4648 vectors)") {
  const std::pair<std::string, std::string> vectors[] = {
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\xff\xfe\x00\x3e\x3f", 5), "//4APj8="}};
  for (const auto& [raw, b64] : vectors) {
    fixture f;
    f.svc.pkcs12_bytes = raw;
    auto res = f.post(keygen_body({{"format", "pkcs12"}, {"password", password}}));
    REQUIRE(res.result() == http::status::created);
    auto o = body_of(res);
    CHECK(o.at("pkcs12").as_string() == b64);
    CHECK_FALSE(o.contains("private_key"));
  }
}

TEST_CASE("server_keygen/refusals: 400 problems that never quote the password; service not called") {
  struct row {
    const char* name;
    std::string body;
  };
  const std::string csr = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";
  const row rows[] = {
      {"csr and server_keygen",
       json::serialize(json::object{
           {"device_id", "d"}, {"csr", csr}, {"server_keygen", json::object{{"password", password}}}})},
      {"neither", json::serialize(json::object{{"device_id", "d"}})},
      {"server_keygen not an object",
       json::serialize(json::object{{"device_id", "d"}, {"server_keygen", password}})},
      {"no password", keygen_body({{"key_type", "ec-p256"}})},
      {"password a number", keygen_body({{"password", 123456789012345}})},
      {"password null", keygen_body({{"password", nullptr}})},
      {"key_type a number", keygen_body({{"key_type", 1}, {"password", password}})},
      {"unknown member", keygen_body({{"password", password}, {"iterations", 1}})},
      {"unknown member named like the password", keygen_body({{"password", password}, {password, 1}})},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      fixture f;
      auto res = f.post(r.body);
      INFO(res.body());
      CHECK(res.result() == http::status::bad_request);
      CHECK(res[http::field::content_type] == "application/problem+json");
      CHECK(body_of(res).at("type").as_string() == "urn:iotreg:problem:invalid-request");
      CHECK(res.body().find(password) == std::string::npos);
      CHECK(f.svc.calls == 0);
    }
  }
}
