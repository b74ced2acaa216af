#include "registry/reads.hpp"

#include "dns/names.hpp"
#include "dns/tlsa.hpp"
#include "registry/authorization.hpp"

namespace iotreg::registry {

result<device_page> registry_reads::list_devices(const api_key& caller, const device_filter& filter,
                                                 const std::optional<page_cursor>& after, std::size_t limit) {
  if (auto refused = authorize(caller, scope::device_read)) return *refused;
  device_query q{filter, std::nullopt, std::nullopt, after, limit};
  const auto only = visible_devices(caller);
  if (!only) return device_page{};
  q.only_asp = only->only_asp;
  q.only_mno = only->only_mno;
  auto rows = store_.list_devices(zone_, q);
  device_page page;
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  page.items.reserve(rows.size());
  for (auto& row : rows) {
    // The SQL restriction above is the filter; the policy stays the one that decides, so a row
    // it refuses is never returned even if the two ever disagreed.
    if (authorize(caller, scope::device_read, &row.device)) continue;
    device_item item;
    // The same owner name and record text as GET /api/v1/devices/{id} (registry_service.cpp).
    const auto owner = dns::device_owner(zone_, row.device.id);
    item.dns_name = owner.ends_with('.') ? owner.substr(0, owner.size() - 1) : owner;
    for (const auto& t : row.tlsa) {
      const dns::tlsa_rdata rdata{t.usage, t.selector, t.matching, t.association};
      item.tlsa.push_back(owner + " " + std::to_string(tlsa_ttl_) + " IN TLSA " + rdata.to_text());
    }
    item.device = std::move(row.device);
    page.items.push_back(std::move(item));
  }
  if (more && !rows.empty()) page.next = rows.back().pos;
  return page;
}

result<history_page> registry_reads::history(const api_key& caller, std::string_view device_id,
                                             const std::optional<page_cursor>& after, std::size_t limit) {
  auto device = lifecycle_.authorize_device(caller, scope::device_read, device_id);
  if (!device) return device.error();
  auto rows = store_.history(zone_, device->id, after ? after->row_id : 0, limit);
  history_page page;
  if (rows.size() > limit) {
    rows.resize(limit);
    page.next = page_cursor{rows.back().at, rows.back().id};
  }
  page.items = std::move(rows);
  return page;
}

result<zone_status> registry_reads::zone(const api_key& caller) {
  if (auto refused = authorize(caller, scope::zone_read)) return *refused;
  const auto c = store_.counts(zone_);
  zone_status z{zone_, c.serial, c.published_at, c.active_devices, c.tlsa_records, {}};
  const auto now = now_();
  for (const auto& k : keys_.list(zone_)) {
    z.keys.push_back({k.key_tag, k.algorithm, k.role, std::string(dnssec_key_state(k.timeline, now))});
  }
  return z;
}

}  // namespace iotreg::registry
