#include "tools/iotregctl/tenant_cert_commands.hpp"

#include "db/pool.hpp"
#include "db/tenant_certificate_store_pg.hpp"
#include "db/tenant_store_pg.hpp"
#include "registry/tenant_certificate_admin.hpp"
#include "tools/iotregctl/cli.hpp"

#include <ctime>
#include <fstream>
#include <sstream>

namespace iotreg::tools {
namespace {

std::int64_t tenant_id(const std::optional<std::string>& text) {
  if (!text) throw usage_error("tenant cert needs --tenant ID (see `tenant list`)");
  std::size_t used = 0;
  long long id = 0;
  try {
    id = std::stoll(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text->size() || id <= 0) throw usage_error("--tenant wants a tenant id (see `tenant list`)");
  return id;
}

std::string utc(registry::time_point t) {
  const std::time_t tt = registry::clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  return std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) ? buf : "?";
}

template <class T>
T or_throw(registry::result<T> r) {
  if (!r) throw std::runtime_error(r.error().detail);
  return std::move(*r);
}

}  // namespace

int run_tenant_cert(const config::settings& s, std::span<const std::string> args,
                    const std::optional<std::string>& tenant, const std::optional<std::string>& file,
                    std::optional<registry::time_point> expires) {
  if (args.empty()) throw usage_error("tenant cert needs add, list or revoke");
  // The operator at the console acts as the registry admin.
  const registry::api_key admin{0, "iotregctl", "admin", std::nullopt};
  const auto id = tenant_id(tenant);
  db::pool pool(s.database.dsn, 1);
  db::pg_tenant_store tenants(pool);
  db::pg_tenant_certificate_store store(pool);
  registry::tenant_certificate_admin certificates(tenants, store);

  if (args[0] == "add" && args.size() == 1) {
    if (!file) throw usage_error("tenant cert add needs --file CERT.pem");
    std::ifstream in(*file);
    if (!in) throw std::runtime_error("cannot read " + *file);
    std::ostringstream pem;
    pem << in.rdbuf();
    const auto c = or_throw(certificates.register_certificate(admin, id, pem.str(), expires));
    std::cout << registry::fingerprint_text(c.sha256) << std::endl;
    say("certificate " + c.subject + " registered for tenant " + std::to_string(id) + " (credential " +
        std::to_string(c.id) + "), expires " + utc(c.expires_at));
    return 0;
  }
  if (args[0] == "list" && args.size() == 1) {
    for (const auto& c : or_throw(certificates.list(admin, id))) {
      const char* state = c.revoked_at                             ? "revoked"
                          : c.expires_at <= registry::clock::now() ? "expired"
                                                                   : "active";
      std::cout << registry::fingerprint_text(c.sha256) << '\t' << state << '\t' << utc(c.expires_at) << '\t'
                << c.subject << '\n';
    }
    return 0;
  }
  if (args[0] == "revoke" && args.size() == 2) {
    const auto f = or_throw(certificates.revoke(admin, id, args[1]));
    say("certificate " + registry::fingerprint_text(f) + " of tenant " + std::to_string(id) + " revoked");
    return 0;
  }
  throw usage_error(
      "tenant cert add --tenant ID --file PEM [--expires T] | list --tenant ID | revoke --tenant ID FP");
}

}  // namespace iotreg::tools
