#include "server/daemon.hpp"

#include "server/dns_listener.hpp"
#include "server/https_listener.hpp"
#include "server/log.hpp"
#include "server/notify_sender.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <csignal>
#include <thread>

namespace iotreg::server {
namespace asio = boost::asio;

namespace {

constexpr std::chrono::seconds drain_timeout{10};

void notify_systemd(const char* state) {
  // Without NOTIFY_SOCKET (not under systemd) this does nothing and returns 0.
  if (const int r = sd_notify(0, state); r < 0)
    logger()->warn("sd_notify({}) failed: {}", state, std::strerror(-r));
}

void arm_signals(asio::signal_set& signals, daemon& d) {
  signals.async_wait([&signals, &d](const boost::system::error_code& ec, int sig) {
    if (ec) return;  // cancelled at shutdown
    logger()->info("signal {} received: stopping", sig);
    d.stop();
    arm_signals(signals, d);  // a second signal cuts the drain short
  });
}

}  // namespace

daemon::daemon(unsigned io_threads, unsigned work_threads)
    : io_(static_cast<int>(std::max(io_threads, 1u))),
      work_(std::max(work_threads, 1u)),
      io_threads_(std::max(io_threads, 1u)) {}

daemon::~daemon() = default;

std::uint16_t daemon::add_https(const https_options& opts, api::router& router) {
  https_.push_back(std::make_unique<https_listener>(io_, opts, router, work_, sessions_));
  return https_.back()->port();
}

std::uint16_t daemon::add_dns(const dns_options& opts, snapshot_source zone, journal_source journal) {
  dns_.push_back(std::make_unique<dns_listener>(io_, opts, std::move(zone), sessions_, std::move(journal)));
  return dns_.back()->port();
}

notify_sender& daemon::add_notify(const notify_options& opts, snapshot_source zone) {
  notify_.push_back(std::make_unique<notify_sender>(io_, opts, std::move(zone)));
  return *notify_.back();
}

asio::thread_pool& daemon::work_pool() { return work_; }

void daemon::stop() {
  {
    std::lock_guard lock(mutex_);
    ++stop_requests_;
  }
  stop_cv_.notify_all();
  // The second request ends the drain at once.
  bool again = false;
  {
    std::lock_guard lock(mutex_);
    again = stop_requests_ > 1;
  }
  if (again) sessions_.wake();
}

void daemon::run() {
  asio::signal_set signals(io_, SIGINT, SIGTERM);
  arm_signals(signals, *this);
  for (auto& l : https_) l->start();
  for (auto& l : dns_) l->start();
  for (auto& n : notify_) n->start();

  auto guard = asio::make_work_guard(io_);
  std::vector<std::thread> threads;
  threads.reserve(io_threads_);
  for (unsigned i = 0; i < io_threads_; ++i) {
    threads.emplace_back([this] {
      for (;;) {
        try {
          io_.run();
          return;
        } catch (const std::exception& e) {
          // Completion handlers catch their own errors; reaching here is a bug. Keep serving.
          logger()->critical("io thread: unhandled exception: {}", e.what());
        }
      }
    });
  }

  notify_systemd("READY=1");
  logger()->info("iotregd ready ({} io threads)", io_threads_);
  {
    std::unique_lock lock(mutex_);
    stop_cv_.wait(lock, [this] { return stop_requests_ > 0; });
  }

  notify_systemd("STOPPING=1");
  logger()->info("stopping: closing listeners, {} connections open", sessions_.size());
  for (auto& l : https_) l->stop();
  for (auto& l : dns_) l->stop();
  for (auto& n : notify_) n->stop();
  sessions_.shutdown_all();
  if (!sessions_.wait_empty_for(drain_timeout))
    logger()->warn("stopping: {} connections still open, closing them", sessions_.size());

  asio::post(io_, [&signals] { signals.cancel(); });
  guard.reset();
  io_.stop();
  for (auto& t : threads) t.join();
  // Use cases already running finish (a half-done enrollment is the database's business, but
  // its transaction should not be cut); their completions go nowhere.
  work_.join();
  logger()->info("stopped");
}

}  // namespace iotreg::server
