#pragma once
// The authoritative DNS listener: UDP and TCP on one address and port. Answers come from
// dns::handle_message (dns/message.hpp); this file only moves bytes.

#include "server/options.hpp"
#include "server/session_registry.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>

namespace iotreg::server {

class dns_listener {
 public:
  /// Binds TCP and UDP on the same port (with port 0: one ephemeral port free for both).
  /// @throws std::runtime_error "cannot listen on 127.0.0.1:53: Permission denied", or on an
  /// invalid transfer_allow address. `sessions` must outlive the io_context's handlers.
  /// `journal` (optional) serves IXFR incrementally (dns::handle_message).
  dns_listener(boost::asio::io_context& io, const dns_options& opts, snapshot_source zone,
               session_registry& sessions, journal_source journal = {});
  ~dns_listener();
  dns_listener(const dns_listener&) = delete;
  dns_listener& operator=(const dns_listener&) = delete;

  std::uint16_t port() const;

  /// Starts the UDP receive loop and the TCP accept loop. Call once.
  void start();

  /// Stops receiving UDP and accepting TCP; open TCP connections are left to the session
  /// registry. Thread-safe.
  void stop();

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace iotreg::server
