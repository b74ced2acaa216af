#pragma once
// What a zone is made of besides its devices: SOA values, name servers, CA certificates, TTLs and
// the signature validity policy. Plain data; zone_signer validates it.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace iotreg::dns {

/// How the zone proves that names and types do not exist (RFC 4035 §3.1.3, RFC 5155 §7.2).
enum class denial_mode {
  /// NSEC3 with the RFC 9276 parameters "1 0 0 -" (the default): the zone cannot be listed by
  /// walking the chain without hashing guesses.
  nsec3,
  /// NSEC (RFC 4034 §4): plain next-name chain; simpler for validators and tools, and lets
  /// anyone list the zone's names (device ids) by walking it.
  nsec,
};

struct zone_parameters {
  std::string apex;                  ///< "iotregistry.test." (normalised or not; the signer normalises)
  std::uint32_t default_ttl = 3600;  ///< SOA, NS, DNSKEY, NSEC3PARAM, A/AAAA, CA TLSA
  std::uint32_t tlsa_ttl = 300;      ///< device TLSA
  std::string soa_mname;             ///< "ns1.iotregistry.test."
  std::string soa_rname;             ///< "hostmaster.iotregistry.test."
  std::uint32_t refresh = 3600, retry = 600, expire = 1209600, minimum = 300;
  std::vector<std::string> ns;  ///< NS targets (absolute names)
  /// (owner, "127.0.0.1" or "::1"): A/AAAA records inside the zone, e.g. ns1 and device.<zone>.
  std::vector<std::pair<std::string, std::string>> addresses;
  std::vector<std::uint8_t> root_ca_der;  ///< _rootcert.device.<zone> TLSA 0 0 0 (skipped if empty)
  std::vector<std::vector<std::uint8_t>> apex_ca_der;  ///< apex TLSA 0 0 0, one per CA (may be empty)
  std::chrono::seconds signature_validity = std::chrono::days(14);  ///< expiration = now + this
  std::chrono::seconds inception_offset = std::chrono::hours(1);    ///< inception = now - this
  denial_mode denial = denial_mode::nsec3;                          ///< NSEC3PARAM only with nsec3

  // Signature refresh (zone_signer::refresh). Every RRSIG the signer publishes keeps at least
  // refresh_margin of validity, provided the owner calls refresh() (or apply() with a new serial)
  // at least every refresh_interval: an RRset is re-signed once its expiration is within
  // refresh_margin + refresh_interval + its jitter of `now`.
  //
  // refresh_margin = 7 days (half the validity, like Knot's rrsig-refresh): a signer that stops
  // (crash, lost keys, full disk) leaves the operator a week before the first signature that
  // secondaries and caches hold expires, which is far above what DNS itself needs (the largest
  // TTL, 1 hour, plus transfer delays). A smaller margin would re-sign less often (every
  // validity - margin) at the cost of that safety time; see also SOA EXPIRE, which bounds how long
  // a secondary cut off from us keeps serving.
  std::chrono::seconds refresh_margin = std::chrono::days(7);
  /// How often the owner promises to call refresh() at least (the look-ahead).
  std::chrono::seconds refresh_interval = std::chrono::hours(1);
  /// Each RRset is refreshed up to this much earlier than its margin requires, by a pseudo-random
  /// amount fixed per RRset and signature, so that a zone signed at once (a full build, a burst
  /// of enrollments) is re-signed over this period rather than in one step, and its expirations
  /// drift further apart with every round. 2 days: after a build the first round is spread over
  /// 48 hourly refreshes (about 2% of the zone each).
  /// Constraint (checked by zone_signer): refresh_margin + refresh_interval + refresh_jitter <
  /// signature_validity, so that a fresh signature is never due at once.
  std::chrono::seconds refresh_jitter = std::chrono::days(2);
};

}  // namespace iotreg::dns
