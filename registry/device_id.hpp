#pragma once
// Device identifiers: an eUICC identifier (EID, GSMA SGP.29) or, where the zone allows it, a
// DNS-safe label. STANDARDS.md §10.

#include "registry/errors.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace iotreg::registry {

/// True for 32 decimal digits whose ISO/IEC 7064 MOD 97-10 check (the last two digits) holds:
/// the whole number leaves remainder 1 when divided by 97.
bool is_valid_eid(std::string_view eid) noexcept;

/// The two check digits for the first 30 digits of an EID; nullopt if `body` is not 30 digits.
std::optional<std::string> eid_check_digits(std::string_view body);

/// Validates and normalises (lower-cases) a device id.
/// A 32-digit string must be a valid EID even when labels are allowed, so that a mistyped EID
/// is never registered as a label. @returns errc::invalid_device_id with a reason.
result<std::string> normalize_device_id(std::string_view id, bool allow_labels);

}  // namespace iotreg::registry
