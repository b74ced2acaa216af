#pragma once
// Runs a zone's DNSSEC key policy (dns/key_timing.hpp, RFC 7583) against the keys in the
// database: generates successors, records each key's timeline, acts on `iotregctl dnssec
// rollover` and `dnssec ds-seen`, and tells the zone's signer thread which keys to publish, sign
// with and list in CDS/CDNSKEY. The database is the truth shared by every node: the policy step
// runs under a per-zone lock (dnssec_key_store::with_zone_lock), and the key use is always
// derived from the rows as stored, so that every node serves the same key set.

#include "dns/key_timing.hpp"
#include "dns/signer.hpp"
#include "pki/kek.hpp"
#include "registry/ports.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace iotreg::registry {

struct key_manager_settings {
  std::string zone;  // apex with the final dot
  /// policy.algorithm is for a zone without keys; successors keep the zone's algorithm.
  dns::key_policy policy;
  /// At most this long between two policy steps, so that requests and ds-seen stored by
  /// iotregctl are seen even when no event is scheduled.
  std::chrono::seconds poll_interval{120};
};

/// @par Thread safety: NOT thread-safe; owned by the zone's signer thread (zone_publisher).
class key_manager {
 public:
  /// `store` and `kek` must outlive the manager.
  key_manager(key_manager_settings settings, dnssec_key_store& store, const pki::key_encryption_key& kek);

  /// One policy step at `now`: under the zone lock (skipped when another node holds it), lists
  /// the keys, calls dns::key_step with the pending rollover requests, generates and stores the
  /// keys it asks for (sealed with the KEK, another key on a key-tag clash), stores the changed
  /// timelines and clears the requests it handled. Then reads the rows again and derives the key
  /// use (dns::key_use_at).
  /// @returns the keys the zone must have (every published key, decrypted, with its flags) if
  ///          their use differs from what applied() last confirmed (always on the first call or
  ///          after `force`); nullopt if the zone's keys stay as they are.
  /// @throws what the store, the KEK and key generation throw; the database is left consistent
  ///         (each row update is its own transaction and the next step continues from it).
  std::optional<std::vector<dns::zone_key>> step(time_point now, bool force = false);

  /// The keys returned by the last step() are now in the published zone.
  void applied();

  /// When step() should run next: the policy's next event, at most poll_interval after the last
  /// step; time_point::min() before the first step.
  time_point next_due() const noexcept { return next_due_; }

 private:
  /// What the zone does with each published key, by key tag: the value compared between steps.
  using use_map = std::map<std::uint16_t, std::tuple<bool, bool, bool>>;
  void run_policy(time_point now);
  /// The algorithm of new keys: that of the zone's newest key not removed, else the policy's.
  std::uint8_t successor_algorithm(const std::vector<dnssec_key_record>& rows) const;

  key_manager_settings settings_;
  dnssec_key_store& store_;
  const pki::key_encryption_key& kek_;
  time_point next_due_ = time_point::min();
  std::optional<use_map> applied_;  // use confirmed by applied()
  std::optional<use_map> pending_;  // use returned by the last step()
  mutable bool algorithm_warned_ = false;
};

}  // namespace iotreg::registry
