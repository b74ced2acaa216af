#include "server/https_session.hpp"

#include "api/problem.hpp"
#include "server/http_date.hpp"
#include "server/listen.hpp"
#include "server/log.hpp"
#include "server/offload.hpp"
#include "server/tls_context.hpp"

#include <openssl/crypto.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>

namespace iotreg::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t header_limit = 16 * 1024;
// Bounds how long a closing connection may hold its slot waiting for the peer's close_notify.
constexpr std::chrono::seconds close_timeout{3};

/// 16 random hex digits: unique enough to find a request in the logs.
std::string make_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

/// The path of a request target without its query, which may carry things not meant for logs.
std::string_view log_path(std::string_view target) { return target.substr(0, target.find('?')); }

/// Wipes a message body when the exchange ends, whichever way: request and response bodies may
/// hold secrets (the password sent for server-side key generation, the key sent back).
class body_wiper {
 public:
  explicit body_wiper(std::string& body) noexcept : body_(body) {}
  body_wiper(const body_wiper&) = delete;
  body_wiper& operator=(const body_wiper&) = delete;
  ~body_wiper() { OPENSSL_cleanse(body_.data(), body_.size()); }

 private:
  std::string& body_;
};

class session final : public session_handle, public std::enable_shared_from_this<session> {
 public:
  session(std::shared_ptr<https_shared> shared, tcp::socket socket)
      : shared_(std::move(shared)), stream_(std::move(socket), shared_->tls) {}
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session() override {
    buffer_.clear();
    wipe_read_buffer();
  }

  void shutdown() override {
    closing_ = true;
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      // Only a session waiting for a request is interrupted; one in the middle of a request
      // finishes it and closes after the response.
      if (self->idle_) beast::get_lowest_layer(self->stream_).cancel();
    });
  }

  asio::awaitable<void> run();

 private:
  using response = api::response;

  asio::awaitable<void> send(response& res);
  asio::awaitable<void> send_problem_and_close(http::status status, std::string_view slug,
                                               std::string_view title, std::string_view detail);
  asio::awaitable<void> close();
  asio::awaitable<void> close_after_unread_request();
  void arm_read_deadline(clock::time_point deadline);
  /// Wipes the whole storage of buffer_ when it holds no unread bytes: the raw request (body
  /// included) stays there after parsing until overwritten.
  void wipe_read_buffer() noexcept;
  void log_request(const api::request& req, unsigned status, clock::time_point start,
                   std::string_view id) const;

  std::shared_ptr<https_shared> shared_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::string remote_;
  std::string client_cert_der_;  // verified TLS client certificate, DER; empty if none
  std::string peer_cert_der_;    // TLS client certificate, verified or not, DER; empty if none
  std::atomic<bool> closing_{false};
  // Touched on the strand only:
  bool idle_ = false;          // waiting for a handshake or a request
  bool reading_ = false;       // a request read is under read_timer_
  bool read_expired_ = false;  // read_timer_ fired and cancelled the read
  asio::steady_timer read_timer_{stream_.get_executor()};
};

asio::awaitable<void> session::run() {
  auto& tcp_layer = beast::get_lowest_layer(stream_);
  boost::system::error_code ec;
  const auto peer = tcp_layer.socket().remote_endpoint(ec);
  remote_ = ec ? std::string("?") : to_string(peer.address(), peer.port());
  const auto& opts = shared_->opts;

  idle_ = true;
  if (closing_) co_return;
  tcp_layer.expires_after(opts.handshake_timeout);
  std::tie(ec) =
      co_await stream_.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    logger()->debug("https {}: handshake failed: {}", remote_, ec.message());
    co_return;
  }
  // Read once: TLS renegotiation is off, so the peer certificate cannot change on a connection.
  client_cert_der_ = verified_peer_certificate(stream_.native_handle());
  peer_cert_der_ = peer_certificate(stream_.native_handle());

  for (;;) {
    http::request_parser<http::string_body> parser;
    const body_wiper request_wiper(parser.get().body());
    parser.header_limit(header_limit);
    parser.body_limit(opts.max_body_bytes);

    // One deadline for the whole request (header and body): a slow sender cannot stretch it.
    const auto deadline = clock::now() + opts.read_timeout;
    idle_ = true;
    if (closing_) break;
    // Reads are bounded by read_timer_, which cancels rather than closes (as tcp_stream's own
    // timeout would), so a half-received request can still be answered with 408.
    arm_read_deadline(deadline);
    tcp_layer.expires_never();
    std::size_t n = 0;
    std::tie(ec, n) =
        co_await http::async_read_header(stream_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
    idle_ = false;
    const auto start = clock::now();

    if (!ec && beast::iequals(parser.get()[http::field::expect], "100-continue") && !parser.is_done()) {
      // The body fits (the parser refuses a larger Content-Length at the header): ask for it.
      http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
      tcp_layer.expires_after(opts.read_timeout);
      std::tie(ec, n) = co_await http::async_write(stream_, cont, asio::as_tuple(asio::use_awaitable));
      if (ec) {
        reading_ = false;
        read_timer_.cancel();
        co_return;
      }
    }
    if (!ec && !parser.is_done()) {
      tcp_layer.expires_never();
      std::tie(ec, n) =
          co_await http::async_read(stream_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
    }
    reading_ = false;
    read_timer_.cancel();
    if (ec == asio::error::operation_aborted && read_expired_) ec = beast::error::timeout;

    if (ec == http::error::body_limit) {
      co_await send_problem_and_close(http::status::payload_too_large, "payload-too-large",
                                      "Payload too large",
                                      "the body exceeds " + std::to_string(opts.max_body_bytes) + " bytes");
      co_return;
    }
    if (ec == http::error::header_limit) {
      co_await send_problem_and_close(
          http::status::request_header_fields_too_large, "invalid-request", "Request header too large",
          "the request header exceeds " + std::to_string(header_limit) + " bytes");
      co_return;
    }
    if (ec == beast::error::timeout) {
      // A request started but not finished in time gets an answer; an idle keep-alive
      // connection (or a silent one) is just closed.
      if (parser.got_some())
        co_await send_problem_and_close(http::status::request_timeout, "request-timeout", "Request timeout",
                                        "the request was not received in time");
      else
        co_await close();
      co_return;
    }
    if (ec && ec.category() == boost::system::error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      co_await send_problem_and_close(http::status::bad_request, "invalid-request", "Invalid request",
                                      "malformed HTTP request");
      co_return;
    }
    if (ec == http::error::end_of_stream || (ec == asio::error::operation_aborted && closing_)) {
      co_await close();
      co_return;
    }
    if (ec) {
      // Reset, truncated TLS, cancelled by shutdown: nothing to answer.
      logger()->debug("https {}: read ended: {}", remote_, ec.message());
      co_return;
    }

    const api::request& req = parser.get();
    const api::request_info info{make_request_id(), remote_, client_cert_der_, peer_cert_der_};
    response res = co_await offload(shared_->work, [&] { return shared_->router.handle(req, info); });
    const body_wiper response_wiper(res.body());
    if (closing_) res.keep_alive(false);
    log_request(req, res.result_int(), start, info.request_id);

    res.set(http::field::date, http_date_now());  // RFC 9110 §6.6.1: every reply, at send time
    tcp_layer.expires_after(opts.read_timeout);
    std::tie(ec, n) = co_await http::async_write(stream_, res, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      logger()->debug("https {}: write failed: {}", remote_, ec.message());
      co_return;
    }
    wipe_read_buffer();
    if (res.need_eof()) {
      co_await close();
      co_return;
    }
  }
  co_await close();
}

void session::wipe_read_buffer() noexcept {
  if (buffer_.size() != 0) return;  // a pipelined request: its bytes are still to be read
  buffer_.clear();
  // After clear() the writable area starts at the beginning of the storage: all of it.
  const auto area = buffer_.prepare(buffer_.capacity());
  OPENSSL_cleanse(area.data(), area.size());
}

asio::awaitable<void> session::send_problem_and_close(http::status status, std::string_view slug,
                                                      std::string_view title, std::string_view detail) {
  const auto id = make_request_id();
  response res = api::make_problem(status, slug, title, detail, id);
  res.keep_alive(false);
  res.set(http::field::date, http_date_now());
  res.prepare_payload();
  logger()->info("https {}: {} {} (request {})", remote_, res.result_int(), title, id);
  beast::get_lowest_layer(stream_).expires_after(shared_->opts.read_timeout);
  auto [ec, n] = co_await http::async_write(stream_, res, asio::as_tuple(asio::use_awaitable));
  if (!ec) co_await close_after_unread_request();
}

asio::awaitable<void> session::close() {
  // close_notify, then wait (bounded) for the peer's; errors here change nothing.
  beast::get_lowest_layer(stream_).expires_after(close_timeout);
  boost::system::error_code ignored;
  std::tie(ignored) = co_await stream_.async_shutdown(asio::as_tuple(asio::use_awaitable));
  beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(stream_).close();
}

asio::awaitable<void> session::close_after_unread_request() {
  // The refused request's body may still be arriving. Closing a socket with unread bytes makes the
  // kernel send a reset, which can destroy the reply in the client's receive buffer before the
  // client reads it (RFC 9112 §9.6). So: close_notify, FIN, then read and drop whatever still
  // arrives until the client closes, all within close_timeout, and only then close.
  auto& tcp_layer = beast::get_lowest_layer(stream_);
  tcp_layer.expires_after(close_timeout);
  boost::system::error_code ignored;
  std::tie(ignored) = co_await stream_.async_shutdown(asio::as_tuple(asio::use_awaitable));
  tcp_layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 4096> sink;
  for (;;) {
    auto [ec, n] =
        co_await tcp_layer.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (ec) break;  // the client's FIN, a reset, or the deadline
  }
  tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp_layer.close();
}

void session::arm_read_deadline(clock::time_point deadline) {
  reading_ = true;
  read_expired_ = false;
  read_timer_.expires_at(deadline);
  read_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    // Cancelled, or expired just as the read finished (the handler was already queued).
    if (ec || !self->reading_) return;
    self->read_expired_ = true;
    boost::system::error_code ignored;
    beast::get_lowest_layer(self->stream_).socket().cancel(ignored);
  });
}

void session::log_request(const api::request& req, unsigned status, clock::time_point start,
                          std::string_view id) const {
  const auto ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
  logger()->info("{} {} {} {:.1f}ms request_id={} remote={}", std::string_view{req.method_string()},
                 log_path(req.target()), status, ms, id, remote_);
}

}  // namespace

asio::awaitable<void> run_https_session(std::shared_ptr<https_shared> shared, tcp::socket socket) {
  auto s = std::make_shared<session>(shared, std::move(socket));
  const auto ticket = shared->sessions.add(s);
  co_await s->run();
}

}  // namespace iotreg::server
