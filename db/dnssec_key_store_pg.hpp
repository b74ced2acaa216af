#pragma once
// registry::dnssec_key_store on PostgreSQL (table dnssec_keys, db/migrations/003_dnssec_keys.sql).

#include "db/pool.hpp"
#include "registry/ports.hpp"

namespace iotreg::db {

/// @par Thread safety: safe from any thread (each call leases its own connection).
/// Every method may throw pool_timeout or pqxx::failure; a row that breaks the model (unknown
/// role, key tag out of range) throws pqxx::conversion_error.
class pg_dnssec_key_store final : public registry::dnssec_key_store {
 public:
  /// `p` must outlive the store.
  explicit pg_dnssec_key_store(pool& p) noexcept : pool_(p) {}

  std::vector<registry::dnssec_key_record> list(std::string_view zone) override;
  std::optional<std::int64_t> insert(const registry::dnssec_key_record& k) override;
  /// Holds a transaction-scoped advisory lock on the zone while it checks and inserts. A key tag
  /// taken twice within `keys` throws std::invalid_argument (nothing is stored).
  bool insert_first_keys(std::string_view zone, std::span<const registry::dnssec_key_record> keys) override;
  bool update_timeline(std::int64_t id, const registry::dnssec_key_timeline& t) override;
  std::size_t request_rollover(std::string_view zone, registry::dnssec_key_role role,
                               registry::time_point at) override;
  bool clear_rollover_request(std::int64_t id) override;
  bool mark_ds_seen(std::string_view zone, std::uint16_t key_tag, registry::time_point at) override;
  /// The transaction-scoped advisory lock of insert_first_keys, taken without waiting
  /// (pg_try_advisory_xact_lock) in a transaction that stays open while `f` runs: a crashed node
  /// never keeps it. Holds one pooled connection while `f` leases others, so the pool needs at
  /// least two. @throws std::logic_error if the pool has fewer (nothing is run).
  bool with_zone_lock(std::string_view zone, const std::function<void()>& f) override;

 private:
  pool& pool_;
};

}  // namespace iotreg::db
