#pragma once
// The device lifecycle state machine: the ONE table of allowed transitions. Every change of a
// device's state (suspend, resume, revoke, transfer, delete; activation through enrollment)
// consults it; anything not in the table is errc::invalid_transition and changes nothing.
//
//   registered --activate--> active --suspend--> suspended --resume--> active
//   registered|active|suspended --transfer--> (same state, new ASP)
//   active|suspended --revoke--> revoked
//   registered|active|suspended|revoked --delete--> deleted (kept for audit)

#include "registry/model.hpp"

#include <optional>
#include <string_view>

namespace iotreg::registry {

enum class lifecycle_event { activate, suspend, resume, revoke, transfer, remove };

/// "activate", "suspend", "resume", "revoke", "transfer", "delete".
std::string_view to_string(lifecycle_event e) noexcept;

/// What the zone must do for a transition.
enum class zone_effect { none, add, remove };

struct transition {
  device_status to = device_status::active;
  zone_effect zone = zone_effect::none;  // add: the current certificate's TLSA returns
  bool revoke_certificates = false;      // the device's certificates are revoked (CRL, OCSP)
};

/// The transition of `event` from `from`, or nullopt if the state machine forbids it.
/// Pure and thread-safe.
std::optional<transition> next_transition(device_status from, lifecycle_event event) noexcept;

}  // namespace iotreg::registry
