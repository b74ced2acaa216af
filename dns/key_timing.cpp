#include "dns/key_timing.hpp"

#include <algorithm>

namespace iotreg::dns {

namespace {

using std::chrono::seconds;

bool live(const key_timeline& k, key_role role) noexcept { return k.role == role && !k.removed; }

/// The key currently doing the role's job: active and not retired (the latest if several).
const key_timeline* current_of(const std::vector<key_timeline>& keys, key_role role) {
  const key_timeline* cur = nullptr;
  for (const auto& k : keys) {
    if (live(k, role) && k.active && !k.retired && (cur == nullptr || *k.active > *cur->active)) cur = &k;
  }
  return cur;
}

/// A successor under way: not yet active, not retired.
bool has_successor(const std::vector<key_timeline>& keys, key_role role) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](const key_timeline& k) { return live(k, role) && !k.active && !k.retired; });
}

seconds retire_interval(const key_policy& p, key_role role) noexcept {
  return role == key_role::zsk ? zsk_retire_interval(p) : ksk_retire_interval(p);
}

seconds lifetime(const key_policy& p, key_role role) noexcept {
  return role == key_role::zsk ? p.zsk_lifetime : p.ksk_lifetime;
}

void earliest(std::optional<time_point>& t, time_point candidate) {
  if (!t || candidate < *t) t = candidate;
}

/// Sets `field` to now if unset; records the change.
void stamp(std::optional<time_point>& field, time_point now, key_plan& plan) {
  if (field) return;
  field = now;
  plan.changed = true;
}

void advance(const key_policy& p, std::vector<key_timeline>& keys, key_role role, time_point now,
             bool requested, key_plan& plan) {
  const seconds ipub = publication_interval(p);

  // Publication. The very first key of a role has nothing to wait for.
  const bool any_published = std::any_of(keys.begin(), keys.end(), [&](const key_timeline& k) {
    return live(k, role) && k.published.has_value();
  });
  bool bootstrap = !any_published;
  for (auto& k : keys) {
    if (!live(k, role) || k.published || !k.generated) continue;
    stamp(k.published, now, plan);
    if (bootstrap) {
      stamp(k.ready, now, plan);
      stamp(k.active, now, plan);
      if (role == key_role::ksk) stamp(k.ds_submitted, now, plan);
      bootstrap = false;
    }
  }

  // Ready: the DNSKEY is in every cache that could see the zone. A KSK's CDS/CDNSKEY follow.
  for (auto& k : keys) {
    if (!live(k, role) || !k.published || k.ready || now < *k.published + ipub) continue;
    stamp(k.ready, now, plan);
    if (role == key_role::ksk) stamp(k.ds_submitted, now, plan);
  }

  // Activation of a ready successor, retiring the current key at the same instant. A ZSK may
  // sign once its DNSKEY is everywhere; a KSK only once the parent's DS for it has been seen
  // and every cached DS set without it has expired.
  for (auto& k : keys) {
    if (!live(k, role) || !k.ready || k.active || k.retired) continue;
    if (role == key_role::ksk && (!k.ds_seen || now < *k.ds_seen + ds_wait_interval(p))) continue;
    const key_timeline* cur = current_of(keys, role);
    key_timeline* old = cur == nullptr ? nullptr : &keys[static_cast<std::size_t>(cur - keys.data())];
    stamp(k.active, now, plan);
    if (old != nullptr) stamp(old->retired, now, plan);
  }

  // Removal of retired keys after Iret.
  for (auto& k : keys) {
    if (live(k, role) && k.retired && now >= *k.retired + retire_interval(p, role)) {
      stamp(k.removed, now, plan);
    }
  }

  // A successor: the first key, a manual request, or the current key's lifetime running out
  // (published Ipub early so that it can take over exactly at the end: RFC 7583
  // Tpub(N+1) <= Tact(N) + L - Ipub).
  const key_timeline* cur = current_of(keys, role);
  const bool none =
      std::none_of(keys.begin(), keys.end(), [&](const key_timeline& k) { return live(k, role); });
  if (none) {
    plan.generate.push_back(role);
  } else if (cur != nullptr && !has_successor(keys, role)) {
    const seconds life = lifetime(p, role);
    const bool due = life > seconds::zero() && now >= *cur->active + life - ipub;
    if (requested || due) plan.generate.push_back(role);
  }
}

/// The next instant at which key_step has something to do for `role`.
void next_event(const key_policy& p, const std::vector<key_timeline>& keys, key_role role, key_plan& plan) {
  const seconds ipub = publication_interval(p);
  bool successor = false;
  for (const auto& k : keys) {
    if (!live(k, role)) continue;
    if (!k.active && !k.retired) successor = true;
    if (k.published && !k.ready) earliest(plan.next_event, *k.published + ipub);
    if (role == key_role::ksk && k.ready && !k.active && !k.retired) {
      if (k.ds_seen)
        earliest(plan.next_event, *k.ds_seen + ds_wait_interval(p));
      else
        plan.awaiting_ds = k.key_tag;
    }
    if (k.retired) earliest(plan.next_event, *k.retired + retire_interval(p, role));
  }
  const key_timeline* cur = current_of(keys, role);
  const seconds life = lifetime(p, role);
  if (cur != nullptr && !successor && life > seconds::zero()) {
    earliest(plan.next_event, *cur->active + life - ipub);
  }
}

}  // namespace

seconds publication_interval(const key_policy& p) noexcept {
  return p.dnskey_ttl + p.zone_propagation_delay + p.publish_safety;
}

seconds zsk_retire_interval(const key_policy& p) noexcept {
  return p.max_zone_ttl + p.zone_propagation_delay + p.retire_safety;
}

seconds ds_wait_interval(const key_policy& p) noexcept {
  return p.parent_ds_ttl + p.parent_propagation_delay;
}

seconds ksk_retire_interval(const key_policy& p) noexcept {
  return p.parent_propagation_delay + p.parent_ds_ttl + p.retire_safety;
}

key_use key_use_at(const key_timeline& k) noexcept {
  key_use u;
  u.publish = k.published.has_value() && !k.removed;
  if (k.role == key_role::zsk) {
    u.sign = k.active.has_value() && !k.retired && !k.removed;
  } else {
    u.sign = u.publish;
    u.cds = k.ready.has_value() && !k.retired && !k.removed;
  }
  return u;
}

key_plan key_step(const key_policy& policy, std::vector<key_timeline> keys, time_point now,
                  rollover_request request) {
  key_plan plan;
  advance(policy, keys, key_role::ksk, now, request.ksk, plan);
  advance(policy, keys, key_role::zsk, now, request.zsk, plan);
  if (!plan.generate.empty()) {
    plan.next_event = now;
  } else {
    next_event(policy, keys, key_role::ksk, plan);
    next_event(policy, keys, key_role::zsk, plan);
  }
  plan.keys = std::move(keys);
  return plan;
}

}  // namespace iotreg::dns
