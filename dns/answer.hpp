#pragma once
// Internal: what an authoritative answer from a zone contains (sections and RCODE), as
// references into the zone; message.cpp turns it into wire format.

#include "dns/zone_data.hpp"
#include "dns/zone_walk.hpp"

#include <cstdint>
#include <deque>
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

/// Records refer to the zone (which must outlive the answer) or to `owned_names`, owner names
/// made for the answer (NSEC3 owners). Move-only: a deque keeps its elements in place when
/// moved, so those references stay valid; a copy would not.
struct answer {
  std::uint8_t rcode = rcode::noerror;
  std::vector<rr_ref> answer_section;
  std::vector<rr_ref> authority_section;
  std::deque<wire_name> owned_names;

  answer() = default;
  answer(answer&&) noexcept = default;
  answer& operator=(answer&&) noexcept = default;
  answer(const answer&) = delete;
  answer& operator=(const answer&) = delete;
  ~answer() = default;
};

/// Looks `qname` (any case; precondition: at or under z.apex) up for `qtype` (not a transfer
/// type). `dnssec`: the query had DO=1, so add RRSIGs and NSEC3 proofs.
answer lookup(const zone_data& z, name_view qname, std::uint16_t qtype, bool dnssec);

}  // namespace iotreg::dns::detail
