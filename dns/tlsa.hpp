#pragma once
// TLSA record data (RFC 6698): what iotreg publishes for devices (DANE-EE, 3 1 1) and for its CAs
// (PKIX-TA full certificate, 0 0 0). No ldns here: the server module includes this header.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace iotreg::dns {

/// One TLSA RDATA. Defaults are DANE-EE / SPKI / SHA2-256.
struct tlsa_rdata {
  std::uint8_t usage = 3;
  std::uint8_t selector = 1;
  std::uint8_t matching = 1;
  std::vector<std::uint8_t> data;  ///< certificate association data, raw bytes

  /// Presentation form "U S M hex" with lower-case hex, e.g. "3 1 1 9f86d0...". Empty data gives
  /// "U S M" followed by nothing (not a valid record; callers never publish it).
  std::string to_text() const;

  /// RDATA wire form: usage, selector, matching, data.
  std::vector<std::uint8_t> to_wire() const;

  friend bool operator==(const tlsa_rdata&, const tlsa_rdata&) = default;
};

/// `3 1 1 SHA-256(spki_der)`: DANE-EE over the device's SubjectPublicKeyInfo (DER).
/// @throw boost::system::system_error (errc::crypto_failure) if OpenSSL fails.
tlsa_rdata dane_ee_spki_sha256(std::span<const std::uint8_t> spki_der);

/// `0 0 0 <cert DER>`: PKIX-TA carrying the full CA certificate.
tlsa_rdata pkix_ta_full_cert(std::span<const std::uint8_t> cert_der);

}  // namespace iotreg::dns
