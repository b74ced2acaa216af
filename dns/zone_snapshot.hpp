#pragma once
// An immutable, signed zone as published at one serial. Readers on any thread share it through
// shared_ptr<const zone_snapshot> without locks (STYLE.md §5.6).

#include "dns/zone_data.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace iotreg::dns {

class zone_snapshot {
 public:
  /// Takes the zone content as published at `serial`. Used by zone_signer.
  zone_snapshot(detail::zone_data data, std::uint32_t serial);

  /// Zone apex with the final dot, lower case.
  const std::string& apex() const noexcept { return apex_text_; }
  std::uint32_t serial() const noexcept { return serial_; }
  /// Every record in the zone: RRsets' records, RRSIGs, NSEC3 records (SOA counted once).
  /// O(n): it walks the zone (publication stays O(changes) by not counting).
  std::size_t record_count() const noexcept;
  /// Owner names plus NSEC3 owners, O(1). About half the record count in a zone of devices.
  std::size_t name_count() const noexcept { return data_.nodes.size() + data_.nsec3.size(); }

  /// The content, for message handling and zone file writing.
  const detail::zone_data& data() const noexcept { return data_; }

 private:
  detail::zone_data data_;
  std::string apex_text_;
  std::uint32_t serial_;
};

}  // namespace iotreg::dns
