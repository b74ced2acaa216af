#pragma once
// The IXFR journal (RFC 1995): the most recent consecutive zone_diffs of the published zone,
// bounded by count and by size, from which DNS readers answer incremental transfers.
//
// A journal is immutable: the publisher builds a new one with each serial (with_diff) and swaps a
// shared_ptr<const journal>, so readers on any thread use theirs without locks. The diffs
// themselves are shared between successive journals, so appending costs O(number of diffs), not
// O(their size).
//
// Also here: the byte encoding of a zone_diff for the database, and a reference diff of two
// snapshots.

#include "dns/zone_diff.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace iotreg::dns {

class zone_snapshot;

struct journal_limits {
  std::size_t max_diffs = 200;                   ///< at least 1
  std::size_t max_bytes = 256U * 1024U * 1024U;  ///< approximate wire size of all diffs kept
};

class journal {
 public:
  using diff_ptr = std::shared_ptr<const zone_diff>;

  /// An empty journal.
  explicit journal(journal_limits limits = {}) noexcept : limits_(limits) {}

  /// A new journal with `d` appended (this one is unchanged). If `d` does not continue the
  /// newest diff (d->from_serial != newest to_serial), the older diffs are dropped: they no
  /// longer chain to the zone. Then the oldest diffs are dropped until both limits hold; the
  /// newest diff is always kept, even if it alone exceeds max_bytes (a reader that finds no
  /// chain falls back to a full transfer anyway). Precondition: d != nullptr.
  std::shared_ptr<const journal> with_diff(diff_ptr d) const;

  /// The diffs leading from serial `from` to serial `to`, oldest first: empty if from == to,
  /// nothing if the journal does not hold that whole chain. O(number of diffs).
  std::optional<std::vector<const zone_diff*>> chain(std::uint32_t from, std::uint32_t to) const;

  std::size_t size() const noexcept { return diffs_.size(); }
  bool empty() const noexcept { return diffs_.empty(); }
  /// The approximate wire size of all diffs (what max_bytes bounds).
  std::size_t bytes() const noexcept { return bytes_; }
  /// The oldest serial a chain can start from; nothing if empty.
  std::optional<std::uint32_t> oldest_serial() const noexcept;
  /// The serial of the newest diff's end; nothing if empty.
  std::optional<std::uint32_t> newest_serial() const noexcept;
  const journal_limits& limits() const noexcept { return limits_; }

 private:
  journal_limits limits_;
  std::vector<diff_ptr> diffs_;  // consecutive: diffs_[i].to_serial == diffs_[i+1].from_serial
  std::size_t bytes_ = 0;
};

/// The approximate wire size of a diff's records (owner, type/class/TTL/length, RDATA).
std::size_t diff_wire_size(const zone_diff& d) noexcept;

/// Serializes a diff for storage: a version octet, the serials, then each list as a count and
/// records (owner in wire form, type, TTL, RDATA with its length), integers big-endian.
std::vector<std::uint8_t> encode_diff(const zone_diff& d);

/// The inverse of encode_diff. Never trusts its input: a truncated or corrupt encoding (bad
/// version, counts beyond the data, a malformed owner name, RDATA over 65535 octets, trailing
/// octets) gives nothing and sets `*error` (if given) to a short reason, never crashes or reads
/// out of bounds.
std::optional<zone_diff> decode_diff(std::span<const std::uint8_t> encoded, std::string* error = nullptr);

/// Reference diff of two snapshots of the same zone: every record except the apex SOA (the
/// SOA's RRSIGs are included) that is in `old` but not in `next` is removed, the reverse is
/// added. One O(n) pass over both zones in step: entries the snapshots share (persistent_map)
/// are skipped by address, others compared; only differing owners are copied and sorted.
/// from_serial and to_serial are the snapshots' serials. For tests, and as a source of diffs
/// until the signer produces them itself.
zone_diff diff_snapshots(const zone_snapshot& old, const zone_snapshot& next);

}  // namespace iotreg::dns
