#pragma once
// Domain names in presentation form, as the rest of iotreg sees them. No ldns here.

#include <optional>
#include <string>
#include <string_view>

namespace iotreg::dns {

/// Lower-cases `name` and adds the final dot. Returns nullopt unless it is a valid absolute DNS
/// name in iotreg's subset: labels of 1..63 octets made of [A-Za-z0-9_-], at most 255 octets in
/// wire form, no empty label except the root. "." (the root) is returned as ".". No escapes.
std::optional<std::string> normalize_zone_name(std::string_view name);

/// True if `label` is a host-name style label: [A-Za-z0-9-], 1..63 octets, no leading or
/// trailing hyphen. Device ids must pass this to be published.
bool is_dns_safe_label(std::string_view label);

/// "<id>._device.<zone>." for a device; `zone_apex` is normalised (has the final dot). The device
/// id is lower-cased: DNS names are case-insensitive, so ids differing only in case share a name.
std::string device_owner(std::string_view zone_apex, std::string_view device_id);

/// "_rootcert.device.<zone>.": where the root CA certificate is published (TLSA 0 0 0).
std::string rootcert_owner(std::string_view zone_apex);

}  // namespace iotreg::dns
