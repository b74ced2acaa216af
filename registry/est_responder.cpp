#include "registry/est_responder.hpp"

#include "pki/digest.hpp"
#include "pki/est_encoding.hpp"
#include "pki/pem.hpp"
#include "registry/authorization.hpp"
#include "registry/log.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include <cctype>

namespace iotreg::registry {
namespace {

/// What /csrattrs asks for (RFC 7030 §4.5.2): ECDSA with SHA-256 signatures, on an EC P-256
/// key (the Attribute form of RFC 7030's example, with prime256v1 instead of secp384r1). A hint,
/// not a rule: enroll accepts every key of the CSR allow-list.
std::vector<std::uint8_t> make_csr_attributes() {
  const std::vector<pki::csr_attr> attrs{
      {"1.2.840.10045.4.3.2", {}},                     // ecdsa-with-SHA256
      {"1.2.840.10045.2.1", {"1.2.840.10045.3.1.7"}},  // id-ecPublicKey: prime256v1
  };
  return pki::encode_csr_attrs(attrs);
}

/// The key type names server_keygen_request takes, for the key of a CSR template.
std::string key_type_of(const pki::csr& req) {
  const auto d = req.key_description();
  if (d == "EC P-384") return "ec-p384";
  if (d == "Ed25519") return "ed25519";
  if (d == "RSA 2048") return "rsa2048";
  if (d == "RSA 3072") return "rsa3072";
  if (d == "RSA 4096") return "rsa4096";
  return "ec-p256";  // EC P-256, and the default for anything else the allow-list admits
}

}  // namespace

est_responder::est_responder(est_settings settings, enrollment_service& enroll, revocation_store& revocations,
                             const pki::certificate& issuing, const pki::certificate& root)
    : settings_(std::move(settings)), enroll_(enroll), revocations_(revocations) {
  const std::vector<pki::certificate> chain{issuing, root};
  cacerts_ = pki::certs_only_pkcs7(chain);
  csrattrs_ = make_csr_attributes();
}

std::string est_responder::device_id_of(std::string_view cn) const {
  std::string_view zone = settings_.zone;
  if (zone.ends_with('.')) zone.remove_suffix(1);
  if (cn.ends_with('.')) cn.remove_suffix(1);
  const std::string suffix = "._device." + std::string(zone);
  if (cn.size() > suffix.size() && boost::algorithm::iends_with(cn, suffix))
    return std::string(cn.substr(0, cn.size() - suffix.size()));
  return std::string(cn);
}

std::string est_responder::device_scope(std::span<const std::uint8_t> client_cert_der) const {
  if (client_cert_der.empty()) return {};
  try {
    auto id = device_id_of(pki::certificate::from_der(client_cert_der).subject_common_name());
    if (id.empty()) return {};
    for (auto& ch : id) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return "device:" + id;
  } catch (const pki::ossl_error&) {
    return {};
  }
}

result<est_certificate> est_responder::reply(const enrollment& e, std::string device_id) const {
  const std::vector<pki::certificate> certs{pki::certificate::from_pem(e.certificate_pem)};
  return est_certificate{std::move(device_id), pki::certs_only_pkcs7(certs)};
}

namespace {

/// The CSR as the enrollment use case takes it, and its CN; csr_* errors for what does not parse.
struct parsed_csr {
  std::string pem;
  std::string common_name;
};

/// The registry error of a CSR that does not parse (as registry_service reports it).
error csr_refusal(const boost::system::error_code& ec) {
  using pki::csr_errc;
  switch (static_cast<csr_errc>(ec.value())) {
    case csr_errc::bad_signature:
      return {errc::csr_bad_signature, "the csr's signature does not verify with its own key"};
    case csr_errc::key_not_allowed:
      return {errc::csr_key_not_allowed,
              "the csr's key is not allowed (EC P-256/P-384, Ed25519, RSA >= 2048)"};
    case csr_errc::ca_requested:
      return {errc::csr_ca_requested,
              "the csr asks for a CA certificate (basicConstraints cA or keyCertSign/cRLSign)"};
    default: break;
  }
  return {errc::csr_malformed, "the csr cannot be parsed"};
}

result<parsed_csr> parse(std::span<const std::uint8_t> der, const pki::csr_policy& policy) {
  parsed_csr out{pki::pem_from_der("CERTIFICATE REQUEST", der), {}};
  auto req = pki::parse_csr_pem(out.pem, policy);
  if (!req) return csr_refusal(req.error());
  out.common_name = req->subject_common_name();
  if (out.common_name.empty())
    return error{errc::csr_malformed,
                 "the csr's subject has no CN naming the device (<id>._device.<zone> or <id>)"};
  return out;
}

}  // namespace

result<enroll_request> est_responder::authorized_request(std::string_view common_name,
                                                         const api_key& caller) {
  enroll_request req{device_id_of(common_name), {}, caller.id};
  // The same decision as POST /api/v1/devices (api/handlers/devices.cpp enroll_device): the one
  // activation rule of the lifecycle, on the id the CSR names.
  if (lifecycle_ != nullptr) {
    auto mno = lifecycle_->authorize_activation(caller, req.device_id);
    if (!mno) return mno.error();
    req.mno_tenant_id = *mno;
  } else if (caller.role != "admin") {
    return error{errc::forbidden, "without tenancy only the admin enrolls over EST"};
  }
  return req;
}

result<est_certificate> est_responder::enroll(std::span<const std::uint8_t> csr_der, const api_key& caller) {
  // A role that never enrolls (an ASP) learns nothing of the CSR's checks: 403 first.
  if (auto refused = authorize(caller, scope::device_activate)) return *refused;
  auto csr = parse(csr_der, settings_.csr);
  if (!csr) return csr.error();
  auto req = authorized_request(csr->common_name, caller);
  if (!req) return req.error();
  req->csr_pem = std::move(csr->pem);
  auto e = enroll_.enroll(*req);
  if (!e) return e.error();
  return reply(*e, e->device_id);
}

result<est_certificate> est_responder::reenroll(std::span<const std::uint8_t> csr_der,
                                                std::span<const std::uint8_t> client_cert_der) {
  if (client_cert_der.empty())
    return error{errc::unauthenticated,
                 "re-enrollment needs the device's current certificate as TLS client certificate"};
  const auto current = pki::certificate::from_der(client_cert_der);  // verified by the TLS layer
  // The TLS layer checked the chain, not revocation: the registry's own records decide.
  const auto state = revocations_.status(pki::to_hex(current.authority_key_id()), current.serial_hex());
  if (!state) return error{errc::forbidden, "the client certificate was not issued by this registry"};
  if (state->revoked_at) return error{errc::forbidden, "the client certificate is revoked"};
  const auto id = device_id_of(current.subject_common_name());
  auto device = enroll_.get(id);
  if (!device || device->status != device_status::active)
    return error{errc::forbidden, "the client certificate's device is not active"};

  const auto pem = pki::pem_from_der("CERTIFICATE REQUEST", csr_der);
  auto req = pki::parse_csr_pem(pem, settings_.csr);
  if (!req) return csr_refusal(req.error());
  if (!pki::same_subject(*req, current))
    return error{errc::csr_name_mismatch,
                 "the csr's subject must be the current certificate's subject (RFC 7030 section 4.2.2)"};
  auto e = enroll_.rekey(rekey_request{id, pem, std::nullopt});
  if (!e) return e.error();
  logger()->info("device {}: re-enrolled over EST (previous certificate serial {})", id,
                 current.serial_hex());
  return reply(*e, id);
}

result<est_server_key> est_responder::server_keygen(std::span<const std::uint8_t> csr_der,
                                                    const api_key& caller, std::string_view password) {
  if (auto refused = authorize(caller, scope::device_activate)) return *refused;
  const auto pem = pki::pem_from_der("CERTIFICATE REQUEST", csr_der);
  auto req = pki::parse_csr_pem(pem, settings_.csr);
  if (!req) return csr_refusal(req.error());
  const auto cn = req->subject_common_name();
  if (cn.empty())
    return error{errc::csr_malformed,
                 "the csr's subject has no CN naming the device (<id>._device.<zone> or <id>)"};

  auto er = authorized_request(cn, caller);
  if (!er) return er.error();
  er->server_keygen = server_keygen_request{key_type_of(*req), "pkcs8", secret_text(password)};
  auto e = enroll_.enroll(*er);
  if (!e) return e.error();
  // The key comes back as encrypted PKCS#8 PEM; EST carries its DER.
  auto block = pki::parse_single_pem_block(e->private_key.view());
  if (block.status != pki::pem_status::ok || block.label != "ENCRYPTED PRIVATE KEY")
    throw std::logic_error("server keygen returned no encrypted PKCS#8 PEM");
  est_server_key out{e->device_id, {}, secret_text(std::span<const std::uint8_t>(block.data))};
  wipe(block.data.data(), block.data.size());
  auto cert = reply(*e, e->device_id);
  out.pkcs7_der = std::move(cert->pkcs7_der);
  return out;
}

}  // namespace iotreg::registry
