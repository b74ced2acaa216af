#pragma once
// Revocation through the classic channels: each issuing CA's CRL (stored in the database so that
// every node serves the same one, with a cRLNumber that only grows) and the OCSP responder. The
// DNS side of a revocation (the TLSA leaving the zone) is registry_service::revoke's business.

#include "pki/ca.hpp"
#include "registry/ports.hpp"
#include "registry/revocation_responder.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace iotreg::registry {

struct revocation_settings {
  std::chrono::seconds crl_validity = std::chrono::days(7);  // nextUpdate - thisUpdate
  /// A CRL is regenerated once less than this is left before its nextUpdate (and when it misses
  /// a revocation, or the issuer has none).
  std::chrono::seconds crl_refresh_before = std::chrono::days(3);
  std::chrono::seconds ocsp_validity = std::chrono::hours(1);   // OCSP nextUpdate - thisUpdate
  std::chrono::seconds check_interval = std::chrono::hours(1);  // the periodic CRL check
};

/// @par Thread safety: crl(), ocsp(), regenerate() and refresh() may be called concurrently from
/// any thread (the store serialises CRL generation per issuer). start()/stop() from one thread.
class revocation_service final : public revocation_responder {
 public:
  using clock_fn = std::function<time_point()>;

  /// `cas`: every issuing CA this node answers for (current and rotated ones), each with its key;
  /// they and `store` must outlive the service. A CA without subjectKeyIdentifier is ignored.
  revocation_service(
      revocation_settings settings, revocation_store& store,
      std::vector<const pki::certificate_authority*> cas, clock_fn now = [] { return clock::now(); });
  ~revocation_service();
  revocation_service(const revocation_service&) = delete;
  revocation_service& operator=(const revocation_service&) = delete;

  /// The CA whose subjectKeyIdentifier is `key_id_text` (pki::key_id_text: "0a-1b-..."), if any.
  const pki::certificate_authority* find_ca(std::string_view key_id_text) const;

  /// The current DER CRL of the CA named by `key_id_text` (as served at /crl/<text>.crl); a new
  /// one is made first if none is stored or the stored one has passed its nextUpdate.
  /// @returns nullopt for an unknown CA. @throws on database or signing failure.
  std::optional<std::vector<std::uint8_t>> crl(std::string_view key_id_text) override;

  /// crl() with thisUpdate, nextUpdate and a SHA-256 entity tag of the DER.
  std::optional<signed_document> crl_document(std::string_view key_id_text) override;

  /// Makes and stores a new CRL for every CA (after a revocation). @throws on failure.
  void regenerate();

  /// Regenerates each CRL that is missing, within crl_refresh_before of its nextUpdate, or lists
  /// another number of certificates than the database has revoked. Errors are logged per CA, not
  /// thrown. @returns how many CRLs it made.
  std::size_t refresh();

  /// The OCSP response to a DER request (pki::ocsp_respond over the CAs and the store).
  std::vector<std::uint8_t> ocsp(std::span<const std::uint8_t> request_der) override;

  /// ocsp() with thisUpdate = now and nextUpdate = now + ocsp_validity when the response is
  /// successful (what pki::ocsp_respond puts in every SingleResponse) and a SHA-256 entity tag
  /// of the DER; no times and no tag for an error response (not cacheable).
  signed_document ocsp_document(std::span<const std::uint8_t> request_der) override;

  /// Runs refresh() every check_interval on a thread of its own, until stop().
  void start();
  void stop();

 private:
  struct issuer {
    const pki::certificate_authority* ca;
    std::string key_id_hex;   // as certificates.issuer_key_id
    std::string key_id_text;  // as in the URL
  };
  stored_crl make_crl(const issuer& i, std::uint64_t number,
                      const std::vector<revoked_certificate>& revoked) const;
  stored_crl regenerate(const issuer& i);

  revocation_settings settings_;
  revocation_store& store_;
  std::vector<issuer> issuers_;
  std::vector<const pki::certificate_authority*> cas_;
  clock_fn now_;

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace iotreg::registry
