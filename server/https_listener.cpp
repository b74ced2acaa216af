#include "server/https_listener.hpp"

#include "server/https_session.hpp"
#include "server/listen.hpp"
#include "server/log.hpp"
#include "server/tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace iotreg::server {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct https_listener::state {
  asio::io_context& io;
  tcp::acceptor acceptor;  // used on its strand only
  std::shared_ptr<https_shared> shared;
  std::string name;  // "127.0.0.1:8443"
  std::uint16_t port = 0;
};

namespace {

asio::awaitable<void> accept_loop(std::shared_ptr<https_listener::state> st) {
  for (;;) {
    auto [ec, socket] =
        co_await st->acceptor.async_accept(asio::make_strand(st->io), asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !st->acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off instead of spinning; the error clears when connections
      // close.
      logger()->warn("https {}: accept failed: {}", st->name, ec.message());
      asio::steady_timer pause(st->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    auto ex = socket.get_executor();
    asio::co_spawn(ex, run_https_session(st->shared, std::move(socket)),
                   [name = st->name](std::exception_ptr e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& x) {
                       logger()->error("https {}: session failed: {}", name, x.what());
                     } catch (...) {
                       logger()->error("https {}: session failed", name);
                     }
                   });
  }
}

}  // namespace

https_listener::https_listener(asio::io_context& io, const https_options& opts, api::router& router,
                               asio::thread_pool& work, session_registry& sessions) {
  auto shared = std::make_shared<https_shared>(
      https_shared{make_server_tls_context(opts.cert_chain_file, opts.key_file, opts.client_ca_pem), router,
                   work, sessions, opts});
  state_ = std::make_shared<state>(state{io, tcp::acceptor(asio::make_strand(io)), std::move(shared), {}});
  open_acceptor(state_->acceptor, opts.listen);
  const auto local = state_->acceptor.local_endpoint();
  state_->name = to_string(local.address(), local.port());
  state_->port = local.port();
}

https_listener::~https_listener() = default;

std::uint16_t https_listener::port() const { return state_->port; }

void https_listener::start() {
  logger()->info("https: listening on {}", state_->name);
  asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_),
                 [name = state_->name](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& x) {
                     logger()->critical("https {}: accept loop failed: {}", name, x.what());
                   }
                 });
}

void https_listener::stop() {
  asio::post(state_->acceptor.get_executor(), [st = state_] {
    boost::system::error_code ignored;
    st->acceptor.close(ignored);
  });
}

}  // namespace iotreg::server
