#pragma once
// CA discovery (issue 4 item 6, STANDARDS.md §3.1): the CA certificates iotreg publishes at
// /.well-known/ca/<key id>.pem — the root and every issuing CA, active or retired — looked up by
// key id. The API's port; registry/ca_certificates.hpp implements it from the loaded CAs.

#include "registry/errors.hpp"

#include <string>
#include <string_view>

namespace iotreg::registry {

class ca_directory {
 public:
  virtual ~ca_directory() = default;

  /// The PEM certificate of the CA whose subjectKeyIdentifier is `key_id`, written as lower-case
  /// hex bytes joined by '-' (the AKI a certificate it issued carries; upper case is accepted).
  /// @returns errc::ca_not_found for any other text. Never blocks.
  /// @par Thread Safety: may be called concurrently.
  virtual result<std::string> find_ca_pem(std::string_view key_id) const = 0;

  /// A strong entity tag (quoted, RFC 9110 §8.8.3) of what find_ca_pem returns for `key_id`, for
  /// HTTP caches and conditional GETs; empty if unknown or not computed (the default).
  /// @par Thread Safety: may be called concurrently.
  virtual std::string entity_tag(std::string_view /*key_id*/) const { return {}; }
};

}  // namespace iotreg::registry
