#include "api/handlers/context.hpp"

#include "api/problem.hpp"
#include "api/status_map.hpp"

#include <boost/json/serialize.hpp>

namespace iotreg::api {

response json_response(http::status status, const boost::json::value& body) {
  response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = boost::json::serialize(body);
  return res;
}

response error_response(const registry::error& e, const request_info& info) {
  const auto kind = problem_for(e.code);
  const std::string_view detail = e.detail.empty() ? kind.title : std::string_view{e.detail};
  auto res = make_problem(kind.status, kind.slug, kind.title, detail, info.request_id);
  if (e.code == registry::errc::publication_timeout) {
    res.set(http::field::retry_after, "5");
  } else if (e.code == registry::errc::unauthenticated) {
    res.set(http::field::www_authenticate, "Bearer realm=\"iotreg\", error=\"invalid_token\"");
  }
  return res;
}

}  // namespace iotreg::api
