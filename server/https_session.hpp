#pragma once
// One HTTPS connection: TLS handshake, then HTTP/1.1 requests with keep-alive (internal to
// server/).

#include "api/router.hpp"
#include "server/options.hpp"
#include "server/session_registry.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>

namespace iotreg::server {

/// What every session of one listener shares; sessions keep it alive.
struct https_shared {
  boost::asio::ssl::context tls;
  api::router& router;
  boost::asio::thread_pool& work;
  session_registry& sessions;
  https_options opts;
};

/// Serves one accepted connection until the peer closes, a deadline passes, an error occurs or
/// shutdown is asked. Run it with co_spawn on the socket's strand. Throws only on internal
/// errors (the caller logs them and drops the connection).
boost::asio::awaitable<void> run_https_session(std::shared_ptr<https_shared> shared,
                                               boost::asio::ip::tcp::socket socket);

}  // namespace iotreg::server
