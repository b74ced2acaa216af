#pragma once
// The periodic expiry sweep (issue 4 item 4): the TLSA of an expired certificate leaves the zone
// even if its device never confirmed a successor. Runs registry_service::sweep_expired() on a
// thread of its own; several nodes may sweep at once (the store locks per device).

#include "registry/registry_service.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace iotreg::registry {

/// @par Thread safety: start() and stop() from one owner thread.
class expiry_sweeper {
 public:
  /// `service` must outlive the sweeper.
  expiry_sweeper(registry_service& service, std::chrono::seconds interval)
      : service_(service), interval_(interval) {}
  ~expiry_sweeper() { stop(); }
  expiry_sweeper(const expiry_sweeper&) = delete;
  expiry_sweeper& operator=(const expiry_sweeper&) = delete;

  /// Sweeps now, then every `interval` until stop(). A failed sweep (database down) is logged
  /// and retried at the next tick.
  void start();
  void stop();

 private:
  void sweep_once() noexcept;

  registry_service& service_;
  std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace iotreg::registry
