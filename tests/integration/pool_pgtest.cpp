#include "db/api_key_store_pg.hpp"
#include "db/device_store_pg.hpp"
#include "db/pool.hpp"
#include "db/transaction.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>
#include <pqxx/except>
#include <pqxx/nontransaction>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using iotreg::test::fresh_db;
using iotreg::test::sample_enrollment;
namespace db = iotreg::db;
using namespace std::chrono_literals;

namespace {
std::int64_t backend_pid(db::pool& p) {
  return db::with_transaction(
      p, [](pqxx::work& tx) { return tx.exec1("SELECT pg_backend_pid()")[0].as<std::int64_t>(); });
}
}  // namespace

TEST_CASE("pool/8 threads share 3 connections", "[pg][pool]") {
  fresh_db d{true, 3};
  db::pg_device_store devices{d.pool()};
  db::pg_api_key_store keys{d.pool()};
  std::atomic<int> failures{0};
  std::mutex m;
  std::set<std::int64_t> pids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 25; ++i) {
          const auto id = "t" + std::to_string(t) + "-" + std::to_string(i);
          if (!devices.insert_enrollment(sample_enrollment("z.test.", id, t * 1000 + i))) {
            ++failures;
          }
          if (!devices.find("z.test.", id)) ++failures;
          keys.count_active("admin");
          const auto pid = backend_pid(d.pool());
          std::lock_guard lock{m};
          pids.insert(pid);
        }
      } catch (const std::exception& e) {
        ++failures;
        std::lock_guard lock{m};
        UNSCOPED_INFO(e.what());
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(pids.size() <= 3);
  CHECK(d.pool().open_connections() <= 3);
  CHECK(d.scalar("SELECT count(*) FROM devices") == 200);
  CHECK(d.scalar("SELECT count(*) FROM zone_changes") == 200);
}

TEST_CASE("pool/acquire times out when every connection is lent", "[pg][pool]") {
  fresh_db d{true, 1};
  auto held = d.pool().acquire();
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(d.pool().acquire(50ms), db::pool_timeout);
  CHECK(std::chrono::steady_clock::now() - start >= 50ms);

  std::thread waiter{[&] { CHECK_NOTHROW(d.pool().acquire(5s)); }};
  std::this_thread::sleep_for(20ms);
  { auto released = std::move(held); }  // giving it back wakes the waiter
  waiter.join();
}

TEST_CASE("pool/a connection killed by the server is replaced", "[pg][pool]") {
  fresh_db d{true, 1};
  const auto pid = backend_pid(d.pool());
  {
    pqxx::connection admin{d.dsn()};
    pqxx::nontransaction tx{admin};
    tx.exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  }
  std::this_thread::sleep_for(100ms);
  // The dead idle connection is found when the transaction opens, before any work: replaced
  // transparently.
  std::int64_t next = 0;
  REQUIRE_NOTHROW(next = backend_pid(d.pool()));
  CHECK(next != pid);
  CHECK(d.pool().open_connections() == 1);
}

TEST_CASE("pool/statement_timeout bounds every statement", "[pg][pool]") {
  fresh_db d;
  db::pool short_pool{d.dsn(), 1, 100ms};
  try {
    db::with_transaction(short_pool, [](pqxx::work& tx) { tx.exec("SELECT pg_sleep(2)"); });
    FAIL("pg_sleep(2) was not cancelled");
  } catch (const pqxx::sql_error& e) {
    CHECK(e.sqlstate() == "57014");  // query_canceled
  }
  CHECK(backend_pid(short_pool) > 0);  // the connection is still good
}

TEST_CASE("pool/errors", "[pg][pool]") {
  SECTION("error/size 0") { CHECK_THROWS_AS(db::pool("", 0), std::invalid_argument); }
  SECTION("error/unreachable server frees the slot") {
    db::pool p{"host=/nonexistent/socket/dir dbname=x connect_timeout=1", 1};
    CHECK_THROWS_AS(p.acquire(100ms), pqxx::broken_connection);
    CHECK(p.open_connections() == 0);
    CHECK_THROWS_AS(p.acquire(100ms), pqxx::broken_connection);
  }
}
