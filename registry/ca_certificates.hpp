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

  /// The quoted SHA-256 of the PEM find_ca_pem returns; empty for an unknown key id.
  std::string entity_tag(std::string_view key_id) const override;

  /// How many certificates are indexed.
  std::size_t size() const noexcept { return pem_.size(); }

 private:
  struct entry {
    std::string pem;
    std::string etag;
  };
  const entry* find(std::string_view key_id) const;

  std::map<std::string, entry, std::less<>> pem_;  // key id -> PEM
};

}  // namespace iotreg::registry
