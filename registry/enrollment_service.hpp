#pragma once
// Enrollment use cases: enroll, look up and revoke a device. Plain blocking functions, meant to
// run on the work pool (ARCHITECTURE.md, concurrency); they know nothing of HTTP.

#include "pki/revocation_reason.hpp"
#include "registry/errors.hpp"
#include "registry/model.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotreg::registry {

struct enroll_request {
  std::string device_id;
  std::string csr_pem;
  std::optional<std::int64_t> api_key_id;
};

/// A device as the API shows it.
struct enrollment {
  std::string device_id;
  std::string dns_name;         // <id>._device.<zone> without the final dot
  std::string certificate_pem;  // the device certificate
  std::string chain_pem;        // issuing CA then root CA
  std::string tlsa;             // presentation format: "<owner> <ttl> IN TLSA 3 1 1 <hex>"
  std::optional<std::uint32_t> zone_serial;
  device_status status = device_status::active;
};

struct revocation {
  std::string device_id;
  std::uint32_t zone_serial = 0;  // first serial without the device's TLSA
  pki::revocation_reason reason = pki::revocation_reason::unspecified;
};

class enrollment_service {
 public:
  virtual ~enrollment_service() = default;

  /// Checks the id and the CSR, issues the certificate, commits device + certificate + zone change
  /// in one transaction, then waits until the served zone contains the record.
  /// @returns errc::invalid_device_id, csr_*, device_exists, or publication_timeout (committed
  /// but not yet visible; it will be).
  virtual result<enrollment> enroll(const enroll_request& req) = 0;

  /// @returns errc::device_not_found.
  virtual result<enrollment> get(std::string_view device_id) = 0;

  /// Marks the device revoked with `reason` (recorded with its certificates, listed in the CRL
  /// and OCSP), then waits until its TLSA has left the served zone.
  /// @returns errc::device_not_found, device_already_revoked or publication_timeout.
  virtual result<revocation> revoke(std::string_view device_id, pki::revocation_reason reason) = 0;
};

/// Checks `Authorization: Bearer` tokens against the stored key hashes.
class authenticator {
 public:
  virtual ~authenticator() = default;
  /// @returns the key, or errc::unauthenticated (unknown, revoked or malformed token).
  virtual result<api_key> authenticate(std::string_view bearer_token) = 0;
};

}  // namespace iotreg::registry
