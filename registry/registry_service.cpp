#include "registry/registry_service.hpp"

#include "dns/names.hpp"
#include "dns/tlsa.hpp"
#include "dns/zone_snapshot.hpp"
#include "pki/csr.hpp"
#include "pki/digest.hpp"
#include "registry/device_id.hpp"

#include "registry/log.hpp"

namespace iotreg::registry {

error detail::csr_error(const boost::system::error_code& ec) {
  using pki::csr_errc;
  switch (static_cast<csr_errc>(ec.value())) {
    case csr_errc::not_pem: return {errc::csr_not_pem, "the csr is not a PEM certificate request"};
    case csr_errc::bad_signature:
      return {errc::csr_bad_signature, "the csr's signature does not verify with its own key"};
    case csr_errc::key_not_allowed:
      return {errc::csr_key_not_allowed,
              "the csr's key is not allowed (EC P-256/P-384, Ed25519, RSA >= 2048)"};
    case csr_errc::too_large: return {errc::csr_malformed, "the csr is too large"};
    case csr_errc::ca_requested:
      return {errc::csr_ca_requested,
              "the csr asks for a CA certificate (basicConstraints cA or keyCertSign/cRLSign)"};
    case csr_errc::name_mismatch:
      return {errc::csr_name_mismatch,
              "a name in the csr (CN or SAN dNSName) is not the device's name or id"};
    case csr_errc::malformed: break;
  }
  return {errc::csr_malformed, "the csr cannot be parsed"};
}

namespace {

std::string without_final_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return std::string(name);
}

}  // namespace

registry_service::registry_service(registry_settings settings, device_store& devices,
                                   zone_publisher& publisher, const pki::certificate_authority& issuing,
                                   const pki::certificate& root, clock_fn now)
    : settings_(std::move(settings)),
      devices_(devices),
      publisher_(publisher),
      issuing_(issuing),
      root_(root),
      chain_pem_(issuing.cert.pem() + root.pem()),
      now_(std::move(now)) {}

std::string registry_service::dns_name(std::string_view device_id) const {
  return without_final_dot(dns::device_owner(settings_.zone, device_id));
}

enrollment registry_service::to_enrollment(const device& d) const {
  enrollment e;
  e.device_id = d.id;
  e.dns_name = dns_name(d.id);
  e.certificate_pem = d.certificate.pem;
  e.chain_pem = chain_pem_;
  dns::tlsa_rdata rdata{d.tlsa.usage, d.tlsa.selector, d.tlsa.matching, d.tlsa.association};
  e.tlsa = dns::device_owner(settings_.zone, d.id) + " " + std::to_string(settings_.tlsa_ttl) + " IN TLSA " +
           rdata.to_text();
  e.zone_serial = d.zone_serial;
  e.status = d.status;
  e.serial_hex = d.certificate.serial_hex;
  return e;
}

result<enrollment> registry_service::enroll(const enroll_request& req) {
  auto id = normalize_device_id(req.device_id, settings_.allow_label_ids);
  if (!id) return id.error();
  if (req.server_keygen)
    return enroll_with_server_key(*id, *req.server_keygen, req.api_key_id, req.mno_tenant_id);
  auto csr = pki::parse_csr_pem(req.csr_pem, settings_.csr);
  if (!csr) return detail::csr_error(csr.error());
  if (const auto ec = pki::check_csr_names(*csr, settings_.csr, dns_name(*id), *id))
    return detail::csr_error(ec);
  // Refuse a known id before signing anything; the unique constraint stays the real guard.
  if (devices_.find(settings_.zone, *id)) {
    return error{errc::device_exists, "device " + *id + " is already registered"};
  }

  auto cert = pki::issue_device_certificate(issuing_, *csr, dns_name(*id), settings_.device_validity, now_(),
                                            settings_.urls);
  auto d = store_and_publish(*id, cert, req.api_key_id, req.mno_tenant_id);
  if (!d) return d.error();
  if (!d->zone_serial) {
    return error{errc::publication_timeout,
                 "device " + *id + " is registered but its record is not yet in the served zone"};
  }
  return to_enrollment(*d);
}

tlsa_data registry_service::tlsa_of(const pki::certificate& cert) {
  auto rdata = dns::dane_ee_spki_sha256(cert.spki_der());
  return {rdata.usage, rdata.selector, rdata.matching, std::move(rdata.data)};
}

certificate_record registry_service::record_of(const pki::certificate& cert) {
  certificate_record r;
  r.serial_hex = cert.serial_hex();
  r.pem = cert.pem();
  r.issuer_key_id_hex = pki::to_hex(cert.authority_key_id());
  r.not_before = cert.not_before();
  r.not_after = cert.not_after();
  return r;
}

result<device> registry_service::store_and_publish(const std::string& id, const pki::certificate& cert,
                                                   std::optional<std::int64_t> api_key_id,
                                                   std::optional<std::int64_t> mno_tenant_id) {
  new_enrollment row;
  row.zone = settings_.zone;
  row.device_id = id;
  row.tlsa = tlsa_of(cert);
  row.certificate = record_of(cert);
  row.api_key_id = api_key_id;
  row.mno_tenant_id = mno_tenant_id;
  auto change = devices_.insert_enrollment(row);
  if (!change) return change.error();
  logger()->info("enrolled device {} in zone {}: certificate serial {}, change {}", id, settings_.zone,
                 row.certificate.serial_hex, *change);

  publisher_.notify();
  device d;
  d.zone = settings_.zone;
  d.id = id;
  d.tlsa = row.tlsa;
  d.certificate = row.certificate;
  d.zone_serial = publisher_.wait_published(*change, settings_.publish_timeout);
  return d;
}

result<enrollment> registry_service::get(std::string_view device_id) {
  auto id = normalize_device_id(device_id, settings_.allow_label_ids);
  if (!id) return error{errc::device_not_found, "no such device"};
  auto d = devices_.find(settings_.zone, *id);
  if (!d) return error{errc::device_not_found, "no such device: " + *id};
  return to_enrollment(*d);
}

result<revocation> registry_service::revoke(std::string_view device_id, pki::revocation_reason reason) {
  auto id = normalize_device_id(device_id, settings_.allow_label_ids);
  if (!id) return error{errc::device_not_found, "no such device"};
  auto change = devices_.revoke(settings_.zone, *id, static_cast<std::uint8_t>(reason));
  if (!change) return change.error();
  logger()->info("revoked device {} in zone {} ({}): change {}", *id, settings_.zone, pki::to_name(reason),
                 *change);
  publisher_.notify();
  // The CRL is derived state: made after the commit, while the signer publishes the removal.
  if (revocation_ != nullptr) {
    try {
      revocation_->regenerate();
    } catch (const std::exception& e) {
      logger()->error("revoked device {}: CRL regeneration failed (the periodic check retries): {}", *id,
                      e.what());
    }
  }
  // Change 0: every certificate had expired or been withdrawn, no record was served.
  auto serial = *change == 0 ? std::optional(publisher_.snapshot()->serial())
                             : publisher_.wait_published(*change, settings_.publish_timeout);
  if (!serial) {
    return error{errc::publication_timeout,
                 "device " + *id + " is revoked but its record has not yet left the served zone"};
  }
  return revocation{*id, *serial, reason};
}

std::string generate_api_key() { return "iotreg_" + pki::to_hex(pki::random_bytes(32)); }

std::array<std::uint8_t, 32> api_key_hash(std::string_view key) {
  return pki::sha256({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()});
}

result<api_key> api_key_authenticator::authenticate(std::string_view bearer_token) {
  // Well-formed keys only: the lookup never sees arbitrary client bytes of arbitrary length.
  constexpr std::string_view prefix = "iotreg_";
  if (bearer_token.size() != prefix.size() + 64 || !bearer_token.starts_with(prefix)) {
    return error{errc::unauthenticated, "missing or invalid API key"};
  }
  auto key = keys_.find_active(api_key_hash(bearer_token));
  if (!key) return error{errc::unauthenticated, "missing or invalid API key"};
  return *key;
}

result<api_key> api_key_authenticator::authenticate_certificate(std::string_view der) {
  const error unknown{errc::unauthenticated, "the TLS client certificate is not a registered credential"};
  if (certificates_ == nullptr || der.empty()) return unknown;
  auto key = certificates_->find_active(
      pki::sha256({reinterpret_cast<const std::uint8_t*>(der.data()), der.size()}));
  if (!key) return unknown;
  return *key;
}

}  // namespace iotreg::registry
