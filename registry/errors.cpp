#include "registry/errors.hpp"

#include <stdexcept>

namespace iotreg::registry {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "iotreg.registry"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok: return "ok";
      case errc::invalid_request: return "invalid request";
      case errc::invalid_device_id: return "invalid device id";
      case errc::csr_not_pem: return "CSR is not a PEM certificate request";
      case errc::csr_malformed: return "CSR is malformed";
      case errc::csr_bad_signature: return "CSR signature does not verify";
      case errc::csr_key_not_allowed: return "CSR key type or size not allowed";
      case errc::device_exists: return "device already exists";
      case errc::device_not_found: return "device not found";
      case errc::device_already_revoked: return "device already revoked";
      case errc::unauthenticated: return "missing or invalid credentials";
      case errc::forbidden: return "forbidden";
      case errc::publication_timeout: return "change committed but not yet published";
      case errc::ca_not_found: return "no CA certificate with that key identifier";
      case errc::csr_ca_requested: return "CSR asks for a CA certificate";
      case errc::csr_name_mismatch: return "CSR names another subject";
      case errc::invalid_server_keygen: return "invalid server-side key generation request";
      case errc::invalid_revocation_reason: return "invalid revocation reason";
      case errc::certificate_not_found: return "certificate not found";
      case errc::certificate_not_live: return "certificate withdrawn or revoked";
      case errc::invalid_transition: return "invalid lifecycle transition";
      case errc::tenant_not_found: return "tenant not found";
      case errc::api_key_not_found: return "API key not found";
      case errc::tenant_disable_refused: return "tenant cannot be disabled";
      case errc::invalid_service_endpoint: return "invalid service endpoint";
      case errc::service_endpoint_not_found: return "no service endpoint configured";
      case errc::no_live_certificate: return "the device has no live certificate";
      case errc::client_certificate_invalid: return "invalid client certificate";
      case errc::client_certificate_refused: return "client certificate refused";
      case errc::client_certificate_exists: return "client certificate already registered";
      case errc::client_certificate_not_found: return "client certificate not found";
    }
    return "unknown registry error";
  }
};

}  // namespace

const boost::system::error_category& registry_category() noexcept {
  static const category instance;
  return instance;
}

void throw_exception_from_error(const error& e, const boost::source_location&) {
  throw boost::system::system_error(make_error_code(e.code), e.detail);
}

}  // namespace iotreg::registry
