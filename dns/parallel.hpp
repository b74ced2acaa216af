#pragma once
// Internal: splits an index range over a few threads for the full build (issue 3 item 4: use
// every core). Plain std::thread: a build is rare and long, so a pool would buy nothing.

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace iotreg::dns::detail {

/// Threads a full build uses: one per hardware thread, at least 1, at most 16.
inline unsigned build_threads() noexcept { return std::clamp(std::thread::hardware_concurrency(), 1U, 16U); }

/// Calls f(begin, end) on contiguous slices covering [0, n), on up to build_threads() threads
/// (the caller's thread takes the first slice). Blocks until all are done. If any call throws,
/// rethrows the first exception after every thread has finished.
/// Precondition: f is safe to call concurrently on disjoint slices.
template <class F>
void parallel_for(std::size_t n, F&& f) {
  const std::size_t workers = std::min<std::size_t>(build_threads(), std::max<std::size_t>(1, n / 64));
  if (workers <= 1) {
    f(std::size_t{0}, n);
    return;
  }
  std::vector<std::exception_ptr> errors(workers);
  std::vector<std::thread> threads;
  threads.reserve(workers - 1);
  const auto slice = [&](std::size_t w) {
    try {
      f(n * w / workers, n * (w + 1) / workers);
    } catch (...) {
      errors[w] = std::current_exception();
    }
  };
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(slice, w);
  slice(0);
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace iotreg::dns::detail
