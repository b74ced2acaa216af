#include "server/notify_sender.hpp"

#include "dns/notify.hpp"
#include "server/listen.hpp"
#include "server/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <stdexcept>
#include <variant>

namespace iotreg::server {
namespace asio = boost::asio;
using udp = asio::ip::udp;
using namespace asio::experimental::awaitable_operators;

struct notify_sender::target {
  udp::socket socket;        // on the strand only
  asio::steady_timer timer;  // on the strand only: retransmission, and wake-up for new serials
  udp::endpoint to;
  std::string name;
  snapshot_source zone;
  const dns::tsig_key* key;
  std::chrono::milliseconds first_retry;
  unsigned max_retransmissions;
  std::optional<std::uint32_t> pending;  // newest serial not yet announced (strand)
  bool stopping = false;                 // strand
  std::mt19937 rng{std::random_device{}()};
};

namespace {

using target = notify_sender::target;
constexpr std::chrono::milliseconds max_retry{60000};

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

/// Sends the current zone's NOTIFY until answered, superseded or out of retransmissions.
asio::awaitable<void> announce(target& t, const dns::zone_snapshot& zone, std::uint32_t serial,
                               std::vector<std::uint8_t>& buf) {
  auto delay = t.first_retry;
  std::uniform_int_distribution<unsigned> ids(0, 0xFFFF);
  for (unsigned attempt = 0; attempt <= t.max_retransmissions; ++attempt) {
    if (t.pending || t.stopping) co_return;  // a newer serial supersedes this one
    const auto id = static_cast<std::uint16_t>(ids(t.rng));
    const auto msg = dns::make_notify(zone, id, t.key, unix_now());
    auto [sec, sent] =
        co_await t.socket.async_send_to(asio::buffer(msg), t.to, asio::as_tuple(asio::use_awaitable));
    if (sec == asio::error::operation_aborted) co_return;
    if (sec) logger()->debug("notify {}: send: {}", t.name, sec.message());
    if (t.pending || t.stopping) co_return;
    t.timer.expires_after(delay);
    for (;;) {
      udp::endpoint from;
      auto result = co_await (
          t.socket.async_receive_from(asio::buffer(buf), from, asio::as_tuple(asio::use_awaitable)) ||
          t.timer.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (result.index() == 1) break;  // retransmission due, or woken for a newer serial / stop
      auto [rec, n] = std::get<0>(result);
      if (rec == asio::error::operation_aborted || t.stopping) co_return;
      if (rec) continue;  // e.g. ECONNREFUSED (ICMP) from an earlier send: wait for the timer
      if (from != t.to || !dns::is_notify_response(std::span<const std::uint8_t>(buf.data(), n), id))
        continue;
      const auto rc = dns::response_rcode(std::span<const std::uint8_t>(buf.data(), n));
      if (rc == 0) {
        logger()->info("notify {}: serial {} acknowledged", t.name, serial);
      } else {
        logger()->warn("notify {}: serial {} answered with rcode {}", t.name, serial, rc);
      }
      co_return;
    }
    delay = std::min(delay * 2, max_retry);
  }
  logger()->warn("notify {}: serial {} not acknowledged after {} retransmissions", t.name, serial,
                 t.max_retransmissions);
}

asio::awaitable<void> run(std::shared_ptr<target> t) {
  std::vector<std::uint8_t> buf(65535);
  for (;;) {
    while (!t->pending && !t->stopping) {
      t->timer.expires_at(asio::steady_timer::time_point::max());
      co_await t->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (t->stopping) co_return;
    const std::uint32_t serial = *t->pending;
    t->pending.reset();
    const auto zone = t->zone ? t->zone() : nullptr;
    if (!zone) continue;
    co_await announce(*t, *zone, serial, buf);
  }
}

udp::endpoint resolve_target(const endpoint& e) {
  if (e.host == "localhost") return {asio::ip::address_v4::loopback(), e.port};
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(e.host, ec);
  if (ec) throw std::runtime_error("notify target '" + e.host + "': not an IP address");
  return {a, e.port};
}

}  // namespace

notify_sender::notify_sender(asio::io_context& io, const notify_options& opts, snapshot_source zone) {
  for (const auto& e : opts.targets) {
    const auto strand = asio::make_strand(io);
    const auto to = resolve_target(e);
    auto t = std::make_shared<target>(target{udp::socket(strand, to.protocol()),
                                             asio::steady_timer(strand),
                                             to,
                                             to_string(to.address(), to.port()),
                                             zone,
                                             opts.key,
                                             opts.first_retry,
                                             opts.max_retransmissions,
                                             {},
                                             false});
    targets_.push_back(std::move(t));
  }
}

notify_sender::~notify_sender() = default;

void notify_sender::start() {
  for (const auto& t : targets_) {
    asio::co_spawn(t->socket.get_executor(), run(t), [name = t->name](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        logger()->error("notify {}: stopped: {}", name, x.what());
      }
    });
  }
}

void notify_sender::published(std::uint32_t serial) {
  for (const auto& t : targets_) {
    asio::post(t->socket.get_executor(), [t, serial] {
      t->pending = serial;
      t->timer.cancel();
    });
  }
}

void notify_sender::stop() {
  for (const auto& t : targets_) {
    asio::post(t->socket.get_executor(), [t] {
      t->stopping = true;
      t->timer.cancel();
      boost::system::error_code ignored;
      t->socket.close(ignored);
    });
  }
}

}  // namespace iotreg::server
