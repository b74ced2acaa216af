// Issue 5 item 6 in the api module: the token bucket (with an injected clock), the
// Idempotency-Key layer over an in-memory store, and their place in the router (429, replay,
// audit read, request id of audit rows).

#include "api/idempotency.hpp"
#include "api/rate_limiter.hpp"
#include "api/router.hpp"
#include "fake_enrollment_base.hpp"
#include "registry/request_context.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <stdexcept>

namespace http = boost::beast::http;
namespace json = boost::json;
namespace registry = iotreg::registry;
namespace api = iotreg::api;
using namespace std::chrono_literals;

namespace {

/// idempotency_store in memory, with the same rules as the PostgreSQL one.
struct memory_idempotency_store final : registry::idempotency_store {
  std::map<std::pair<std::string, std::string>, std::pair<registry::idempotency_entry, registry::time_point>>
      rows;
  int claims = 0;

  std::optional<registry::idempotency_entry> claim(std::string_view scope, std::string_view key,
                                                   std::string_view hash,
                                                   registry::time_point expires) override {
    ++claims;
    const auto k = std::make_pair(std::string(scope), std::string(key));
    if (auto it = rows.find(k); it != rows.end()) return it->second.first;
    registry::idempotency_entry e;
    e.request_hash = hash;
    rows.emplace(k, std::make_pair(e, expires));
    return std::nullopt;
  }
  registry::idempotency_entry& at(std::string_view scope, std::string_view key) {
    return rows.at({std::string(scope), std::string(key)}).first;
  }
  void complete(std::string_view scope, std::string_view key, const registry::stored_response& r) override {
    auto& e = at(scope, key);
    e.st = registry::idempotency_entry::state::completed;
    e.response = r;
  }
  void complete_unreplayable(std::string_view scope, std::string_view key, unsigned status) override {
    auto& e = at(scope, key);
    e.st = registry::idempotency_entry::state::not_replayable;
    e.request_hash.clear();
    e.response = registry::stored_response{status, {}, {}, {}};
  }
  void release(std::string_view scope, std::string_view key) override {
    rows.erase({std::string(scope), std::string(key)});
  }
  std::size_t purge_expired(registry::time_point now) override {
    return std::erase_if(rows, [&](const auto& r) { return r.second.second <= now; });
  }
};

/// Not a real hash: enough to tell requests apart in tests.
std::string fake_hash(std::string_view s) { return std::to_string(std::hash<std::string_view>{}(s)); }

api::request post(std::string target, std::string body, std::optional<std::string> key) {
  api::request req{http::verb::post, target, 11};
  req.set(http::field::content_type, "application/json");
  req.set(http::field::authorization, "Bearer good");
  if (key) req.set("Idempotency-Key", *key);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

std::string slug_of(const api::response& res) {
  return std::string(json::parse(res.body()).as_object().at("type").as_string());
}

struct layer_fixture {
  memory_idempotency_store store;
  registry::time_point now = registry::time_point{} + 1000h;
  api::idempotency_layer layer{store, fake_hash, 24h, [this] { return now; }};
  int runs = 0;
  const api::request_info info{"req-1", "192.0.2.1:1"};

  api::response created() {
    ++runs;
    api::response res{http::status::created, 11};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::location, "/api/v1/devices/d" + std::to_string(runs));
    res.body() = R"({"run":)" + std::to_string(runs) + "}";
    return res;
  }
  api::response send(const api::request& req, std::string_view scope = "api_key:1") {
    return layer.handle(req, info, scope, [this] { return created(); });
  }
};

}  // namespace

TEST_CASE("rate_limiter: a burst, then one token per 1/rate seconds, Retry-After rounded up") {
  auto t = api::rate_limiter::clock::time_point{} + 100s;
  api::rate_limiter lim(2.0, 3, 100, [&] { return t; });
  REQUIRE(lim.enabled());
  CHECK(lim.acquire("k").allowed);
  CHECK(lim.acquire("k").allowed);
  CHECK(lim.acquire("k").allowed);
  auto d = lim.acquire("k");
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after == 1s);           // 0.5 s to the next token, rounded up
  CHECK(lim.acquire("other").allowed);  // buckets are per key
  t += 500ms;
  CHECK(lim.acquire("k").allowed);
  CHECK_FALSE(lim.acquire("k").allowed);
  t += 10s;  // refills to the burst, not beyond
  for (int i = 0; i < 3; ++i) CHECK(lim.acquire("k").allowed);
  CHECK_FALSE(lim.acquire("k").allowed);
}

TEST_CASE("rate_limiter: a slow rate gives a Retry-After of several seconds") {
  auto t = api::rate_limiter::clock::time_point{} + 100s;
  api::rate_limiter lim(0.1, 1, 100, [&] { return t; });
  CHECK(lim.acquire("k").allowed);
  auto d = lim.acquire("k");
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after == 10s);
}

TEST_CASE("rate_limiter: 0 is off; idle buckets are evicted so memory stays bounded") {
  api::rate_limiter off(0, 10);
  CHECK_FALSE(off.enabled());
  for (int i = 0; i < 100; ++i) CHECK(off.acquire("k").allowed);
  CHECK(off.size() == 0);

  auto t = api::rate_limiter::clock::time_point{} + 100s;
  api::rate_limiter lim(1.0, 2, 10, [&] { return t; });
  for (int i = 0; i < 10; ++i) CHECK(lim.acquire("k" + std::to_string(i)).allowed);
  CHECK(lim.size() == 10);
  t += 5s;  // every bucket is full again: the next new key sweeps them
  CHECK(lim.acquire("new").allowed);
  CHECK(lim.size() == 1);
  // Busy buckets survive a sweep: their state matters.
  CHECK(lim.acquire("new").allowed);
  CHECK_FALSE(lim.acquire("new").allowed);
  for (int i = 0; i < 20; ++i) lim.acquire("x" + std::to_string(i));
  CHECK_FALSE(lim.acquire("new").allowed);
}

TEST_CASE("parse_idempotency_key: sf-string, token, and what is refused") {
  CHECK(api::parse_idempotency_key(R"("8e03978e-40d5-43e8-bc93-6894a57f9324")") ==
        "8e03978e-40d5-43e8-bc93-6894a57f9324");
  CHECK(api::parse_idempotency_key(R"( "a\"b\\c" )") == R"(a"b\c)");
  CHECK(api::parse_idempotency_key("plain-token_1") == "plain-token_1");
  CHECK_FALSE(api::parse_idempotency_key(""));
  CHECK_FALSE(api::parse_idempotency_key(R"("")"));
  CHECK_FALSE(api::parse_idempotency_key(R"("unterminated)"));
  CHECK_FALSE(api::parse_idempotency_key(R"("a"b)"));
  CHECK_FALSE(api::parse_idempotency_key(R"("bad\escape")"));
  CHECK_FALSE(api::parse_idempotency_key("two words"));
  CHECK_FALSE(api::parse_idempotency_key("a,b"));
  CHECK_FALSE(api::parse_idempotency_key("caf\xc3\xa9"));
  CHECK(api::parse_idempotency_key(std::string(255, 'k')));
  CHECK_FALSE(api::parse_idempotency_key(std::string(256, 'k')));
  CHECK_FALSE(api::parse_idempotency_key("\"" + std::string(256, 'k') + "\""));
}

TEST_CASE("idempotency_layer: replay, mismatch 422, in flight 409, malformed 400") {
  layer_fixture f;
  const auto first = f.send(post("/api/v1/devices", R"({"device_id":"a"})", R"("k1")"));
  CHECK(first.result() == http::status::created);
  CHECK(f.runs == 1);

  SECTION("the same request again: the stored answer, not a second run") {
    const auto again = f.send(post("/api/v1/devices", R"({"device_id":"a"})", R"("k1")"));
    CHECK(f.runs == 1);
    CHECK(again.result() == first.result());
    CHECK(again.body() == first.body());
    CHECK(again[http::field::location] == first[http::field::location]);
    CHECK(again[http::field::content_type] == "application/json");
    CHECK(again["Idempotent-Replayed"] == "true");
  }
  SECTION("another body, path or method with the key: 422, no run") {
    const auto body = f.send(post("/api/v1/devices", R"({"device_id":"b"})", R"("k1")"));
    CHECK(body.result() == http::status::unprocessable_entity);
    CHECK(slug_of(body) == "urn:iotreg:problem:idempotency-key-mismatch");
    CHECK(body[http::field::content_type] == "application/problem+json");
    const auto path = f.send(post("/api/v1/devices/a/revoke", R"({"device_id":"a"})", R"("k1")"));
    CHECK(path.result() == http::status::unprocessable_entity);
    CHECK(f.runs == 1);
  }
  SECTION("the key belongs to the credential: another scope runs anew") {
    const auto other = f.send(post("/api/v1/devices", R"({"device_id":"a"})", R"("k1")"), "api_key:2");
    CHECK(other.result() == http::status::created);
    CHECK(f.runs == 2);
  }
  SECTION("without the field: no layer, every request runs") {
    f.send(post("/api/v1/devices", "{}", std::nullopt));
    f.send(post("/api/v1/devices", "{}", std::nullopt));
    CHECK(f.runs == 3);
  }
  SECTION("after the ttl the key is new again (purge)") {
    f.now += 25h;
    CHECK(f.layer.purge() == 1);
    f.send(post("/api/v1/devices", R"({"device_id":"a"})", R"("k1")"));
    CHECK(f.runs == 2);
  }
  SECTION("malformed or too long: 400, no run") {
    for (const std::string& bad : {std::string(R"("open)"), std::string(300, 'x'), std::string("a b")}) {
      const auto res = f.send(post("/api/v1/devices", "{}", bad));
      CHECK(res.result() == http::status::bad_request);
      CHECK(slug_of(res) == "urn:iotreg:problem:invalid-idempotency-key");
    }
    CHECK(f.runs == 1);
  }
}

TEST_CASE("idempotency_layer: a request still running holds the key (409)") {
  layer_fixture f;
  api::response inner;
  const auto outer = f.layer.handle(post("/api/v1/devices", "{}", "k"), f.info, "s", [&] {
    // A retry arriving while the first request runs (another node would see the same row).
    inner = f.layer.handle(post("/api/v1/devices", "{}", "k"), f.info, "s", [&] { return f.created(); });
    return f.created();
  });
  CHECK(outer.result() == http::status::created);
  CHECK(inner.result() == http::status::conflict);
  CHECK(slug_of(inner) == "urn:iotreg:problem:idempotency-key-in-use");
  CHECK(inner[http::field::retry_after] == "1");
  CHECK(f.runs == 1);
}

TEST_CASE("idempotency_layer: a response with a private key is not stored; a retry gets 409") {
  layer_fixture f;
  auto keygen = [&] {
    ++f.runs;
    api::response res{http::status::created, 11};
    res.set(http::field::content_type, "application/json");
    res.set(api::secret_body_field, "1");
    res.body() = R"({"private_key":"-----BEGIN PRIVATE KEY-----..."})";
    return res;
  };
  const auto req = post("/api/v1/devices", R"({"server_keygen":{"password":"pw"}})", "kg");
  CHECK(f.layer.handle(req, f.info, "s", keygen).result() == http::status::created);
  const auto& row = f.store.at("s", "kg");
  CHECK(row.st == registry::idempotency_entry::state::not_replayable);
  CHECK(row.request_hash.empty());  // the hash of a body with a password is not kept either
  REQUIRE(row.response);
  CHECK(row.response->body.empty());
  const auto retry = f.layer.handle(req, f.info, "s", keygen);
  CHECK(retry.result() == http::status::conflict);
  CHECK(slug_of(retry) == "urn:iotreg:problem:idempotency-key-not-replayable");
  CHECK(retry.body().find("PRIVATE") == std::string::npos);
  CHECK(f.runs == 1);
}

TEST_CASE("idempotency_layer: a 500 or an exception releases the key; 4xx answers are stored") {
  layer_fixture f;
  const auto req = post("/api/v1/devices", "{}", "k");
  CHECK_THROWS_AS(f.layer.handle(req, f.info, "s", []() -> api::response { throw std::runtime_error("db"); }),
                  std::runtime_error);
  CHECK(f.store.rows.empty());
  CHECK(
      f.layer.handle(req, f.info, "s",
                     [] {
                       return api::response{http::status::internal_server_error, 11};
                     })
          .result() == http::status::internal_server_error);
  CHECK(f.store.rows.empty());
  int runs = 0;
  auto conflict = [&] {
    ++runs;
    return api::response{http::status::conflict, 11};
  };
  CHECK(f.layer.handle(req, f.info, "s", conflict).result() == http::status::conflict);
  CHECK(f.layer.handle(req, f.info, "s", conflict).result() == http::status::conflict);
  CHECK(runs == 1);
}

namespace {

struct fake_enrollment final : iotreg::testing::fake_enrollment_base {
  int enrolls = 0;
  std::string seen_request_id;
  registry::result<registry::enrollment> enroll(const registry::enroll_request& req) override {
    ++enrolls;
    seen_request_id = registry::current_request().request_id;
    registry::enrollment e;
    e.device_id = req.device_id;
    e.dns_name = req.device_id + "._device.iotregistry.test";
    return e;
  }
  registry::result<registry::enrollment> get(std::string_view) override {
    return registry::error{registry::errc::device_not_found, "no"};
  }
  registry::result<registry::revocation> revoke(std::string_view, iotreg::pki::revocation_reason) override {
    return registry::error{registry::errc::device_not_found, "no"};
  }
};

struct fake_auth final : registry::authenticator {
  registry::result<registry::api_key> authenticate(std::string_view bearer) override {
    if (bearer == "good") return registry::api_key{42, "ops", "admin"};
    if (bearer == "asp") return registry::api_key{43, "fleet", "asp"};
    // Two keys of one tenant (7) and one of another (8).
    if (bearer == "mno-a1") return registry::api_key{50, "a1", "mno", 7};
    if (bearer == "mno-a2") return registry::api_key{51, "a2", "mno", 7};
    if (bearer == "mno-b") return registry::api_key{52, "b", "mno", 8};
    return registry::error{registry::errc::unauthenticated, "unknown API key"};
  }
};

struct fake_audit final : registry::audit_log_reader {
  registry::audit_query last;
  std::vector<registry::audit_entry> list(const registry::audit_query& q) override {
    last = q;
    registry::audit_entry e;
    e.id = q.after + 1;
    e.at = registry::time_point{} + 1000000h;
    e.api_key_id = 42;
    e.action = "device.enroll";
    e.zone = "iotregistry.test.";
    e.device_id = "dev1";
    e.request_id = "abc";
    e.detail_json = R"({"change_id": 7})";
    return {e};
  }
};

api::request get(std::string target, std::string token = "good") {
  api::request req{http::verb::get, target, 11};
  req.set(http::field::authorization, "Bearer " + token);
  return req;
}

}  // namespace

TEST_CASE("router: Idempotency-Key on POST /api/v1, the request id reaches the use case") {
  fake_enrollment svc;
  fake_auth auth;
  api::router router(svc, auth);
  memory_idempotency_store store;
  api::idempotency_layer layer(store, fake_hash, 24h);
  router.set_idempotency(&layer);
  const auto body =
      R"({"device_id":"dev1","csr":"-----BEGIN CERTIFICATE REQUEST-----\nX\n-----END CERTIFICATE REQUEST-----\n"})";
  const auto a = router.handle(post("/api/v1/devices", body, R"("k")"), {"r1", "x"});
  const auto b = router.handle(post("/api/v1/devices", body, R"("k")"), {"r2", "x"});
  CHECK(a.result() == http::status::created);
  CHECK(b.result() == a.result());
  CHECK(b.body() == a.body());
  CHECK(svc.enrolls == 1);
  CHECK(svc.seen_request_id == "r1");
  CHECK(b["X-Request-Id"] == "r2");  // the replay is its own request
  CHECK(store.rows.begin()->first.first == "api_key:42");
  CHECK(registry::current_request().request_id.empty());  // the scope ended with the request
}

TEST_CASE("router: per-credential rate limit gives 429 problem+json with Retry-After") {
  fake_enrollment svc;
  fake_auth auth;
  api::router router(svc, auth);
  auto t = api::rate_limiter::clock::time_point{} + 100s;
  api::rate_limiter lim(1.0, 2, 100, [&] { return t; });
  router.set_rate_limiter(&lim);
  CHECK(router.handle(get("/api/v1/devices/x"), {"r", "x"}).result() == http::status::not_found);
  CHECK(router.handle(get("/api/v1/devices/x"), {"r", "x"}).result() == http::status::not_found);
  const auto res = router.handle(get("/api/v1/devices/x"), {"r", "x"});
  CHECK(res.result() == http::status::too_many_requests);
  CHECK(res[http::field::retry_after] == "1");
  CHECK(res[http::field::content_type] == "application/problem+json");
  CHECK(slug_of(res) == "urn:iotreg:problem:rate-limited");
  // Another credential has its own bucket; unauthenticated routes are not limited.
  CHECK(router.handle(get("/api/v1/devices/x", "asp"), {"r", "x"}).result() == http::status::not_found);
  for (int i = 0; i < 5; ++i)
    CHECK(router.handle(api::request{http::verb::get, "/healthz", 11}, {"r", "x"}).result() ==
          http::status::ok);
}

TEST_CASE("router: a tenant's keys share one rate-limit bucket and one idempotency scope") {
  fake_enrollment svc;
  fake_auth auth;
  api::router router(svc, auth);
  auto t = api::rate_limiter::clock::time_point{} + 100s;
  api::rate_limiter lim(1.0, 2, 100, [&] { return t; });
  router.set_rate_limiter(&lim);
  CHECK(router.handle(get("/api/v1/devices/x", "mno-a1"), {"r", "x"}).result() == http::status::not_found);
  CHECK(router.handle(get("/api/v1/devices/x", "mno-a2"), {"r", "x"}).result() == http::status::not_found);
  CHECK(router.handle(get("/api/v1/devices/x", "mno-a1"), {"r", "x"}).result() ==
        http::status::too_many_requests);
  CHECK(router.handle(get("/api/v1/devices/x", "mno-a2"), {"r", "x"}).result() ==
        http::status::too_many_requests);
  CHECK(router.handle(get("/api/v1/devices/x", "mno-b"), {"r", "x"}).result() == http::status::not_found);

  api::router router2(svc, auth);
  memory_idempotency_store store;
  api::idempotency_layer layer(store, fake_hash, 24h);
  router2.set_idempotency(&layer);
  const auto body =
      R"({"device_id":"dev7","csr":"-----BEGIN CERTIFICATE REQUEST-----\nX\n-----END CERTIFICATE REQUEST-----\n"})";
  auto with_key = [&](std::string token) {
    auto req = post("/api/v1/devices", body, R"("t")");
    req.set(http::field::authorization, "Bearer " + token);
    return router2.handle(req, {"r", "x"});
  };
  const int before = svc.enrolls;
  CHECK(with_key("mno-a1").result() == http::status::created);
  CHECK(with_key("mno-a2").result() == http::status::created);  // the replay, through another key
  CHECK(svc.enrolls == before + 1);
  CHECK(store.rows.begin()->first.first == "tenant:7");
}

TEST_CASE("router: GET /api/v1/audit for the admin, 403 for others, 400 for bad parameters") {
  fake_enrollment svc;
  fake_auth auth;
  fake_audit audit;
  api::router router(svc, auth);
  router.add_audit(audit);
  const auto res = router.handle(get("/api/v1/audit?after=5&limit=1&device_id=DEV1"), {"r", "x"});
  REQUIRE(res.result() == http::status::ok);
  CHECK(audit.last.after == 5);
  CHECK(audit.last.limit == 1);
  CHECK(audit.last.device_id == "dev1");
  const auto o = json::parse(res.body()).as_object();
  CHECK(o.at("next_after").as_int64() == 6);
  const auto& item = o.at("items").as_array().at(0).as_object();
  CHECK(item.at("request_id").as_string() == "abc");
  CHECK(item.at("action").as_string() == "device.enroll");
  CHECK(item.at("api_key_id").as_int64() == 42);
  CHECK(item.at("detail").as_object().at("change_id").as_int64() == 7);
  CHECK(item.at("at").as_string().size() == std::string("2084-01-29T16:00:00.000000Z").size());

  CHECK(router.handle(get("/api/v1/audit", "asp"), {"r", "x"}).result() == http::status::forbidden);
  CHECK(router.handle(get("/api/v1/audit?limit=0"), {"r", "x"}).result() == http::status::bad_request);
  CHECK(router.handle(get("/api/v1/audit?after=-1"), {"r", "x"}).result() == http::status::bad_request);
  CHECK(router.handle(get("/api/v1/audit?bogus=1"), {"r", "x"}).result() == http::status::bad_request);
  CHECK(router.handle(api::request{http::verb::get, "/api/v1/audit", 11}, {"r", "x"}).result() ==
        http::status::unauthorized);
}
