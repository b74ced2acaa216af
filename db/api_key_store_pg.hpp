#pragma once
// registry::api_key_store on PostgreSQL. Keys are stored by their SHA-256 only.

#include "db/pool.hpp"
#include "registry/ports.hpp"

namespace iotreg::db {

/// @par Thread safety: safe from any thread (each call leases its own connection).
/// Every method may throw pool_timeout or pqxx::failure.
class pg_api_key_store final : public registry::api_key_store {
 public:
  /// `p` must outlive the store.
  explicit pg_api_key_store(pool& p) noexcept : pool_(p) {}

  /// Active = not revoked, not expired (expires_at null or in the future), its tenant not disabled.
  std::optional<registry::api_key> find_active(const std::array<std::uint8_t, 32>& hash) override;
  /// A new key never expires. @throws pqxx::unique_violation if the hash is already stored.
  std::int64_t insert(std::string_view name, std::string_view role,
                      const std::array<std::uint8_t, 32>& hash) override;
  std::size_t count_active(std::string_view role) override;

 private:
  pool& pool_;
};

}  // namespace iotreg::db
