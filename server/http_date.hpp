#pragma once
// The `Date` header of every HTTP reply iotregd sends (RFC 9110 §6.6.1: an origin server with a
// clock sends it on 2xx, 3xx and 4xx replies, and may on 5xx; iotregd sends it on all of them).
// The format is api::format_http_date's IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".

#include <chrono>
#include <string>

namespace iotreg::server {

/// The Date header's value for `now`: the IMF-fixdate of its second, formatted at most once per
/// second per thread (each thread keeps the text of the last second it formatted).
/// Thread-safe (no shared state); never throws except bad_alloc.
std::string http_date_now(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace iotreg::server
