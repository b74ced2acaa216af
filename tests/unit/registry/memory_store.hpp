#pragma once
// An in-memory implementation of the registry's ports, for unit tests of the use cases.
// It keeps the same transactional promises as db/ (each call is atomic under one mutex).

#include "registry/ports.hpp"

#include <algorithm>
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
    if (e.mno_tenant_id) mno_[key] = *e.mno_tenant_id;
    certs_[key] = {{e.tlsa, e.certificate, next_cert_++}};
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
    // One remove per distinct live TLSA, before the certificates stop being live; 0 if none.
    std::int64_t change = 0;
    std::vector<tlsa_data> removed;
    for (auto& c : certs_[it->first]) {
      if (live(c) && std::find(removed.begin(), removed.end(), c.tlsa) == removed.end()) {
        removed.push_back(c.tlsa);
        change = add_change(it->first.first, it->first.second, zone_change::kind::remove, c.tlsa);
      }
    }
    for (auto& c : certs_[it->first]) c.cert.revoked_at = clock::now();
    return change;
  }

  result<std::optional<std::int64_t>> insert_certificate(const new_certificate& n) override {
    std::lock_guard lock(m_);
    auto key = std::make_pair(n.zone, n.device_id);
    auto it = devices_.find(key);
    if (it == devices_.end()) return error{errc::device_not_found, "no"};
    if (it->second.status == device_status::revoked) return error{errc::device_already_revoked, "revoked"};
    auto& certs = certs_[key];
    std::optional<std::int64_t> change;
    if (!carried(certs, n.tlsa, -1)) change = add_change(n.zone, n.device_id, zone_change::kind::add, n.tlsa);
    certs.push_back({n.tlsa, n.certificate, next_cert_++});
    it->second.tlsa = n.tlsa;
    it->second.certificate = n.certificate;
    return change;
  }

  result<std::vector<std::int64_t>> confirm_certificate(std::string_view zone, std::string_view id,
                                                        std::string_view serial) override {
    std::lock_guard lock(m_);
    auto key = std::make_pair(std::string(zone), std::string(id));
    auto it = devices_.find(key);
    if (it == devices_.end()) return error{errc::device_not_found, "no"};
    if (it->second.status == device_status::revoked) return error{errc::device_already_revoked, "revoked"};
    auto& certs = certs_[key];
    auto c = std::find_if(certs.rbegin(), certs.rend(),
                          [&](const cert_entry& e) { return e.cert.serial_hex == serial; });
    if (c == certs.rend()) return error{errc::certificate_not_found, "no cert"};
    if (!live(*c)) return error{errc::certificate_not_live, "not live"};
    if (!c->cert.confirmed_at) c->cert.confirmed_at = clock::now();
    const auto row = c->row;
    return withdraw(key, [row](const cert_entry& e) { return e.row < row; });
  }

  std::vector<std::int64_t> withdraw_expired(std::string_view zone, time_point now,
                                             std::size_t max_devices) override {
    std::lock_guard lock(m_);
    std::vector<std::int64_t> all;
    std::size_t n = 0;
    for (auto& [key, d] : devices_) {
      if (key.first != zone || d.status != device_status::active || n == max_devices) continue;
      auto expired = [now](const cert_entry& e) { return e.cert.not_after < now; };
      auto& certs = certs_[key];
      if (std::none_of(certs.begin(), certs.end(),
                       [&](const cert_entry& e) { return live(e) && expired(e); }))
        continue;
      ++n;
      auto ids = withdraw(key, expired);
      all.insert(all.end(), ids.begin(), ids.end());
    }
    return all;
  }

  std::vector<expiring_certificate> expiring(std::string_view zone, time_point before,
                                             const std::optional<expiring_cursor>& after, std::size_t limit,
                                             const listing_scope& only) override {
    std::lock_guard lock(m_);
    std::vector<expiring_certificate> out;
    for (const auto& [key, d] : devices_) {
      if (key.first != zone || d.status != device_status::active) continue;
      // Devices here have no ASP; their MNO is the enrollment's mno_tenant_id.
      const auto mno = mno_of(key);
      if (only.only_asp || (only.only_mno && mno != only.only_mno)) continue;
      for (const auto& c : certs_[key]) {
        if (!live(c) || c.cert.not_after >= before) continue;
        if (after && std::pair(c.cert.not_after, c.row) <= std::pair(after->not_after, after->row_id))
          continue;
        out.push_back(
            {d.id, c.cert.serial_hex, c.cert.issuer_key_id_hex, c.cert.not_after, c.row, std::nullopt, mno});
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::pair(a.not_after, a.row_id) < std::pair(b.not_after, b.row_id);
    });
    if (out.size() > limit) out.resize(limit);
    return out;
  }

  std::vector<device_tlsa> active_tlsa(std::string_view zone) override {
    std::lock_guard lock(m_);
    std::vector<device_tlsa> out;
    for (const auto& [k, d] : devices_) {
      if (k.first != zone || d.status != device_status::active) continue;
      std::vector<tlsa_data> seen;
      for (const auto& c : certs_[k]) {
        if (live(c) && std::find(seen.begin(), seen.end(), c.tlsa) == seen.end()) {
          seen.push_back(c.tlsa);
          out.push_back({d.id, c.tlsa});
        }
      }
    }
    return out;
  }

  /// The certificates of a device, oldest first (tests inspect withdrawn_at/confirmed_at).
  std::vector<certificate_record> certificates(std::string_view zone, std::string_view id) {
    std::lock_guard lock(m_);
    std::vector<certificate_record> out;
    for (const auto& c : certs_[{std::string(zone), std::string(id)}]) out.push_back(c.cert);
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
  struct cert_entry {
    tlsa_data tlsa;
    certificate_record cert;
    std::int64_t row = 0;
  };
  using device_key = std::pair<std::string, std::string>;

  static bool live(const cert_entry& e) { return !e.cert.withdrawn_at && !e.cert.revoked_at; }

  /// Whether a live certificate other than row `except` carries `t`.
  static bool carried(const std::vector<cert_entry>& certs, const tlsa_data& t, std::int64_t except) {
    return std::any_of(certs.begin(), certs.end(),
                       [&](const cert_entry& e) { return e.row != except && live(e) && e.tlsa == t; });
  }

  /// Withdraws the live certificates matching `pick`; a remove per distinct TLSA no live one keeps.
  template <class Pick>
  std::vector<std::int64_t> withdraw(const device_key& key, Pick pick) {
    auto& certs = certs_[key];
    std::vector<tlsa_data> gone;
    for (auto& e : certs) {
      if (!live(e) || !pick(e)) continue;
      e.cert.withdrawn_at = clock::now();
      if (std::find(gone.begin(), gone.end(), e.tlsa) == gone.end()) gone.push_back(e.tlsa);
    }
    std::vector<std::int64_t> ids;
    for (const auto& t : gone) {
      if (!carried(certs, t, -1))
        ids.push_back(add_change(key.first, key.second, zone_change::kind::remove, t));
    }
    return ids;
  }

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
  std::map<device_key, std::vector<cert_entry>> certs_;
  std::int64_t next_cert_ = 1;
  std::map<std::string, std::uint32_t> serials_;
  std::map<std::string, std::vector<journal_entry>> journals_;
  std::map<std::array<std::uint8_t, 32>, api_key> keys_;
  std::int64_t next_change_ = 1;
  std::map<std::pair<std::string, std::string>, std::int64_t> mno_;  // the enrollments' MNO tenants

  std::optional<std::int64_t> mno_of(const std::pair<std::string, std::string>& key) const {
    const auto it = mno_.find(key);
    return it == mno_.end() ? std::nullopt : std::optional(it->second);
  }
};

}  // namespace iotreg::registry::testing
