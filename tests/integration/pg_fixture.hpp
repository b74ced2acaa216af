#pragma once
// A fresh, migrated PostgreSQL schema per test case, in the database named by IOTREG_TEST_PG_DSN.
// A schema (selected through search_path) isolates the tests' tables as well as a database would,
// at a fraction of the cost: CREATE DATABASE takes about a second with fsync on.

#include "db/pool.hpp"
#include "registry/model.hpp"

#include <pqxx/connection>

#include <cstdint>
#include <memory>
#include <string>

namespace iotreg::test {

/// IOTREG_TEST_PG_DSN; fails the current test (with how to start PostgreSQL) when unset.
std::string admin_dsn();

/// `dsn` whose sessions use `schema` as search_path (parsed with libpq, so URIs and key=value
/// both work; options already in the DSN are kept).
std::string with_search_path(const std::string& dsn, const std::string& schema);

/// Creates schema iotreg_t_<random> on construction (migrated unless told otherwise) and drops it
/// on destruction. Every connection made through dsn(), connect() or pool() works in it.
class fresh_db {
 public:
  explicit fresh_db(bool migrated = true, std::size_t pool_size = 4);
  ~fresh_db();
  fresh_db(const fresh_db&) = delete;
  fresh_db& operator=(const fresh_db&) = delete;

  const std::string& dsn() const noexcept { return dsn_; }
  db::pool& pool() noexcept { return *pool_; }
  pqxx::connection connect() const { return pqxx::connection{dsn_}; }

  /// Runs `sql` in its own transaction.
  void exec(const std::string& sql) const;
  /// The single bigint `sql` returns.
  std::int64_t scalar(const std::string& sql) const;

 private:
  std::string name_;
  std::string dsn_;
  std::unique_ptr<db::pool> pool_;
};

/// A plausible enrollment of `device_id` in `zone`, unique by `n` (serial, key bytes), with an
/// association that contains 0x00 bytes and times exact to the microsecond.
registry::new_enrollment sample_enrollment(const std::string& zone, const std::string& device_id, int n = 1);

/// Now, truncated to microseconds (what PostgreSQL keeps).
registry::time_point now_us();

}  // namespace iotreg::test
