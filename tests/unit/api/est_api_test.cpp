// EST handlers (api/handlers/est.cpp) with a fake est_service: base64 framing, media types,
// HTTP and TLS client authentication, the serverkeygen multipart reply.

#include "api/handlers/est.hpp"
#include "api/base64.hpp"
#include "api/rate_limiter.hpp"
#include "api/router.hpp"
#include "fake_enrollment_base.hpp"
#include "registry/request_context.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace http = boost::beast::http;
namespace registry = iotreg::registry;
using iotreg::api::base64_lines;
using iotreg::api::decode_base64_lenient;
using iotreg::registry::errc;

namespace {

constexpr std::string_view token = "iotreg_good";

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

struct fake_est final : registry::est_service {
  std::vector<std::uint8_t> cacerts = bytes("CACERTS-DER");
  std::vector<std::uint8_t> attrs = bytes("ATTRS");
  std::vector<std::uint8_t> last_csr;
  std::string last_cert;
  std::optional<std::int64_t> last_key;
  std::string last_password;
  std::optional<registry::error> fail;

  const std::vector<std::uint8_t>& ca_certificates() const override { return cacerts; }
  const std::vector<std::uint8_t>& csr_attributes() const override { return attrs; }
  std::string last_role;
  registry::request_context last_context;  // the audit scope the handler ran in
  registry::result<registry::est_certificate> enroll(std::span<const std::uint8_t> csr,
                                                     const registry::api_key& key) override {
    last_csr.assign(csr.begin(), csr.end());
    last_key = key.id;
    last_role = key.role;
    last_context = registry::current_request();
    if (fail) return *fail;
    return registry::est_certificate{"dev1", bytes("P7-NEW")};
  }
  registry::result<registry::est_certificate> reenroll(std::span<const std::uint8_t> csr,
                                                       std::span<const std::uint8_t> cert) override {
    last_csr.assign(csr.begin(), csr.end());
    last_cert.assign(cert.begin(), cert.end());
    last_context = registry::current_request();
    if (fail) return *fail;
    return registry::est_certificate{"dev1", bytes("P7-RE")};
  }
  /// "device:<the certificate bytes>" for anything but "NOT-A-CERT".
  std::string device_scope(std::span<const std::uint8_t> cert) const override {
    const std::string text(cert.begin(), cert.end());
    return text == "NOT-A-CERT" ? std::string{} : "device:" + text;
  }
  registry::result<registry::est_server_key> server_keygen(std::span<const std::uint8_t> csr,
                                                           const registry::api_key& key,
                                                           std::string_view password) override {
    last_csr.assign(csr.begin(), csr.end());
    last_key = key.id;
    last_role = key.role;
    last_password = password;
    if (fail) return *fail;
    const auto k = bytes("ENCRYPTED-KEY");
    return registry::est_server_key{"dev1", bytes("P7-KG"),
                                    registry::secret_text(std::span<const std::uint8_t>(k))};
  }
};

struct fake_enrollment final : iotreg::testing::fake_enrollment_base {
  registry::result<registry::enrollment> enroll(const registry::enroll_request&) override {
    return registry::error{errc::invalid_request, "unused"};
  }
  registry::result<registry::enrollment> get(std::string_view) override {
    return registry::error{errc::device_not_found, "unused"};
  }
  registry::result<registry::revocation> revoke(std::string_view, iotreg::pki::revocation_reason) override {
    return registry::error{errc::device_not_found, "unused"};
  }
};

/// "iotreg_good": the admin's key 7; "iotreg_mno": key 8 of MNO tenant 3.
struct fake_auth final : registry::authenticator {
  registry::result<registry::api_key> authenticate(std::string_view bearer) override {
    if (bearer == "iotreg_mno") return registry::api_key{8, "mno-ops", "mno", 3};
    if (bearer != token) return registry::error{errc::unauthenticated, "unknown API key"};
    return registry::api_key{7, "ops", "admin"};
  }
};

std::string b64(std::string_view s) {
  const auto v = bytes(s);
  return base64_lines(v);
}

/// One-line base64, as an Authorization header carries it.
std::string flat(std::string_view s) {
  auto r = b64(s);
  std::erase(r, '\r');
  std::erase(r, '\n');
  return r;
}

struct fixture {
  fake_enrollment svc;
  fake_auth auth;
  fake_est est;
  iotreg::api::router router{svc, auth, nullptr, nullptr, &est};

  iotreg::api::response send(http::verb v, std::string path, std::string body = {},
                             std::optional<std::string> authz = "Bearer " + std::string(token),
                             std::string content_type = "application/pkcs10", std::string client_cert = {},
                             std::optional<std::string> password = std::nullopt) {
    iotreg::api::request req{v, "/.well-known/est/" + path, 11};
    if (authz) req.set(http::field::authorization, *authz);
    if (password) req.set(iotreg::api::handlers::key_password_header, *password);
    if (v == http::verb::post) {
      req.set(http::field::content_type, content_type);
      req.body() = std::move(body);
      req.prepare_payload();
    }
    return router.handle(req, {"req-1", "192.0.2.1:5000", std::move(client_cert)});
  }
};

std::string slug_of(const iotreg::api::response& res) {
  return std::string(boost::json::parse(res.body()).at("type").as_string());
}

}  // namespace

TEST_CASE("base64: lines of 64 with CRLF, and lenient decoding", "[est]") {
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg==\r\n");
  CHECK(b64("fo") == "Zm8=\r\n");
  CHECK(b64("foo") == "Zm9v\r\n");
  const std::string long_text(100, 'a');  // 136 characters: 64 + 64 + 8
  const auto enc = b64(long_text);
  CHECK(enc.size() == 136 + 3 * 2);
  CHECK(enc.substr(64, 2) == "\r\n");
  auto dec = decode_base64_lenient(enc);
  REQUIRE(dec);
  CHECK(std::string(dec->begin(), dec->end()) == long_text);

  SECTION("any whitespace, no padding") {
    auto d = decode_base64_lenient(" Zm\n9v\r\nYg ");
    REQUIRE(d);
    CHECK(std::string(d->begin(), d->end()) == "foob");
  }
  SECTION("error/cases") {
    for (const char* bad : {"Zm9v!", "Z", "Zg=", "Zg==Zg==", "Zh==", "=", "Zm9=v", "Zm-v"}) {
      INFO(bad);
      CHECK_FALSE(decode_base64_lenient(bad));
    }
  }
}

TEST_CASE("est_credentials: Bearer and Basic", "[est]") {
  using iotreg::api::handlers::est_credentials;
  CHECK(est_credentials("Bearer iotreg_x") == "iotreg_x");
  CHECK(est_credentials("bearer   iotreg_x ") == "iotreg_x");
  CHECK(est_credentials("Basic " + flat("device:iotreg_y")) == "iotreg_y");
  CHECK(est_credentials("Basic " + flat(":iotreg_y")) == "iotreg_y");
  CHECK(est_credentials("Basic " + flat("u:p:w")) == "p:w");
  CHECK_FALSE(est_credentials(""));
  CHECK_FALSE(est_credentials("Bearer"));
  CHECK_FALSE(est_credentials("Bearer a b"));
  CHECK_FALSE(est_credentials("Basic !!!"));
  CHECK_FALSE(est_credentials("Basic " + flat("nocolon")));
  CHECK_FALSE(est_credentials("Basic " + flat("user:")));
  CHECK_FALSE(est_credentials("Digest x"));
}

TEST_CASE("EST cacerts and csrattrs: base64 without authentication", "[est]") {
  fixture f;
  auto res = f.send(http::verb::get, "cacerts", {}, std::nullopt);
  CHECK(res.result() == http::status::ok);
  CHECK(res[http::field::content_type] == "application/pkcs7-mime; smime-type=certs-only");
  CHECK(res["Content-Transfer-Encoding"] == "base64");
  CHECK(res.body() == b64("CACERTS-DER"));
  res = f.send(http::verb::get, "csrattrs", {}, std::nullopt);
  CHECK(res.result() == http::status::ok);
  CHECK(res[http::field::content_type] == "application/csrattrs");
  CHECK(res.body() == b64("ATTRS"));
  res = f.send(http::verb::post, "cacerts", "x");
  CHECK(res.result() == http::status::method_not_allowed);
}

TEST_CASE("EST simpleenroll", "[est]") {
  fixture f;
  SECTION("Bearer") {
    auto res = f.send(http::verb::post, "simpleenroll", b64("CSR-DER"));
    CHECK(res.result() == http::status::ok);
    CHECK(res[http::field::content_type] == "application/pkcs7-mime; smime-type=certs-only");
    CHECK(res.body() == b64("P7-NEW"));
    CHECK(f.est.last_csr == bytes("CSR-DER"));
    CHECK(f.est.last_key == 7);
  }
  SECTION("Basic with the API key as password") {
    auto res = f.send(http::verb::post, "simpleenroll", b64("CSR-DER"), "Basic " + flat("est:iotreg_good"));
    CHECK(res.result() == http::status::ok);
  }
  SECTION("error/no credentials: 401 with both challenges") {
    auto res = f.send(http::verb::post, "simpleenroll", b64("CSR-DER"), std::nullopt);
    CHECK(res.result() == http::status::unauthorized);
    CHECK(slug_of(res) == "urn:iotreg:problem:unauthenticated");
    std::vector<std::string> challenges;
    for (auto it = res.find(http::field::www_authenticate);
         it != res.end() && it->name() == http::field::www_authenticate; ++it)
      challenges.emplace_back(it->value());
    CHECK(challenges == std::vector<std::string>{"Basic realm=\"iotreg-est\"", "Bearer realm=\"iotreg\""});
    CHECK(f.est.last_csr.empty());
  }
  SECTION("error/wrong key") {
    auto res = f.send(http::verb::post, "simpleenroll", b64("CSR-DER"), "Bearer iotreg_bad");
    CHECK(res.result() == http::status::unauthorized);
  }
  SECTION("error/bad base64") {
    auto res = f.send(http::verb::post, "simpleenroll", "not base64!");
    CHECK(res.result() == http::status::bad_request);
    CHECK(slug_of(res) == "urn:iotreg:problem:invalid-request");
  }
  SECTION("error/empty body") {
    auto res = f.send(http::verb::post, "simpleenroll", "");
    CHECK(res.result() == http::status::bad_request);
  }
  SECTION("error/media type") {
    auto res = f.send(http::verb::post, "simpleenroll", b64("CSR-DER"), "Bearer " + std::string(token),
                      "application/json");
    CHECK(res.result() == http::status::unsupported_media_type);
    CHECK(res["Accept-Post"] == "application/pkcs10");
  }
  SECTION("error/registry refusal keeps its problem type") {
    f.est.fail = registry::error{errc::device_exists, "taken"};
    auto res = f.send(http::verb::post, "simpleenroll", b64("CSR-DER"));
    CHECK(res.result() == http::status::conflict);
    CHECK(slug_of(res) == "urn:iotreg:problem:device-exists");
  }
}

TEST_CASE("EST simplereenroll: the TLS client certificate authenticates", "[est]") {
  fixture f;
  SECTION("with a certificate") {
    auto res = f.send(http::verb::post, "simplereenroll", b64("CSR2"), std::nullopt, "application/pkcs10",
                      "CERT-DER");
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == b64("P7-RE"));
    CHECK(f.est.last_cert == "CERT-DER");
    CHECK(f.est.last_csr == bytes("CSR2"));
  }
  SECTION("error/no certificate, even with an API key") {
    auto res = f.send(http::verb::post, "simplereenroll", b64("CSR2"));
    CHECK(res.result() == http::status::unauthorized);
    CHECK(slug_of(res) == "urn:iotreg:problem:client-certificate-required");
    CHECK(!res[http::field::www_authenticate].empty());
    CHECK(f.est.last_csr.empty());
  }
  SECTION("error/revoked") {
    f.est.fail = registry::error{errc::forbidden, "revoked"};
    auto res = f.send(http::verb::post, "simplereenroll", b64("CSR2"), std::nullopt, "application/pkcs10",
                      "CERT-DER");
    CHECK(res.result() == http::status::forbidden);
  }
}

TEST_CASE("EST serverkeygen: multipart with the encrypted key and the certificate", "[est]") {
  fixture f;
  SECTION("reply") {
    auto res = f.send(http::verb::post, "serverkeygen", b64("TEMPLATE"), "Bearer " + std::string(token),
                      "application/pkcs10", {}, "a long enough password");
    REQUIRE(res.result() == http::status::ok);
    CHECK(res[http::field::content_type] == "multipart/mixed; boundary=iotreg-est-boundary");
    CHECK(f.est.last_password == "a long enough password");
    const std::string expected =
        "--iotreg-est-boundary\r\n"
        "Content-Type: application/pkcs8-encrypted\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" +
        b64("ENCRYPTED-KEY") +
        "--iotreg-est-boundary\r\n"
        "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" +
        b64("P7-KG") + "--iotreg-est-boundary--\r\n";
    CHECK(res.body() == expected);
  }
  SECTION("error/no password: the key is never sent in clear") {
    auto res = f.send(http::verb::post, "serverkeygen", b64("TEMPLATE"));
    CHECK(res.result() == http::status::bad_request);
    CHECK(f.est.last_csr.empty());
  }
  SECTION("error/no credentials") {
    auto res = f.send(http::verb::post, "serverkeygen", b64("TEMPLATE"), std::nullopt, "application/pkcs10",
                      {}, "a long enough password");
    CHECK(res.result() == http::status::unauthorized);
  }
}

TEST_CASE("EST simpleenroll: the router authenticates, the key's tenant goes to the registry", "[est]") {
  fixture f;
  SECTION("an MNO key over Basic reaches the registry with its role and tenant") {
    auto res = f.send(http::verb::post, "simpleenroll", b64("CSR-DER"), "Basic " + flat("mno:iotreg_mno"));
    CHECK(res.result() == http::status::ok);
    CHECK(f.est.last_key == 8);
    CHECK(f.est.last_role == "mno");
  }
  SECTION("the audit rows of the enrollment name the request and the key") {
    auto res = f.send(http::verb::post, "simpleenroll", b64("CSR-DER"), "Basic " + flat("x:iotreg_good"));
    CHECK(res.result() == http::status::ok);
    CHECK(f.est.last_context.request_id == "req-1");
    CHECK(f.est.last_context.api_key_id == 7);
  }
  SECTION("error/the registry's activation refusals keep their statuses") {
    f.est.fail = registry::error{errc::forbidden, "asp"};
    CHECK(f.send(http::verb::post, "simpleenroll", b64("CSR-DER")).result() == http::status::forbidden);
    f.est.fail = registry::error{errc::device_not_found, "another's"};
    CHECK(f.send(http::verb::post, "simpleenroll", b64("CSR-DER")).result() == http::status::not_found);
    f.est.fail = registry::error{errc::invalid_transition, "active"};
    auto res = f.send(http::verb::post, "serverkeygen", b64("TEMPLATE"), "Bearer " + std::string(token),
                      "application/pkcs10", {}, "a long enough password");
    CHECK(res.result() == http::status::conflict);
    CHECK(slug_of(res) == "urn:iotreg:problem:invalid-transition");
  }
  SECTION("error/a wrong key over Basic: 401 challenging Basic too") {
    auto res = f.send(http::verb::post, "simpleenroll", b64("CSR-DER"), "Basic " + flat("x:iotreg_bad"));
    CHECK(res.result() == http::status::unauthorized);
    bool basic = false;
    for (auto it = res.find(http::field::www_authenticate);
         it != res.end() && it->name() == http::field::www_authenticate; ++it)
      basic = basic || it->value().starts_with("Basic ");
    CHECK(basic);
    CHECK(f.est.last_csr.empty());
  }
  SECTION("error/Basic is not accepted on the /api/v1 routes") {
    iotreg::api::request req{http::verb::get, "/api/v1/certificates?expiring_before=2027-01-01T00:00:00Z",
                             11};
    req.set(http::field::authorization, "Basic " + flat("x:iotreg_good"));
    CHECK(f.router.handle(req, {"req-2", "192.0.2.1:5000"}).result() == http::status::unauthorized);
  }
}

TEST_CASE("EST: rate limits per tenant on enrollment, per device on re-enrollment", "[est]") {
  fixture f;
  auto t = iotreg::api::rate_limiter::clock::time_point{} + std::chrono::seconds(100);
  iotreg::api::rate_limiter limiter(0.5, 2, 100, [&] { return t; });
  f.router.set_rate_limiter(&limiter);

  SECTION("simpleenroll and serverkeygen share the tenant's bucket: 429 with Retry-After") {
    CHECK(
        f.send(http::verb::post, "simpleenroll", b64("CSR-DER"), "Basic " + flat("m:iotreg_mno")).result() ==
        http::status::ok);
    CHECK(f.send(http::verb::post, "serverkeygen", b64("T"), "Bearer iotreg_mno", "application/pkcs10", {},
                 "a long enough password")
              .result() == http::status::ok);
    f.est.last_csr.clear();
    auto res = f.send(http::verb::post, "simpleenroll", b64("CSR-DER"), "Basic " + flat("m:iotreg_mno"));
    CHECK(res.result() == http::status::too_many_requests);
    CHECK(slug_of(res) == "urn:iotreg:problem:rate-limited");
    CHECK(res[http::field::retry_after] == "2");
    CHECK(f.est.last_csr.empty());  // refused before the registry
    // Another tenant (the admin's key) has its own bucket.
    CHECK(f.send(http::verb::post, "simpleenroll", b64("CSR-DER")).result() == http::status::ok);
  }
  SECTION("simplereenroll: each device certificate's scope has its own bucket") {
    auto reenroll = [&](std::string cert) {
      return f.send(http::verb::post, "simplereenroll", b64("CSR2"), std::nullopt, "application/pkcs10",
                    std::move(cert));
    };
    CHECK(reenroll("DEV-A").result() == http::status::ok);
    CHECK(f.est.last_context.request_id == "req-1");
    CHECK_FALSE(f.est.last_context.api_key_id.has_value());
    CHECK(reenroll("DEV-A").result() == http::status::ok);
    auto res = reenroll("DEV-A");
    CHECK(res.result() == http::status::too_many_requests);
    CHECK(!res[http::field::retry_after].empty());
    CHECK(reenroll("DEV-B").result() == http::status::ok);
    // Not a device certificate: no scope, the handler decides (here the fake accepts).
    for (int i = 0; i < 4; ++i) CHECK(reenroll("NOT-A-CERT").result() == http::status::ok);
    // Without a certificate: the 401 of the handler, no bucket taken.
    CHECK(reenroll({}).result() == http::status::unauthorized);
  }
  SECTION("cacerts and csrattrs stay unlimited") {
    for (int i = 0; i < 5; ++i)
      CHECK(f.send(http::verb::get, "cacerts", {}, std::nullopt).result() == http::status::ok);
  }
}
