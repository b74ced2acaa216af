// Migration 007 on PostgreSQL: Idempotency-Key records (claim, complete, the unique race between
// two claims, expiry, purge) and the audit log's read side with request ids.

#include "db/device_store_pg.hpp"
#include "db/robustness_store_pg.hpp"
#include "registry/request_context.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using iotreg::test::fresh_db;
namespace db = iotreg::db;
namespace registry = iotreg::registry;
using namespace std::chrono_literals;
using state = registry::idempotency_entry::state;

namespace {
const std::string hash_a(64, 'a');
const std::string hash_b(64, 'b');
}  // namespace

TEST_CASE("idempotency_store/claim, complete, replay, not replayable, release", "[pg][idempotency]") {
  fresh_db d;
  db::pg_idempotency_store store{d.pool()};
  const auto later = iotreg::test::now_us() + 24h;

  CHECK_FALSE(store.claim("api_key:1", "k", hash_a, later).has_value());  // inserted: ours
  auto again = store.claim("api_key:1", "k", hash_b, later);
  REQUIRE(again.has_value());
  CHECK(again->st == state::in_flight);
  CHECK(again->request_hash == hash_a);

  registry::stored_response r{
      201, "application/json", {{"Location", "/api/v1/devices/x"}}, std::string("{\"a\":\0}", 7)};
  store.complete("api_key:1", "k", r);
  again = store.claim("api_key:1", "k", hash_a, later);
  REQUIRE(again.has_value());
  CHECK(again->st == state::completed);
  REQUIRE(again->response);
  CHECK(again->response->status == 201);
  CHECK(again->response->content_type == "application/json");
  CHECK(again->response->body == r.body);
  REQUIRE(again->response->headers.size() == 1);
  CHECK(again->response->headers[0].first == "Location");
  CHECK(again->response->headers[0].second == "/api/v1/devices/x");

  // The same key under another credential is another key.
  CHECK_FALSE(store.claim("api_key:2", "k", hash_a, later).has_value());

  CHECK_FALSE(store.claim("api_key:1", "kg", hash_a, later).has_value());
  store.complete_unreplayable("api_key:1", "kg", 201);
  again = store.claim("api_key:1", "kg", hash_a, later);
  REQUIRE(again.has_value());
  CHECK(again->st == state::not_replayable);
  CHECK(again->request_hash.empty());
  CHECK(d.scalar("SELECT count(*) FROM idempotency_keys WHERE idem_key = 'kg' AND body IS NULL AND "
                 "request_hash = ''") == 1);

  CHECK_FALSE(store.claim("api_key:1", "gone", hash_a, later).has_value());
  store.release("api_key:1", "gone");
  CHECK_FALSE(store.claim("api_key:1", "gone", hash_b, later).has_value());  // free again
}

TEST_CASE("idempotency_store/expired keys are claimable again and purged", "[pg][idempotency]") {
  fresh_db d;
  db::pg_idempotency_store store{d.pool()};
  const auto now = iotreg::test::now_us();
  CHECK_FALSE(store.claim("s", "old", hash_a, now - 1s).has_value());
  store.complete("s", "old", {200, "application/json", {}, "{}"});
  CHECK_FALSE(store.claim("s", "old", hash_b, now + 1h).has_value());  // expired: ours now
  CHECK_FALSE(store.claim("s", "old2", hash_a, now - 1s).has_value());
  CHECK_FALSE(store.claim("s", "live", hash_a, now + 1h).has_value());
  CHECK(store.purge_expired(now) == 1);
  CHECK(d.scalar("SELECT count(*) FROM idempotency_keys") == 2);
  // A row left in flight by a node that died is taken over after 10 minutes.
  d.exec("UPDATE idempotency_keys SET created_at = now() - interval '11 minutes' WHERE idem_key = 'live'");
  CHECK_FALSE(store.claim("s", "live", hash_b, now + 1h).has_value());
}

TEST_CASE("idempotency_store/two concurrent claims of one key: exactly one wins", "[pg][idempotency]") {
  fresh_db d;
  db::pg_idempotency_store store{d.pool()};
  const auto later = iotreg::test::now_us() + 1h;
  for (int round = 0; round < 20; ++round) {
    const auto key = "race-" + std::to_string(round);
    std::atomic<int> winners{0}, losers{0};
    std::atomic<bool> go{false};
    auto claim = [&] {
      while (!go) std::this_thread::yield();
      if (store.claim("s", key, hash_a, later))
        ++losers;
      else
        ++winners;
    };
    std::thread a(claim), b(claim);
    go = true;
    a.join();
    b.join();
    CHECK(winners == 1);
    CHECK(losers == 1);
  }
  CHECK(d.scalar("SELECT count(*) FROM idempotency_keys") == 20);
  CHECK_THROWS(
      d.exec("INSERT INTO idempotency_keys (scope, idem_key, request_hash, expires_at) "
             "VALUES ('s', 'race-0', '', now())"));
  CHECK_THROWS(
      d.exec("INSERT INTO idempotency_keys (scope, idem_key, request_hash, expires_at) "
             "VALUES ('s', '" +
             std::string(256, 'x') + "', '', now())"));
}

TEST_CASE("audit_log_reader/rows with who and request id, cursor and device filter", "[pg][audit]") {
  fresh_db d;
  db::pg_device_store devices{d.pool()};
  db::pg_audit_log_reader audit{d.pool()};
  d.exec(
      "INSERT INTO api_keys (name, role, key_hash) VALUES ('a', 'admin', decode(repeat('ab', 32), 'hex'))");
  const auto key_id = d.scalar("SELECT id FROM api_keys");
  {
    const registry::request_scope scope({"req-enroll", key_id});
    auto e = iotreg::test::sample_enrollment("iotregistry.test.", "dev1", 1);
    e.api_key_id = key_id;
    REQUIRE(devices.insert_enrollment(e).has_value());
    REQUIRE(devices.insert_enrollment(iotreg::test::sample_enrollment("iotregistry.test.", "dev2", 2))
                .has_value());
  }
  {
    const registry::request_scope scope({"req-revoke", key_id});
    REQUIRE(devices.revoke("iotregistry.test.", "dev1", 1).has_value());
  }
  REQUIRE(devices.revoke("iotregistry.test.", "dev2").has_value());  // outside the API

  const auto all = audit.list({});
  REQUIRE(all.size() == 4);
  CHECK(all[0].action == "device.enroll");
  CHECK(all[0].device_id == "dev1");
  CHECK(all[0].request_id == "req-enroll");
  CHECK(all[0].api_key_id == key_id);
  CHECK(all[0].detail_json.find("change_id") != std::string::npos);
  CHECK(all[2].action == "device.revoke");
  CHECK(all[2].request_id == "req-revoke");
  CHECK(all[2].api_key_id == key_id);  // revocations now say who
  CHECK(all[3].request_id.empty());
  CHECK_FALSE(all[3].api_key_id.has_value());
  CHECK(all[0].id < all[1].id);

  const auto page = audit.list({all[0].id, 2, std::nullopt});
  REQUIRE(page.size() == 2);
  CHECK(page[0].id == all[1].id);
  const auto dev1 = audit.list({0, 100, std::string("dev1")});
  REQUIRE(dev1.size() == 2);
  CHECK(dev1[1].action == "device.revoke");
  // Still append-only.
  CHECK_THROWS(d.exec("UPDATE audit_log SET request_id = 'x'"));
}
