#pragma once
// The core of an RFC 6960 OCSP responder: DER OCSPRequest in, DER OCSPResponse out. Each CA
// answers for the certificates it issued and signs with its own key (no delegated responder), so
// a client that trusts the issuer needs nothing else. Transport (GET/POST) lives in api/.

#include "pki/ca.hpp"
#include "pki/revocation_reason.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace iotreg::pki {

/// What the registry knows of one certificate.
struct ocsp_status {
  enum class kind { good, revoked, unknown };
  kind status = kind::unknown;
  time_point revoked_at;  // revoked only
  revocation_reason reason = revocation_reason::unspecified;
};

/// Looks up the certificate with `serial_hex` (lower-case hex, no leading zeros, as
/// certificate::serial_hex) issued by `issuer`. May block (database); may throw, which fails the
/// whole request (respond() turns it into an internalError response).
using ocsp_lookup =
    std::function<ocsp_status(const certificate_authority& issuer, const std::string& serial_hex)>;

struct ocsp_parameters {
  time_point now;
  std::chrono::seconds validity = std::chrono::hours(1);  // nextUpdate = now + validity
  std::size_t max_requests = 32;  // more CertIDs than this in one request: malformedRequest
};

/// Answers `request_der`:
/// - not exactly one DER OCSPRequest, no CertID, or more than max_requests: malformedRequest;
/// - no CertID names a CA of `cas` (issuerNameHash and issuerKeyHash, with SHA-1, SHA-256,
///   SHA-384 or SHA-512): unauthorized (RFC 6960 §2.3: nothing here may answer for it);
/// - otherwise a successful BasicOCSPResponse signed by the CA of the first CertID that names
///   one (SHA-256, SHA-384 for P-384, none for Ed25519), responderID byKey, the signer's
///   certificate in `certs`, thisUpdate = now, nextUpdate = now + validity, the request's nonce
///   echoed if it has one, one SingleResponse per CertID in request order: the lookup's status
///   for the signing CA's CertIDs, `unknown` for the others (RFC 6960 §2.2: an issuer this
///   signer does not answer for);
/// - the lookup or signing throws: internalError (the exception is not rethrown; `error` gets
///   its message for the caller's log if non-null).
/// The request's own signature, if any, is ignored (requests need no authentication).
/// Thread-safe if `lookup` is. Throws only bad_alloc or ossl_error when even the error response
/// cannot be encoded.
std::vector<std::uint8_t> ocsp_respond(std::span<const std::uint8_t> request_der,
                                       std::span<const certificate_authority* const> cas,
                                       const ocsp_lookup& lookup, const ocsp_parameters& p,
                                       std::string* error = nullptr);

/// Whether `der` is an OCSPResponse with responseStatus successful (RFC 6960 §4.2.1): the only
/// kind a cache may keep (RFC 5019 §6). False for anything that does not decode. Thread-safe.
bool ocsp_response_successful(std::span<const std::uint8_t> der) noexcept;

}  // namespace iotreg::pki
