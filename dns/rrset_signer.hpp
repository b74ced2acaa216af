#pragma once
// Internal: signs one RRset. DNSKEY, CDS and CDNSKEY RRsets are signed
// by every KSK (RFC 7344 §4.1: CDS/CDNSKEY by a key the parent's DS names), all others by every ZSK.
//
// The RRSIG RDATA and the signed data (RFC 4034 §3.1.8.1) are built here directly from our wire
// records, and only the signature itself comes from ldns (ldns_sign_public_buffer, the primitive
// behind ldns_sign_public: it hashes the buffer and returns the signature field as DNSSEC wants
// it, r||s for ECDSA, the raw 64 octets for Ed25519, PKCS#1 v1.5 for RSA). Going through
// ldns_rr and ldns_sign_public instead cost several times the signature itself at 1M records.
//
// Algorithm 13 (ECDSA P-256, the default, two signatures per device) takes a shorter path to the
// same OpenSSL operation: ldns_sign_public_buffer makes and initialises a new OpenSSL signing
// context for every signature, which OpenSSL 3 makes cost ~6 µs of the ~27 µs a signature takes
// here. This signer keeps one initialised context per thread and key instead, signs the SHA-256
// of the data with EVP_PKEY_sign on the key ldns loaded, and lets ldns turn OpenSSL's DER
// signature into the r||s field (ldns_convert_ecdsa_rrsig_asn1len2rdf) — what
// ldns_sign_public_buffer does, less the set-up. bench/RESULTS.md has the figures.

#include "dns/keys.hpp"
#include "dns/ldns.hpp"
#include "dns/zone_data.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace iotreg::dns::detail {

/// RRSIG inception and expiration, seconds since the epoch (RFC 1982 wrap).
struct rrsig_validity {
  std::uint32_t inception = 0;
  std::uint32_t expiration = 0;
};

class rrset_signer {
 public:
  /// Borrows the ldns keys of `keys` (they must outlive this object): the keys that sign, all of
  /// them; keys that are only published stay out (zone_signer keeps them apart). Precondition:
  /// >= 1 KSK and >= 1 ZSK.
  /// @throw errc::ldns_failure, std::invalid_argument if a key's apex is not a valid name.
  explicit rrset_signer(const std::vector<dnssec_key>& keys);

  /// Sets the window that the overloads without a validity argument use. Not thread-safe: call
  /// it only while no sign() runs.
  void set_validity(std::uint32_t inception, std::uint32_t expiration);

  /// The window set by set_validity().
  rrsig_validity validity() const noexcept { return validity_; }

  /// RRSIG RDATAs (one per signing key) over the RRset (owner, type, ttl, rdata) with the given
  /// window. `owner` may be in any case (it is lower-cased for signing); `rdata` may be in any
  /// order and hold duplicates (signed in canonical order, once each, RFC 4034 §6.3). Names
  /// inside NS, CNAME, PTR, MX and SOA RDATA are lower-cased for signing (§6.2); for other types
  /// the RDATA must already be canonical, as zone_data keeps it.
  /// @par Thread safety: safe to call concurrently (reads the keys only; per-thread buffers).
  /// @throw errc::ldns_failure if signing fails; std::invalid_argument if `rdata` is empty or an
  ///        RDATA is longer than 65535 octets.
  std::vector<bytes> sign(name_view owner, std::uint16_t type, std::uint32_t ttl,
                          std::span<const bytes> rdata, rrsig_validity v) const;

  /// The same for an RRset of a single record (no vector to build, e.g. NSEC3).
  std::vector<bytes> sign_one(name_view owner, std::uint16_t type, std::uint32_t ttl,
                              std::span<const std::uint8_t> rdata, rrsig_validity v) const;

  /// As above with the window of set_validity().
  std::vector<bytes> sign(name_view owner, std::uint16_t type, std::uint32_t ttl,
                          const std::vector<bytes>& rdata) const {
    return sign(owner, type, ttl, std::span<const bytes>(rdata), validity_);
  }

  /// Signs `s` in place with the window of set_validity().
  void sign(name_view owner, rrset& s) const { s.rrsig = sign(owner, s.type, s.ttl, s.rdata); }

  /// Signs `s` in place with window `v`.
  void sign(name_view owner, rrset& s, rrsig_validity v) const {
    s.rrsig = sign(owner, s.type, s.ttl, std::span<const bytes>(s.rdata), v);
  }

 private:
  struct signing_key {
    ldns_key* key;
    std::uint8_t algorithm;
    std::uint16_t tag;
    wire_name signer;  ///< lower-cased apex
    /// Process-unique, so that per-thread contexts are never confused between two keys that
    /// happen to live at the same address one after the other.
    std::uint64_t id;
  };

  std::vector<bytes> sign_records(name_view owner, std::uint16_t type, std::uint32_t ttl,
                                  std::span<const std::span<const std::uint8_t>> rdata,
                                  rrsig_validity v) const;

  std::vector<signing_key> ksks_;
  std::vector<signing_key> zsks_;
  rrsig_validity validity_;
};

/// Seconds since the epoch, truncated to 32 bits as RRSIG fields want them.
std::uint32_t rrsig_time(std::chrono::system_clock::time_point t) noexcept;

}  // namespace iotreg::dns::detail
