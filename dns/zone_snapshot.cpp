#include "dns/zone_snapshot.hpp"

namespace iotreg::dns {

zone_snapshot::zone_snapshot(detail::zone_data data, std::uint32_t serial)
    : data_(std::move(data)), apex_text_(detail::name_to_text(data_.apex)), serial_(serial) {}

std::size_t zone_snapshot::record_count() const noexcept {
  std::size_t count = 0;
  for (const auto& [owner, n] : data_.nodes) {
    for (const auto& s : n.rrsets) count += s.rdata.size() + s.rrsig.size();
  }
  for (const auto& [hash, r] : data_.nsec3) count += 1 + r.rrsig.size();
  return count;
}

}  // namespace iotreg::dns
