#pragma once
// registry::service_endpoint_store on PostgreSQL (migration 008).

#include "db/pool.hpp"
#include "registry/iotsafe.hpp"

namespace iotreg::db {

/// @par Thread safety: safe from any thread (each call leases its own connection).
/// Every method may throw pool_timeout or pqxx::failure.
class pg_service_endpoint_store final : public registry::service_endpoint_store {
 public:
  /// `p` must outlive the store.
  explicit pg_service_endpoint_store(pool& p) noexcept : pool_(p) {}

  /// Endpoint and records read in one transaction (a concurrent put is seen whole or not at all).
  std::optional<registry::service_endpoint> find(std::int64_t tenant_id) override;
  /// @throws pqxx::foreign_key_violation if the tenant does not exist.
  void put(std::int64_t tenant_id, const registry::service_endpoint& e,
           std::optional<std::int64_t> api_key_id) override;
  bool remove(std::int64_t tenant_id, std::optional<std::int64_t> api_key_id) override;

 private:
  pool& pool_;
};

}  // namespace iotreg::db
