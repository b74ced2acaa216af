#pragma once
// A blocking pool of libpqxx connections. A connection is one "world" that one thread uses at a
// time (STYLE.md §5.5): the pool lends it for one use case, through a RAII lease.

#include <pqxx/connection>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace iotreg::db {

/// Thrown by pool::acquire when no connection frees up in time.
class pool_timeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class pool {
 public:
  class lease;

  /// @param dsn libpq connection string or URI. Never logged (it may hold a password).
  /// @param size the most connections open at once (>= 1).
  /// @param statement_timeout bound on every statement of a transaction opened through
  ///        db::with_transaction (SET LOCAL statement_timeout).
  /// Connections open lazily, on the first acquire that finds none idle, so constructing a pool
  /// never touches the network. Every new connection gets all prepared statements of db/.
  /// @throws std::invalid_argument if size is 0.
  pool(std::string dsn, std::size_t size,
       std::chrono::milliseconds statement_timeout = std::chrono::seconds{10});

  /// Precondition: every lease has been returned.
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// Lends an idle connection, opening one if fewer than `size` are open, else waits.
  /// @throws pool_timeout after `timeout` without a free connection;
  ///         pqxx::broken_connection if opening a new connection fails.
  /// @par Thread safety: safe to call from any thread.
  [[nodiscard]] lease acquire(std::chrono::milliseconds timeout = std::chrono::seconds{5});

  std::size_t size() const noexcept { return size_; }
  std::chrono::milliseconds statement_timeout() const noexcept { return statement_timeout_; }

  /// Connections currently open (idle or lent); for tests and metrics.
  std::size_t open_connections() const;

 private:
  void give_back(std::unique_ptr<pqxx::connection> c) noexcept;

  const std::string dsn_;
  const std::size_t size_;
  const std::chrono::milliseconds statement_timeout_;

  mutable std::mutex mutex_;  // guards idle_ and open_
  std::condition_variable freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t open_ = 0;  // idle + lent + being opened
};

/// A lent connection; gives it back to the pool on destruction (or drops it if discarded or
/// closed, so that the next acquire opens a fresh one). Movable, not copyable. Must not outlive
/// its pool.
class pool::lease {
 public:
  lease(lease&& other) noexcept;
  lease& operator=(lease&& other) noexcept;
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;
  ~lease();

  pqxx::connection& conn() noexcept { return *conn_; }
  pqxx::connection& operator*() noexcept { return *conn_; }
  pqxx::connection* operator->() noexcept { return conn_.get(); }

  /// Closes the connection instead of giving it back (after pqxx::broken_connection or when the
  /// outcome of a commit is unknown).
  void discard() noexcept { discard_ = true; }

 private:
  friend class pool;
  lease(pool& p, std::unique_ptr<pqxx::connection> c) noexcept : pool_(&p), conn_(std::move(c)) {}
  void release() noexcept;

  pool* pool_ = nullptr;
  std::unique_ptr<pqxx::connection> conn_;
  bool discard_ = false;
};

}  // namespace iotreg::db
