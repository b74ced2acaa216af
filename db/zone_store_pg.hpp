#pragma once
// registry::zone_store on PostgreSQL: the signer's view of a zone and of its outbox.

#include "db/pool.hpp"
#include "registry/ports.hpp"

namespace iotreg::db {

/// @par Thread safety: safe from any thread (each call leases its own connection).
/// Every method may throw pool_timeout or pqxx::failure.
class pg_zone_store final : public registry::zone_store {
 public:
  /// `p` must outlive the store.
  explicit pg_zone_store(pool& p) noexcept : pool_(p) {}

  /// Ordered by device id.
  std::vector<registry::device_tlsa> active_tlsa(std::string_view zone) override;
  std::vector<registry::zone_change> pending_changes(std::string_view zone, std::size_t limit) override;
  std::optional<std::uint32_t> last_serial(std::string_view zone) override;
  /// Only rows of `zone` that are still pending are stamped: the first serial that published a
  /// change is never overwritten. Ids that match no such row are logged, not an error.
  void mark_published(std::string_view zone, std::uint32_t serial, std::span<const std::int64_t> change_ids,
                      const registry::journal_entry* diff, std::size_t history) override;
  std::vector<registry::journal_entry> journal(std::string_view zone) override;

 private:
  pool& pool_;
};

}  // namespace iotreg::db
