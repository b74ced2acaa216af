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
  /// Revokes the device and all its certificates, and writes a `remove` zone change for each
  /// distinct TLSA of its live certificates, plus an audit row with the reason code (with no api
  /// key: the port has none). @returns the newest of those change ids, 0 if there was none (every
  /// certificate had already been withdrawn: the zone does not change).
  registry::result<std::int64_t> revoke(std::string_view zone, std::string_view device_id,
                                        std::uint8_t reason = 0) override;
  /// Each with an audit row ("device.renew"/"device.rekey", "device.confirm", "certificate.expire").
  registry::result<std::optional<std::int64_t>> insert_certificate(
      const registry::new_certificate& c) override;
  registry::result<std::vector<std::int64_t>> confirm_certificate(std::string_view zone,
                                                                  std::string_view device_id,
                                                                  std::string_view serial_hex) override;
  /// One transaction: the devices are locked FOR UPDATE SKIP LOCKED, so nodes sweeping at once
  /// share the work.
  std::vector<std::int64_t> withdraw_expired(std::string_view zone, registry::time_point now,
                                             std::size_t max_devices) override;
  std::vector<registry::expiring_certificate> expiring(std::string_view zone, registry::time_point before,
                                                       const std::optional<registry::expiring_cursor>& after,
                                                       std::size_t limit,
                                                       const registry::listing_scope& only) override;

 private:
  pool& pool_;
};

}  // namespace iotreg::db
