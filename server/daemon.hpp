#pragma once
// The runtime of iotregd: io threads, the work pool, the listeners, signals, sd_notify and
// graceful shutdown (STYLE.md §5.4, §5.8).

#include "api/router.hpp"
#include "server/options.hpp"
#include "server/session_registry.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace iotreg::server {

class https_listener;
class dns_listener;
class notify_sender;

class daemon {
 public:
  /// `io_threads` run the io_context (TLS, HTTP, DNS); `work_threads` run blocking use cases
  /// (size it to the database pool). Both at least 1.
  daemon(unsigned io_threads, unsigned work_threads);
  ~daemon();
  daemon(const daemon&) = delete;
  daemon& operator=(const daemon&) = delete;

  /// Binds an HTTPS listener now; it accepts once run() starts. `router` must outlive the
  /// daemon. @returns the bound port (the chosen one when `opts.listen.port` is 0).
  /// @throws std::runtime_error "cannot listen on 127.0.0.1:8443: Address already in use", or
  /// naming an unreadable certificate or key file. Call before run().
  std::uint16_t add_https(const https_options& opts, api::router& router);

  /// Binds a DNS listener (UDP + TCP, same port) now. @returns the bound port.
  /// @throws std::runtime_error as add_https. Call before run().
  std::uint16_t add_dns(const dns_options& opts, snapshot_source zone, journal_source journal = {});

  /// Adds NOTIFY to secondaries (started by run(), stopped with the listeners). @returns the
  /// sender: call its published() for each new serial (thread-safe). @throws std::runtime_error
  /// on a bad target address. Call before run().
  notify_sender& add_notify(const notify_options& opts, snapshot_source zone);

  /// The pool blocking work runs on; other components may post to it.
  boost::asio::thread_pool& work_pool();

  /// Starts the listeners and the io threads, sends sd_notify READY=1, and blocks until SIGINT,
  /// SIGTERM or stop(). Then: STOPPING=1, stops accepting, asks sessions to finish (idle ones
  /// close at once, busy ones after their response), waits up to 10 s for them (a second signal
  /// cuts the wait short), stops the io threads, lets the work pool finish what it runs, and
  /// returns. Call once, from one thread.
  void run();

  /// Asks run() to return. Thread-safe; may be called before run() (run() then returns at once).
  void stop();

 private:
  // Declaration order is destruction order reversed: sessions_ outlives io_, whose pending
  // coroutine frames hold session tickets; io_ outlives the listeners' sockets.
  session_registry sessions_;
  boost::asio::io_context io_;
  boost::asio::thread_pool work_;
  std::vector<std::unique_ptr<https_listener>> https_;
  std::vector<std::unique_ptr<dns_listener>> dns_;
  std::vector<std::unique_ptr<notify_sender>> notify_;
  unsigned io_threads_;

  std::mutex mutex_;
  std::condition_variable stop_cv_;
  unsigned stop_requests_ = 0;  // guarded by mutex_
};

}  // namespace iotreg::server
