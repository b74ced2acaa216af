#include "server/session_registry.hpp"

#include <vector>

namespace iotreg::server {

session_registry::ticket::~ticket() {
  if (owner_) owner_->remove(id_);
}

session_registry::ticket session_registry::add(const std::shared_ptr<session_handle>& s) {
  bool closing = false;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = ++next_id_;
    live_.emplace(id, s);
    closing = closing_;
  }
  if (closing) s->shutdown();
  return ticket{this, id};
}

void session_registry::shutdown_all() {
  std::vector<std::shared_ptr<session_handle>> sessions;
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    for (auto& [id, weak] : live_)
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
  }
  // Outside the lock: a session released here may be the last owner of its state.
  for (auto& s : sessions) s->shutdown();
}

bool session_registry::wait_empty_for(std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return live_.empty() || woken_; });
  return live_.empty();
}

void session_registry::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  changed_.notify_all();
}

std::size_t session_registry::size() const {
  std::lock_guard lock(mutex_);
  return live_.size();
}

void session_registry::remove(std::uint64_t id) {
  {
    std::lock_guard lock(mutex_);
    live_.erase(id);
  }
  changed_.notify_all();
}

}  // namespace iotreg::server
