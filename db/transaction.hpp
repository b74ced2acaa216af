#pragma once
// Runs one use case in one transaction on a pooled connection.

#include "db/pool.hpp"
#include "registry/errors.hpp"

#include <pqxx/except>
#include <pqxx/result>
#include <pqxx/transaction>

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace iotreg::db {

namespace detail {
template <class T>
bool should_commit(const T&) noexcept {
  return true;
}
/// A use case that returns an expected failure must leave nothing behind.
template <class T>
bool should_commit(const registry::result<T>& r) noexcept {
  return r.has_value();
}
}  // namespace detail

/// Acquires a connection, opens a read-committed transaction bounded by the pool's statement
/// timeout, calls `f(tx)` and commits, unless `f` returns a registry::result holding an error or
/// throws: then nothing is committed. A connection that broke (or whose commit outcome is
/// unknown) is discarded. If the connection turns out broken before `f` ran (an idle connection
/// the server closed, e.g. after a restart), it is replaced and the transaction opened once more:
/// nothing was sent yet, so that retry is safe. `f` itself is never run twice.
/// @returns what `f` returns. @throws what `f`, acquire or commit throw.
template <class F>
auto with_transaction(pool& p, F&& f) -> std::invoke_result_t<F&, pqxx::work&> {
  using R = std::invoke_result_t<F&, pqxx::work&>;
  const std::string set_timeout =
      "SET LOCAL statement_timeout = " + std::to_string(p.statement_timeout().count());
  for (int attempt = 1;; ++attempt) {
    auto lease = p.acquire();
    std::optional<pqxx::work> tx;
    try {
      tx.emplace(lease.conn());
      tx->exec0(set_timeout);
    } catch (const pqxx::broken_connection&) {
      lease.discard();
      if (attempt < 2) continue;
      throw;
    }
    try {
      if constexpr (std::is_void_v<R>) {
        f(*tx);
        tx->commit();
        return;
      } else {
        R r = f(*tx);
        if (detail::should_commit(r)) {
          tx->commit();
        } else {
          tx->abort();
        }
        return r;
      }
    } catch (const pqxx::broken_connection&) {
      tx.reset();
      lease.discard();
      throw;
    } catch (const pqxx::in_doubt_error&) {
      tx.reset();
      lease.discard();
      throw;
    }
  }
}

}  // namespace iotreg::db
