#pragma once
// One published change of a signed zone, as IXFR (RFC 1995) sends it: the records removed and the
// records added between two serials. Produced by the signer with every new serial, kept in a
// bounded journal (PostgreSQL, and in memory for serving), and replayed to secondaries.

#include "dns/wire_name.hpp"

#include <cstdint>
#include <vector>

namespace iotreg::dns {

/// One resource record in uncompressed wire form (class IN), owner lower-cased.
struct rr_record {
  detail::wire_name owner;
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  detail::bytes rdata;

  friend bool operator==(const rr_record&, const rr_record&) = default;
  friend auto operator<=>(const rr_record&, const rr_record&) = default;
};

/// The difference between the zone at from_serial and at to_serial. The SOA records themselves
/// are NOT in removed/added (IXFR frames each diff with the old and the new SOA, which the
/// journal knows from the serials and the zone); everything else is, RRSIG and NSEC3 records
/// included. removed and added are sorted (operator<) and disjoint.
struct zone_diff {
  std::uint32_t from_serial = 0;
  std::uint32_t to_serial = 0;
  std::vector<rr_record> removed;
  std::vector<rr_record> added;
};

}  // namespace iotreg::dns
