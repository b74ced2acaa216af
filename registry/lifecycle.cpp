#include "registry/lifecycle.hpp"

namespace iotreg::registry {
namespace {

using s = device_status;
using e = lifecycle_event;
using z = zone_effect;

struct row {
  s from;
  e event;
  transition t;
};

// The whole state machine. Activation adds the TLSA of the certificate it issues; suspension
// takes the TLSA out of the zone but keeps the certificate valid; revocation and deletion of a
// device whose TLSA is served take it out; a suspended device's TLSA is already gone.
constexpr row table[] = {
    {s::registered, e::activate, {s::active, z::add, false}},
    {s::registered, e::transfer, {s::registered, z::none, false}},
    {s::registered, e::remove, {s::deleted, z::none, false}},
    {s::active, e::suspend, {s::suspended, z::remove, false}},
    {s::active, e::revoke, {s::revoked, z::remove, true}},
    {s::active, e::transfer, {s::active, z::none, false}},
    {s::active, e::remove, {s::deleted, z::remove, true}},
    {s::suspended, e::resume, {s::active, z::add, false}},
    {s::suspended, e::revoke, {s::revoked, z::none, true}},
    {s::suspended, e::transfer, {s::suspended, z::none, false}},
    {s::suspended, e::remove, {s::deleted, z::none, true}},
    {s::revoked, e::remove, {s::deleted, z::none, false}},
};

}  // namespace

std::string_view to_string(lifecycle_event ev) noexcept {
  switch (ev) {
    case e::activate: return "activate";
    case e::suspend: return "suspend";
    case e::resume: return "resume";
    case e::revoke: return "revoke";
    case e::transfer: return "transfer";
    case e::remove: return "delete";
  }
  return "unknown";
}

std::optional<transition> next_transition(device_status from, lifecycle_event event) noexcept {
  for (const auto& r : table) {
    if (r.from == from && r.event == event) return r.t;
  }
  return std::nullopt;
}

}  // namespace iotreg::registry
