#pragma once
// What the public revocation endpoints (/crl/<aki>.crl, /ocsp) need from the registry; the
// revocation_service implements it. Blocking: run on the work pool.

#include "registry/model.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

/// A signed revocation document with what HTTP caches need (RFC 5019 §6): the window it is
/// valid for and a strong entity tag. Without times it must not be cached (an OCSP error).
struct signed_document {
  std::vector<std::uint8_t> der;
  std::optional<time_point> this_update;  // Last-Modified
  std::optional<time_point> next_update;  // Expires, and max-age counts down to it
  std::string etag;                       // quoted strong entity tag ("\"<hex>\""); empty: none
};

class revocation_responder {
 public:
  virtual ~revocation_responder() = default;

  /// The DER CRL of the issuing CA whose subjectKeyIdentifier spells `key_id_text`
  /// (pki::key_id_text form); nullopt if no such CA. @throws on database or signing failure.
  virtual std::optional<std::vector<std::uint8_t>> crl(std::string_view key_id_text) = 0;

  /// The DER OCSPResponse to a DER OCSPRequest (any bytes: a bad request gets malformedRequest).
  virtual std::vector<std::uint8_t> ocsp(std::span<const std::uint8_t> request_der) = 0;

  /// crl() with its validity window and entity tag, for GET /crl/<aki>.crl. The default carries
  /// neither (the reply is then not cacheable). Same errors as crl().
  virtual std::optional<signed_document> crl_document(std::string_view key_id_text) {
    auto der = crl(key_id_text);
    if (!der) return std::nullopt;
    return signed_document{std::move(*der), std::nullopt, std::nullopt, {}};
  }

  /// ocsp() with the validity window of a successful response (thisUpdate, nextUpdate) and an
  /// entity tag, for GET /ocsp/<request>; error responses carry no times. The default carries
  /// neither.
  virtual signed_document ocsp_document(std::span<const std::uint8_t> request_der) {
    return {ocsp(request_der), std::nullopt, std::nullopt, {}};
  }
};

}  // namespace iotreg::registry
