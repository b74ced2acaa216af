#include "api/problem.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace iotreg::api {

std::string problem_type(std::string_view slug) {
  std::string type = "urn:iotreg:problem:";
  type += slug;
  return type;
}

response make_problem(http::status status, std::string_view slug, std::string_view title,
                      std::string_view detail, std::string_view request_id, std::string_view instance) {
  boost::json::object body;
  body["type"] = problem_type(slug);
  body["title"] = title;
  body["status"] = static_cast<unsigned>(status);
  body["detail"] = detail;
  if (!instance.empty()) body["instance"] = instance;
  body["request_id"] = request_id;

  response res{status, 11};
  res.set(http::field::content_type, "application/problem+json");
  res.set(http::field::cache_control, "no-store");
  if (!request_id.empty()) res.set("X-Request-Id", request_id);
  res.body() = boost::json::serialize(body);
  res.prepare_payload();
  return res;
}

}  // namespace iotreg::api
