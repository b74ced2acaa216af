#pragma once
// iotregctl's `tenant cert add|list|revoke`: a tenant's TLS client certificates, the second kind
// of tenant credential (registry/tenant_certificates.hpp), in the database directly. The same
// checks as POST /api/v1/tenants/{id}/certificates; the audit rows name no API key.

#include "config/settings.hpp"
#include "registry/model.hpp"

#include <optional>
#include <span>
#include <string>

namespace iotreg::tools {

/// `iotregctl tenant cert ARGS...` (ARGS without "tenant cert"): `add --tenant ID --file PEM
/// [--expires T]` (prints the fingerprint), `list --tenant ID` (fingerprint, state, expiry,
/// subject per line), `revoke --tenant ID FINGERPRINT`. @returns the exit status.
/// @throws usage_error for a bad command line, std::runtime_error for a refused request (with the
/// registry's reason).
int run_tenant_cert(const config::settings& s, std::span<const std::string> args,
                    const std::optional<std::string>& tenant, const std::optional<std::string>& file,
                    std::optional<registry::time_point> expires);

}  // namespace iotreg::tools
