#pragma once
// Internal: what an authoritative answer from a zone contains (sections and RCODE), as
// references into the zone; message.cpp turns it into wire format.

#include "dns/zone_data.hpp"
#include "dns/zone_walk.hpp"

#include <cstdint>
#include <vector>

namespace iotreg::dns::detail {

namespace rcode {
inline constexpr std::uint8_t noerror = 0;
inline constexpr std::uint8_t formerr = 1;
inline constexpr std::uint8_t servfail = 2;
inline constexpr std::uint8_t nxdomain = 3;
inline constexpr std::uint8_t notimp = 4;
inline constexpr std::uint8_t refused = 5;
inline constexpr std::uint16_t badvers = 16;
}  // namespace rcode

struct answer {
  std::uint8_t rcode = rcode::noerror;
  std::vector<rr_ref> answer_section;
  std::vector<rr_ref> authority_section;
};

/// Looks `qname` (any case; precondition: at or under z.apex) up for `qtype` (not a transfer
/// type). `dnssec`: the query had DO=1, so add RRSIGs and NSEC3 proofs.
answer lookup(const zone_data& z, name_view qname, std::uint16_t qtype, bool dnssec);

}  // namespace iotreg::dns::detail
