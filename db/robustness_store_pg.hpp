#pragma once
// registry::idempotency_store and registry::audit_log_reader on PostgreSQL (migration 007).

#include "db/pool.hpp"
#include "registry/audit_log.hpp"
#include "registry/idempotency_store.hpp"

namespace iotreg::db {

/// @par Thread safety: safe from any thread (each call leases its own connection).
/// Every method may throw pool_timeout or pqxx::failure.
class pg_idempotency_store final : public registry::idempotency_store {
 public:
  /// `p` must outlive the store.
  explicit pg_idempotency_store(pool& p) noexcept : pool_(p) {}

  /// Expiry is judged by the database clock (now()), the same for every node.
  std::optional<registry::idempotency_entry> claim(std::string_view scope, std::string_view key,
                                                   std::string_view request_hash,
                                                   registry::time_point expires_at) override;
  void complete(std::string_view scope, std::string_view key, const registry::stored_response& r) override;
  void complete_unreplayable(std::string_view scope, std::string_view key, unsigned status) override;
  void release(std::string_view scope, std::string_view key) override;
  std::size_t purge_expired(registry::time_point now) override;

 private:
  pool& pool_;
};

/// @par Thread safety: as pg_idempotency_store.
class pg_audit_log_reader final : public registry::audit_log_reader {
 public:
  explicit pg_audit_log_reader(pool& p) noexcept : pool_(p) {}
  std::vector<registry::audit_entry> list(const registry::audit_query& q) override;

 private:
  pool& pool_;
};

}  // namespace iotreg::db
