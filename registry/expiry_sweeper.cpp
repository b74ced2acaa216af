#include "registry/expiry_sweeper.hpp"

#include "registry/log.hpp"

namespace iotreg::registry {

void expiry_sweeper::sweep_once() noexcept {
  try {
    service_.sweep_expired();
  } catch (const std::exception& e) {
    logger()->error("expiry sweep failed (retried in {} s): {}", interval_.count(), e.what());
  }
}

void expiry_sweeper::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    do {
      lock.unlock();
      sweep_once();
      lock.lock();
    } while (!cv_.wait_for(lock, interval_, [this] { return stopping_; }));
  });
}

void expiry_sweeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace iotreg::registry
