#include "dns/zone_snapshot.hpp"

namespace iotreg::dns {

zone_snapshot::zone_snapshot(detail::zone_data data, std::uint32_t serial)
    : data_(std::move(data)), apex_text_(detail::name_to_text(data_.apex)), serial_(serial) {
  for (const auto& [owner, n] : data_.nodes) {
    for (const auto& s : n.rrsets) record_count_ += s.rdata.size() + s.rrsig.size();
  }
  for (const auto& [hash, r] : data_.nsec3) record_count_ += 1 + r.rrsig.size();
}

}  // namespace iotreg::dns
