#pragma once
// registry::device_store on PostgreSQL.

#include "db/pool.hpp"
#include "registry/ports.hpp"

namespace iotreg::db {

/// @par Thread safety: safe from any thread (each call leases its own connection).
/// Every method may throw pool_timeout or pqxx::failure (database down, timeout, a bug).
class pg_device_store final : public registry::device_store {
 public:
  /// `p` must outlive the store.
  explicit pg_device_store(pool& p) noexcept : pool_(p) {}

  /// Device, certificate, `add` zone change and audit row in one transaction.
  registry::result<std::int64_t> insert_enrollment(const registry::new_enrollment& e) override;
  std::optional<registry::device> find(std::string_view zone, std::string_view device_id) override;
  /// Revokes the device and all its certificates, and writes a `remove` zone change carrying the
  /// TLSA of its current certificate, plus an audit row with the reason code (with no api key:
  /// the port has none).
  registry::result<std::int64_t> revoke(std::string_view zone, std::string_view device_id,
                                        std::uint8_t reason = 0) override;

 private:
  pool& pool_;
};

}  // namespace iotreg::db
