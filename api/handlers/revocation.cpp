#include "api/handlers/revocation.hpp"

#include "api/http_cache.hpp"
#include "api/problem.hpp"

#include <boost/beast/core/string.hpp>

#include <array>
#include <optional>

namespace iotreg::api::handlers {
namespace {

/// Standard base64 (RFC 4648 §4) with optional padding; also the URL-safe alphabet, which some
/// clients use in GET requests. nullopt on any other character.
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::vector<std::uint8_t> out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char ch : in) {
    int v = -1;
    if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z')
      v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9')
      v = ch - '0' + 52;
    else if (ch == '+' || ch == '-')
      v = 62;
    else if (ch == '/' || ch == '_')
      v = 63;
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character
  return out;
}

response binary(std::string_view content_type, const std::vector<std::uint8_t>& der) {
  response res{http::status::ok, 11};
  res.set(http::field::content_type, content_type);
  res.body().assign(der.begin(), der.end());
  return res;
}

/// A signed document for a GET: cacheable until its nextUpdate (RFC 5019 §6.2), with a 304 for
/// a conditional GET it satisfies. Without a validity window (an OCSP error response) the
/// router's Cache-Control: no-store stays.
response cacheable(std::string_view content_type, const registry::signed_document& doc, const call& c) {
  auto res = binary(content_type, doc.der);
  if (!doc.this_update || !doc.next_update) return res;
  const cache_validators v{doc.etag, doc.this_update};
  set_document_cache_headers(res, v, *doc.next_update, registry::clock::now());
  if (not_modified(c.req, v)) make_not_modified(res);
  return res;
}

bool is_media_type(std::string_view content_type, std::string_view wanted) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return boost::beast::iequals(type, wanted);
}

}  // namespace

response get_crl(registry::revocation_responder& r, const call& c) {
  constexpr std::string_view suffix = ".crl";
  std::string_view name = c.params.at(0);
  std::optional<registry::signed_document> doc;
  if (name.size() > suffix.size() && name.ends_with(suffix)) {
    name.remove_suffix(suffix.size());
    doc = r.crl_document(name);
  }
  if (!doc)
    return make_problem(http::status::not_found, "ca-not-found", "CA not found",
                        "no issuing CA with this key identifier (lower-case hex bytes joined by '-')",
                        c.info.request_id);
  return cacheable("application/pkix-crl", *doc, c);
}

response get_ocsp(registry::revocation_responder& r, const call& c) {
  const auto der = decode_base64(c.params.at(0));
  return cacheable(
      "application/ocsp-response",
      r.ocsp_document(der ? std::span<const std::uint8_t>(*der) : std::span<const std::uint8_t>{}), c);
}

response post_ocsp(registry::revocation_responder& r, const call& c) {
  if (!is_media_type(c.req[http::field::content_type], "application/ocsp-request")) {
    auto res =
        make_problem(http::status::unsupported_media_type, "unsupported-media-type", "Unsupported media type",
                     "the body must be application/ocsp-request", c.info.request_id);
    res.set("Accept-Post", "application/ocsp-request");
    return res;
  }
  // Not cacheable (RFC 5019 §6: only GET responses are): the router's no-store stays.
  const auto& body = c.req.body();
  return binary("application/ocsp-response",
                r.ocsp({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()}));
}

}  // namespace iotreg::api::handlers
