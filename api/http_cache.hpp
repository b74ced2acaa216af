#pragma once
// HTTP caching of the public PKI documents (CRLs, OCSP responses to GET, CA certificates):
// freshness headers as RFC 5019 §6 asks of OCSP responders, and conditional GETs (RFC 9110
// §13.1.1-2, 304 RFC 9110 §15.4.5). The API replies stay Cache-Control: no-store (router).

#include "api/http.hpp"
#include "registry/model.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace iotreg::api {

/// IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT"; sub-seconds dropped.
std::string format_http_date(registry::time_point t);

/// Parses an IMF-fixdate; nullopt for anything else (the obsolete RFC 850 and asctime forms
/// included: a recipient may then ignore the header, RFC 9110 §13.1.3).
std::optional<registry::time_point> parse_http_date(std::string_view text);

/// What a cacheable reply is validated and expires by.
struct cache_validators {
  std::string etag;  // quoted strong entity tag, or empty
  std::optional<registry::time_point> last_modified;
};

/// Whether `req` is a conditional GET that `v` satisfies, so that 304 is the answer:
/// If-None-Match lists the entity tag (weak comparison) or is "*"; otherwise, only without
/// If-None-Match, If-Modified-Since is not before Last-Modified.
bool not_modified(const request& req, const cache_validators& v);

/// Sets Cache-Control "max-age=<seconds until next_update>, public, no-transform,
/// must-revalidate" (0 once passed), Last-Modified = this_update, Expires = next_update and
/// ETag (if non-empty): the headers of RFC 5019 §6.2 for OCSP, also used for CRLs.
void set_document_cache_headers(response& res, const cache_validators& v, registry::time_point next_update,
                                registry::time_point now);

/// Sets Cache-Control "max-age=<max_age>, public" and ETag (if non-empty): a document without an
/// expiry (a CA certificate).
void set_static_cache_headers(response& res, const std::string& etag, std::chrono::seconds max_age);

/// The 304 for `res`'s validators: status not_modified, no body, the caching headers kept.
void make_not_modified(response& res);

}  // namespace iotreg::api
