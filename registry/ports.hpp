#pragma once
// The storage interfaces the registry needs; db/ implements them with PostgreSQL (STYLE.md §2:
// the consumer declares the interface). Every method is blocking and may throw on environmental
// failure (database down); expected failures are returned as values.

#include "registry/dnssec_key_record.hpp"
#include "registry/errors.hpp"
#include "registry/lifecycle.hpp"
#include "registry/model.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

class device_store {
 public:
  virtual ~device_store() = default;

  /// Writes the device, its certificate and an `add` zone change in ONE transaction.
  /// @returns the zone change id, or errc::device_exists if the (zone, id) pair is taken.
  virtual result<std::int64_t> insert_enrollment(const new_enrollment& e) = 0;

  /// The device with its current certificate and the serial that first published it.
  virtual std::optional<device> find(std::string_view zone, std::string_view device_id) = 0;

  /// Marks the device and its certificates revoked (now, with `reason`) and writes a `remove`
  /// zone change, in ONE transaction. @returns the zone change id; errc::device_not_found or
  /// errc::device_already_revoked.
  /// `reason` is an RFC 5280 CRLReason code (0 unspecified, 1 keyCompromise, ...) the caller
  /// has checked (pki::revocation_reason_from_code).
  virtual result<std::int64_t> revoke(std::string_view zone, std::string_view device_id,
                                      std::uint8_t reason = 0) = 0;

  // Several live certificates per device (renewal, rekey; migration 005). A certificate is live
  // while neither revoked nor withdrawn; the zone carries the distinct TLSA of the live
  // certificates of every active device. A `remove` zone change is written only for a TLSA that
  // no remaining live certificate of the device still carries (a renewal keeps the key).

  /// Adds a certificate to an active device, in ONE transaction (serialised per device with
  /// revoke, confirm and the sweep) with an `add` zone change if no live certificate of the
  /// device carries the same TLSA yet, and an audit row.
  /// @returns that change's id, or nullopt when the zone does not change;
  /// errc::device_not_found or device_already_revoked.
  virtual result<std::optional<std::int64_t>> insert_certificate(const new_certificate& c) = 0;

  /// Marks the device's certificate `serial_hex` confirmed and withdraws every live certificate
  /// of the device issued before it, with their `remove` zone changes, in ONE transaction.
  /// @returns the zone change ids (empty when the zone does not change); errc::device_not_found,
  /// device_already_revoked, certificate_not_found or certificate_not_live (withdrawn/revoked).
  virtual result<std::vector<std::int64_t>> confirm_certificate(std::string_view zone,
                                                                std::string_view device_id,
                                                                std::string_view serial_hex) = 0;

  /// Withdraws the live certificates of active devices of `zone` whose notAfter is before `now`,
  /// device by device, at most `max_devices` devices, each with its `remove` changes in the same
  /// transaction. Safe on several nodes at once (a device locked by another is skipped).
  /// @returns the zone change ids written.
  virtual std::vector<std::int64_t> withdraw_expired(std::string_view zone, time_point now,
                                                     std::size_t max_devices) = 0;

  /// Live certificates of active devices of `zone` whose notAfter is before `before`, ordered by
  /// (not_after, row_id), starting after `after`, at most `limit`, of the devices `only` admits
  /// (restricted in the query, so pages stay full); each row carries its device's tenants.
  virtual std::vector<expiring_certificate> expiring(std::string_view zone, time_point before,
                                                     const std::optional<expiring_cursor>& after,
                                                     std::size_t limit, const listing_scope& only) = 0;
};

/// A revoked certificate, as its issuer's CRL lists it.
struct revoked_certificate {
  std::string serial_hex;  // lower-case hex, no leading zeros
  time_point revoked_at;
  std::uint8_t reason = 0;  // RFC 5280 CRLReason code
};

/// What the registry knows of a certificate it issued (OCSP).
struct certificate_state {
  std::optional<time_point> revoked_at;  // nullopt: not revoked
  std::uint8_t reason = 0;               // RFC 5280 CRLReason code
};

/// The current CRL of an issuing CA, as every node serves it.
struct stored_crl {
  std::uint64_t number = 0;  // cRLNumber
  std::vector<std::uint8_t> der;
  time_point this_update;
  time_point next_update;
};

/// Revocation state per issuing CA; issuers are named by their subjectKeyIdentifier in lower-case
/// hex without separators (certificate_record::issuer_key_id_hex).
class revocation_store {
 public:
  virtual ~revocation_store() = default;

  /// Every revoked certificate of the issuer, oldest revocation first.
  virtual std::vector<revoked_certificate> revoked(std::string_view issuer_key_id_hex) = 0;

  /// The state of the issuer's certificate `serial_hex`; nullopt if the registry never issued it.
  virtual std::optional<certificate_state> status(std::string_view issuer_key_id_hex,
                                                  std::string_view serial_hex) = 0;

  /// The issuer's stored CRL, if one was ever stored.
  virtual std::optional<stored_crl> current_crl(std::string_view issuer_key_id_hex) = 0;

  /// Builds the certificate list a CRL is made from.
  using crl_maker =
      std::function<stored_crl(std::uint64_t number, const std::vector<revoked_certificate>& revoked)>;

  /// In ONE transaction, serialised per issuer across nodes: reads the stored cRLNumber (0 if
  /// none) and the issuer's revoked certificates, calls `make(number + 1, revoked)` and stores
  /// what it returns (its number must be number + 1), replacing the previous CRL. Numbers thus
  /// only grow, and a CRL never misses a revocation committed before it. @returns the stored CRL.
  /// @throws what `make` throws (nothing is stored).
  virtual stored_crl replace_crl(std::string_view issuer_key_id_hex, const crl_maker& make) = 0;
};

/// One diff of the IXFR journal as stored: its serials and the dns module's encoding of it
/// (dns::encode_diff), which storage keeps as opaque bytes.
struct journal_entry {
  std::uint32_t from_serial = 0;
  std::uint32_t to_serial = 0;
  std::vector<std::uint8_t> diff;
};

/// The signer's view of the database: the zone's contents, its outbox and its IXFR journal.
class zone_store {
 public:
  virtual ~zone_store() = default;

  /// The TLSA of every live certificate of every active device of the zone, one entry per
  /// distinct (device, TLSA), from one consistent snapshot.
  virtual std::vector<device_tlsa> active_tlsa(std::string_view zone) = 0;

  /// Outbox rows of the zone not yet published, oldest first, at most `limit`.
  virtual std::vector<zone_change> pending_changes(std::string_view zone, std::size_t limit) = 0;

  /// The last serial published for the zone, if any was.
  virtual std::optional<std::uint32_t> last_serial(std::string_view zone) = 0;

  /// In ONE transaction: records `serial` as the zone's published serial, stamps the given
  /// outbox rows with it (they are then no longer pending), and updates the zone's journal:
  /// - `diff` given (its to_serial is `serial`): appends it, after dropping every stored entry
  ///   if it does not continue the newest one, then keeps only the newest `history` entries
  ///   (history 0 keeps none);
  /// - no `diff` (a full build: no older diff chains to the new zone): empties the journal.
  virtual void mark_published(std::string_view zone, std::uint32_t serial,
                              std::span<const std::int64_t> change_ids, const journal_entry* diff,
                              std::size_t history) = 0;

  /// The zone's journal, oldest first.
  virtual std::vector<journal_entry> journal(std::string_view zone) = 0;
};

/// The zones' DNSSEC keys, shared by every node (private keys sealed with the KEK; this store
/// never sees them in clear).
class dnssec_key_store {
 public:
  virtual ~dnssec_key_store() = default;

  /// Every key of the zone, removed ones included, oldest first.
  virtual std::vector<dnssec_key_record> list(std::string_view zone) = 0;

  /// Stores a new key (its id is ignored). @returns the new id, or nullopt if the zone already has
  /// a key with this key tag (the caller generates another key).
  virtual std::optional<std::int64_t> insert(const dnssec_key_record& k) = 0;

  /// In ONE transaction, serialised per zone across nodes: stores `keys` (all of `zone`) only if
  /// the zone has no key at all. @returns false, storing nothing, if it had (init run twice, or by
  /// two nodes at once).
  virtual bool insert_first_keys(std::string_view zone, std::span<const dnssec_key_record> keys) = 0;

  /// Replaces the eight timeline columns of key `id`. @returns false if there is no such key.
  virtual bool update_timeline(std::int64_t id, const dnssec_key_timeline& t) = 0;

  /// Asks for a rollover: stamps `at` on the zone's current keys of `role` (not retired, not
  /// removed) that carry no request yet. @returns how many keys it stamped.
  virtual std::size_t request_rollover(std::string_view zone, dnssec_key_role role, time_point at) = 0;

  /// The policy has acted on the request of key `id`. @returns false if there is no such key.
  virtual bool clear_rollover_request(std::int64_t id) = 0;

  /// Records that the parent publishes the DS of the zone's KSK `key_tag` (the first time only;
  /// a later call keeps the first time). @returns false if the zone has no KSK with that tag.
  virtual bool mark_ds_seen(std::string_view zone, std::uint16_t key_tag, time_point at) = 0;

  /// Runs `f` while holding the zone's key-policy lock, shared by every node using the same
  /// database, so that two nodes never both generate a successor. Does not wait: @returns false,
  /// without running `f`, if another holder has the lock. `f` uses the store's other methods (on
  /// other connections). The default, for single-process stores, just runs `f`.
  /// @throws what `f` throws (the lock is released).
  virtual bool with_zone_lock(std::string_view zone, const std::function<void()>& f) {
    (void)zone;
    f();
    return true;
  }
};

class api_key_store {
 public:
  virtual ~api_key_store() = default;

  /// The key whose SHA-256 is `hash`, if it exists and is not revoked.
  virtual std::optional<api_key> find_active(const std::array<std::uint8_t, 32>& hash) = 0;

  /// Stores a new key by its hash. @returns its id.
  virtual std::int64_t insert(std::string_view name, std::string_view role,
                              const std::array<std::uint8_t, 32>& hash) = 0;

  /// How many active keys have this role (init creates the admin key only once).
  virtual std::size_t count_active(std::string_view role) = 0;
};

/// A device row as a lifecycle change sees it, locked for the change's transaction.
struct locked_device {
  device_ownership owners;
  std::optional<std::array<std::uint8_t, 32>> transfer_code_hash;  // a pending transfer's code
  std::optional<time_point> transfer_code_expires_at;
};

/// What a lifecycle change writes, decided by the caller from the locked row.
struct lifecycle_change {
  transition t;                         // from next_transition()
  std::uint8_t revocation_reason = 0;   // RFC 5280 code, used when t.revoke_certificates
  std::optional<std::int64_t> new_asp;  // transfer: the new owner (also clears the code)
  std::optional<std::array<std::uint8_t, 32>> set_transfer_code;  // with its expiry below
  time_point transfer_code_expires_at;
  std::string audit_action;                // e.g. "device.suspend"
  std::optional<std::int64_t> api_key_id;  // who
};

/// One id of a registration batch and what became of it.
struct registration_outcome {
  std::string device_id;
  bool registered = false;  // false: the (zone, id) pair already existed
};

/// Device ownership and lifecycle changes (migration 006).
class lifecycle_store {
 public:
  virtual ~lifecycle_store() = default;

  /// The device's owners and state, certificate or not; nullopt if there is no such row.
  virtual std::optional<device_ownership> ownership(std::string_view zone, std::string_view device_id) = 0;

  using decider = std::function<result<lifecycle_change>(const locked_device&)>;

  /// In ONE transaction: locks the row, calls `decide` with it (authorization and the transition
  /// table) and, if it returns a change, applies it: state, owner, transfer code, certificates
  /// revoked, a zone change (the current certificate's TLSA) and an audit row.
  /// @returns the zone change id if one was written; errc::device_not_found if there is no row;
  /// what `decide` returns (nothing is written then).
  virtual result<std::optional<std::int64_t>> change(std::string_view zone, std::string_view device_id,
                                                     const decider& decide) = 0;

  /// In ONE transaction: registers `ids` (already valid and distinct) in state "registered" for
  /// ASP `asp_tenant_id`, with an audit row each; ids already present are left as they are.
  /// @returns an outcome per id, in order.
  virtual std::vector<registration_outcome> register_devices(std::string_view zone,
                                                             const std::vector<std::string>& ids,
                                                             std::int64_t asp_tenant_id,
                                                             std::optional<std::int64_t> api_key_id) = 0;
};

/// Tenants and their API keys (admin API, iotregctl).
class tenant_store {
 public:
  virtual ~tenant_store() = default;

  /// @returns the new tenant. `kind` is "admin", "mno" or "asp" (checked by the caller).
  virtual tenant create_tenant(std::string_view name, std::string_view kind) = 0;
  virtual std::vector<tenant> list_tenants() = 0;
  virtual std::optional<tenant> find_tenant(std::int64_t id) = 0;

  /// Stores a key of tenant `tenant_id` by its hash, its role the tenant's kind.
  /// @returns its id.
  virtual std::int64_t insert_key(std::int64_t tenant_id, std::string_view name,
                                  const std::array<std::uint8_t, 32>& hash,
                                  std::optional<time_point> expires_at) = 0;

  /// Revokes key `id` (now). @returns false if there is no such key or it was already revoked.
  virtual bool revoke_key(std::int64_t id) = 0;

  /// In ONE transaction: disables tenant `id` (disabled_at = now, kept as it is if the tenant is
  /// already disabled) or enables it (disabled_at cleared), with an audit row "tenant.disable" or
  /// "tenant.enable" (by `api_key_id`, null from the CLI) when the state changes. Its keys stop
  /// (or start again) authenticating at once: the key lookup reads disabled_at. Its devices are
  /// not touched. Disabling an admin tenant while no other admin tenant is enabled is refused,
  /// checked under a lock on the admin tenants so that two concurrent disables cannot both pass.
  /// @returns the tenant after the call; errc::tenant_not_found; errc::tenant_disable_refused.
  virtual result<tenant> set_disabled(std::int64_t id, bool disabled,
                                      std::optional<std::int64_t> api_key_id) = 0;
};

}  // namespace iotreg::registry
