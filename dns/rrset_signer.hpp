#pragma once
// Internal: signs one RRset with ldns (ldns_sign_public). DNSKEY, CDS and CDNSKEY RRsets are signed
// by every KSK (RFC 7344 §4.1: CDS/CDNSKEY by a key the parent's DS names), all others by every ZSK.

#include "dns/keys.hpp"
#include "dns/ldns.hpp"
#include "dns/zone_data.hpp"

#include <chrono>
#include <cstdint>
#include <vector>

namespace iotreg::dns::detail {

class rrset_signer {
 public:
  /// Borrows `keys` (they must outlive this object): the keys that sign, all of them; keys that
  /// are only published stay out (zone_signer keeps them apart). Precondition: >= 1 KSK and
  /// >= 1 ZSK.
  explicit rrset_signer(const std::vector<dnssec_key>& keys);

  /// Sets the RRSIG inception and expiration (seconds since the epoch, RFC 1982 wrap) on every
  /// key for the signatures that follow.
  void set_validity(std::uint32_t inception, std::uint32_t expiration);

  /// RRSIG RDATAs over (owner, type, ttl, rdata). @throw errc::ldns_failure.
  std::vector<bytes> sign(name_view owner, std::uint16_t type, std::uint32_t ttl,
                          const std::vector<bytes>& rdata) const;

  /// Signs `s` in place.
  void sign(name_view owner, rrset& s) const { s.rrsig = sign(owner, s.type, s.ttl, s.rdata); }

 private:
  const std::vector<dnssec_key>& keys_;
  borrowed_key_list ksks_;
  borrowed_key_list zsks_;
};

/// Seconds since the epoch, truncated to 32 bits as RRSIG fields want them.
std::uint32_t rrsig_time(std::chrono::system_clock::time_point t) noexcept;

}  // namespace iotreg::dns::detail
