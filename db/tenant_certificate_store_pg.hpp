#pragma once
// registry::tenant_certificate_store on PostgreSQL (migration 009): rows of api_keys with kind
// 'certificate', key_hash the SHA-256 of the certificate's DER.

#include "db/pool.hpp"
#include "registry/tenant_certificates.hpp"

namespace iotreg::db {

/// @par Thread safety: safe from any thread (each call leases its own connection).
/// Every method may throw pool_timeout or pqxx::failure.
class pg_tenant_certificate_store final : public registry::tenant_certificate_store {
 public:
  /// `p` must outlive the store.
  explicit pg_tenant_certificate_store(pool& p) noexcept : pool_(p) {}

  /// One transaction: the row and its audit row; ON CONFLICT on the fingerprint, so a
  /// concurrent registration of the same certificate gets client_certificate_exists too.
  registry::result<std::int64_t> insert(std::int64_t tenant_id, std::string_view name,
                                        const registry::fingerprint& sha256,
                                        std::span<const std::uint8_t> der,
                                        registry::time_point expires_at) override;
  std::vector<registry::tenant_certificate> list(std::int64_t tenant_id) override;
  std::optional<std::int64_t> revoke(std::int64_t tenant_id, const registry::fingerprint& sha256) override;
  std::optional<registry::api_key> find_active(const registry::fingerprint& sha256) override;

 private:
  pool& pool_;
};

}  // namespace iotreg::db
