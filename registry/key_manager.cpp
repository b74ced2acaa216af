#include "registry/key_manager.hpp"

#include "registry/dnssec_keyring.hpp"
#include "registry/log.hpp"

#include <algorithm>

namespace iotreg::registry {
namespace {

constexpr int max_generate_attempts = 8;  // key-tag clashes with keys another node stored

dns::key_timeline to_dns(const dnssec_key_record& r) {
  const auto& t = r.timeline;
  return {.key_tag = r.key_tag,
          .algorithm = r.algorithm,
          .role = to_dns_role(r.role),
          .generated = t.generated,
          .published = t.published,
          .ready = t.ready,
          .active = t.active,
          .retired = t.retired,
          .removed = t.removed,
          .ds_submitted = t.ds_submitted,
          .ds_seen = t.ds_seen};
}

dnssec_key_timeline to_record(const dns::key_timeline& t) {
  return {.generated = t.generated,
          .published = t.published,
          .ready = t.ready,
          .active = t.active,
          .retired = t.retired,
          .removed = t.removed,
          .ds_submitted = t.ds_submitted,
          .ds_seen = t.ds_seen};
}

// A request counts while its key is still in service; one left on a retired or removed key (made
// during a rollover, which ignores it) is stale.
bool live_request(const dnssec_key_record& r) {
  return r.rollover_requested && !r.timeline.retired && !r.timeline.removed;
}

}  // namespace

std::uint8_t key_manager::successor_algorithm(const std::vector<dnssec_key_record>& rows) const {
  // A successor keeps the algorithm of the zone's keys: a validator needs every algorithm of the
  // DNSKEY RRset to sign every RRset (RFC 6840 §5.11), which a ZSK or KSK rollover alone would
  // break. Changing the algorithm is an algorithm rollover (RFC 6781 §4.1.4), not done here.
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (it->timeline.removed) continue;
    if (it->algorithm != settings_.policy.algorithm && !algorithm_warned_) {
      logger()->warn(
          "zone {}: keys of algorithm {} are kept for new keys; [dnssec] algorithm {} applies to "
          "new zones only (no algorithm rollover)",
          settings_.zone, int{it->algorithm}, int{settings_.policy.algorithm});
      algorithm_warned_ = true;
    }
    return it->algorithm;
  }
  return settings_.policy.algorithm;
}

key_manager::key_manager(key_manager_settings settings, dnssec_key_store& store,
                         const pki::key_encryption_key& kek)
    : settings_(std::move(settings)), store_(store), kek_(kek) {}

void key_manager::run_policy(time_point now) {
  const auto& zone = settings_.zone;
  auto rows = store_.list(zone);
  dns::rollover_request request;
  for (const auto& r : rows) {
    if (!live_request(r)) continue;
    (r.role == dnssec_key_role::zsk ? request.zsk : request.ksk) = true;
  }
  std::vector<dns::key_timeline> timelines;
  timelines.reserve(rows.size());
  for (const auto& r : rows) timelines.push_back(to_dns(r));

  auto plan = dns::key_step(settings_.policy, timelines, now, request);
  bool generated_zsk = false, generated_ksk = false;
  // key_step asks for keys to generate; each new key joins the timelines and it is asked again.
  for (int round = 0; !plan.generate.empty() && round < 4; ++round) {
    for (const auto role : plan.generate) {
      const auto record_role = to_record_role(role);
      std::optional<std::int64_t> id;
      for (int attempt = 0; !id; ++attempt) {
        if (attempt == max_generate_attempts)
          throw std::runtime_error("zone " + zone + ": no free DNSSEC key tag after " +
                                   std::to_string(attempt) + " attempts");
        if (attempt > 0) rows = store_.list(zone);  // another key took the tag: see it too
        auto key = generate_dnssec_key(successor_algorithm(rows), record_role, zone, rows);
        auto row = seal_dnssec_key(key, kek_, {.generated = now});
        id = store_.insert(row);
        if (id) {
          row.id = *id;
          row.sealed_private_key.clear();
          logger()->info("zone {}: generated {} {} (algorithm {}) by the key policy", zone,
                         to_string(record_role), row.key_tag, int{row.algorithm});
          rows.push_back(std::move(row));
        }
      }
      (role == dns::key_role::zsk ? generated_zsk : generated_ksk) = true;
    }
    timelines = plan.keys;
    for (const auto& r : rows) {
      const bool known = std::any_of(timelines.begin(), timelines.end(),
                                     [&](const dns::key_timeline& t) { return t.key_tag == r.key_tag; });
      if (!known) timelines.push_back(to_dns(r));
    }
    plan = dns::key_step(settings_.policy, timelines, now, request);
  }

  for (const auto& t : plan.keys) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.key_tag == t.key_tag; });
    if (it == rows.end()) continue;
    const auto updated = to_record(t);
    if (updated == it->timeline) continue;
    store_.update_timeline(it->id, updated);
    logger()->info("zone {}: DNSSEC {} {} is now {}", zone, to_string(it->role), it->key_tag,
                   dnssec_key_state(updated, now));
    it->timeline = updated;
  }
  // Every request passed to key_step is handled: acted on (a successor was generated) or
  // ignored because a rollover of that role is under way.
  for (const auto& r : rows) {
    if (!r.rollover_requested) continue;
    const bool generated = r.role == dnssec_key_role::zsk ? generated_zsk : generated_ksk;
    if (live_request(r) && !generated) {
      logger()->warn("zone {}: {} rollover request on key {} ignored: a rollover is under way", zone,
                     to_string(r.role), r.key_tag);
    }
    store_.clear_rollover_request(r.id);
  }
  if (plan.awaiting_ds) {
    logger()->debug("zone {}: KSK {} awaits its DS at the parent (`iotregctl dnssec ds-seen {}` once seen)",
                    zone, *plan.awaiting_ds, *plan.awaiting_ds);
  }
  // Never sooner than a second from now: an event due now has just been handled.
  if (plan.next_event)
    next_due_ = std::min(next_due_, std::max(*plan.next_event, now + std::chrono::seconds(1)));
}

std::optional<std::vector<dns::zone_key>> key_manager::step(time_point now, bool force) {
  next_due_ = now + settings_.poll_interval;  // run_policy() brings it forward to the next event
  if (!store_.with_zone_lock(settings_.zone, [&] { run_policy(now); })) {
    logger()->debug("zone {}: another node runs the key policy", settings_.zone);
  }

  // The use follows the rows as stored, whoever ran the policy.
  const auto rows = store_.list(settings_.zone);
  use_map use;
  for (const auto& r : rows) {
    const auto u = dns::key_use_at(to_dns(r));
    if (u.publish) use[r.key_tag] = {u.publish, u.sign, u.cds};
  }
  if (!force && applied_ && *applied_ == use) return std::nullopt;
  std::vector<dns::zone_key> keys;
  for (const auto& r : rows) {
    const auto u = dns::key_use_at(to_dns(r));
    if (!u.publish) continue;
    keys.push_back({unseal_dnssec_key(r, kek_), u.publish, u.sign, u.cds});
  }
  pending_ = std::move(use);
  return keys;
}

void key_manager::applied() {
  if (pending_) applied_ = std::move(pending_);
  pending_.reset();
}

}  // namespace iotreg::registry
