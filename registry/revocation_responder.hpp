#pragma once
// What the public revocation endpoints (/crl/<aki>.crl, /ocsp) need from the registry; the
// revocation_service implements it. Blocking: run on the work pool.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace iotreg::registry {

class revocation_responder {
 public:
  virtual ~revocation_responder() = default;

  /// The DER CRL of the issuing CA whose subjectKeyIdentifier spells `key_id_text`
  /// (pki::key_id_text form); nullopt if no such CA. @throws on database or signing failure.
  virtual std::optional<std::vector<std::uint8_t>> crl(std::string_view key_id_text) = 0;

  /// The DER OCSPResponse to a DER OCSPRequest (any bytes: a bad request gets malformedRequest).
  virtual std::vector<std::uint8_t> ocsp(std::span<const std::uint8_t> request_der) = 0;
};

}  // namespace iotreg::registry
