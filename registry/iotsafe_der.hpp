#pragma once
// The compact binary form of the IoT SAFE payload: DER of the ASN.1 module in README.md
// ("IoT SAFE payload"), media type application/vnd.iotreg.iotsafe+der. DER is a subset of the
// BER-TLV that (e)SIM applets parse natively (GlobalPlatform, ETSI TS 102 221); certificates are
// embedded as their own DER (a TLV the applet can store as is), DNS records as RDATA wire form.

#include "registry/errors.hpp"
#include "registry/iotsafe.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace iotreg::registry {

/// The DER of `p` (version 1). The presentation texts of the records are not encoded.
/// @throws std::invalid_argument if a certificate is not a DER SEQUENCE. Pure.
std::vector<std::uint8_t> encode_iotsafe_der(const iotsafe_payload& p);

/// Parses what encode_iotsafe_der writes (record texts and PEM stay empty). Strict DER: a wrong
/// tag, a bad or overlong length, a truncated element, trailing bytes, a version other than 1
/// or a non-ASCII name are errc::invalid_request. For clients and tests. Pure.
result<iotsafe_payload> decode_iotsafe_der(std::span<const std::uint8_t> der);

}  // namespace iotreg::registry
