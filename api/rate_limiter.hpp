#pragma once
// Per-credential rate limits: one token bucket per key (an API key id now, a tenant id later:
// the key is an opaque string). Memory stays bounded: buckets that have refilled completely are
// indistinguishable from new ones and are dropped when the table grows.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace iotreg::api {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  struct decision {
    bool allowed = true;
    std::chrono::seconds retry_after{0};  // when refused: whole seconds until a token is there (>= 1)
  };

  /// `per_second` tokens are added to each bucket per second, up to `burst`; a request takes one.
  /// Either at 0 turns the limiter off (every request allowed). `max_idle_buckets`: the table size
  /// past which full buckets are evicted. `now` is injectable for tests.
  rate_limiter(double per_second, unsigned burst, std::size_t max_idle_buckets = 10000,
               std::function<clock::time_point()> now = clock::now);

  /// Takes one token from `key`'s bucket (a new bucket starts full).
  /// @par Thread Safety: may be called concurrently (one mutex; the critical section is O(1)
  /// except for the occasional eviction sweep).
  decision acquire(std::string_view key);

  bool enabled() const noexcept { return per_second_ > 0 && burst_ > 0; }

  /// Buckets currently held (tests, metrics).
  std::size_t size() const;

 private:
  struct bucket {
    double tokens;
    clock::time_point updated;
  };
  void evict_full(clock::time_point now);

  double per_second_;
  double burst_;
  std::size_t max_buckets_;
  std::function<clock::time_point()> now_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace iotreg::api
