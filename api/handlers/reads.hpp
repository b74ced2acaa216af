#pragma once
// Handlers of the reads (issue 5 item 3): GET /api/v1/devices (list, filters, cursor
// pagination), GET /api/v1/devices/{id}/history and GET /api/v1/zone. Authorization is the
// service's (registry/reads.hpp); these translate HTTP. A bad query parameter is 400
// problem+json `invalid-query`, as for the expiring-certificates list.

#include "api/handlers/context.hpp"
#include "registry/reads.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

namespace iotreg::api::handlers {

/// The parsed query of GET /api/v1/devices.
struct device_list_query {
  registry::device_filter filter;
  std::optional<registry::page_cursor> after;
  std::size_t limit = 100;
};

/// `limit`: an integer from 1 to 1000, or nullopt. Pure.
std::optional<std::size_t> parse_page_limit(std::string_view text);

/// Parses the request target's query: state (a device status name), asp, mno (tenant ids),
/// updated_since (RFC 3339), limit (1..1000, default 100), cursor (the "next" of a previous
/// page). @returns errc::invalid_request with a detail naming the parameter for anything else
/// (unknown parameters included, so that a typo is not silently ignored). Pure.
registry::result<device_list_query> parse_device_list_query(std::string_view target);

/// The query of GET /api/v1/devices/{id}/history: limit and cursor only. Pure.
registry::result<device_list_query> parse_history_query(std::string_view target);

response list_devices(registry::reads_service& svc, const call& c);
response device_history(registry::reads_service& svc, const call& c);  // params[0] = id
response zone_status(registry::reads_service& svc, const call& c);

}  // namespace iotreg::api::handlers
