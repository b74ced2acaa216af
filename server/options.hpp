#pragma once
// What the daemon's listeners are configured with: plain values, filled by server/main.cpp from
// config::settings.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace iotreg::dns {
class journal;
class zone_snapshot;
struct tsig_key;
}  // namespace iotreg::dns

namespace iotreg::server {

struct endpoint {
  std::string host;        // IP literal ("127.0.0.1", "::") or a name resolved once at start
  std::uint16_t port = 0;  // 0: an ephemeral port (tests); the bound port is returned
};

struct https_options {
  endpoint listen;
  std::filesystem::path cert_chain_file;  // PEM: server certificate first, then intermediates
  std::filesystem::path key_file;         // PEM private key, unencrypted
  /// PEM CA certificates that TLS client certificates are verified against (iotreg's root and
  /// issuing CAs); empty: no client certificate is asked for.
  std::string client_ca_pem;
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::seconds read_timeout{30};       // whole request, also keep-alive idle time
  std::chrono::seconds handshake_timeout{10};  // TLS handshake
};

struct dns_options {
  endpoint listen;                          // UDP and TCP on the same address and port
  std::vector<std::string> transfer_allow;  // IP addresses allowed AXFR/IXFR (exact match)
  std::chrono::seconds tcp_idle_timeout{10};
  const dns::tsig_key* transfer_key = nullptr;  // AXFR/IXFR must be signed with it; outlives the listener
};

struct notify_options {
  std::vector<endpoint> targets;                // secondaries (IP literal or "localhost", port)
  const dns::tsig_key* key = nullptr;           // signs the NOTIFYs; must outlive the sender
  std::chrono::milliseconds first_retry{2000};  // doubled after each retransmission, at most 60 s
  unsigned max_retransmissions = 5;             // RFC 1996 §3.6
};

/// The zone currently served; may return nullptr before the first publication. Called for each
/// query, from io threads: must be thread-safe and fast (an atomic shared_ptr load).
using snapshot_source = std::function<std::shared_ptr<const dns::zone_snapshot>()>;

/// The IXFR journal of the zone served (dns/journal.hpp); may return nullptr (IXFR then always
/// gets a full transfer). Same rules as snapshot_source.
using journal_source = std::function<std::shared_ptr<const dns::journal>()>;

}  // namespace iotreg::server
