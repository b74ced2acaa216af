#pragma once
// The live connections of the daemon, so shutdown can ask them to finish and wait for them
// (STYLE.md §5.8).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace iotreg::server {

/// A connection that can be asked to finish.
class session_handle {
 public:
  virtual ~session_handle() = default;
  /// Asks the session to finish: close if idle, else after the current response. Called from
  /// any thread; implementations post to their own strand.
  virtual void shutdown() = 0;
};

/// @par Thread Safety: all members may be called concurrently.
class session_registry {
 public:
  /// Keeps a session registered while alive; move-only. Must not outlive the registry.
  class ticket {
   public:
    ticket() = default;
    ticket(ticket&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), id_(o.id_) {}
    ticket& operator=(ticket&&) = delete;
    ~ticket();

   private:
    friend class session_registry;
    ticket(session_registry* owner, std::uint64_t id) : owner_(owner), id_(id) {}
    session_registry* owner_ = nullptr;
    std::uint64_t id_ = 0;
  };

  /// Registers a session until the ticket is destroyed. After shutdown_all(), the session is
  /// asked to shut down at once.
  [[nodiscard]] ticket add(const std::shared_ptr<session_handle>& s);

  /// Asks every live session (and every later one) to finish.
  void shutdown_all();

  /// Waits until no session is registered, `timeout` passes, or wake() is called.
  /// @returns true if none is left.
  bool wait_empty_for(std::chrono::steady_clock::duration timeout);

  /// Ends a wait_empty_for early (a second stop signal).
  void wake();

  std::size_t size() const;

 private:
  void remove(std::uint64_t id);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  // Guarded by mutex_.
  std::unordered_map<std::uint64_t, std::weak_ptr<session_handle>> live_;
  std::uint64_t next_id_ = 0;
  bool closing_ = false;
  bool woken_ = false;
};

}  // namespace iotreg::server
