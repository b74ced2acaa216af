#pragma once
// Version 2 CRLs (RFC 5280 §5) for an issuing CA: what the registry serves at
// /crl/<issuer aki>.crl. Pure given its inputs; CPU-bound (signing) and thread-safe.

#include "pki/ca.hpp"
#include "pki/revocation_reason.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace iotreg::pki {

/// One revoked certificate of the issuer.
struct crl_entry {
  std::string serial_hex;  // lower-case or upper-case hex of the positive serial, 1..40 digits
  time_point revoked_at;
  revocation_reason reason = revocation_reason::unspecified;
};

struct crl_parameters {
  std::uint64_t number = 1;  // cRLNumber; the caller keeps it monotonic per issuer
  time_point this_update;
  std::chrono::seconds validity = std::chrono::days(7);  // nextUpdate = thisUpdate + validity
};

/// The DER CRL of `issuer` listing `entries`: v2, issuer = the CA's subject, thisUpdate,
/// nextUpdate, authorityKeyIdentifier (keyIdentifier = the CA's SKI), cRLNumber; each entry with
/// its revocationDate and a reasonCode extension unless the reason is unspecified (RFC 5280
/// §5.3.1: absent rather than unspecified). Entries are sorted by serial. Signed with the CA key:
/// SHA-256, SHA-384 for P-384, no digest for Ed25519. Times are truncated to the second.
/// @throws std::invalid_argument if a serial is not 1..40 hex digits, validity <= 0, or the CA
/// certificate has no SKI; ossl_error on an OpenSSL failure.
std::vector<std::uint8_t> build_crl(const certificate_authority& issuer, std::span<const crl_entry> entries,
                                    const crl_parameters& p);

/// thisUpdate, nextUpdate, cRLNumber and entry count of a DER CRL (signature not checked).
struct crl_info {
  time_point this_update;
  time_point next_update;
  std::uint64_t number = 0;
  std::size_t entries = 0;  // revoked certificates listed
};

/// Reads those fields back. @throws ossl_error if `der` is not one CRL with a nextUpdate and a
/// cRLNumber that fits 64 bits.
crl_info read_crl_info(std::span<const std::uint8_t> der);

}  // namespace iotreg::pki
