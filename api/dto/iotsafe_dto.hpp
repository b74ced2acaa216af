#pragma once
// JSON of the IoT SAFE payload and of the ASP's service endpoint (api/openapi.yaml:
// IoTSafePayload, ServiceEndpoint, ServiceEndpointRequest). Names as in README "IoT SAFE payload".

#include "registry/errors.hpp"
#include "registry/iotsafe.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <span>
#include <string>

namespace iotreg::api::dto {

/// The payload as JSON: certificates in PEM, records as {"type","rdata" (hex),"text"}.
boost::json::object to_json(const registry::iotsafe_payload& p);

/// A service endpoint as the API shows it, with its TLSA owner name.
boost::json::object to_json(std::int64_t tenant_id, const registry::service_endpoint& e);

/// The PUT body {"host","port","tlsa":[{"usage","selector","matching_type","data"}]}: members of
/// the wrong JSON type, unknown members and data that is not hex are
/// errc::invalid_service_endpoint; the value ranges are checked later
/// (registry::check_service_endpoint). A missing "tlsa" is an empty list.
registry::result<registry::service_endpoint_input> service_endpoint_from_json(const boost::json::object& o);

/// "-----BEGIN CERTIFICATE-----" PEM of `der`, 64 characters a line, LF line ends (as OpenSSL
/// writes it, so the same certificate gives the same text as GET /api/v1/devices/{id}).
std::string certificate_pem(std::span<const std::uint8_t> der);

}  // namespace iotreg::api::dto
