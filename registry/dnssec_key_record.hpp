#pragma once
// A zone's DNSSEC key as the database keeps it: public DNSKEY, sealed private key and the RFC 7583
// timeline (STANDARDS.md §5.6). Plain values, shared by every node through the database.

#include "registry/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

enum class dnssec_key_role { ksk, zsk };

/// "ksk" / "zsk": the spelling of the database and of `iotregctl dnssec`.
std::string_view to_string(dnssec_key_role r) noexcept;
std::optional<dnssec_key_role> dnssec_key_role_from_string(std::string_view s) noexcept;

/// RFC 7583 §3.1 events of one key; unset until the key reaches (or is scheduled for) them.
/// A time in the future is a scheduled event, one in the past has happened. Every member has a
/// default initializer so that designated initializers may name only some (GCC 12 warns otherwise).
struct dnssec_key_timeline {
  std::optional<time_point> generated{};     // created
  std::optional<time_point> published{};     // DNSKEY in the zone
  std::optional<time_point> ready{};         // published long enough to be in every cache
  std::optional<time_point> active{};        // signs (ZSK: the zone's RRsets, KSK: the DNSKEY RRset)
  std::optional<time_point> retired{};       // no longer signs
  std::optional<time_point> removed{};       // DNSKEY gone from the zone; the key is never loaded again
  std::optional<time_point> ds_submitted{};  // KSK: DS handed to the parent (CDS/CDNSKEY published)
  std::optional<time_point> ds_seen{};       // KSK: the parent publishes the DS
  friend bool operator==(const dnssec_key_timeline&, const dnssec_key_timeline&) = default;
};

/// Where a key stands at `now`: the latest event of its timeline that has happened
/// ("removed", "retired", "active", "ready", "published", "generated"; "created" when none has).
std::string_view dnssec_key_state(const dnssec_key_timeline& t, time_point now) noexcept;

/// One row of dnssec_keys.
struct dnssec_key_record {
  std::int64_t id = 0;  // assigned by the store
  std::string zone;     // apex, lower case, final dot
  std::uint16_t key_tag = 0;
  std::uint8_t algorithm = 0;
  dnssec_key_role role = dnssec_key_role::zsk;
  std::vector<std::uint8_t> dnskey_rdata;        // public: flags, protocol, algorithm, key
  std::vector<std::uint8_t> sealed_private_key;  // pki::key_encryption_key::seal output
  dnssec_key_timeline timeline;
  std::optional<time_point> rollover_requested{};  // set by `iotregctl dnssec rollover`
};

}  // namespace iotreg::registry
