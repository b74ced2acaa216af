#include "tests/integration/pg_fixture.hpp"

#include "db/migrate.hpp"

#include <libpq-fe.h>
#include <catch2/catch.hpp>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>

namespace iotreg::test {

std::string admin_dsn() {
  const char* v = std::getenv("IOTREG_TEST_PG_DSN");
  if (v == nullptr || *v == '\0') {
    FAIL(
        "IOTREG_TEST_PG_DSN is not set. Start a local server and export its DSN, e.g.\n"
        "  source scripts/lib/pg.sh && pg_local_start /tmp/iotreg-pgtest/data "
        "/tmp/iotreg-pgtest/sock && pg_local_createdb /tmp/iotreg-pgtest/sock iotreg\n"
        "  export IOTREG_TEST_PG_DSN=$(pg_local_dsn /tmp/iotreg-pgtest/sock iotreg)\n"
        "or run tests/integration/run_pg_tests.sh BUILD_DIR");
  }
  return v;
}

std::string with_search_path(const std::string& dsn, const std::string& schema) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err ? err : "out of memory";
    PQfreemem(err);
    throw std::invalid_argument{"bad IOTREG_TEST_PG_DSN: " + msg};
  }
  auto quote = [](const std::string& v) {
    std::string out = "'";
    for (char ch : v) {
      if (ch == '\'' || ch == '\\') out += '\\';
      out += ch;
    }
    return out + "'";
  };
  std::string out;
  std::string options;
  for (auto* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::string{o->keyword} == "options") {
      options = o->val;
      continue;
    }
    out += std::string{o->keyword} + '=' + quote(o->val) + ' ';
  }
  PQconninfoFree(opts);
  if (!options.empty()) options += ' ';
  return out + "options=" + quote(options + "-csearch_path=" + schema);
}

namespace {
std::string random_name() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> hex(0, 15);
  std::string s = "iotreg_t_";
  for (int i = 0; i < 12; ++i) s += "0123456789abcdef"[hex(rd)];
  return s;
}
}  // namespace

fresh_db::fresh_db(bool migrated, std::size_t pool_size) {
  const auto admin = admin_dsn();
  name_ = random_name();
  {
    pqxx::connection c{admin};
    pqxx::nontransaction tx{c};
    tx.exec0("CREATE SCHEMA " + name_);
  }
  dsn_ = with_search_path(admin, name_);
  if (migrated) {
    pqxx::connection c{dsn_};
    db::migrate(c);
  }
  pool_ = std::make_unique<db::pool>(dsn_, pool_size);
}

fresh_db::~fresh_db() {
  pool_.reset();
  try {
    pqxx::connection c{admin_dsn()};
    pqxx::nontransaction tx{c};
    tx.exec0("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  } catch (const std::exception& e) {
    WARN("could not drop test schema " << name_ << ": " << e.what());
  }
}

void fresh_db::exec(const std::string& sql) const {
  pqxx::connection c{dsn_};
  pqxx::work tx{c};
  tx.exec(sql);
  tx.commit();
}

std::int64_t fresh_db::scalar(const std::string& sql) const {
  pqxx::connection c{dsn_};
  pqxx::read_transaction tx{c};
  return tx.exec1(sql)[0].as<std::int64_t>();
}

registry::time_point now_us() {
  return std::chrono::floor<std::chrono::microseconds>(registry::clock::now());
}

registry::new_enrollment sample_enrollment(const std::string& zone, const std::string& device_id, int n) {
  using namespace std::chrono_literals;
  registry::new_enrollment e;
  e.zone = zone;
  e.device_id = device_id;
  e.tlsa.usage = 3;
  e.tlsa.selector = 1;
  e.tlsa.matching = 1;
  e.tlsa.association.resize(32);
  for (std::size_t i = 0; i < 32; ++i) {
    // 0x00 at even positions, n and the index elsewhere: distinct per n, and NUL-rich.
    e.tlsa.association[i] = i % 2 == 0 ? 0x00 : static_cast<std::uint8_t>(n * 7 + i);
  }
  const auto t = now_us();
  e.certificate.serial_hex = "1f" + std::to_string(100000 + n);
  e.certificate.pem =
      "-----BEGIN CERTIFICATE-----\nMII" + std::to_string(n) + "\n-----END CERTIFICATE-----\n";
  e.certificate.issuer_key_id_hex = "a1b2c3d4e5f60718293a4b5c6d7e8f9011223344";
  e.certificate.not_before = t - 1h + 123456us;
  e.certificate.not_after = t + 24h * 365 + 654321us;
  return e;
}

}  // namespace iotreg::test
