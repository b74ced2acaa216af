#pragma once
// RFC 9457 problem details (`application/problem+json`) with stable type URIs
// `urn:iotreg:problem:<slug>`. Used by the router and by the server for transport-level errors
// (413, 408, 400) it answers itself.

#include "api/http.hpp"

#include <string_view>

namespace iotreg::api {

/// The type URI for a slug: "urn:iotreg:problem:<slug>".
std::string problem_type(std::string_view slug);

/// Builds a complete problem response: body {"type","title","status","detail","instance"?,
/// "request_id"}, Content-Type application/problem+json, Cache-Control no-store, X-Request-Id
/// (when `request_id` is not empty), payload prepared. HTTP/1.1, keep-alive left to the caller.
/// `detail` must be safe for the client (no exception text, no secrets). `instance` is omitted
/// when empty. Never throws except std::bad_alloc.
response make_problem(http::status status, std::string_view slug, std::string_view title,
                      std::string_view detail, std::string_view request_id, std::string_view instance = {});

}  // namespace iotreg::api
