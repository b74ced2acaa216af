// Enrollment with server-side key generation (issue 4 item 3): for a device that cannot make its
// key on board, iotreg makes it, issues the certificate for it and hands it back encrypted under
// the requester's password. The clear key lives only in memory for the length of the call: it is
// never stored, never logged, and the password never reaches a log or an error message.

#include "pki/ca.hpp"
#include "pki/key.hpp"
#include "pki/key_export.hpp"
#include "registry/log.hpp"
#include "registry/registry_service.hpp"

#include <optional>

namespace iotreg::registry {
namespace {

std::optional<key_format> key_format_from_string(std::string_view s) {
  if (s == "pkcs8") return key_format::pkcs8;
  if (s == "pkcs12") return key_format::pkcs12;
  return std::nullopt;
}

error bad_keygen(std::string detail) { return {errc::invalid_server_keygen, std::move(detail)}; }

}  // namespace

result<enrollment> registry_service::enroll_with_server_key(const std::string& id,
                                                            const server_keygen_request& kg,
                                                            std::optional<std::int64_t> api_key_id,
                                                            std::optional<std::int64_t> mno_tenant_id) {
  return with_server_key(
      id, kg,
      [&]() -> std::optional<error> {
        // Refuse a known id before any key is made; the unique constraint stays the real guard.
        if (devices_.find(settings_.zone, id))
          return error{errc::device_exists, "device " + id + " is already registered"};
        return std::nullopt;
      },
      [&](const pki::certificate& cert) { return store_and_publish(id, cert, api_key_id, mno_tenant_id); });
}

result<enrollment> registry_service::with_server_key(
    const std::string& id, const server_keygen_request& kg,
    const std::function<std::optional<error>()>& precheck,
    const std::function<result<device>(const pki::certificate&)>& store) {
  // Client text is not echoed back: the detail names the allowed values instead.
  const auto type = pki::key_type_from_name(kg.key_type);
  if (!type)
    return bad_keygen("unknown key_type; use ec-p256, ec-p384, ed25519, rsa2048, rsa3072 or rsa4096");
  const auto format = key_format_from_string(kg.format);
  if (!format) return bad_keygen("unknown format; use pkcs8 or pkcs12");
  if (auto problem = pki::export_password_problem(kg.password.view())) return bad_keygen(*problem);
  if (auto refused = precheck()) return *refused;

  const auto key = pki::private_key::generate(*type);
  const auto cert = pki::issue_device_certificate(issuing_, key.native(), dns_name(id),
                                                  settings_.device_validity, now_(), settings_.urls);

  // Encrypt before committing: once the certificate is stored, failing to hand the key out
  // would leave a certificate whose key nobody holds.
  secret_text sealed;
  if (*format == key_format::pkcs8) {
    std::string pem = pki::encrypted_pkcs8_pem(key, kg.password.view());
    sealed = secret_text(pem);
    wipe(pem);
  } else {
    const std::vector<pki::certificate> chain{issuing_.cert, root_};
    auto der = pki::pkcs12_bundle(key, cert, chain, kg.password.view(), id);
    sealed = secret_text(std::span<const std::uint8_t>(der));
    wipe(der.data(), der.size());
  }

  auto d = store(cert);
  if (!d) return d.error();
  logger()->info("device {}: server-generated {} key handed out as {}", id, key.description(), kg.format);
  if (!d->zone_serial) {
    // Unlike a CSR enrollment this cannot be answered with a retry-later error: the key exists
    // only in this reply. The record will be served; zone_serial says it is not yet known.
    logger()->warn("device {} is registered but its record is not yet in the served zone", id);
  }
  auto e = to_enrollment(*d);
  e.private_key_format = *format;
  e.private_key = std::move(sealed);
  return e;
}

}  // namespace iotreg::registry
