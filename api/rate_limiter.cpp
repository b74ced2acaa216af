#include "api/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace iotreg::api {

rate_limiter::rate_limiter(double per_second, unsigned burst, std::size_t max_idle_buckets,
                           std::function<clock::time_point()> now)
    : per_second_(per_second),
      burst_(static_cast<double>(burst)),
      max_buckets_(std::max<std::size_t>(1, max_idle_buckets)),
      now_(std::move(now)) {}

rate_limiter::decision rate_limiter::acquire(std::string_view key) {
  if (!enabled()) return {};
  const auto now = now_();
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_buckets_) evict_full(now);
    it = buckets_.emplace(std::string(key), bucket{burst_, now}).first;
  }
  auto& b = it->second;
  const std::chrono::duration<double> elapsed = now - b.updated;
  if (elapsed.count() > 0) {
    b.tokens = std::min(burst_, b.tokens + elapsed.count() * per_second_);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  const double wait = (1.0 - b.tokens) / per_second_;
  return {false, std::chrono::seconds(std::max<long long>(1, static_cast<long long>(std::ceil(wait))))};
}

void rate_limiter::evict_full(clock::time_point now) {
  // A bucket that would be full now holds no state a new bucket would not: dropping it changes
  // no decision. If every bucket is busy the table may exceed the bound; it is then bounded by
  // the number of credentials active within one burst period.
  std::erase_if(buckets_, [&](const auto& entry) {
    const std::chrono::duration<double> elapsed = now - entry.second.updated;
    return entry.second.tokens + elapsed.count() * per_second_ >= burst_;
  });
}

std::size_t rate_limiter::size() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace iotreg::api
