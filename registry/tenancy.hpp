#pragma once
// Tenant use cases: the admin's tenants and API keys, and the device lifecycle of ASPs and MNOs
// (issue 5). Every call takes the caller's key and goes through registry/authorization.hpp;
// every state change through registry/lifecycle.hpp. Plain blocking functions for the work pool;
// they know nothing of HTTP.

#include "pki/revocation_reason.hpp"
#include "registry/authorization.hpp"
#include "registry/enrollment_service.hpp"
#include "registry/errors.hpp"
#include "registry/model.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

/// A device's lifecycle state after a change, and the serial that published the change's zone
/// effect (nullopt when there was none).
struct lifecycle_result {
  device_ownership device;
  std::optional<std::uint32_t> zone_serial;
};

/// A one-time transfer code: shown once to the owning ASP, stored as its SHA-256 only.
struct transfer_code {
  std::string device_id;
  std::string code;
  time_point expires_at;
};

/// One row of a bulk registration.
struct bulk_row {
  std::size_t row = 0;    // 1-based position in the request
  std::string device_id;  // normalised when valid, else as sent (truncated)
  bool registered = false;
  std::optional<error> problem;  // invalid_device_id, device_exists, or invalid_request (duplicate)
};

class lifecycle_service {
 public:
  virtual ~lifecycle_service() = default;

  /// The device `device_id` if `caller` may use it with scope `s`.
  /// @returns errc::forbidden (role lacks scope) or device_not_found (missing or another's).
  virtual result<device_ownership> authorize_device(const api_key& caller, scope s,
                                                    std::string_view device_id) = 0;

  /// Before an enrollment: may `caller` activate `device_id`? An MNO activates only a device an
  /// ASP registered (it becomes the device's MNO); the admin may also enroll an unregistered id.
  /// @returns the MNO tenant to record (nullopt for the admin); errc::forbidden, device_not_found,
  /// invalid_transition.
  virtual result<std::optional<std::int64_t>> authorize_activation(const api_key& caller,
                                                                   std::string_view device_id) = 0;

  /// An ASP registers one device id (state "registered", no certificate).
  /// @returns errc::forbidden, invalid_device_id, device_exists.
  virtual result<device_ownership> register_device(const api_key& caller, std::string_view device_id) = 0;

  /// An ASP registers many ids in one transaction; a result per row, bad rows reported and the
  /// others registered. @returns errc::forbidden or invalid_request (too many rows).
  virtual result<std::vector<bulk_row>> register_bulk(const api_key& caller,
                                                      const std::vector<std::string>& device_ids) = 0;

  /// Lifecycle changes; each waits until its zone effect is served.
  /// @returns errc::forbidden, device_not_found, invalid_transition (nothing changed),
  /// publication_timeout (committed, not yet served).
  virtual result<lifecycle_result> suspend(const api_key& caller, std::string_view device_id) = 0;
  virtual result<lifecycle_result> resume(const api_key& caller, std::string_view device_id) = 0;
  virtual result<lifecycle_result> remove(const api_key& caller, std::string_view device_id) = 0;
  /// Also device_already_revoked for a revoked device (compatible with issue 2's API).
  virtual result<revocation> revoke(const api_key& caller, std::string_view device_id,
                                    pki::revocation_reason reason) = 0;

  /// The owning ASP asks for a transfer code (replacing any previous one).
  virtual result<transfer_code> create_transfer_code(const api_key& caller, std::string_view device_id) = 0;
  /// Another ASP takes the device over with the code. A wrong or expired code is
  /// errc::device_not_found, as for a device that does not exist.
  virtual result<lifecycle_result> transfer(const api_key& caller, std::string_view device_id,
                                            std::string_view code) = 0;
};

/// A new API key: `key` is shown once, only its hash is stored.
struct issued_api_key {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string role;
  std::string key;
  std::optional<time_point> expires_at;
};

class tenant_service {
 public:
  virtual ~tenant_service() = default;
  /// @returns errc::forbidden (not admin) or invalid_request (empty name, unknown kind).
  virtual result<tenant> create_tenant(const api_key& caller, std::string_view name,
                                       std::string_view kind) = 0;
  virtual result<std::vector<tenant>> list_tenants(const api_key& caller) = 0;
  /// @returns errc::forbidden, tenant_not_found, invalid_request (expiry in the past).
  virtual result<issued_api_key> create_api_key(const api_key& caller, std::int64_t tenant_id,
                                                std::string_view name,
                                                std::optional<time_point> expires_at) = 0;
  /// @returns errc::forbidden or api_key_not_found (unknown or already revoked).
  virtual result<std::int64_t> revoke_api_key(const api_key& caller, std::int64_t key_id) = 0;
  /// Disables (`disabled`) or enables tenant `tenant_id`: its keys are refused (401) from the
  /// next request on, or accepted again; its devices stay as they are (their TLSA stay served).
  /// Idempotent in effect: disabling a disabled tenant keeps its first disabled_at, enabling an
  /// enabled one changes nothing; an audit row is written only when the state changes.
  /// @returns the tenant after the call; errc::forbidden (not admin), tenant_not_found,
  /// tenant_disable_refused (disabling the caller's own tenant, or the last enabled admin tenant).
  virtual result<tenant> set_tenant_disabled(const api_key& caller, std::int64_t tenant_id,
                                             bool disabled) = 0;
};

}  // namespace iotreg::registry
