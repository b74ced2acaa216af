#pragma once
// The authorization policy: which role may do what (scopes), and which devices a tenant may see
// (its own). The ONE place that decides; handlers and services call it.
//
//   admin: everything (tenants, API keys, every device, the zone's status)
//   mno:   activate (enroll) a registered device, suspend/resume, revoke, read: the devices it
//          activated
//   asp:   register (one or bulk), read, transfer (code out / accept in), delete, revoke: the
//          devices it owns
//
// A role without the scope gets errc::forbidden (403); a device of another tenant is
// errc::device_not_found (404), exactly as a device that does not exist, so existence never leaks.

#include "registry/errors.hpp"
#include "registry/model.hpp"

#include <optional>

namespace iotreg::registry {

enum class scope {
  tenants_manage,   // tenants and their API keys
  zone_read,        // GET /api/v1/zone
  device_register,  // ASP pre-registration, single and bulk
  device_activate,  // enrollment (activation) with a CSR or server key generation
  device_read,      // a device, lists, history
  device_suspend,   // suspend and resume
  device_revoke,
  device_transfer_out,  // make a transfer code for an owned device
  device_transfer_in,   // take over a device with its code (the code is the authorization)
  device_delete,
};

/// Whether `key`'s role has `s` (unknown roles have none). Pure and thread-safe.
bool has_scope(const api_key& key, scope s) noexcept;

/// Decides whether `key` may do `s` (on device `d`, when the action concerns one).
/// @returns nullopt if allowed; errc::forbidden if the role lacks the scope; errc::device_not_found
/// if `d` belongs to another tenant. For device_activate an MNO may take any device in state
/// "registered" (it is then recorded as the device's MNO). device_transfer_in is not checked
/// against the owner: the one-time code is the authorization (the caller checks it). A non-admin
/// key without a tenant sees no device. Pure and thread-safe.
std::optional<error> authorize(const api_key& key, scope s, const device_ownership* d = nullptr);

/// The devices a list may show `key` (device_read): all for the admin (no restriction), an
/// ASP's own, those an MNO activated. Lists restrict their SQL with it and still check each row
/// with authorize(). @returns nullopt when the key sees no device at all (a non-admin key
/// without a tenant). Pure and thread-safe.
std::optional<listing_scope> visible_devices(const api_key& key);

}  // namespace iotreg::registry
