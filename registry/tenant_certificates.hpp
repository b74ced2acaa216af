#pragma once
// Tenant TLS client certificates: the second kind of tenant credential beside API keys (issue 5
// item 1). The admin registers a certificate for a tenant; the certificate may come from the
// tenant's own PKI or be self-signed: iotreg pins the certificate itself (RFC 8705 §2.2), and the
// TLS handshake proves that the client holds its private key. A request over such a connection
// without an Authorization header then acts as that tenant, with the same principal
// (registry::api_key: credential id, role, tenant) as an API key of the tenant, so scopes, rate
// limits, idempotency scopes and audit rows are the same.
//
// The credential is identified by its fingerprint: the SHA-256 of the certificate's DER, shown as
// 64 lower-case hex digits. It expires at the earlier of the admin's expiry and the certificate's
// notAfter, and is revoked by the admin.

#include "registry/errors.hpp"
#include "registry/model.hpp"
#include "registry/ports.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

using fingerprint = std::array<std::uint8_t, 32>;

/// A registered certificate credential.
struct tenant_certificate {
  std::int64_t id = 0;  // the credential's id (api_keys.id): audit rows name it
  std::int64_t tenant_id = 0;
  std::vector<std::uint8_t> der;
  fingerprint sha256{};
  std::string subject;   // RFC 2253; filled by the service from `der`
  time_point not_after;  // the certificate's; filled by the service from `der`
  time_point expires_at;
  time_point created_at;
  std::optional<time_point> revoked_at;
};

/// Storage of certificate credentials (db/tenant_certificate_store_pg.hpp). The writes add
/// their audit row (with registry::current_request()) in the same transaction.
class tenant_certificate_store {
 public:
  virtual ~tenant_certificate_store() = default;

  /// Stores `der` (whose SHA-256 is `sha256`) as a credential of tenant `tenant_id`, its role
  /// the tenant's kind, expiring at `expires_at`; audit action "tenant.certificate.register".
  /// @returns the new credential's id; errc::tenant_not_found; errc::client_certificate_exists if
  /// a credential with that fingerprint exists (revoked or not: a revoked certificate stays
  /// revoked). Nothing is written on error.
  virtual result<std::int64_t> insert(std::int64_t tenant_id, std::string_view name,
                                      const fingerprint& sha256, std::span<const std::uint8_t> der,
                                      time_point expires_at) = 0;

  /// Every certificate credential of the tenant, revoked and expired ones too, oldest first.
  /// `subject` and `not_after` are left empty.
  virtual std::vector<tenant_certificate> list(std::int64_t tenant_id) = 0;

  /// Revokes the tenant's unrevoked certificate credential `sha256` (now); audit action
  /// "tenant.certificate.revoke". @returns its id, or nullopt if there is none.
  virtual std::optional<std::int64_t> revoke(std::int64_t tenant_id, const fingerprint& sha256) = 0;

  /// The principal of certificate credential `sha256` if it is usable: not revoked, not
  /// expired, its tenant not disabled.
  virtual std::optional<api_key> find_active(const fingerprint& sha256) = 0;
};

/// Fingerprint as 64 lower-case hex digits.
std::string fingerprint_text(const fingerprint& f);

/// Parses 64 hex digits, either case, optionally with ':' between the bytes (as
/// `openssl x509 -fingerprint -sha256` prints them). nullopt otherwise.
std::optional<fingerprint> parse_fingerprint(std::string_view text);

/// The admin's use cases on certificate credentials (implemented by tenant_certificate_admin,
/// registry/tenant_certificate_admin.hpp). Every call needs scope tenants_manage.
class tenant_certificate_service {
 public:
  virtual ~tenant_certificate_service() = default;

  /// Registers the one PEM certificate of `pem` for `tenant_id`, expiring at the earlier of
  /// `expires_at` and its notAfter. @returns the credential; errc::forbidden, tenant_not_found,
  /// invalid_request (expires_at in the past), client_certificate_invalid (not exactly one PEM
  /// certificate), client_certificate_refused (expired, not yet valid, usages without TLS client
  /// authentication), client_certificate_exists. Nothing is written on error.
  virtual result<tenant_certificate> register_certificate(const api_key& caller, std::int64_t tenant_id,
                                                          std::string_view pem,
                                                          std::optional<time_point> expires_at) = 0;

  /// @returns the tenant's certificate credentials (revoked and expired included), oldest
  /// first; errc::forbidden, tenant_not_found.
  virtual result<std::vector<tenant_certificate>> list(const api_key& caller, std::int64_t tenant_id) = 0;

  /// Revokes the tenant's certificate `fingerprint_hex` (text as parse_fingerprint reads it).
  /// @returns its fingerprint; errc::forbidden, tenant_not_found, client_certificate_not_found
  /// (unknown, malformed, another tenant's, or already revoked).
  virtual result<fingerprint> revoke(const api_key& caller, std::int64_t tenant_id,
                                     std::string_view fingerprint_hex) = 0;
};

}  // namespace iotreg::registry
