#pragma once
// Runs blocking work on the work pool from a coroutine (STYLE.md §5.3).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace iotreg::server {

/// `co_await offload(pool, fn)`: calls `fn()` on a thread of `pool` and returns its result. The
/// awaiting coroutine resumes on its own executor (its strand), and an exception thrown by `fn`
/// is rethrown there. `fn` is moved into the operation; whatever it references must outlive the
/// co_await (it does when it references the caller's locals). Cancellation does not interrupt
/// `fn` once started.
template <class F>
auto offload(boost::asio::thread_pool& pool, F fn) -> boost::asio::awaitable<std::invoke_result_t<F&>> {
  namespace asio = boost::asio;
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    co_await asio::co_spawn(
        pool,
        [f = std::move(fn)]() mutable -> asio::awaitable<void> {
          f();
          co_return;
        },
        asio::use_awaitable);
  } else {
    // co_spawn hands a default-constructed value to the handler when fn throws: wrapping in
    // optional keeps R free of that requirement.
    auto r = co_await asio::co_spawn(
        pool,
        [f = std::move(fn)]() mutable -> asio::awaitable<std::optional<R>> {
          co_return std::optional<R>(f());
        },
        asio::use_awaitable);
    co_return std::move(*r);
  }
}

}  // namespace iotreg::server
