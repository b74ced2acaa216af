#include "server/dns_listener.hpp"

#include "dns/message.hpp"
#include "server/listen.hpp"
#include "server/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <stdexcept>
#include <vector>

namespace iotreg::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

struct dns_listener::state {
  asio::io_context& io;
  udp::socket udp_socket;  // used on its strand only
  tcp::acceptor acceptor;  // used on its strand only
  snapshot_source zone;
  std::vector<asio::ip::address> transfer_allow;
  std::chrono::seconds tcp_idle_timeout;
  session_registry& sessions;
  std::string name;
  std::uint16_t port = 0;
  const dns::tsig_key* transfer_key = nullptr;
  journal_source journal;
};

namespace {

using state = dns_listener::state;

/// A v4-mapped IPv6 address as IPv4, so "192.0.2.1" in the allow list matches on a dual-stack
/// socket.
asio::ip::address normalize(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

bool transfer_allowed(const state& st, const asio::ip::address& from) {
  const auto a = normalize(from);
  return std::find(st.transfer_allow.begin(), st.transfer_allow.end(), a) != st.transfer_allow.end();
}

/// The answers to one message; none if it must be dropped. A failure inside the dns module
/// drops that one message (logged), never the listener: this is the per-message boundary.
std::vector<std::vector<std::uint8_t>> answer(const state& st, std::span<const std::uint8_t> q,
                                              const dns::query_context& ctx, const std::string& from) {
  try {
    const auto zone = st.zone ? st.zone() : nullptr;
    // The journal only matters for IXFR; loading it is one atomic load, cheaper than a check.
    const auto journal = st.journal ? st.journal() : nullptr;
    dns::query_context with_journal = ctx;
    with_journal.ixfr_journal = journal.get();
    return dns::handle_message(zone.get(), q, with_journal);
  } catch (const std::exception& e) {
    logger()->error("dns {}: query from {} failed: {}", st.name, from, e.what());
    return {};
  }
}

asio::awaitable<void> udp_loop(std::shared_ptr<state> st) {
  // 65535: the largest datagram; the dns module applies the EDNS size to answers.
  std::vector<std::uint8_t> buf(65535);
  for (;;) {
    udp::endpoint from;
    auto [ec, n] = co_await st->udp_socket.async_receive_from(asio::buffer(buf), from,
                                                              asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !st->udp_socket.is_open()) co_return;
    if (ec) {
      // E.g. ECONNREFUSED from an ICMP error of an earlier answer: not this socket's fault.
      logger()->debug("dns {}: udp receive: {}", st->name, ec.message());
      continue;
    }
    const dns::query_context ctx{dns::transport::udp, transfer_allowed(*st, from.address()),
                                 st->transfer_key};
    const auto peer = to_string(from.address(), from.port());
    auto answers = answer(*st, std::span<const std::uint8_t>(buf.data(), n), ctx, peer);
    if (answers.empty()) continue;
    auto [sec, sent] = co_await st->udp_socket.async_send_to(asio::buffer(answers.front()), from,
                                                             asio::as_tuple(asio::use_awaitable));
    if (sec == asio::error::operation_aborted) co_return;
    if (sec) logger()->debug("dns {}: udp send to {}: {}", st->name, peer, sec.message());
  }
}

class tcp_connection final : public session_handle, public std::enable_shared_from_this<tcp_connection> {
 public:
  tcp_connection(std::shared_ptr<state> st, tcp::socket socket)
      : st_(std::move(st)), stream_(std::move(socket)) {}

  void shutdown() override {
    closing_ = true;
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->stream_.cancel();
    });
  }

  asio::awaitable<void> run();

 private:
  std::shared_ptr<state> st_;
  beast::tcp_stream stream_;
  std::atomic<bool> closing_{false};
  bool idle_ = false;  // waiting for the next query; touched on the strand only
};

asio::awaitable<void> tcp_connection::run() {
  boost::system::error_code ec;
  const auto ep = stream_.socket().remote_endpoint(ec);
  if (ec) co_return;
  const auto peer = to_string(ep.address(), ep.port());
  const dns::query_context ctx{dns::transport::tcp, transfer_allowed(*st_, ep.address()), st_->transfer_key};
  const auto timeout = st_->tcp_idle_timeout;

  // RFC 7766: several queries per connection, each framed by a 2-byte length.
  std::vector<std::uint8_t> query;
  for (;;) {
    std::array<std::uint8_t, 2> len{};
    idle_ = true;
    if (closing_) break;
    stream_.expires_after(timeout);
    std::size_t n = 0;
    std::tie(ec, n) =
        co_await asio::async_read(stream_, asio::buffer(len), asio::as_tuple(asio::use_awaitable));
    idle_ = false;
    if (ec) break;
    const std::size_t size = std::size_t{len[0]} << 8 | len[1];
    if (size < 12) break;  // shorter than a DNS header: not a DNS peer
    query.resize(size);
    stream_.expires_after(timeout);
    std::tie(ec, n) =
        co_await asio::async_read(stream_, asio::buffer(query), asio::as_tuple(asio::use_awaitable));
    if (ec) break;

    const auto answers = answer(*st_, query, ctx, peer);
    for (const auto& msg : answers) {
      if (msg.size() > 0xFFFF) {
        logger()->error("dns {}: answer to {} of {} bytes does not fit TCP framing", st_->name, peer,
                        msg.size());
        co_return;
      }
      const std::array<std::uint8_t, 2> out_len{static_cast<std::uint8_t>(msg.size() >> 8),
                                                static_cast<std::uint8_t>(msg.size() & 0xFF)};
      const std::array<asio::const_buffer, 2> bufs{asio::buffer(out_len), asio::buffer(msg)};
      stream_.expires_after(timeout);
      std::tie(ec, n) = co_await asio::async_write(stream_, bufs, asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  }
  // Half-close first so the peer reads everything already sent.
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

asio::awaitable<void> tcp_session(std::shared_ptr<state> st, tcp::socket socket) {
  auto c = std::make_shared<tcp_connection>(st, std::move(socket));
  const auto ticket = st->sessions.add(c);
  co_await c->run();
}

void log_failure(const std::string& what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    logger()->error("{}: {}", what, x.what());
  } catch (...) {
    logger()->error("{}: unknown exception", what);
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<state> st) {
  for (;;) {
    auto [ec, socket] =
        co_await st->acceptor.async_accept(asio::make_strand(st->io), asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !st->acceptor.is_open()) co_return;
    if (ec) {
      logger()->warn("dns {}: accept failed: {}", st->name, ec.message());
      asio::steady_timer pause(st->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    auto ex = socket.get_executor();
    asio::co_spawn(ex, tcp_session(st, std::move(socket)), [name = st->name](std::exception_ptr e) {
      log_failure("dns " + name + ": tcp session failed", std::move(e));
    });
  }
}

std::vector<asio::ip::address> parse_allow_list(const std::vector<std::string>& list) {
  std::vector<asio::ip::address> out;
  for (const auto& s : list) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(s, ec);
    if (ec) throw std::runtime_error("dns transfer_allow: '" + s + "' is not an IP address");
    out.push_back(normalize(a));
  }
  return out;
}

}  // namespace

dns_listener::dns_listener(asio::io_context& io, const dns_options& opts, snapshot_source zone,
                           session_registry& sessions, journal_source journal) {
  state_ = std::make_shared<state>(state{io,
                                         udp::socket(asio::make_strand(io)),
                                         tcp::acceptor(asio::make_strand(io)),
                                         std::move(zone),
                                         parse_allow_list(opts.transfer_allow),
                                         opts.tcp_idle_timeout,
                                         sessions,
                                         {},
                                         0,
                                         opts.transfer_key,
                                         std::move(journal)});
  // TCP first: with port 0 it picks the port, which UDP then takes too. Another process may
  // hold that UDP port already, so try a few ephemeral ports before giving up.
  const int attempts = opts.listen.port == 0 ? 10 : 1;
  for (int i = 1;; ++i) {
    open_acceptor(state_->acceptor, opts.listen);
    endpoint udp_ep = opts.listen;
    udp_ep.port = state_->acceptor.local_endpoint().port();
    try {
      open_udp(state_->udp_socket, udp_ep);
      break;
    } catch (const std::exception&) {
      boost::system::error_code ignored;
      state_->acceptor.close(ignored);
      state_->udp_socket.close(ignored);
      if (i == attempts) throw;
    }
  }
  const auto local = state_->acceptor.local_endpoint();
  state_->port = local.port();
  state_->name = to_string(local.address(), local.port());
}

dns_listener::~dns_listener() = default;

std::uint16_t dns_listener::port() const { return state_->port; }

void dns_listener::start() {
  logger()->info("dns: listening on {} (udp, tcp)", state_->name);
  asio::co_spawn(state_->udp_socket.get_executor(), udp_loop(state_),
                 [name = state_->name](std::exception_ptr e) {
                   log_failure("dns " + name + ": udp loop failed", std::move(e));
                 });
  asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_),
                 [name = state_->name](std::exception_ptr e) {
                   log_failure("dns " + name + ": accept loop failed", std::move(e));
                 });
}

void dns_listener::stop() {
  const auto st = state_;
  asio::post(st->udp_socket.get_executor(), [st] {
    boost::system::error_code ignored;
    st->udp_socket.close(ignored);
  });
  asio::post(st->acceptor.get_executor(), [st] {
    boost::system::error_code ignored;
    st->acceptor.close(ignored);
  });
}

}  // namespace iotreg::server
