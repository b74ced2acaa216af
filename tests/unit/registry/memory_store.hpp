#pragma once
// An in-memory implementation of the registry's ports, for unit tests of the use cases.
// It keeps the same transactional promises as db/ (each call is atomic under one mutex).

#include "registry/ports.hpp"

#include <map>
#include <mutex>

namespace iotreg::registry::testing {

class memory_store final : public device_store, public zone_store, public api_key_store {
 public:
  result<std::int64_t> insert_enrollment(const new_enrollment& e) override {
    std::lock_guard lock(m_);
    auto key = std::make_pair(e.zone, e.device_id);
    if (devices_.contains(key)) return error{errc::device_exists, "exists"};
    device d;
    d.zone = e.zone;
    d.id = e.device_id;
    d.tlsa = e.tlsa;
    d.certificate = e.certificate;
    devices_[key] = d;
    return add_change(e.zone, e.device_id, zone_change::kind::add, e.tlsa);
  }

  std::optional<device> find(std::string_view zone, std::string_view id) override {
    std::lock_guard lock(m_);
    auto it = devices_.find({std::string(zone), std::string(id)});
    if (it == devices_.end()) return std::nullopt;
    return it->second;
  }

  result<std::int64_t> revoke(std::string_view zone, std::string_view id, std::uint8_t reason = 0) override {
    std::lock_guard lock(m_);
    auto it = devices_.find({std::string(zone), std::string(id)});
    if (it == devices_.end()) return error{errc::device_not_found, "no"};
    if (it->second.status == device_status::revoked) return error{errc::device_already_revoked, "again"};
    it->second.status = device_status::revoked;
    it->second.certificate.revoked_at = clock::now();
    last_reason = reason;
    return add_change(std::string(zone), std::string(id), zone_change::kind::remove, it->second.tlsa);
  }

  std::vector<device_tlsa> active_tlsa(std::string_view zone) override {
    std::lock_guard lock(m_);
    std::vector<device_tlsa> out;
    for (const auto& [k, d] : devices_) {
      if (k.first == zone && d.status == device_status::active) out.push_back({d.id, d.tlsa});
    }
    return out;
  }

  std::vector<zone_change> pending_changes(std::string_view zone, std::size_t limit) override {
    std::lock_guard lock(m_);
    std::vector<zone_change> out;
    for (const auto& [id, c] : changes_) {
      if (c.zone == zone && !c.serial && out.size() < limit) out.push_back(c.change);
    }
    return out;
  }

  std::optional<std::uint32_t> last_serial(std::string_view zone) override {
    std::lock_guard lock(m_);
    auto it = serials_.find(std::string(zone));
    if (it == serials_.end()) return std::nullopt;
    return it->second;
  }

  void mark_published(std::string_view zone, std::uint32_t serial, std::span<const std::int64_t> ids,
                      const journal_entry* diff, std::size_t history) override {
    std::lock_guard lock(m_);
    serials_[std::string(zone)] = serial;
    auto& j = journals_[std::string(zone)];
    if (diff == nullptr || history == 0 || (!j.empty() && j.back().to_serial != diff->from_serial)) j.clear();
    if (diff != nullptr && history > 0) j.push_back(*diff);
    while (j.size() > history) j.erase(j.begin());
    for (auto id : ids) changes_.at(id).serial = serial;
    for (auto id : ids) {
      auto& c = changes_.at(id);
      if (c.change.op == zone_change::kind::add)
        devices_.at({c.zone, c.change.device_id}).zone_serial = serial;
    }
  }

  std::vector<journal_entry> journal(std::string_view zone) override {
    std::lock_guard lock(m_);
    auto it = journals_.find(std::string(zone));
    return it == journals_.end() ? std::vector<journal_entry>{} : it->second;
  }

  std::optional<api_key> find_active(const std::array<std::uint8_t, 32>& hash) override {
    std::lock_guard lock(m_);
    auto it = keys_.find(hash);
    if (it == keys_.end()) return std::nullopt;
    return it->second;
  }
  std::int64_t insert(std::string_view name, std::string_view role,
                      const std::array<std::uint8_t, 32>& hash) override {
    std::lock_guard lock(m_);
    api_key k{static_cast<std::int64_t>(keys_.size() + 1), std::string(name), std::string(role)};
    keys_[hash] = k;
    return k.id;
  }
  std::size_t count_active(std::string_view role) override {
    std::lock_guard lock(m_);
    std::size_t n = 0;
    for (const auto& [h, k] : keys_) n += k.role == role;
    return n;
  }

  std::size_t change_count() {
    std::lock_guard lock(m_);
    return changes_.size();
  }

 private:
  struct stored_change {
    std::string zone;
    zone_change change;
    std::optional<std::uint32_t> serial;
  };

  std::int64_t add_change(const std::string& zone, const std::string& id, zone_change::kind op,
                          const tlsa_data& t) {
    std::int64_t cid = next_change_++;
    changes_[cid] = {zone, {cid, id, op, t}, std::nullopt};
    return cid;
  }

  std::mutex m_;

 public:
  std::uint8_t last_reason = 0;  // reason code of the last revoke()

 private:
  std::map<std::pair<std::string, std::string>, device> devices_;
  std::map<std::int64_t, stored_change> changes_;
  std::map<std::string, std::uint32_t> serials_;
  std::map<std::string, std::vector<journal_entry>> journals_;
  std::map<std::array<std::uint8_t, 32>, api_key> keys_;
  std::int64_t next_change_ = 1;
};

}  // namespace iotreg::registry::testing
