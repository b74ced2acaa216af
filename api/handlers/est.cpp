#include "api/handlers/est.hpp"

#include "api/base64.hpp"
#include "api/problem.hpp"

#include <boost/beast/core/string.hpp>

#include <variant>

namespace iotreg::api::handlers {
namespace {

// A base64 body cannot hold "--", so this boundary never occurs inside a part.
constexpr std::string_view boundary = "iotreg-est-boundary";

bool is_media_type(std::string_view content_type, std::string_view expected) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return boost::beast::iequals(type, expected);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

response base64_response(std::string_view content_type, std::span<const std::uint8_t> der) {
  response res{http::status::ok, 11};
  res.set(http::field::content_type, content_type);
  // RFC 8951 §3.3: the body is base64 whatever the header says; RFC 7030 clients still look for it.
  res.set("Content-Transfer-Encoding", "base64");
  res.body() = base64_lines(der);
  return res;
}

/// The key the router authenticated, or the 401 to send (the route always has one).
std::variant<registry::api_key, response> caller(const call& c) {
  if (!c.key)
    return est_unauthenticated(c.info,
                               "send Authorization: Bearer <API key> or Basic with the API key as password");
  return *c.key;
}

/// The DER of an application/pkcs10 base64 body, or the 415/400 to send.
std::variant<std::vector<std::uint8_t>, response> csr_body(const call& c) {
  if (!is_media_type(c.req[http::field::content_type], "application/pkcs10")) {
    auto res =
        make_problem(http::status::unsupported_media_type, "unsupported-media-type", "Unsupported media type",
                     "the body must be application/pkcs10 (base64 DER)", c.info.request_id);
    res.set("Accept-Post", "application/pkcs10");
    return res;
  }
  auto der = decode_base64_lenient(c.req.body());
  if (!der || der->empty())
    return make_problem(http::status::bad_request, "invalid-request", "Invalid request",
                        "the body is not base64 DER (RFC 7030 section 4.2.1, RFC 8951)", c.info.request_id);
  return std::move(*der);
}

}  // namespace

response est_unauthenticated(const request_info& info, std::string_view detail) {
  auto res = make_problem(http::status::unauthorized, "unauthenticated", "Authentication required", detail,
                          info.request_id);
  res.insert(http::field::www_authenticate, "Basic realm=\"iotreg-est\"");
  res.insert(http::field::www_authenticate, "Bearer realm=\"iotreg\"");
  return res;
}

std::optional<std::string> est_credentials(std::string_view header) {
  header = trim(header);
  const auto space = header.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto scheme = header.substr(0, space);
  const auto value = trim(header.substr(space + 1));
  if (value.empty() || value.find_first_of(" \t,") != std::string_view::npos) return std::nullopt;
  if (boost::beast::iequals(scheme, "bearer")) return std::string(value);
  if (!boost::beast::iequals(scheme, "basic")) return std::nullopt;
  auto decoded = decode_base64_lenient(value);
  if (!decoded) return std::nullopt;
  const std::string_view text(reinterpret_cast<const char*>(decoded->data()), decoded->size());
  const auto colon = text.find(':');  // RFC 7617: the user id has no ':', the password may
  if (colon == std::string_view::npos) return std::nullopt;
  std::string password(text.substr(colon + 1));
  registry::wipe(decoded->data(), decoded->size());
  if (password.empty()) return std::nullopt;
  return password;
}

response est_cacerts(const registry::est_service& est, const call&) {
  return base64_response(pkcs7_certs_only, est.ca_certificates());
}

response est_csrattrs(const registry::est_service& est, const call&) {
  return base64_response("application/csrattrs", est.csr_attributes());
}

response est_simpleenroll(registry::est_service& est, const call& c) {
  auto key = caller(c);
  if (auto* r = std::get_if<response>(&key)) return std::move(*r);
  auto der = csr_body(c);
  if (auto* r = std::get_if<response>(&der)) return std::move(*r);
  auto issued = est.enroll(std::get<std::vector<std::uint8_t>>(der), std::get<registry::api_key>(key));
  if (!issued) return error_response(issued.error(), c.info);
  return base64_response(pkcs7_certs_only, issued->pkcs7_der);
}

response est_simplereenroll(registry::est_service& est, const call& c) {
  if (c.info.client_cert_der.empty()) {
    auto res =
        make_problem(http::status::unauthorized, "client-certificate-required", "Client certificate required",
                     "re-enrollment is authenticated by the device's current certificate as TLS "
                     "client certificate, issued by this registry's CA",
                     c.info.request_id);
    // No registered HTTP scheme names TLS client authentication; a 401 still needs a challenge.
    res.set(http::field::www_authenticate, "ClientCertificate realm=\"iotreg-est\"");
    return res;
  }
  auto der = csr_body(c);
  if (auto* r = std::get_if<response>(&der)) return std::move(*r);
  const auto& cert = c.info.client_cert_der;
  auto issued = est.reenroll(std::get<std::vector<std::uint8_t>>(der),
                             {reinterpret_cast<const std::uint8_t*>(cert.data()), cert.size()});
  if (!issued) return error_response(issued.error(), c.info);
  return base64_response(pkcs7_certs_only, issued->pkcs7_der);
}

response est_serverkeygen(registry::est_service& est, const call& c) {
  auto key = caller(c);
  if (auto* r = std::get_if<response>(&key)) return std::move(*r);
  auto der = csr_body(c);
  if (auto* r = std::get_if<response>(&der)) return std::move(*r);
  const auto password = c.req[key_password_header];
  if (password.empty())
    return error_response({registry::errc::invalid_server_keygen,
                           "iotreg returns server-generated keys only encrypted: send the password "
                           "(12..1024 bytes) in the Iotreg-Key-Password header"},
                          c.info);
  auto made =
      est.server_keygen(std::get<std::vector<std::uint8_t>>(der), std::get<registry::api_key>(key), password);
  if (!made) return error_response(made.error(), c.info);

  std::string key_part = base64_lines(made->encrypted_pkcs8_der.bytes());
  const std::string cert_part = base64_lines(made->pkcs7_der);
  std::string body;
  body.reserve(key_part.size() + cert_part.size() + 512);  // one buffer: no stray copies of the key
  body.append("--").append(boundary).append("\r\n");
  body.append("Content-Type: application/pkcs8-encrypted\r\nContent-Transfer-Encoding: base64\r\n\r\n");
  body.append(key_part);
  body.append("--").append(boundary).append("\r\n");
  body.append("Content-Type: ")
      .append(pkcs7_certs_only)
      .append("\r\nContent-Transfer-Encoding: base64\r\n\r\n");
  body.append(cert_part);
  body.append("--").append(boundary).append("--\r\n");
  registry::wipe(key_part);
  response res{http::status::ok, 11};
  res.set(http::field::content_type, "multipart/mixed; boundary=" + std::string(boundary));
  res.body() = std::move(body);
  return res;
}

}  // namespace iotreg::api::handlers
