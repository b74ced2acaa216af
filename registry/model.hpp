#pragma once
// The registry's domain model: plain values, independent of SQL rows and of API DTOs.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

using clock = std::chrono::system_clock;
using time_point = clock::time_point;

/// The lifecycle states (registry/lifecycle.hpp has the transitions); values appended only.
enum class device_status { active, revoked, registered, suspended, deleted };

/// "active", "revoked", "registered", "suspended", "deleted": the spelling used in the database
/// and the API.
std::string_view to_string(device_status s) noexcept;
std::optional<device_status> device_status_from_string(std::string_view s) noexcept;

/// A TLSA record as the zone publishes it (RFC 6698 RDATA fields).
struct tlsa_data {
  std::uint8_t usage = 3;
  std::uint8_t selector = 1;
  std::uint8_t matching = 1;
  std::vector<std::uint8_t> association;  // 32 bytes for 3 1 1
  friend bool operator==(const tlsa_data&, const tlsa_data&) = default;
};

/// A certificate issued to a device.
struct certificate_record {
  std::string serial_hex;  // lower-case hex of the positive serial, no leading zeros
  std::string pem;
  std::string issuer_key_id_hex;  // AKI keyIdentifier, lower-case hex
  time_point not_before;
  time_point not_after;
  std::optional<time_point> revoked_at;
  std::optional<time_point> withdrawn_at;  // its TLSA left the zone (superseded or expired)
  std::optional<time_point> confirmed_at;  // the device confirmed it uses this certificate
};

struct device {
  std::string zone;  // zone apex, lower case, with the final dot
  std::string id;    // the device label (EID or DNS-safe label), lower case
  device_status status = device_status::active;
  tlsa_data tlsa;
  certificate_record certificate;
  std::optional<std::uint32_t> zone_serial;  // first SOA serial that published the TLSA, once known
  time_point created_at;
  time_point updated_at;
};

/// What enrollment hands to the store: written in ONE transaction with its zone change.
struct new_enrollment {
  std::string zone;
  std::string device_id;
  tlsa_data tlsa;
  certificate_record certificate;
  std::optional<std::int64_t> api_key_id;  // who enrolled it
  /// The MNO tenant that activates it (nullopt: the admin). If the (zone, id) row exists in state
  /// "registered" (an ASP registered it), the store activates that row instead of inserting one.
  std::optional<std::int64_t> mno_tenant_id{};
};

/// A row of the zone change outbox.
struct zone_change {
  enum class kind { add, remove };
  std::int64_t id = 0;
  std::string device_id;
  kind op = kind::add;
  tlsa_data tlsa;  // the record added or removed
};

/// The TLSA records of every active device, read in one consistent snapshot.
struct device_tlsa {
  std::string device_id;
  tlsa_data tlsa;
};

struct api_key {
  std::int64_t id = 0;
  std::string name;
  std::string role;                         // "admin", "mno" or "asp": the kind of its tenant
  std::optional<std::int64_t> tenant_id{};  // nullopt: a key without a tenant (none since migration 006)
};

/// A tenant: the registry admin, an operator (MNO) or a service provider (ASP).
struct tenant {
  std::int64_t id = 0;
  std::string name;
  std::string kind;  // "admin", "mno", "asp"
  time_point created_at;
  std::optional<time_point> disabled_at;
};

/// Who owns a device and where it is in its lifecycle: what authorization looks at.
struct device_ownership {
  std::string id;
  device_status status = device_status::registered;
  std::optional<std::int64_t> asp_tenant_id;
  std::optional<std::int64_t> mno_tenant_id;
  time_point created_at;
  time_point updated_at;
  std::optional<time_point> deleted_at;
};

/// What a renewal or rekey hands to the store: one more certificate for an existing device,
/// written in ONE transaction with its zone change (if its TLSA is new to the device).
struct new_certificate {
  std::string zone;
  std::string device_id;
  tlsa_data tlsa;
  certificate_record certificate;
  std::optional<std::int64_t> api_key_id;  // who asked for it
  std::string action = "renew";            // "renew" or "rekey", for the audit log
};

/// A live certificate (not revoked, not withdrawn) of an active device, as the expiring list
/// shows it. Ordered by (not_after, row_id); row_id makes the order total for cursors.
struct expiring_certificate {
  std::string device_id;
  std::string serial_hex;
  std::string issuer_key_id_hex;
  time_point not_after;
  std::int64_t row_id = 0;
  std::optional<std::int64_t> asp_tenant_id{};  // the device's owners: the policy re-checks each row
  std::optional<std::int64_t> mno_tenant_id{};
};

/// The tenant restriction of a device or expiring-certificate list (visible_devices in
/// authorization.hpp decides it): nullopt members do not restrict.
struct listing_scope {
  std::optional<std::int64_t> only_asp;  // the caller is this ASP: its devices
  std::optional<std::int64_t> only_mno;  // the caller is this MNO: the devices it activated
};

/// Where a page of the expiring list continues: after this (not_after, row_id).
struct expiring_cursor {
  time_point not_after;
  std::int64_t row_id = 0;
};

}  // namespace iotreg::registry
