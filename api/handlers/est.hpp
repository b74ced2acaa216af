#pragma once
// EST (RFC 7030, STANDARDS.md §6) under /.well-known/est/: base64 DER bodies (RFC 8951 §3.3),
// certs-only PKCS#7 replies, HTTP or TLS client authentication. Errors stay problem+json with
// the stable types of the rest of the API (RFC 7030 only asks for an HTTP status).
//
// Device identity: the CSR's subject CN names the device, either as "<id>._device.<zone>" (the
// CN iotreg's certificates carry, so a re-enrollment CSR copies it) or as "<id>".
//
// Authentication:
//  - simpleenroll, serverkeygen: "Authorization: Bearer <API key>" or HTTP Basic with the API key
//    as password (any user name), checked by the router (api/router.cpp: these routes declare
//    Basic) so that the tenant's rate limit and the audit request scope apply as on /api/v1;
//    otherwise 401 with WWW-Authenticate for both schemes. The key's tenant then decides as for
//    POST /api/v1/devices: the admin and MNOs enroll (an MNO a device an ASP registered), an
//    ASP gets 403 (registry/est_service.hpp).
//  - simplereenroll: the device's current certificate as TLS client certificate; none (or one
//    that does not verify against iotreg's CAs) gives 401 client-certificate-required. Its rate
//    limit is per device (the router's scope "device:<certificate CN>"), not a tenant's.
//  - cacerts, csrattrs: none.

#include "api/handlers/context.hpp"
#include "registry/enrollment_service.hpp"
#include "registry/est_service.hpp"

#include <optional>
#include <string_view>

namespace iotreg::api::handlers {

/// The media type of every certificate reply.
inline constexpr std::string_view pkcs7_certs_only = "application/pkcs7-mime; smime-type=certs-only";

/// The header carrying the password that protects a /serverkeygen key (never logged).
inline constexpr std::string_view key_password_header = "Iotreg-Key-Password";

/// The API key of "Authorization: Bearer <key>" or "Authorization: Basic base64(user:key)";
/// nullopt if the header is absent or neither form. Never throws except bad_alloc.
std::optional<std::string> est_credentials(std::string_view authorization);

/// GET cacerts: 200, the issuing and root CA certificates, certs-only, base64.
response est_cacerts(const registry::est_service& est, const call& c);

/// GET csrattrs: 200, application/csrattrs, base64 DER CsrAttrs.
response est_csrattrs(const registry::est_service& est, const call& c);

/// POST simpleenroll: application/pkcs10 base64 body -> 200 certs-only with the new device
/// certificate; 401, 403 (ASP), 404 (not registered, or another MNO's device), 409 (invalid
/// transition, device exists), 415, 400 (base64, CSR), 503 (publication timeout).
/// `c.key` is the key the router authenticated (401 without one).
response est_simpleenroll(registry::est_service& est, const call& c);

/// POST simplereenroll: as simpleenroll, authenticated by the TLS client certificate; 403 if it
/// is revoked or its device is not active; 400 csr-name-mismatch if the CSR's subject differs.
response est_simplereenroll(registry::est_service& est, const call& c);

/// POST serverkeygen: the CSR is a template (device id, key type); the key is returned as an
/// EncryptedPrivateKeyInfo (application/pkcs8-encrypted, RFC 8351) under the password of the
/// Iotreg-Key-Password header (12..1024 bytes; without it 400): iotreg never sends a key in
/// clear, even over TLS. Reply: multipart/mixed, the key part first then the certs-only part
/// (RFC 7030 §4.4.2).
/// Authorized as simpleenroll.
response est_serverkeygen(registry::est_service& est, const call& c);

/// The 401 of an EST enrollment route: problem `unauthenticated` with both challenges (Basic
/// for RFC 7030 clients, Bearer for the API's). The router sends it too.
response est_unauthenticated(const request_info& info, std::string_view detail);

}  // namespace iotreg::api::handlers
