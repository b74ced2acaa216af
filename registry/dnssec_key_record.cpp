#include "registry/dnssec_key_record.hpp"

namespace iotreg::registry {

std::string_view to_string(dnssec_key_role r) noexcept { return r == dnssec_key_role::ksk ? "ksk" : "zsk"; }

std::optional<dnssec_key_role> dnssec_key_role_from_string(std::string_view s) noexcept {
  if (s == "ksk") return dnssec_key_role::ksk;
  if (s == "zsk") return dnssec_key_role::zsk;
  return std::nullopt;
}

std::string_view dnssec_key_state(const dnssec_key_timeline& t, time_point now) noexcept {
  auto reached = [now](const std::optional<time_point>& at) { return at && *at <= now; };
  // Latest event first: a key that was removed is "removed" whatever else its timeline says.
  if (reached(t.removed)) return "removed";
  if (reached(t.retired)) return "retired";
  if (reached(t.active)) return "active";
  if (reached(t.ready)) return "ready";
  if (reached(t.published)) return "published";
  if (reached(t.generated)) return "generated";
  return "created";
}

}  // namespace iotreg::registry
