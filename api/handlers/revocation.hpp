#pragma once
// The public revocation endpoints, without authentication (relying parties have no API key):
// GET /crl/<issuer aki>.crl (application/pkix-crl, RFC 5280 §4.2.1.13 / RFC 2585), and OCSP over
// HTTP (RFC 6960 Appendix A): GET /ocsp/<base64 DER request> and POST /ocsp with
// application/ocsp-request, both answered application/ocsp-response. Blocking (database).

#include "api/handlers/context.hpp"
#include "registry/revocation_responder.hpp"

namespace iotreg::api::handlers {

/// params[0] = "<aki>.crl", aki as pki::key_id_text; an unknown CA or another name: 404 problem.
/// Cacheable until the CRL's nextUpdate (Cache-Control max-age, Last-Modified = thisUpdate,
/// Expires = nextUpdate, ETag); a conditional GET it satisfies gets 304 (api/http_cache.hpp).
response get_crl(registry::revocation_responder& r, const call& c);
/// params[0] = the base64 request (percent-decoded, '/' included); undecodable base64 gets an
/// OCSP malformedRequest response, as any other bad request. A successful response carries the
/// RFC 5019 §6.2 caching headers and honours conditional GETs; error responses are no-store.
response get_ocsp(registry::revocation_responder& r, const call& c);
/// Body = DER OCSPRequest; another Content-Type: 415 problem. Never cacheable (no-store).
response post_ocsp(registry::revocation_responder& r, const call& c);

}  // namespace iotreg::api::handlers
