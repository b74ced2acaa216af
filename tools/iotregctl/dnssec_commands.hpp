#pragma once
// iotregctl's DNSSEC commands: the zone's keys in the database (init), and `dnssec
// status|ds|rollover|ds-seen` over them. Only init needs the key encryption key: the other
// commands read and write public columns.

#include "config/settings.hpp"
#include "db/pool.hpp"
#include "tools/state/state_layout.hpp"

#include <span>
#include <string>

namespace iotreg::tools {

/// Part of `iotregctl init`, after the database is migrated: creates the KEK file if missing
/// (mode 0600; not when a systemd credential provides the KEK), then, if the database has no key
/// for the zone, stores a KSK and a ZSK sealed with the KEK: the ones in <state>/dnssec/ksk.private
/// and zsk.private when an older install left them there, else new ones (algorithm 13). When the
/// zone has keys, checks that the KEK opens them and changes nothing.
/// @throws pki::kek_error (KEK unreadable or not the one that sealed the keys), std::runtime_error.
void init_dnssec_keys(const config::settings& s, const state_layout& layout, db::pool& pool);

/// `iotregctl dnssec ARGS...` (ARGS without "dnssec"). @returns the exit status.
/// @throws usage_error for a bad command line, std::runtime_error for a refused request.
int run_dnssec(const config::settings& s, std::span<const std::string> args);

/// Prints the DS records (digest 2) of the zone's KSKs that are published and not removed, one a
/// line, as `zone ds` and `dnssec ds` do. @returns 0, or 1 (with a message) when there is none.
int print_zone_ds(const config::settings& s);

}  // namespace iotreg::tools
