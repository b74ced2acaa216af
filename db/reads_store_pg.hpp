#pragma once
// registry::reads_store on PostgreSQL: the device list, a device's audit history and the zone's
// counters (issue 5 item 3).

#include "db/pool.hpp"
#include "registry/reads.hpp"

namespace iotreg::db {

/// @par Thread safety: safe from any thread (each call leases its own connection).
/// Every method may throw pool_timeout or pqxx::failure.
class pg_reads_store final : public registry::reads_store {
 public:
  /// `p` must outlive the store.
  explicit pg_reads_store(pool& p) noexcept : pool_(p) {}

  /// One statement per page: the TLSA of each device come from a lateral subquery.
  std::vector<registry::device_row> list_devices(std::string_view zone,
                                                 const registry::device_query& q) override;
  std::vector<registry::history_entry> history(std::string_view zone, std::string_view device_id,
                                               std::int64_t after_id, std::size_t limit) override;
  registry::zone_counts counts(std::string_view zone) override;

 private:
  pool& pool_;
};

}  // namespace iotreg::db
