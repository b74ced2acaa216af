#include "api/status_map.hpp"

namespace iotreg::api {

problem_kind problem_for(registry::errc e) noexcept {
  using registry::errc;
  using s = http::status;
  switch (e) {
    case errc::invalid_request: return {s::bad_request, "invalid-request", "Invalid request"};
    case errc::invalid_device_id: return {s::bad_request, "invalid-device-id", "Invalid device id"};
    case errc::csr_not_pem:
    case errc::csr_malformed: return {s::bad_request, "invalid-csr", "Invalid CSR"};
    case errc::csr_bad_signature: return {s::bad_request, "csr-signature", "CSR signature does not verify"};
    case errc::csr_key_not_allowed: return {s::bad_request, "csr-key-not-allowed", "CSR key not allowed"};
    case errc::device_exists: return {s::conflict, "device-exists", "Device already exists"};
    case errc::device_not_found: return {s::not_found, "device-not-found", "Device not found"};
    case errc::device_already_revoked: return {s::conflict, "device-revoked", "Device already revoked"};
    case errc::unauthenticated: return {s::unauthorized, "unauthenticated", "Authentication required"};
    case errc::forbidden: return {s::forbidden, "forbidden", "Forbidden"};
    case errc::publication_timeout:
      return {s::service_unavailable, "publication-timeout", "Publication pending"};
    case errc::ca_not_found: return {s::not_found, "ca-not-found", "CA certificate not found"};
    case errc::csr_ca_requested: return {s::bad_request, "csr-ca-requested", "CSR asks for a CA certificate"};
    case errc::csr_name_mismatch: return {s::bad_request, "csr-name-mismatch", "CSR names another subject"};
    case errc::invalid_server_keygen:
      return {s::bad_request, "invalid-server-keygen", "Invalid server key generation request"};
    case errc::invalid_revocation_reason:
      return {s::bad_request, "invalid-revocation-reason", "Invalid revocation reason"};
    case errc::certificate_not_found: return {s::not_found, "certificate-not-found", "Certificate not found"};
    case errc::certificate_not_live:
      return {s::conflict, "certificate-not-live", "Certificate withdrawn or revoked"};
    case errc::invalid_transition: return {s::conflict, "invalid-transition", "Invalid lifecycle transition"};
    case errc::tenant_not_found: return {s::not_found, "tenant-not-found", "Tenant not found"};
    case errc::api_key_not_found: return {s::not_found, "api-key-not-found", "API key not found"};
    case errc::tenant_disable_refused:
      return {s::conflict, "tenant-disable-refused", "Tenant cannot be disabled"};
    case errc::invalid_service_endpoint:
      return {s::bad_request, "invalid-service-endpoint", "Invalid service endpoint"};
    case errc::service_endpoint_not_found:
      return {s::not_found, "service-endpoint-not-found", "Service endpoint not found"};
    case errc::no_live_certificate:
      return {s::conflict, "no-live-certificate", "Device has no live certificate"};
    case errc::client_certificate_invalid:
      return {s::bad_request, "invalid-client-certificate", "Invalid client certificate"};
    case errc::client_certificate_refused:
      return {s::bad_request, "client-certificate-refused", "Client certificate refused"};
    case errc::client_certificate_exists:
      return {s::conflict, "client-certificate-exists", "Client certificate already registered"};
    case errc::client_certificate_not_found:
      return {s::not_found, "client-certificate-not-found", "Client certificate not found"};
    case errc::ok: break;
  }
  return {s::internal_server_error, "internal", "Internal error"};
}

}  // namespace iotreg::api
