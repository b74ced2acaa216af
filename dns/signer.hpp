#pragma once
// The zone signer: builds the signed zone from parameters and devices, then keeps it signed as
// devices come and go, re-signing only what changed (STYLE.md §5.7: a pure step taking `now`).

#include "dns/keys.hpp"
#include "dns/serial.hpp"
#include "dns/tlsa.hpp"
#include "dns/zone_diff.hpp"
#include "dns/zone_parameters.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace iotreg::dns {

using time_point = std::chrono::system_clock::time_point;

class zone_snapshot;

/// A device as published: its TLSA RRset at <device_id>._device.<zone>.
struct device_record {
  std::string device_id;  ///< must pass is_dns_safe_label()
  std::vector<tlsa_rdata> tlsa;
};

/// One change to apply. upsert replaces the device's TLSA RRset (an empty tlsa list removes the
/// name, like remove); remove deletes the name.
struct change {
  enum class kind { upsert, remove };
  kind op = kind::upsert;
  std::string device_id;
  std::vector<tlsa_rdata> tlsa;
};

/// A key and what the zone does with it (key_use_at() in dns/key_timing.hpp derives the flags
/// from the key's rollover timeline).
struct zone_key {
  dnssec_key key;
  bool publish = true;  ///< in the apex DNSKEY RRset
  /// ZSK: signs every RRset but DNSKEY/CDS/CDNSKEY; KSK: signs DNSKEY, CDS and CDNSKEY.
  /// Requires publish.
  bool sign = true;
  /// Listed in the apex CDS (digest type 2, SHA-256) and CDNSKEY RRsets (RFC 7344, RFC 8078);
  /// both RRsets are absent when no key has it. Requires publish.
  bool cds = false;
};

/// Owns one zone's content and keys.
/// @par Thread safety: NOT thread-safe; one owner (the zone's strand or thread) calls build(),
/// apply(), refresh() and the accessors. The snapshots it hands out are immutable and may be read anywhere.
class zone_signer {
 public:
  /// @param keys at least one KSK and one ZSK, all for params.apex; every key is published and
  ///        signs, none is in CDS/CDNSKEY (set_keys() changes that).
  /// @throw std::invalid_argument if params or keys are inconsistent (bad names, addresses outside
  ///        the zone, missing key role, key for another zone).
  zone_signer(zone_parameters params, std::vector<dnssec_key> keys);
  ~zone_signer();
  zone_signer(zone_signer&&) noexcept;
  zone_signer& operator=(zone_signer&&) noexcept;

  /// Full build from every device: all RRsets, the denial chain (zone_parameters::denial: NSEC3
  /// "1 0 0 -" with NSEC3PARAM, or an NSEC RRset at every owner), signatures on
  /// everything (DNSKEY by the KSKs, the rest by the ZSKs) valid from now - inception_offset to
  /// now + signature_validity, SOA serial `serial`. Duplicate device ids: the last one wins.
  /// Names, signatures and NSEC3 hashes are computed on every hardware thread (dns/parallel.hpp);
  /// the call blocks until all are done.
  /// @throw std::invalid_argument for an invalid device id; boost::system::system_error on
  ///        ldns/OpenSSL failure (the previous content is then kept).
  void build(std::span<const device_record> devices, std::uint32_t serial, time_point now);

  /// Incremental update: applies `changes` in order (idempotent: an upsert with identical data
  /// and the removal of an absent device change nothing), re-signs only the changed RRsets,
  /// inserts/removes their NSEC3 records (and those of empty non-terminals such as
  /// _device.<zone> as they appear or disappear; in NSEC mode their NSEC RRsets, empty
  /// non-terminals having none), fixes and re-signs the predecessors, and sets
  /// the SOA serial to `serial` (re-signing the SOA once) if anything changed or the serial
  /// differs. When the serial differs it also re-signs every RRset due for refresh (see
  /// refresh()), so that a batch and a refresh share one serial. Nothing happens when neither
  /// changes nor a new serial are given. Cost: O(k log n) for k changed or due RRsets in a zone
  /// of n names; the new snapshot shares all unchanged content with the previous one, which
  /// stays valid and unchanged for its readers. last_diff() then describes the step.
  /// Precondition: build() was called; `serial` equals serial() or follows it (RFC 1982).
  /// @throw std::logic_error if not built; std::invalid_argument for a bad device id or a serial
  ///        that goes backwards; boost::system::system_error on ldns/OpenSSL failure (the zone is
  ///        then left as it was).
  void apply(std::span<const change> changes, std::uint32_t serial, time_point now);

  /// Replaces the zone's keys (a rollover step): the DNSKEY RRset becomes the published keys,
  /// CDS/CDNSKEY the keys marked cds (both removed when none), signed by the signing KSKs, and
  /// the apex NSEC3 (or NSEC) type bitmap follows. If the set of signing ZSKs changes, every other RRset
  /// and NSEC3 record is re-signed by the new ZSKs (a full re-sign, on every core: rollovers are
  /// rare, and no signature by a ZSK that stopped signing may stay); otherwise only the apex key
  /// RRsets, the SOA and the apex NSEC3 (if its bitmap changed) are re-signed. The SOA serial
  /// becomes `serial`. Before build(), only the keys change (build() uses them). A call that
  /// changes nothing, with the current serial, keeps the published snapshot.
  /// The caller passes every key the zone keeps, including those it already had (e.g. loaded
  /// again from storage); keys neither published nor signing are dropped.
  /// @throw std::invalid_argument if no KSK or no ZSK signs, a key signs or is in CDS without
  ///        being published, a key belongs to another zone, or the serial does not follow
  ///        serial() while something changes; boost::system::system_error on ldns/OpenSSL
  ///        failure. On any exception the signer is left as it was (keys included).
  void set_keys(std::vector<zone_key> keys, std::uint32_t serial, time_point now);

  /// Signature refresh: re-signs, with a new SOA serial, every RRset (device and CA TLSA, NS,
  /// DNSKEY, A/AAAA, SOA, NSEC3...) whose RRSIG expiration is within refresh_margin +
  /// refresh_interval + its jitter (zone_parameters) of `now`. If the owner calls it at least
  /// every refresh_interval, no RRSIG ever published has less than refresh_margin of validity
  /// left. The due RRsets come from an index by refresh time kept by build(), apply() and
  /// refresh(): O(k log n) for k due RRsets, no scan of the zone. Same snapshot and exception
  /// guarantees as apply(), of which it is the special case apply({}, serial, now).
  /// @returns false (and changes nothing, `serial` unused) if nothing is due.
  /// @throw std::logic_error if not built; std::invalid_argument if something is due and
  ///        `serial` does not follow serial(); boost::system::system_error as apply().
  bool refresh(std::uint32_t serial, time_point now);

  /// True if refresh(serial, now) would re-sign something. O(log n). False before build().
  bool refresh_due(time_point now) const;

  /// When the next RRset becomes due (refresh_due() turns true), or nullopt before build().
  /// The owner may sleep until then, but never longer than refresh_interval().
  std::optional<time_point> next_refresh() const;

  /// zone_parameters::refresh_interval: the owner must call refresh() at least this often.
  std::chrono::seconds refresh_interval() const noexcept;

  /// What the last apply()/refresh() that made a new snapshot changed, for IXFR journals
  /// (RFC 1995): from the previous snapshot's serial to the current one, records removed and
  /// added, SOA excluded, RRSIG and NSEC3 included, sorted and disjoint; computed in
  /// O(changes). nullptr before build() and right after build(): no diff leads to a full build,
  /// so a journal must start over from it. Valid until the next build()/apply()/refresh().
  const zone_diff* last_diff() const noexcept;

  /// The zone as last built/applied, or nullptr before build(). Cheap: returns the shared
  /// snapshot made at the end of build()/apply().
  std::shared_ptr<const zone_snapshot> snapshot() const;

  /// Current SOA serial (0 before build()).
  std::uint32_t serial() const noexcept;

 private:
  struct state;
  std::unique_ptr<state> st_;
};

}  // namespace iotreg::dns
