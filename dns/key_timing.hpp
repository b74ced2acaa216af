#pragma once
// DNSSEC key rollover timing (RFC 7583, STANDARDS.md §5.6): when keys are generated, published,
// made active, retired and removed. Pure: no I/O, the clock is a parameter, so that a rollover of
// months runs in a unit test in simulated time (STYLE.md §5.7).
//
// ZSKs roll by pre-publication: the successor is published Ipub before it must sign, then it
// becomes active and the old ZSK is retired at the same instant; the old DNSKEY stays until no
// signature it made can be valid or cached any more (Iret), then it is removed.
// KSKs roll by double-KSK: the successor is published and signs the DNSKEY RRset alongside the
// old one; once its DNSKEY has propagated (ready) it is listed in CDS/CDNSKEY (RFC 7344/8078) so
// that the parent adds its DS; only after that DS is seen and the parent's DS TTL has passed does
// it become active: the old KSK is retired (dropped from CDS/CDNSKEY, so the parent may remove its
// DS) and removed once no resolver can still hold a DS set that names only the old key.

#include "dns/keys.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace iotreg::dns {

using time_point = std::chrono::system_clock::time_point;

/// Timing parameters of one zone's keys. Durations in seconds.
struct key_policy {
  std::uint8_t algorithm = 13;  ///< 13 (ECDSAP256SHA256), 15 (ED25519) or 8 (RSASHA256)
  std::chrono::seconds zsk_lifetime = std::chrono::days(90);
  std::chrono::seconds ksk_lifetime = std::chrono::days(365);  ///< zero: unlimited (manual rolls only)
  std::chrono::seconds dnskey_ttl{3600};
  std::chrono::seconds max_zone_ttl{3600};              ///< largest TTL of any RRset (TTLsig)
  std::chrono::seconds zone_propagation_delay{300};     ///< primary to every secondary (Dprp)
  std::chrono::seconds parent_ds_ttl{86400};            ///< TTLds
  std::chrono::seconds parent_propagation_delay{3600};  ///< DprpP
  std::chrono::seconds publish_safety{3600};
  std::chrono::seconds retire_safety{3600};
  /// As the signer uses it. Not part of any interval: every interval is bounded by TTLs and
  /// propagation, since the signer replaces all signatures of a retiring ZSK at once.
  std::chrono::seconds signature_validity = std::chrono::days(14);
};

/// One key's RFC 7583 timeline. Each timestamp is set (by key_step, or by the caller for
/// `generated` and `ds_seen`) when the event happens, never in advance; unset = not yet.
/// The database stores these fields under the same names (nullable timestamptz).
struct key_timeline {
  std::uint16_t key_tag = 0;
  std::uint8_t algorithm = 13;
  key_role role = key_role::zsk;
  std::optional<time_point> generated;     ///< caller: the key material exists
  std::optional<time_point> published;     ///< DNSKEY added to the zone
  std::optional<time_point> ready;         ///< DNSKEY in every cache that may see the zone (Trdy)
  std::optional<time_point> active;        ///< ZSK: signs the zone; KSK: the parent's DS names it
  std::optional<time_point> retired;       ///< ZSK: stopped signing; KSK: dropped from CDS/CDNSKEY
  std::optional<time_point> removed;       ///< DNSKEY removed from the zone (final)
  std::optional<time_point> ds_submitted;  ///< KSK: CDS/CDNSKEY for it published (Tsbm)
  std::optional<time_point> ds_seen;       ///< KSK, caller: the parent's DS for it is observed
};

/// Manual requests: start a rollover of that role now (ignored while one is under way).
struct rollover_request {
  bool zsk = false;
  bool ksk = false;
};

/// Result of key_step().
struct key_plan {
  std::vector<key_timeline> keys;  ///< updated timelines (removed keys stay, with `removed` set)
  /// Keys to generate now. The caller generates each (with a key tag unused by `keys`), appends
  /// a timeline with `generated` = now, and calls key_step again at the same `now`.
  std::vector<key_role> generate;
  /// When to call key_step next (now if `generate` is not empty); unset when nothing is
  /// scheduled. A KSK waiting for its DS (see awaiting_ds) also needs a call once ds_seen is set.
  std::optional<time_point> next_event;
  bool changed = false;  ///< some timestamp was set: the zone's key use may differ (see key_use_at)
  /// Key tag of a KSK whose CDS/CDNSKEY is published but whose ds_seen is not reported yet.
  std::optional<std::uint16_t> awaiting_ds;
};

/// What the zone does with a key, derived from its timeline.
struct key_use {
  bool publish = false;  ///< in the DNSKEY RRset: published and not removed
  /// ZSK: active and not retired (signs everything but DNSKEY/CDS/CDNSKEY).
  /// KSK: published and not removed (double-KSK: every KSK in the RRset signs DNSKEY, CDS and
  /// CDNSKEY, so that the zone validates under the old DS set and the new one).
  bool sign = false;
  /// KSK only: ready and not retired (RFC 8078: the CDS/CDNSKEY RRsets list the DS set the child
  /// wants; a new KSK joins once its DNSKEY has propagated, the old one leaves at retirement).
  bool cds = false;
};

key_use key_use_at(const key_timeline& k) noexcept;

/// Ipub = dnskey_ttl + zone_propagation_delay + publish_safety: published -> ready (both roles).
std::chrono::seconds publication_interval(const key_policy& p) noexcept;
/// ZSK Iret = Dsgn + Dprp + TTLsig (RFC 7583 §3.2.1) + retire_safety, with Dsgn = 0 because
/// zone_signer::set_keys re-signs every RRset at the switch: once the zone without the old ZSK's
/// signatures has reached every secondary (zone_propagation_delay) and every cached RRset signed
/// by it has expired (max_zone_ttl), no validator can need the old DNSKEY. Its signatures may
/// still be inside their validity period, but without the DNSKEY they can no longer validate,
/// which is what removing a retired key is for.
std::chrono::seconds zsk_retire_interval(const key_policy& p) noexcept;
/// KSK: ds_seen + parent_ds_ttl + parent_propagation_delay -> the successor becomes active.
std::chrono::seconds ds_wait_interval(const key_policy& p) noexcept;
/// KSK Iret = parent_propagation_delay + parent_ds_ttl + retire_safety: retired -> removed.
std::chrono::seconds ksk_retire_interval(const key_policy& p) noexcept;

/// Advances every key's timeline to `now`: sets the timestamps of the events that are due
/// (possibly several in one call), asks for keys to generate (the first KSK and ZSK, a
/// successor due by lifetime, a manual request), and says when to call again.
/// The first key of a role (no other key of that role published) is published, ready and active
/// at once: nothing can be cached for a key set that did not exist.
/// Timelines with `removed` set are returned unchanged. Deterministic, no I/O, no errors.
/// @par Thread safety: a pure function.
key_plan key_step(const key_policy& policy, std::vector<key_timeline> keys, time_point now,
                  rollover_request request = {});

}  // namespace iotreg::dns
