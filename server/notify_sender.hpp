#pragma once
// NOTIFY (RFC 1996) to the configured secondaries after each new serial: one coroutine per
// target on its own strand, over UDP, retransmitted with backoff until a matching response
// arrives (at most `max_retransmissions` times). A newer serial supersedes one still being
// retried; what is announced is always the zone currently published.

#include "server/options.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace iotreg::server {

class notify_sender {
 public:
  /// Opens one UDP socket per target. `zone` gives the snapshot to announce.
  /// @throws std::runtime_error naming a target whose host is not an IP address or "localhost".
  notify_sender(boost::asio::io_context& io, const notify_options& opts, snapshot_source zone);
  ~notify_sender();
  notify_sender(const notify_sender&) = delete;
  notify_sender& operator=(const notify_sender&) = delete;

  /// Starts the per-target coroutines. Call once.
  void start();

  /// A new serial was published: announce it to every target. Thread-safe and cheap (posts to
  /// each target's strand); may be called before start().
  void published(std::uint32_t serial);

  /// Ends the coroutines (pending retransmissions are dropped). Thread-safe.
  void stop();

  struct target;

 private:
  std::vector<std::shared_ptr<target>> targets_;
};

}  // namespace iotreg::server
