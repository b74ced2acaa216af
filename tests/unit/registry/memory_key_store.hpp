#pragma once
// An in-memory dnssec_key_store for unit tests, with the semantics of db/dnssec_key_store_pg
// (key tag unique per zone, the first ds_seen kept) and a zone lock that a test can hold
// "elsewhere" to play a second node.

#include "registry/ports.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <vector>

namespace iotreg::registry::testing {

/// The rows of one database, with the semantics of db/dnssec_key_store_pg (tag unique per zone).
class memory_key_store final : public dnssec_key_store {
 public:
  std::vector<dnssec_key_record> rows;
  int lock_calls = 0;
  bool locked_elsewhere = false;

  std::vector<dnssec_key_record> list(std::string_view z) override {
    std::vector<dnssec_key_record> out;
    std::copy_if(rows.begin(), rows.end(), std::back_inserter(out),
                 [&](const auto& r) { return r.zone == z; });
    return out;
  }
  std::optional<std::int64_t> insert(const dnssec_key_record& k) override {
    for (const auto& r : rows) {
      if (r.zone == k.zone && r.key_tag == k.key_tag) return std::nullopt;
    }
    rows.push_back(k);
    rows.back().id = static_cast<std::int64_t>(rows.size());
    return rows.back().id;
  }
  bool insert_first_keys(std::string_view, std::span<const dnssec_key_record>) override { return false; }
  bool update_timeline(std::int64_t id, const dnssec_key_timeline& t) override {
    auto* r = find(id);
    if (r) r->timeline = t;
    return r != nullptr;
  }
  std::size_t request_rollover(std::string_view z, dnssec_key_role role, time_point at) override {
    std::size_t n = 0;
    for (auto& r : rows) {
      if (r.zone == z && r.role == role && !r.timeline.retired && !r.timeline.removed &&
          !r.rollover_requested) {
        r.rollover_requested = at;
        ++n;
      }
    }
    return n;
  }
  bool clear_rollover_request(std::int64_t id) override {
    auto* r = find(id);
    if (r) r->rollover_requested.reset();
    return r != nullptr;
  }
  bool mark_ds_seen(std::string_view z, std::uint16_t tag, time_point at) override {
    for (auto& r : rows) {
      if (r.zone == z && r.key_tag == tag && r.role == dnssec_key_role::ksk) {
        if (!r.timeline.ds_seen) r.timeline.ds_seen = at;
        return true;
      }
    }
    return false;
  }
  bool with_zone_lock(std::string_view, const std::function<void()>& f) override {
    ++lock_calls;
    if (locked_elsewhere) return false;
    f();
    return true;
  }

  const dnssec_key_record& by_tag(std::uint16_t tag) const {
    return *std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.key_tag == tag; });
  }

 private:
  dnssec_key_record* find(std::int64_t id) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.id == id; });
    return it == rows.end() ? nullptr : &*it;
  }
};

}  // namespace iotreg::registry::testing
