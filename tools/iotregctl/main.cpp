// iotregctl: offline administration of an iotreg installation.
//
//   iotregctl --config FILE init [--api-key-file F]   migrate the database, create the CAs, the
//                                                     zone keys, iotregd's TLS certificate and the
//                                                     first admin API key (idempotent)
//   iotregctl --config FILE zone ds                   print the DS record(s) of the zone's KSK
//   iotregctl --config FILE dnssec status|ds|rollover zsk|ksk|ds-seen TAG
//                                                     the zone's DNSSEC keys (dnssec_commands.cpp)
//   iotregctl --config FILE apikey create --name N [--role admin] [--file F]
//   iotregctl --config FILE apikey create --tenant ID [--name N] [--expires T] [--file F]
//   iotregctl --config FILE tenant create --kind mno|asp|admin NAME   (prints the tenant id)
//   iotregctl --config FILE tenant list
//   iotregctl --config FILE tenant disable|enable ID
//   iotregctl --config FILE tenant cert add|list|revoke   TLS client certificates of a tenant
//                                                     (tenant_cert_commands.cpp)
//   iotregctl --config FILE ca create|list|show|rotate  the issuing CAs (ca_commands.cpp)

#include "config/load.hpp"
#include "db/api_key_store_pg.hpp"
#include "db/migrate.hpp"
#include "db/pool.hpp"
#include "db/tenant_store_pg.hpp"
#include "pki/ca.hpp"
#include "registry/registry_service.hpp"
#include "tools/iotregctl/ca_commands.hpp"
#include "tools/iotregctl/cli.hpp"
#include "tools/iotregctl/dnssec_commands.hpp"
#include "tools/iotregctl/tenant_cert_commands.hpp"
#include "tools/state/ca_keys.hpp"
#include "tools/state/ca_store.hpp"
#include "tools/state/state_layout.hpp"

#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace iotreg;
using tools::say;
using tools::usage_error;

namespace {

constexpr const char* usage_text =
    "usage: iotregctl --config FILE COMMAND\n"
    "commands:\n"
    "  init [--api-key-file F]       migrate the database and create the CAs, the key encryption key,\n"
    "                                the zone's DNSSEC keys (in the database, encrypted), iotregd's\n"
    "                                TLS certificate and an admin API key; safe to re-run\n"
    "  zone ds                       print the DS record of the zone's KSK (for the parent zone)\n"
    "  dnssec status                 the zone's DNSSEC keys: tag, algorithm, role, state, timeline\n"
    "  dnssec ds                     DS records (SHA-256) of the published KSKs, for the parent zone\n"
    "  dnssec rollover zsk|ksk       ask iotregd's key policy to replace the current ZSK or KSK\n"
    "  dnssec ds-seen KEYTAG         record that the parent zone now publishes that KSK's DS\n"
    "  apikey create --name NAME [--role admin] [--file F]\n"
    "                                create an API key; printed once, or written to F (mode 0600)\n"
    "  apikey create --tenant ID [--name NAME] [--expires 2027-01-01T00:00:00Z] [--file F]\n"
    "                                an API key of tenant ID (its role is the tenant's kind)\n"
    "  tenant create --kind mno|asp|admin NAME\n"
    "                                create a tenant; prints its id\n"
    "  tenant list                   id, kind, name of every tenant\n"
    "  tenant disable ID | enable ID refuse (or accept again) the tenant's API keys; its\n"
    "                                devices are not changed (their TLSA stay published)\n"
    "  tenant cert add --tenant ID --file CERT.pem [--expires T]\n"
    "                                register a TLS client certificate as a credential of the\n"
    "                                tenant; prints its SHA-256 fingerprint\n"
    "  tenant cert list --tenant ID  fingerprint, state, expiry, subject of its certificates\n"
    "  tenant cert revoke --tenant ID FINGERPRINT\n"
    "                                revoke one\n"
    "  ca list                       the root and the issuing CAs: SKI, status (active, retired,\n"
    "                                expired), key type, validity, subject\n"
    "  ca show SKI                   one CA's details and its certificate (PEM)\n"
    "  ca create [--name CN]         a new issuing CA signed by the root (needs the root key), not\n"
    "                                active; prints its SKI\n"
    "  ca rotate [SKI] [--name CN]   make that issuing CA the active one (without SKI: create one\n"
    "                                first); the previous one is retired: still published, its\n"
    "                                CRL and OCSP still served\n"
    "  iotregd reads the CAs at its start: restart it after `ca create` or `ca rotate` so that it\n"
    "  signs with the active CA and publishes every CA (/.well-known/ca/<ski>.pem, apex TLSA)\n";

struct arguments {
  std::optional<fs::path> config;
  std::vector<std::string> command;
  std::optional<std::string> api_key_file, name, role;
  std::optional<std::string> kind, tenant, expires;  // tenant create / apikey create --tenant
};

arguments parse_arguments(int argc, char** argv) {
  arguments a;
  auto value = [&](int& i, std::string_view flag) -> std::string {
    if (i + 1 >= argc) throw usage_error(std::string(flag) + " needs a value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--config" || arg == "-c")
      a.config = value(i, arg);
    else if (arg == "--api-key-file" || arg == "--file")
      a.api_key_file = value(i, arg);
    else if (arg == "--name")
      a.name = value(i, arg);
    else if (arg == "--role")
      a.role = value(i, arg);
    else if (arg == "--kind")
      a.kind = value(i, arg);
    else if (arg == "--tenant")
      a.tenant = value(i, arg);
    else if (arg == "--expires")
      a.expires = value(i, arg);
    else if (arg == "--help" || arg == "-h")
      throw usage_error("");
    else if (arg.starts_with("-"))
      throw usage_error("unknown option " + std::string(arg));
    else
      a.command.emplace_back(arg);
  }
  if (!a.config) throw usage_error("--config FILE is required");
  if (a.command.empty()) throw usage_error("a command is required");
  return a;
}

/// Writes a file atomically (temp file, fsync, rename) with `mode` from the start, so a secret
/// (mode 0600) is never briefly world-readable.
void write_file_atomically(const fs::path& path, const std::string& content, mode_t mode) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
  ::fchmod(fd, mode);
  bool ok =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path.string());
  }
}

// Each piece of state is created only if missing, so init can be re-run safely and never
// replaces a key that certificates or DS records already depend on. The keys are where [ca]
// key_storage says (tools/state/ca_keys.hpp): a token key is created by the operator beforehand.
void init_ca(const config::settings& s, const tools::state_layout& l, const tools::ca_key_store& keys) {
  using fs::perms;
  using tools::ca_role;
  tools::ensure_directory(l.root, perms::owner_all | perms::group_read | perms::group_exec |
                                      perms::others_read | perms::others_exec);
  tools::ensure_directory(l.ca_dir, perms::owner_all | perms::group_read | perms::group_exec |
                                        perms::others_read | perms::others_exec);
  tools::ensure_directory(l.ca_key_dir, perms::owner_all);
  const auto now = std::chrono::system_clock::now();
  // Keys left unencrypted by key_storage = "file" are encrypted when the storage wants that.
  for (const auto& f : tools::encrypt_plain_ca_keys(l, keys))
    say("encrypted the CA key: " + keys.describe_file(f));
  if (!fs::exists(l.root_cert)) {
    auto root = pki::create_root_ca(pki::ca_name{s.ca.root_common_name, {}},
                                    keys.create(ca_role::root, l.root_key), s.ca.root_validity, now);
    root.cert.save_pem_file(l.root_cert);
    say("created root CA " + l.root_cert.string() + ", key: " + keys.describe(ca_role::root, l.root_key));
  } else {
    say("root CA exists: " + l.root_cert.string());
  }
  // A state dir from before several issuing CAs gets the current layout (ca_store.hpp).
  if (tools::migrate_legacy_issuing(l, keys)) say("moved the issuing CA to " + l.issuing_dir.string());
  if (!fs::exists(l.issuing_cert)) {
    auto root = tools::load_root_authority(l, keys);
    // The token's key when [ca] issuing_key_uri names one, else a fresh key of [ca] key_type.
    auto token_key = keys.token_key(ca_role::issuing);
    auto issuing = pki::create_issuing_ca(root, pki::ca_name{s.ca.issuing_common_name, {}},
                                          token_key ? std::move(*token_key) : tools::new_ca_key(s),
                                          s.ca.issuing_validity, now);
    const std::string id = tools::store_issuing_ca(l, keys, issuing);
    tools::activate_issuing_ca(l, keys, id);
    say("created issuing CA " + id + " (active) in " + l.issuing_dir.string() +
        ", key: " + tools::describe_issuing_key(l, keys, issuing));
  } else {
    say("issuing CA exists: " + l.issuing_cert.string());
  }
}

void init_tls(const config::settings& s, const tools::state_layout& l, const tools::ca_key_store& keys) {
  using fs::perms;
  tools::ensure_directory(l.tls_dir, perms::owner_all | perms::group_read | perms::group_exec |
                                         perms::others_read | perms::others_exec);
  tools::ensure_directory(l.tls_key_dir, perms::owner_all);
  if (fs::exists(l.server_cert) && fs::exists(l.server_key)) {
    say("server TLS certificate exists: " + l.server_cert.string());
    return;
  }
  auto ca = tools::load_ca_material(l, keys);
  auto key = pki::private_key::generate_p256();
  const auto& issuing = ca.active_issuing();
  auto cert = pki::issue_server_certificate(issuing, key, s.server.tls_names, s.server.tls_addresses,
                                            std::chrono::days(825), std::chrono::system_clock::now());
  key.save_pem_file(l.server_key);
  // The chain iotregd sends: its certificate, then the issuing CA (clients trust the root).
  std::vector<pki::certificate> chain{cert, issuing.cert};
  write_file_atomically(l.server_cert, pki::pem_chain(chain), 0644);
  say("created server TLS certificate " + l.server_cert.string());
}

void emit_api_key(const std::string& key, const std::optional<std::string>& file) {
  if (file) {
    write_file_atomically(*file, key + "\n", 0600);
    say("API key written to " + *file + " (mode 0600)");
  } else {
    std::cout << key << std::endl;
    say("this API key is shown once; store it now");
  }
}

int run_init(const config::settings& s, const arguments& a) {
  db::pool pool(s.database.dsn, 1);
  {
    auto lease = pool.acquire();
    db::migrate(lease.conn());
  }
  say("database migrated");
  tools::state_layout layout(s.paths.state_dir);
  const tools::ca_key_store ca_keys(s);  // before any CA key: a token key needs it open
  init_ca(s, layout, ca_keys);
  tools::init_dnssec_keys(s, layout, pool);
  init_tls(s, layout, ca_keys);

  db::pg_api_key_store keys(pool);
  if (keys.count_active("admin") == 0) {
    auto key = registry::generate_api_key();
    keys.insert("admin", "admin", registry::api_key_hash(key));
    emit_api_key(key, a.api_key_file);
  } else {
    say("an admin API key exists; use `iotregctl apikey create` for another");
  }
  return 0;
}

/// "YYYY-MM-DDTHH:MM:SSZ" (UTC), or a duration from now: "<n>d", "<n>h", "<n>s".
registry::time_point parse_expiry(const std::string& text) {
  const auto now = registry::clock::now();
  if (!text.empty() && (text.back() == 'd' || text.back() == 'h' || text.back() == 's')) {
    std::size_t used = 0;
    long long n = -1;
    try {
      n = std::stoll(text.substr(0, text.size() - 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (n > 0 && used == text.size() - 1) {
      const long long unit = text.back() == 'd' ? 86400 : text.back() == 'h' ? 3600 : 1;
      return now + std::chrono::seconds(n * unit);
    }
  }
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != static_cast<int>(text.size())) {
    throw usage_error("--expires wants YYYY-MM-DDTHH:MM:SSZ or a duration such as 90d");
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const auto t = registry::clock::from_time_t(timegm(&tm));
  if (t <= now) throw usage_error("--expires is in the past");
  return t;
}

std::int64_t parse_tenant_id(const std::string& text) {
  std::size_t used = 0;
  long long id = 0;
  try {
    id = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || id <= 0) throw usage_error("--tenant wants a tenant id (see `tenant list`)");
  return id;
}

int run_tenant_create(const config::settings& s, const arguments& a) {
  if (a.command.size() != 3 || a.command[2].empty()) throw usage_error("tenant create needs a NAME");
  const std::string kind = a.kind.value_or("");
  if (kind != "mno" && kind != "asp" && kind != "admin")
    throw usage_error("tenant create needs --kind mno|asp|admin");
  db::pool pool(s.database.dsn, 1);
  db::pg_tenant_store tenants(pool);
  const auto t = tenants.create_tenant(a.command[2], kind);
  std::cout << t.id << std::endl;
  say("created " + kind + " tenant " + std::to_string(t.id) + " (" + t.name + ")");
  return 0;
}

int run_tenant_list(const config::settings& s) {
  db::pool pool(s.database.dsn, 1);
  db::pg_tenant_store tenants(pool);
  for (const auto& t : tenants.list_tenants()) {
    std::cout << t.id << '\t' << t.kind << '\t' << t.name << (t.disabled_at ? "\tdisabled" : "") << '\n';
  }
  return 0;
}

// The admin API's disable/enable (tenant_store::set_disabled), with an audit row without a key.
int run_tenant_set_disabled(const config::settings& s, const arguments& a, bool disabled) {
  if (a.command.size() != 3) throw usage_error(std::string("tenant ") + a.command[1] + " needs an ID");
  std::size_t used = 0;
  long long id = 0;
  try {
    id = std::stoll(a.command[2], &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != a.command[2].size() || id <= 0) throw usage_error("not a tenant id (see `tenant list`)");
  db::pool pool(s.database.dsn, 1);
  db::pg_tenant_store tenants(pool);
  const auto t = tenants.set_disabled(id, disabled, std::nullopt);
  if (!t) throw std::runtime_error(t.error().detail);
  say("tenant " + std::to_string(t->id) + " (" + t->kind + ", " + t->name + ") " +
      (t->disabled_at ? "disabled: its API keys are refused" : "enabled"));
  return 0;
}

int run_apikey_create(const config::settings& s, const arguments& a) {
  if (a.tenant) {
    const auto tenant_id = parse_tenant_id(*a.tenant);
    std::optional<registry::time_point> expires;
    if (a.expires) expires = parse_expiry(*a.expires);
    db::pool pool(s.database.dsn, 1);
    db::pg_tenant_store tenants(pool);
    const auto t = tenants.find_tenant(tenant_id);
    if (!t)
      throw std::runtime_error("no tenant " + std::to_string(tenant_id) + " (see `iotregctl tenant list`)");
    auto key = registry::generate_api_key();
    const auto id =
        tenants.insert_key(tenant_id, a.name.value_or(t->name), registry::api_key_hash(key), expires);
    say("API key " + std::to_string(id) + " of " + t->kind + " tenant " + std::to_string(tenant_id) +
        " created");
    emit_api_key(key, a.api_key_file);
    return 0;
  }
  if (!a.name || a.name->empty()) throw usage_error("apikey create needs --name NAME or --tenant ID");
  std::string role = a.role.value_or("admin");
  if (role != "admin") throw usage_error("unknown role '" + role + "' (only admin exists for now)");
  db::pool pool(s.database.dsn, 1);
  db::pg_api_key_store keys(pool);
  auto key = registry::generate_api_key();
  keys.insert(*a.name, role, registry::api_key_hash(key));
  emit_api_key(key, a.api_key_file);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto a = parse_arguments(argc, argv);
    auto s = config::load_file(*a.config);
    const auto& c = a.command;
    if (c.size() == 1 && c[0] == "init") return run_init(s, a);
    if (c.size() == 2 && c[0] == "zone" && c[1] == "ds") return tools::print_zone_ds(s);
    if (!c.empty() && c[0] == "dnssec") return tools::run_dnssec(s, std::span(c).subspan(1));
    if (c.size() == 2 && c[0] == "apikey" && c[1] == "create") return run_apikey_create(s, a);
    if (c.size() >= 2 && c[0] == "tenant" && c[1] == "create") return run_tenant_create(s, a);
    if (c.size() == 2 && c[0] == "tenant" && c[1] == "list") return run_tenant_list(s);
    if (c.size() >= 2 && c[0] == "tenant" && (c[1] == "disable" || c[1] == "enable"))
      return run_tenant_set_disabled(s, a, c[1] == "disable");
    if (c.size() >= 2 && c[0] == "tenant" && c[1] == "cert") {
      const auto expires = a.expires ? std::optional{parse_expiry(*a.expires)} : std::nullopt;
      return tools::run_tenant_cert(s, std::span(c).subspan(2), a.tenant, a.api_key_file, expires);
    }
    if (!c.empty() && c[0] == "ca") return tools::run_ca(s, std::span(c).subspan(1), a.name);
    throw usage_error("unknown command: " + c[0]);
  } catch (const usage_error& e) {
    if (*e.what()) std::cerr << "iotregctl: " << e.what() << "\n";
    std::cerr << usage_text;
    return 2;
  } catch (const config::error& e) {
    std::cerr << "iotregctl: configuration error: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "iotregctl: " << e.what() << '\n';
    return 1;
  }
}
