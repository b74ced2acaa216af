#include "api/handlers/ca.hpp"

#include "api/http_cache.hpp"

namespace iotreg::api::handlers {

response get_ca_certificate(const registry::ca_directory& cas, const call& c) {
  constexpr std::string_view suffix = ".pem";
  const std::string_view file = c.params.at(0);
  if (!file.ends_with(suffix) || file.size() == suffix.size()) {
    return error_response(
        {registry::errc::ca_not_found, "CA certificates are served as /.well-known/ca/<aki>.pem"}, c.info);
  }
  auto pem = cas.find_ca_pem(file.substr(0, file.size() - suffix.size()));
  if (!pem) {
    return error_response({registry::errc::ca_not_found, "no CA certificate with that key identifier"},
                          c.info);
  }
  response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/pem-certificate-chain");
  res.body() = std::move(*pem);
  // A CA certificate does not change under its key id; a day bounds how long a replaced one
  // (same key, new certificate) may still be served from a cache.
  const auto etag = cas.entity_tag(file.substr(0, file.size() - suffix.size()));
  set_static_cache_headers(res, etag, std::chrono::days(1));
  if (!etag.empty() && not_modified(c.req, {etag, std::nullopt})) make_not_modified(res);
  return res;
}

}  // namespace iotreg::api::handlers
