#pragma once
// registry::tenant_store and registry::lifecycle_store on PostgreSQL (migration 006).

#include "db/pool.hpp"
#include "registry/ports.hpp"

#include <pqxx/field>
#include <pqxx/row>

#include <cstdint>
#include <optional>

namespace iotreg::db {

/// @par Thread safety: safe from any thread (each call leases its own connection).
/// Every method may throw pool_timeout or pqxx::failure.
class pg_tenant_store final : public registry::tenant_store {
 public:
  /// `p` must outlive the store.
  explicit pg_tenant_store(pool& p) noexcept : pool_(p) {}

  registry::tenant create_tenant(std::string_view name, std::string_view kind) override;
  std::vector<registry::tenant> list_tenants() override;
  std::optional<registry::tenant> find_tenant(std::int64_t id) override;
  /// @throws std::invalid_argument if the tenant does not exist.
  std::int64_t insert_key(std::int64_t tenant_id, std::string_view name,
                          const std::array<std::uint8_t, 32>& hash,
                          std::optional<registry::time_point> expires_at) override;
  bool revoke_key(std::int64_t id) override;
  registry::result<registry::tenant> set_disabled(std::int64_t id, bool disabled,
                                                  std::optional<std::int64_t> api_key_id) override;

 private:
  pool& pool_;
};

/// @par Thread safety: safe from any thread. Every method may throw pool_timeout or pqxx::failure.
class pg_lifecycle_store final : public registry::lifecycle_store {
 public:
  /// `p` must outlive the store.
  explicit pg_lifecycle_store(pool& p) noexcept : pool_(p) {}

  std::optional<registry::device_ownership> ownership(std::string_view zone,
                                                      std::string_view device_id) override;
  registry::result<std::optional<std::int64_t>> change(std::string_view zone, std::string_view device_id,
                                                       const decider& decide) override;
  /// One multi-row INSERT ... SELECT unnest() and one audit INSERT for the whole batch.
  std::vector<registry::registration_outcome> register_devices(
      std::string_view zone, const std::vector<std::string>& ids, std::int64_t asp_tenant_id,
      std::optional<std::int64_t> api_key_id) override;

 private:
  pool& pool_;
};

namespace detail {

/// A nullable bigint column.
std::optional<std::int64_t> opt_id(const pqxx::field& f);

/// A device's owners and state from columns 0-6 of the ownership statements (lifecycle_ownership,
/// lifecycle_lock, the reads' device list): device_id, status, asp and mno tenant ids,
/// created_at, updated_at, deleted_at (epoch microseconds). @throws pqxx::conversion_error for an
/// unknown status.
registry::device_ownership read_ownership(const pqxx::row& r);

}  // namespace detail

}  // namespace iotreg::db
