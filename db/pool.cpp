#include "db/pool.hpp"

#include "db/log.hpp"
#include "db/statements.hpp"

#include <pqxx/except>

#include <utility>

namespace iotreg::db {

pool::pool(std::string dsn, std::size_t size, std::chrono::milliseconds statement_timeout)
    : dsn_(std::move(dsn)), size_(size), statement_timeout_(statement_timeout) {
  if (size_ == 0) throw std::invalid_argument{"db::pool: size must be at least 1"};
  idle_.reserve(size_);
}

pool::~pool() = default;

pool::lease pool::acquire(std::chrono::milliseconds timeout) {
  {
    std::unique_lock lock{mutex_};
    const bool ready = freed_.wait_for(lock, timeout, [&] { return !idle_.empty() || open_ < size_; });
    if (!ready) {
      throw pool_timeout{"db::pool: no connection free after " + std::to_string(timeout.count()) +
                         " ms (size " + std::to_string(size_) + ")"};
    }
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return lease{*this, std::move(c)};
    }
    ++open_;  // reserve the slot; connect outside the lock
  }
  try {
    auto c = std::make_unique<pqxx::connection>(dsn_);
    stmt::prepare_all(*c);
    detail::log()->debug("db: opened connection to database {} on {}", c->dbname(),
                         c->hostname() ? c->hostname() : "(default)");
    return lease{*this, std::move(c)};
  } catch (...) {
    give_back(nullptr);  // frees the reserved slot
    throw;
  }
}

std::size_t pool::open_connections() const {
  std::lock_guard lock{mutex_};
  return open_;
}

void pool::give_back(std::unique_ptr<pqxx::connection> c) noexcept {
  {
    std::lock_guard lock{mutex_};
    if (c) {
      idle_.push_back(std::move(c));  // reserved at construction: does not throw
    } else {
      --open_;
    }
  }
  freed_.notify_one();
}

pool::lease::lease(lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)), discard_(other.discard_) {}

pool::lease& pool::lease::operator=(lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    conn_ = std::move(other.conn_);
    discard_ = other.discard_;
  }
  return *this;
}

pool::lease::~lease() { release(); }

void pool::lease::release() noexcept {
  if (pool_ == nullptr) return;
  auto* p = std::exchange(pool_, nullptr);
  if (discard_ || !conn_ || !conn_->is_open()) {
    if (discard_) detail::log()->warn("db: dropping a broken connection; the next acquire reopens");
    conn_.reset();  // closing may block briefly; done outside the pool's lock
    p->give_back(nullptr);
  } else {
    p->give_back(std::move(conn_));
  }
}

}  // namespace iotreg::db
