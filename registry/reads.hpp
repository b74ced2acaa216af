#pragma once
// Read use cases (issue 5 item 3): the device list with filters and cursor pagination, a device's
// history (its audit_log rows) and the zone's status. Every call takes the caller's key and goes
// through registry/authorization.hpp: an ASP lists only the devices it owns, an MNO those it
// activated, the admin all; the zone status is the admin's (scope zone_read). Plain blocking
// functions for the work pool; they know nothing of HTTP.

#include "registry/dnssec_key_record.hpp"
#include "registry/enrollment_service.hpp"
#include "registry/errors.hpp"
#include "registry/model.hpp"
#include "registry/ports.hpp"
#include "registry/tenancy.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iotreg::registry {

/// A keyset position: (time, row id) of the last row of a page. The same shape (and the same
/// opaque text form, api/dto/renewal_dto.hpp encode_cursor) as the expiring list's cursor:
/// for devices the time is updated_at, for history entries it is `at` (history pages on the id).
using page_cursor = expiring_cursor;

/// The filters of GET /api/v1/devices (all optional, combined with AND).
struct device_filter {
  std::optional<device_status> status;
  std::optional<std::int64_t> asp_tenant_id;
  std::optional<std::int64_t> mno_tenant_id;
  std::optional<time_point> updated_since;  // updated_at >= this
};

/// What a store query sees: the caller's filters plus the tenant restriction the policy imposes.
struct device_query {
  device_filter filter;
  std::optional<std::int64_t> only_asp;  // the caller is this ASP
  std::optional<std::int64_t> only_mno;  // the caller is this MNO
  std::optional<page_cursor> after;
  std::size_t limit = 100;
};

/// A row of the store's device list: the device, the distinct TLSA of its live certificates (not
/// revoked, not withdrawn: what the zone publishes for it while it is active; none for a device
/// without certificates), ordered by (usage, selector, matching, data), and its keyset position.
struct device_row {
  device_ownership device;
  std::vector<tlsa_data> tlsa;
  page_cursor pos;
};

/// A device of the list as GET /api/v1/devices shows it: its lifecycle fields, its DNS name and
/// its TLSA records in the presentation format of GET /api/v1/devices/{id}'s `tlsa`.
struct device_item {
  device_ownership device;
  std::string dns_name;           // <id>._device.<zone> without the final dot
  std::vector<std::string> tlsa;  // "<owner> <ttl> IN TLSA 3 1 1 <hex>", as device_row::tlsa
};

/// One page, ordered by (updated_at, id); `next` is set when more rows may follow.
struct device_page {
  std::vector<device_item> items;
  std::optional<page_cursor> next;
};

/// One audit_log row of a device.
struct history_entry {
  std::int64_t id = 0;
  std::string action;
  time_point at;
  std::optional<std::int64_t> api_key_id;
  std::optional<std::string> request_id;
  std::string detail_json;  // the jsonb column as text (an object)
};

struct history_page {
  std::vector<history_entry> items;  // oldest first
  std::optional<page_cursor> next;
};

/// A DNSSEC key of the zone with its state at the time of the read (dnssec_key_state).
struct zone_key_status {
  std::uint16_t key_tag = 0;
  std::uint8_t algorithm = 0;
  dnssec_key_role role = dnssec_key_role::zsk;
  std::string state;
};

/// The zone's status (GET /api/v1/zone).
struct zone_status {
  std::string zone;
  std::optional<std::uint32_t> serial;  // nullopt before the first publication
  std::optional<time_point> published_at;
  std::int64_t active_devices = 0;
  std::int64_t tlsa_records = 0;  // live TLSA records of active devices (as the zone holds them)
  std::vector<zone_key_status> keys;
};

/// The counters of zone_status, read in one transaction.
struct zone_counts {
  std::optional<std::uint32_t> serial;
  std::optional<time_point> published_at;
  std::int64_t active_devices = 0;
  std::int64_t tlsa_records = 0;
};

/// Persistence port of the reads.
/// @par Thread safety: implementations must be safe from any thread. Methods may throw the
/// store's failures (pool_timeout, pqxx::failure).
class reads_store {
 public:
  virtual ~reads_store() = default;
  /// Up to q.limit + 1 devices of `zone` after q.after, ordered by (updated_at, id) (the extra
  /// row tells the caller that another page follows), each with its TLSA records (read in the
  /// same query: no query per device).
  virtual std::vector<device_row> list_devices(std::string_view zone, const device_query& q) = 0;
  /// Up to limit + 1 audit_log rows of (zone, device_id) with id > after_id, oldest first.
  virtual std::vector<history_entry> history(std::string_view zone, std::string_view device_id,
                                             std::int64_t after_id, std::size_t limit) = 0;
  virtual zone_counts counts(std::string_view zone) = 0;
};

class reads_service {
 public:
  virtual ~reads_service() = default;
  /// The devices `caller` may see that match `filter`. @returns errc::forbidden (no device_read).
  virtual result<device_page> list_devices(const api_key& caller, const device_filter& filter,
                                           const std::optional<page_cursor>& after, std::size_t limit) = 0;
  /// A device's audit history. @returns errc::forbidden or device_not_found (also for another
  /// tenant's device).
  virtual result<history_page> history(const api_key& caller, std::string_view device_id,
                                       const std::optional<page_cursor>& after, std::size_t limit) = 0;
  /// @returns errc::forbidden unless the caller has zone_read (the admin).
  virtual result<zone_status> zone(const api_key& caller) = 0;
};

/// @par Thread safety: as safe as its stores and `lifecycle` (all of iotregd's are).
class registry_reads final : public reads_service {
 public:
  /// `zone` is the apex with the final dot; `tlsa_ttl` the TTL the zone serves TLSA records
  /// with ([zone] tlsa_ttl), shown in the list's records. Every reference must outlive the service.
  registry_reads(
      std::string zone, std::uint32_t tlsa_ttl, reads_store& store, dnssec_key_store& keys,
      lifecycle_service& lifecycle, std::function<time_point()> now = [] { return clock::now(); })
      : zone_(std::move(zone)),
        tlsa_ttl_(tlsa_ttl),
        store_(store),
        keys_(keys),
        lifecycle_(lifecycle),
        now_(std::move(now)) {}

  result<device_page> list_devices(const api_key& caller, const device_filter& filter,
                                   const std::optional<page_cursor>& after, std::size_t limit) override;
  result<history_page> history(const api_key& caller, std::string_view device_id,
                               const std::optional<page_cursor>& after, std::size_t limit) override;
  result<zone_status> zone(const api_key& caller) override;

 private:
  std::string zone_;
  std::uint32_t tlsa_ttl_;
  reads_store& store_;
  dnssec_key_store& keys_;
  lifecycle_service& lifecycle_;
  std::function<time_point()> now_;
};

}  // namespace iotreg::registry
