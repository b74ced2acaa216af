#pragma once
// registry::revocation_store on PostgreSQL: revoked certificates per issuer and the shared CRLs.

#include "db/pool.hpp"
#include "registry/ports.hpp"

namespace iotreg::db {

/// @par Thread safety: safe from any thread (each call leases its own connection).
/// Every method may throw pool_timeout or pqxx::failure.
class pg_revocation_store final : public registry::revocation_store {
 public:
  /// `p` must outlive the store.
  explicit pg_revocation_store(pool& p) noexcept : pool_(p) {}

  std::vector<registry::revoked_certificate> revoked(std::string_view issuer_key_id_hex) override;
  std::optional<registry::certificate_state> status(std::string_view issuer_key_id_hex,
                                                    std::string_view serial_hex) override;
  std::optional<registry::stored_crl> current_crl(std::string_view issuer_key_id_hex) override;
  /// Holds a transaction-scoped advisory lock on the issuer while `make` runs (signing: fast).
  /// @throws std::logic_error if `make` returns another number.
  registry::stored_crl replace_crl(std::string_view issuer_key_id_hex, const crl_maker& make) override;

 private:
  pool& pool_;
};

}  // namespace iotreg::db
