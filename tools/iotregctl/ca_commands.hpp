#pragma once
// iotregctl's CA commands: `ca create|list|show|rotate` over the issuing CAs of the state
// directory (tools/state/ca_store.hpp). They work on files only, not the database; iotregd reads
// the CAs at its start, so a change reaches it (signing, /.well-known/ca/, the zone's apex TLSA)
// when it is restarted.

#include "config/settings.hpp"

#include <optional>
#include <span>
#include <string>

namespace iotreg::tools {

/// `iotregctl ca ARGS...` (ARGS without "ca"); `name` is --name (the subject CN of a new CA).
/// @returns the exit status.
/// @throws usage_error for a bad command line, std::runtime_error for a refused request (unknown
/// SKI, root key unavailable, ...), with a message naming the problem.
int run_ca(const config::settings& s, std::span<const std::string> args,
           const std::optional<std::string>& name);

}  // namespace iotreg::tools
