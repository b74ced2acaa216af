#pragma once
// The est_service of a running iotregd: EST on top of enrollment_service and the revocation
// store.

#include "pki/certificate.hpp"
#include "pki/csr.hpp"
#include "registry/enrollment_service.hpp"
#include "registry/est_service.hpp"
#include "registry/ports.hpp"
#include "registry/tenancy.hpp"

namespace iotreg::registry {

struct est_settings {
  std::string zone;       // apex with the final dot: CNs "<id>._device.<zone>" name device <id>
  pki::csr_policy csr{};  // size limit of the CSRs (names are checked by enroll)
};

class est_responder final : public est_service {
 public:
  /// All references must outlive the responder. `issuing` and `root` make /cacerts.
  /// Throws pki::ossl_error if they do not encode.
  est_responder(est_settings settings, enrollment_service& enroll, revocation_store& revocations,
                const pki::certificate& issuing, const pki::certificate& root);

  const std::vector<std::uint8_t>& ca_certificates() const override { return cacerts_; }
  const std::vector<std::uint8_t>& csr_attributes() const override { return csrattrs_; }
  /// Enrollments are authorized by `lifecycle` (authorize_activation, as POST /api/v1/devices);
  /// without one (no tenancy) only an admin key enrolls. Must outlive the responder; call before
  /// serving.
  void set_lifecycle(lifecycle_service* lifecycle) noexcept { lifecycle_ = lifecycle; }

  result<est_certificate> enroll(std::span<const std::uint8_t> csr_der, const api_key& caller) override;
  result<est_certificate> reenroll(std::span<const std::uint8_t> csr_der,
                                   std::span<const std::uint8_t> client_cert_der) override;
  std::string device_scope(std::span<const std::uint8_t> client_cert_der) const override;
  result<est_server_key> server_keygen(std::span<const std::uint8_t> csr_der, const api_key& caller,
                                       std::string_view password) override;

  /// The device id a CSR or certificate CN names: "<id>._device.<zone>" (any case, one final dot
  /// allowed) gives <id>, anything else is taken as the id itself (enroll checks it).
  std::string device_id_of(std::string_view common_name) const;

 private:
  result<est_certificate> reply(const enrollment& e, std::string device_id) const;
  /// The enroll request of `caller` for the device `common_name` names, once authorized.
  result<enroll_request> authorized_request(std::string_view common_name, const api_key& caller);

  est_settings settings_;
  enrollment_service& enroll_;
  revocation_store& revocations_;
  lifecycle_service* lifecycle_ = nullptr;
  std::vector<std::uint8_t> cacerts_;
  std::vector<std::uint8_t> csrattrs_;
};

}  // namespace iotreg::registry
