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

/// Calls f(i) for every i in [0, count), each on its own thread (the caller's thread runs f(0)).
/// For a handful of coarse tasks (count <= build_threads()). Blocks until all are done; if any
/// throws, rethrows the first exception after every thread has finished.
template <class F>
void parallel_tasks(std::size_t count, F&& f) {
  std::vector<std::exception_ptr> errors(count);
  std::vector<std::thread> threads;
  threads.reserve(count > 0 ? count - 1 : 0);
  const auto task = [&](std::size_t i) {
    try {
      f(i);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  for (std::size_t i = 1; i < count; ++i) threads.emplace_back(task, i);
  if (count > 0) task(0);
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

/// std::stable_sort of [first, last) by `less`: slices sorted on up to build_threads() threads,
/// then merged pairwise (std::inplace_merge keeps the earlier slice first among equals, so the
/// result is stable). `less` must be safe to call concurrently. Exceptions as parallel_tasks.
template <class It, class Less>
void parallel_stable_sort(It first, It last, Less less) {
  const auto n = static_cast<std::size_t>(last - first);
  const std::size_t slices = std::min<std::size_t>(build_threads(), std::max<std::size_t>(1, n / 4096));
  if (slices <= 1) {
    std::stable_sort(first, last, less);
    return;
  }
  const auto at = [&](std::size_t s) { return first + static_cast<std::ptrdiff_t>(n * s / slices); };
  parallel_tasks(slices, [&](std::size_t s) { std::stable_sort(at(s), at(s + 1), less); });
  // Each round merges neighbouring runs, doubling their length; a round's merges run in parallel.
  for (std::size_t width = 1; width < slices; width *= 2) {
    const std::size_t merges = (slices + 2 * width - 1) / (2 * width);
    parallel_tasks(merges, [&](std::size_t m) {
      const std::size_t lo = m * 2 * width;
      const std::size_t mid = std::min(slices, lo + width);
      const std::size_t hi = std::min(slices, lo + 2 * width);
      if (mid < hi) std::inplace_merge(at(lo), at(mid), at(hi), less);
    });
  }
}

}  // namespace iotreg::dns::detail
