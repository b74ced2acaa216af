#include "db/migrate.hpp"

#include "db/log.hpp"

#include <pqxx/result>
#include <pqxx/transaction>

#include <stdexcept>

namespace iotreg::db {

namespace {

// Held per transaction (pg_advisory_xact_lock), so a crashed node never leaves it taken.
// The value is "iotregmg" in ASCII; other advisory locks of iotreg must use other keys.
constexpr const char* lock_sql = "SELECT pg_advisory_xact_lock(7597419131073686887)";

constexpr const char* create_table_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  version int PRIMARY KEY,"
    "  name text NOT NULL,"
    "  applied_at timestamptz NOT NULL DEFAULT now())";

}  // namespace

void migrate(pqxx::connection& c) {
  const auto& all = embedded_migrations();
  for (const auto& m : all) {
    pqxx::work tx{c, "migrate"};
    tx.exec(lock_sql);
    tx.exec0(create_table_sql);
    const auto done = tx.exec_params("SELECT name FROM schema_migrations WHERE version = $1", m.version);
    if (!done.empty()) {
      if (done[0][0].as<std::string>() != m.name) {
        throw std::runtime_error{"db::migrate: version " + std::to_string(m.version) + " is recorded as '" +
                                 done[0][0].as<std::string>() + "' but this binary has '" +
                                 std::string{m.name} + "'"};
      }
      continue;  // tx aborts on scope exit, releasing the lock
    }
    tx.exec(std::string{m.sql});  // simple query protocol: several statements per file
    tx.exec_params0("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                    std::string{m.name});
    tx.commit();
    detail::log()->info("db: applied migration {:03}_{}", m.version, m.name);
  }

  pqxx::read_transaction tx{c, "migrate_check"};
  const auto newest = tx.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations");
  const int version = newest[0].as<int>();
  if (!all.empty() && version > all.back().version) {
    detail::log()->warn("db: schema is at version {}, newer than this binary's {}", version,
                        all.back().version);
  }
}

std::vector<std::pair<int, std::string>> applied_migrations(pqxx::connection& c) {
  pqxx::read_transaction tx{c, "applied_migrations"};
  std::vector<std::pair<int, std::string>> out;
  if (tx.exec1("SELECT to_regclass('schema_migrations') IS NULL")[0].as<bool>()) return out;
  for (const auto& r : tx.exec("SELECT version, name FROM schema_migrations ORDER BY version")) {
    out.emplace_back(r[0].as<int>(), r[1].as<std::string>());
  }
  return out;
}

}  // namespace iotreg::db
