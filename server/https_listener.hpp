#pragma once
// The HTTPS listener: accepts TLS connections and runs one session coroutine per connection,
// each on its own strand (STYLE.md §5.1).

#include "api/router.hpp"
#include "server/options.hpp"
#include "server/session_registry.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <memory>

namespace iotreg::server {

class https_listener {
 public:
  /// Loads the TLS material and binds the socket.
  /// @throws std::runtime_error "cannot listen on 127.0.0.1:8443: Address already in use", or
  /// naming the certificate or key file that failed to load.
  /// `router`, `work` and `sessions` must outlive every session (the daemon's io_context).
  https_listener(boost::asio::io_context& io, const https_options& opts, api::router& router,
                 boost::asio::thread_pool& work, session_registry& sessions);
  ~https_listener();
  https_listener(const https_listener&) = delete;
  https_listener& operator=(const https_listener&) = delete;

  /// The bound port (useful when the configured port was 0).
  std::uint16_t port() const;

  /// Starts accepting. Call once.
  void start();

  /// Stops accepting; existing sessions continue. Thread-safe.
  void stop();

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace iotreg::server
