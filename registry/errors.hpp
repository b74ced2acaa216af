#pragma once
// Expected failures of registry use cases, as values (STYLE.md §4). They know nothing of HTTP:
// api/status_map.cpp maps them to status codes.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <type_traits>

namespace iotreg::registry {

enum class errc {
  ok = 0,
  invalid_request,    // malformed body or missing field
  invalid_device_id,  // not an EID with valid check digits, nor an allowed label
  csr_not_pem,
  csr_malformed,
  csr_bad_signature,
  csr_key_not_allowed,
  device_exists,
  device_not_found,
  device_already_revoked,
  unauthenticated,  // no or unknown API key
  forbidden,
  publication_timeout,         // committed, but not yet visible in the served zone
  ca_not_found,                // no CA certificate with that key id (/.well-known/ca/)
  csr_ca_requested,            // the CSR asks for a CA certificate
  csr_name_mismatch,           // [ca] csr_names = "check" and the CSR names another subject
  invalid_server_keygen,       // server-side key generation: unknown key type or format, bad password
  invalid_revocation_reason,   // not an RFC 5280 CRLReason name
  certificate_not_found,       // the device has no certificate with that serial
  certificate_not_live,        // confirm: the certificate is withdrawn or revoked
  invalid_transition,          // the lifecycle state machine forbids this change (nothing changed)
  tenant_not_found,            // no tenant with that id (admin API)
  api_key_not_found,           // no API key with that id (admin API)
  tenant_disable_refused,      // the caller's own tenant, or the last enabled admin tenant
  invalid_service_endpoint,    // IoT SAFE: a bad ASP service endpoint (host, port, TLSA)
  service_endpoint_not_found,  // IoT SAFE: the ASP has configured no service endpoint
  no_live_certificate,         // IoT SAFE: the device is not active or has no live certificate
  // Tenant client certificates (issue 5 item 1, registry/tenant_certificates.hpp):
  client_certificate_invalid,    // not exactly one PEM certificate that parses
  client_certificate_refused,    // expired, not yet valid, or its usages exclude TLS client auth
  client_certificate_exists,     // already registered (for this or another tenant)
  client_certificate_not_found,  // no active certificate with that fingerprint for the tenant
};

const boost::system::error_category& registry_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), registry_category()};
}

/// A failure with a message safe to show to the client (never secrets or internal detail).
struct error {
  errc code = errc::ok;
  std::string detail;
};

/// Lets result<T>::value() throw when it holds an error (found by ADL from Boost.System).
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

template <class T>
using result = boost::system::result<T, error>;

}  // namespace iotreg::registry

template <>
struct boost::system::is_error_code_enum<iotreg::registry::errc> : std::true_type {};
