#pragma once
// EST (RFC 7030, STANDARDS.md §6): the API's port. The HTTP side (api/handlers/est.cpp) frames
// base64 and multipart bodies and authenticates; this side works on DER and knows the CA, the
// enrollment use cases and revocation. registry/est_responder.hpp implements it.

#include "registry/errors.hpp"
#include "registry/model.hpp"
#include "registry/secret.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

/// A certificate handed out by EST.
struct est_certificate {
  std::string device_id;
  std::vector<std::uint8_t> pkcs7_der;  // certs-only SignedData holding the device certificate
};

/// A certificate and the key iotreg made for it (/serverkeygen).
struct est_server_key {
  std::string device_id;
  std::vector<std::uint8_t> pkcs7_der;  // certs-only SignedData holding the device certificate
  secret_text encrypted_pkcs8_der;      // EncryptedPrivateKeyInfo (RFC 5958 §3), PBES2
};

class est_service {
 public:
  virtual ~est_service() = default;

  /// /cacerts: the active issuing CA and the root, as a certs-only SignedData. Never blocks.
  virtual const std::vector<std::uint8_t>& ca_certificates() const = 0;

  /// /csrattrs: the DER CsrAttrs this registry asks for. Never blocks.
  virtual const std::vector<std::uint8_t>& csr_attributes() const = 0;

  /// /simpleenroll: enrolls the device the CSR names (its subject CN: the device id, or the
  /// device's DNS name <id>._device.<zone>) for `caller` exactly like POST /api/v1/devices: the
  /// activation is authorized by lifecycle_service::authorize_activation (an MNO activates a
  /// device an ASP registered and becomes its MNO; the admin may enroll any id).
  /// @returns errc::forbidden (a role without device_activate: an ASP), device_not_found (not
  /// registered, or another MNO's), invalid_transition (not in state "registered"), the errors of
  /// enrollment_service::enroll; csr_* for a CSR without a CN.
  virtual result<est_certificate> enroll(std::span<const std::uint8_t> csr_der, const api_key& caller) = 0;

  /// /simplereenroll: `client_cert_der` is the TLS client certificate the server verified
  /// against iotreg's CAs. It must be known, not revoked, of an active device; the CSR's subject
  /// must equal it (RFC 7030 §4.2.2). Then enrollment_service::rekey.
  /// @returns errc::unauthenticated (no certificate), forbidden (revoked, unknown, device not
  /// active), csr_* (csr_name_mismatch: another subject), or rekey's errors.
  virtual result<est_certificate> reenroll(std::span<const std::uint8_t> csr_der,
                                           std::span<const std::uint8_t> client_cert_der) = 0;

  /// The rate-limit and audit scope of a /simplereenroll client certificate: "device:<id>" for
  /// the device its subject CN names (the same id across the device's renewals), "" if it is not
  /// a certificate. Does not check issuer or revocation (reenroll does). Never blocks, never
  /// throws except bad_alloc. @par Thread Safety: may be called concurrently.
  virtual std::string device_scope(std::span<const std::uint8_t> client_cert_der) const = 0;

  /// /serverkeygen: like enroll() (the same authorization), but iotreg makes a key of the CSR's key type (the
  /// CSR is only a template: its id and algorithm) and returns it encrypted under `password` (PBES2,
  /// pki/key_export). @returns enroll()'s errors or invalid_server_keygen (weak password).
  virtual result<est_server_key> server_keygen(std::span<const std::uint8_t> csr_der, const api_key& caller,
                                               std::string_view password) = 0;
};

}  // namespace iotreg::registry
