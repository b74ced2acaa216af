#include "registry/tenant_certificate_admin.hpp"

#include "pki/client_certificate.hpp"
#include "pki/digest.hpp"
#include "pki/ossl.hpp"
#include "registry/authorization.hpp"
#include "registry/log.hpp"

#include <algorithm>

namespace iotreg::registry {
namespace {

/// Fills the fields read from the certificate itself. A stored DER always parsed when it was
/// registered; should it not, the row is listed without them rather than hiding the others.
void describe(tenant_certificate& c) {
  try {
    const auto cert = pki::certificate::from_der(c.der);
    c.subject = pki::subject_text(cert);
    c.not_after = cert.not_after();
  } catch (const pki::ossl_error& e) {
    logger()->warn("client certificate credential {} does not parse: {}", c.id, e.what());
  }
}

}  // namespace

result<tenant_certificate> tenant_certificate_admin::register_certificate(
    const api_key& caller, std::int64_t tenant_id, std::string_view pem,
    std::optional<time_point> expires_at) {
  if (auto e = authorize(caller, scope::tenants_manage)) return *e;
  const auto now = now_();
  if (expires_at && *expires_at <= now) return error{errc::invalid_request, "expires_at is in the past"};
  const auto t = tenants_.find_tenant(tenant_id);
  if (!t) return error{errc::tenant_not_found, "no tenant " + std::to_string(tenant_id)};
  std::optional<pki::certificate> cert;
  try {
    auto all = pki::certificates_from_pem(pem);
    if (all.size() != 1) {
      return error{errc::client_certificate_invalid,
                   "certificate must hold exactly one PEM certificate (the client's, no chain)"};
    }
    cert = std::move(all.front());
  } catch (const pki::ossl_error&) {
    return error{errc::client_certificate_invalid, "certificate is not a PEM X.509 certificate"};
  }
  tenant_certificate out;
  try {
    if (auto why = pki::client_certificate_problem(*cert, now); !why.empty())
      return error{errc::client_certificate_refused, why};
    out.der = cert->der();
    out.subject = pki::subject_text(*cert);
    out.not_after = cert->not_after();
  } catch (const pki::ossl_error&) {
    return error{errc::client_certificate_invalid, "the certificate's fields do not parse"};
  }
  out.tenant_id = tenant_id;
  out.sha256 = pki::sha256(out.der);
  out.expires_at = expires_at ? std::min(*expires_at, out.not_after) : out.not_after;
  out.created_at = now;
  const std::string name = out.subject.empty() ? t->name : out.subject.substr(0, 200);
  auto id = store_.insert(tenant_id, name, out.sha256, out.der, out.expires_at);
  if (!id) return id.error();
  out.id = *id;
  logger()->info("client certificate {} registered for tenant {} as credential {} by key {}",
                 fingerprint_text(out.sha256), tenant_id, out.id, caller.id);
  return out;
}

result<std::vector<tenant_certificate>> tenant_certificate_admin::list(const api_key& caller,
                                                                       std::int64_t tenant_id) {
  if (auto e = authorize(caller, scope::tenants_manage)) return *e;
  if (!tenants_.find_tenant(tenant_id))
    return error{errc::tenant_not_found, "no tenant " + std::to_string(tenant_id)};
  auto all = store_.list(tenant_id);
  for (auto& c : all) describe(c);
  return all;
}

result<fingerprint> tenant_certificate_admin::revoke(const api_key& caller, std::int64_t tenant_id,
                                                     std::string_view fingerprint_hex) {
  if (auto e = authorize(caller, scope::tenants_manage)) return *e;
  if (!tenants_.find_tenant(tenant_id))
    return error{errc::tenant_not_found, "no tenant " + std::to_string(tenant_id)};
  const auto f = parse_fingerprint(fingerprint_hex);
  const error missing{
      errc::client_certificate_not_found,
      "tenant " + std::to_string(tenant_id) + " has no active certificate with that fingerprint"};
  if (!f) return missing;
  const auto id = store_.revoke(tenant_id, *f);
  if (!id) return missing;
  logger()->info("client certificate {} (credential {}) of tenant {} revoked by key {}", fingerprint_text(*f),
                 *id, tenant_id, caller.id);
  return *f;
}

}  // namespace iotreg::registry
