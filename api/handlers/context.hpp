#pragma once
// What a handler gets from the router: the request, the transport info, the authenticated key
// and the path parameters, plus the helpers every handler uses to answer.

#include "api/http.hpp"
#include "registry/errors.hpp"
#include "registry/model.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace iotreg::api {

struct call {
  const request& req;
  const request_info& info;
  std::optional<registry::api_key> key;  // set on routes that require authentication
  std::vector<std::string> params;       // decoded `{…}` path segments, in order
};

/// A JSON response (application/json). The router adds the common headers.
response json_response(http::status status, const boost::json::value& body);

/// The problem response for an expected registry failure (status_map.cpp).
response error_response(const registry::error& e, const request_info& info);

}  // namespace iotreg::api
