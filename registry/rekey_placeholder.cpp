// TEMPORARY, for the EST area's tree only: the lead drops this file when the renewal area's
// renew/rekey (issue 4 item 4) merges. rekey() here issues a certificate for the CSR through the
// same issuer and checks as enroll(), but records nothing and leaves the zone alone (the device
// keeps its current certificate and TLSA): enough for EST /simplereenroll to be exercised
// end to end before the real implementation arrives.

#include "dns/names.hpp"
#include "pki/ca.hpp"
#include "pki/csr.hpp"
#include "registry/device_id.hpp"
#include "registry/log.hpp"
#include "registry/registry_service.hpp"

namespace iotreg::registry {

result<enrollment> registry_service::renew(const renew_request&) {
  return error{errc::invalid_request, "renewal is not available in this build"};
}

result<enrollment> registry_service::rekey(const rekey_request& req) {
  auto id = normalize_device_id(req.device_id, settings_.allow_label_ids);
  if (!id) return id.error();
  if (req.server_keygen) return error{errc::invalid_request, "rekey with server keygen is not available"};
  auto d = devices_.find(settings_.zone, *id);
  if (!d || d->status != device_status::active) return error{errc::device_not_found, "no such active device"};
  auto csr = pki::parse_csr_pem(req.csr_pem, settings_.csr);
  if (!csr) return error{errc::csr_malformed, "the csr cannot be parsed"};
  if (pki::check_csr_names(*csr, settings_.csr, dns_name(*id), *id))
    return error{errc::csr_name_mismatch, "a name in the csr is not the device's name or id"};
  const auto cert = pki::issue_device_certificate(issuing_, *csr, dns_name(*id), settings_.device_validity,
                                                  now_(), settings_.urls);
  logger()->warn("device {}: PLACEHOLDER rekey issued unrecorded certificate serial {}", *id,
                 cert.serial_hex());
  auto e = to_enrollment(*d);
  e.certificate_pem = cert.pem();
  return e;
}

}  // namespace iotreg::registry
