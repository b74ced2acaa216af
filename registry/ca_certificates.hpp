#pragma once
// The ca_directory of a running iotregd: a fixed set of CA certificates, indexed by the key id
// of their SKI. iotregd builds it at its start from the state directory's CAs.

#include "pki/certificate.hpp"
#include "registry/ca_directory.hpp"

#include <map>
#include <span>
#include <string>

namespace iotreg::registry {

class ca_certificates final : public ca_directory {
 public:
  /// Indexes `cas` by pki::key_id_text of their SKI. Certificates without an SKI are skipped;
  /// of two with the same SKI the first wins. Throws pki::ossl_error if one does not encode.
  explicit ca_certificates(std::span<const pki::certificate> cas);

  /// Immutable after construction: safe to call from several threads.
  result<std::string> find_ca_pem(std::string_view key_id) const override;

  /// How many certificates are indexed.
  std::size_t size() const noexcept { return pem_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> pem_;  // key id -> PEM
};

}  // namespace iotreg::registry
