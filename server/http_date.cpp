#include "server/http_date.hpp"

#include "api/http_cache.hpp"

#include <cstdint>

namespace iotreg::server {

std::string http_date_now(std::chrono::system_clock::time_point now) {
  // Per thread: no lock, and no reply waits for another thread's formatting.
  thread_local std::int64_t cached_second = INT64_MIN;
  thread_local std::string cached;
  const auto second = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  if (second != cached_second || cached.empty()) {
    cached = api::format_http_date(now);
    cached_second = second;
  }
  return cached;
}

}  // namespace iotreg::server
