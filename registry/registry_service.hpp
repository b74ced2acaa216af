#pragma once
// The enrollment use cases (enrollment_service) on top of the stores, the CA and the zone
// publisher.

#include "pki/ca.hpp"
#include "pki/certificate.hpp"
#include "pki/csr.hpp"
#include "pki/issuance_urls.hpp"
#include "registry/enrollment_service.hpp"
#include "registry/ports.hpp"
#include "registry/revocation_service.hpp"
#include "registry/tenant_certificates.hpp"
#include "registry/zone_publisher.hpp"

#include <chrono>
#include <functional>

namespace iotreg::registry {

struct registry_settings {
  std::string zone;  // apex with the final dot
  std::uint32_t tlsa_ttl = 300;
  bool allow_label_ids = false;
  std::chrono::days device_validity{365};
  std::chrono::milliseconds publish_timeout{10000};
  pki::csr_policy csr{};      // size limit and name policy of enrollment CSRs
  pki::issuance_urls urls{};  // CRL distribution point and AIA of device certificates
};

class registry_service final : public enrollment_service {
 public:
  using clock_fn = std::function<time_point()>;

  /// @param issuing the CA that signs device certificates; @param root its root, for the chain.
  registry_service(
      registry_settings settings, device_store& devices, zone_publisher& publisher,
      const pki::certificate_authority& issuing, const pki::certificate& root,
      clock_fn now = [] { return clock::now(); });

  result<enrollment> enroll(const enroll_request& req) override;
  result<enrollment> get(std::string_view device_id) override;
  result<revocation> revoke(std::string_view device_id, pki::revocation_reason reason) override;
  // renewal.cpp
  result<enrollment> renew(const renew_request& req) override;
  result<enrollment> rekey(const rekey_request& req) override;
  result<confirmation> confirm(std::string_view device_id, std::string_view serial_hex) override;
  result<expiring_page> expiring(const api_key& caller, time_point before,
                                 const std::optional<expiring_cursor>& after, std::size_t limit) override;

  /// The expiry sweep (run periodically, see expiry_sweeper): withdraws the live certificates
  /// whose notAfter has passed (this service's clock) and wakes the publisher; does not wait for
  /// publication. Safe on several nodes at once. @returns how many TLSA records it removed.
  /// @throws on database failure.
  std::size_t sweep_expired();

  /// After each revocation, right after its commit, the CRLs are regenerated through `r` (null:
  /// none). A failure there is logged, not returned: the revocation is committed and the
  /// periodic check (revocation_service::refresh) repairs the CRL. `r` must outlive this service.
  void set_revocation_service(revocation_service* r) noexcept { revocation_ = r; }

 private:
  enrollment to_enrollment(const device& d) const;
  /// server_keygen.cpp: enroll() with a key made here instead of a CSR.
  result<enrollment> enroll_with_server_key(const std::string& id, const server_keygen_request& kg,
                                            std::optional<std::int64_t> api_key_id,
                                            std::optional<std::int64_t> mno_tenant_id = std::nullopt);
  /// Commits device + certificate + zone change and waits for publication; the device's
  /// zone_serial is unset if the wait timed out (committed, not yet served).
  /// `mno_tenant_id`: the activating MNO (new_enrollment::mno_tenant_id).
  result<device> store_and_publish(const std::string& id, const pki::certificate& cert,
                                   std::optional<std::int64_t> api_key_id,
                                   std::optional<std::int64_t> mno_tenant_id = std::nullopt);
  std::string dns_name(std::string_view device_id) const;
  /// The device TLSA (3 1 1 of the SPKI) and the stored record of a certificate it issued.
  static tlsa_data tlsa_of(const pki::certificate& cert);
  static certificate_record record_of(const pki::certificate& cert);
  /// server_keygen.cpp: checks `kg`, runs `precheck` (an error stops before any key is made),
  /// makes the key, issues for it, seals it and hands the certificate to `store`.
  result<enrollment> with_server_key(const std::string& id, const server_keygen_request& kg,
                                     const std::function<std::optional<error>()>& precheck,
                                     const std::function<result<device>(const pki::certificate&)>& store);
  /// renewal.cpp: the active device, or device_not_found / device_already_revoked.
  result<device> live_device(std::string_view device_id);
  /// renewal.cpp: stores one more certificate for `d` and, if its TLSA is new to the device,
  /// waits for its publication (zone_serial unset on timeout).
  result<device> store_certificate(const device& d, const pki::certificate& cert,
                                   std::optional<std::int64_t> api_key_id, const char* action);

  registry_settings settings_;
  device_store& devices_;
  zone_publisher& publisher_;
  const pki::certificate_authority& issuing_;
  const pki::certificate& root_;
  std::string chain_pem_;
  clock_fn now_;
  revocation_service* revocation_ = nullptr;
};

namespace detail {
/// The registry error for a pki::csr_errc (shared by enroll and rekey).
error csr_error(const boost::system::error_code& ec);
}  // namespace detail

/// API keys: "iotreg_" followed by 64 hex digits (256 random bits). Only SHA-256 hashes are
/// stored; the plain key is shown once.
std::string generate_api_key();
std::array<std::uint8_t, 32> api_key_hash(std::string_view key);

class api_key_authenticator final : public authenticator {
 public:
  explicit api_key_authenticator(api_key_store& keys) : keys_(keys) {}
  result<api_key> authenticate(std::string_view bearer_token) override;
  /// Looks the certificate's SHA-256 up in the store of set_certificate_store (none: every
  /// certificate is unknown).
  result<api_key> authenticate_certificate(std::string_view der) override;
  /// Where certificate credentials are; `s` must outlive this. Call before serving.
  void set_certificate_store(tenant_certificate_store* s) noexcept { certificates_ = s; }

 private:
  api_key_store& keys_;
  tenant_certificate_store* certificates_ = nullptr;
};

}  // namespace iotreg::registry
