#pragma once
// GET /.well-known/ca/{key id}.pem: CA discovery (STANDARDS.md §3.1), no authentication. The
// certificates are public; a verifier holding only a device certificate fetches its issuer by
// the AKI, then the root by the issuer's AKI.

#include "api/handlers/context.hpp"
#include "registry/ca_directory.hpp"

namespace iotreg::api::handlers {

/// params[0] = "<key id>.pem". 200 with the PEM (application/pem-certificate-chain, RFC 8555
/// §9.1), or a 404 problem (ca-not-found) for an unknown key id or another suffix. The 200 is
/// cacheable for a day (Cache-Control max-age=86400, public) with the directory's ETag; an
/// If-None-Match naming it gets 304.
response get_ca_certificate(const registry::ca_directory& cas, const call& c);

}  // namespace iotreg::api::handlers
