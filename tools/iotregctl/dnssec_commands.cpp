#include "tools/iotregctl/dnssec_commands.hpp"

#include "db/dnssec_key_store_pg.hpp"
#include "dns/dnskey_text.hpp"
#include "registry/dnssec_keyring.hpp"
#include "tools/iotregctl/cli.hpp"
#include "tools/state/dnssec_kek.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <vector>

namespace iotreg::tools {

namespace fs = std::filesystem;
using registry::dnssec_key_record;
using registry::dnssec_key_role;

namespace {

bool reached(const std::optional<registry::time_point>& t, registry::time_point now) {
  return t && *t <= now;
}

/// Current: not yet retired nor removed (a scheduled future retirement still counts as current).
bool is_current(const dnssec_key_record& k, registry::time_point now) {
  return !reached(k.timeline.retired, now) && !reached(k.timeline.removed, now);
}

std::string role_upper(dnssec_key_role r) { return r == dnssec_key_role::ksk ? "KSK" : "ZSK"; }

/// "2026-11-28T21:30:00Z", or "-" when unset.
std::string format_time(const std::optional<registry::time_point>& t) {
  if (!t) return "-";
  const std::time_t secs = registry::clock::to_time_t(*t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "?";
  return buf;
}

// ---- init

void ensure_kek(const config::settings& s, const state_layout& layout) {
  const auto where = locate_kek(s);
  if (where.systemd_credential) {
    say("key encryption key: systemd credential " + where.file.string());
    return;
  }
  if (where.file.parent_path() == layout.dnssec_dir)
    ensure_directory(layout.dnssec_dir, fs::perms::owner_all);
  if (pki::key_encryption_key::create_file(where.file)) {
    say("created key encryption key " + where.file.string() +
        " (mode 0600): every node sharing the database needs a copy of it");
  } else {
    say("key encryption key exists: " + where.file.string());
  }
}

/// The zone's first keys: imported from an older install's files, else generated.
std::vector<dnssec_key_record> first_keys(const config::settings& s, const state_layout& layout,
                                          const pki::key_encryption_key& kek) {
  const auto now = registry::clock::now();
  // The first keys of a zone go into service at once: no resolver holds an older key set yet.
  // Imported keys are already in service; their real history is unknown, so it starts now.
  const registry::dnssec_key_timeline in_service{
      .generated = now, .published = now, .ready = now, .active = now};
  struct wanted {
    fs::path file;
    dnssec_key_role role;
  };
  std::vector<dnssec_key_record> out;
  for (const auto& w :
       {wanted{layout.ksk_file, dnssec_key_role::ksk}, wanted{layout.zsk_file, dnssec_key_role::zsk}}) {
    if (fs::exists(w.file)) {
      auto key = dns::dnssec_key::load(w.file, s.zone.name);
      if (registry::to_record_role(key.role()) != w.role) {
        throw std::runtime_error(w.file.string() + " holds a " +
                                 role_upper(registry::to_record_role(key.role())) + ", not a " +
                                 role_upper(w.role));
      }
      out.push_back(registry::seal_dnssec_key(key, kek, in_service));
      say("importing " + role_upper(w.role) + " " + std::to_string(key.key_tag()) + " from " +
          w.file.string());
    } else {
      auto key = registry::generate_dnssec_key(s.dnssec.algorithm, w.role, s.zone.name, out);
      out.push_back(registry::seal_dnssec_key(key, kek, in_service));
      say("created " + role_upper(w.role) + " (algorithm " + std::to_string(s.dnssec.algorithm) +
          ", key tag " + std::to_string(key.key_tag()) + ")");
    }
  }
  return out;
}

}  // namespace

void init_dnssec_keys(const config::settings& s, const state_layout& layout, db::pool& pool) {
  ensure_kek(s, layout);
  const auto kek = load_kek(s);
  db::pg_dnssec_key_store store(pool);
  const auto& zone = s.zone.name;

  auto existing = store.list(zone);
  if (existing.empty()) {
    const auto keys = first_keys(s, layout, kek);
    if (store.insert_first_keys(zone, keys)) {
      say("stored the DNSSEC keys of zone " + zone +
          " in the database, encrypted with the key encryption key");
      if (fs::exists(layout.ksk_file) || fs::exists(layout.zsk_file)) {
        say("the key files in " + layout.dnssec_dir.string() +
            " are no longer read: remove them once every node runs this version");
      }
      return;
    }
    existing = store.list(zone);  // another node stored them first: check those instead
  }
  // Nothing to create; make sure this node's KEK is the one that sealed the keys, so that a wrong
  // copy is found now rather than when iotregd starts.
  const auto loaded = registry::load_dnssec_keys(store, kek, zone, registry::clock::now());
  say("DNSSEC keys of zone " + zone + " are in the database (" + std::to_string(existing.size()) + " keys, " +
      std::to_string(loaded.size()) + " not removed); the key encryption key opens them");
}

// ---- dnssec status | ds | rollover | ds-seen

namespace {

int run_status(const config::settings& s, db::pg_dnssec_key_store& store) {
  const auto keys = store.list(s.zone.name);
  const auto now = registry::clock::now();
  std::cout << "zone " << s.zone.name << " at " << format_time(now) << '\n';
  const char* header[] = {
      "TAG",    "ALG",     "ROLE",    "STATE",        "GENERATED", "PUBLISHED",         "READY",
      "ACTIVE", "RETIRED", "REMOVED", "DS_SUBMITTED", "DS_SEEN",   "ROLLOVER_REQUESTED"};
  std::vector<std::vector<std::string>> rows;
  rows.emplace_back(std::begin(header), std::end(header));
  for (const auto& k : keys) {
    const auto& t = k.timeline;
    rows.push_back({std::to_string(k.key_tag), std::to_string(k.algorithm), std::string(to_string(k.role)),
                    std::string(registry::dnssec_key_state(t, now)), format_time(t.generated),
                    format_time(t.published), format_time(t.ready), format_time(t.active),
                    format_time(t.retired), format_time(t.removed), format_time(t.ds_submitted),
                    format_time(t.ds_seen), format_time(k.rollover_requested)});
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::cout << line << '\n';
  }
  if (keys.empty()) say("zone " + s.zone.name + " has no DNSSEC keys in the database: run `iotregctl init`");
  return keys.empty() ? 1 : 0;
}

int run_rollover(const config::settings& s, db::pg_dnssec_key_store& store, const std::string& which) {
  const auto role = registry::dnssec_key_role_from_string(which);
  if (!role) throw usage_error("dnssec rollover: expected zsk or ksk, got '" + which + "'");
  const auto now = registry::clock::now();
  const auto keys = store.list(s.zone.name);
  std::vector<const dnssec_key_record*> current;
  for (const auto& k : keys) {
    if (k.role == *role && is_current(k, now)) current.push_back(&k);
  }
  if (current.empty()) {
    throw std::runtime_error("zone " + s.zone.name + " has no current " + role_upper(*role) +
                             " to roll over (see `iotregctl dnssec status`)");
  }
  const auto stamped = store.request_rollover(s.zone.name, *role, now);
  std::string tags;
  for (const auto* k : current) tags += (tags.empty() ? "" : ", ") + std::to_string(k->key_tag);
  if (stamped == 0) {
    say("a " + role_upper(*role) + " rollover of zone " + s.zone.name + " is already requested (key " + tags +
        ")");
  } else {
    say("requested a " + role_upper(*role) + " rollover of zone " + s.zone.name + " (key " + tags +
        "): iotregd's key policy carries it out");
  }
  return 0;
}

int run_ds_seen(const config::settings& s, db::pg_dnssec_key_store& store, const std::string& text) {
  unsigned tag = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), tag);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || tag > 65535) {
    throw usage_error("dnssec ds-seen: expected a key tag (0..65535), got '" + text + "'");
  }
  const auto keys = store.list(s.zone.name);
  const auto it =
      std::find_if(keys.begin(), keys.end(), [&](const dnssec_key_record& k) { return k.key_tag == tag; });
  if (it == keys.end()) {
    throw std::runtime_error("zone " + s.zone.name + " has no key with tag " + text +
                             " (see `iotregctl dnssec status`)");
  }
  if (it->role != dnssec_key_role::ksk) {
    throw std::runtime_error("key " + text + " is a ZSK: the parent zone publishes DS records of KSKs only");
  }
  if (!store.mark_ds_seen(s.zone.name, static_cast<std::uint16_t>(tag), registry::clock::now())) {
    throw std::runtime_error("key " + text + " of zone " + s.zone.name + " disappeared meanwhile");
  }
  if (it->timeline.ds_seen) {
    say("already recorded: the parent publishes the DS of KSK " + text + " since " +
        format_time(it->timeline.ds_seen));
  } else {
    say("recorded: the parent zone publishes the DS of KSK " + text);
  }
  return 0;
}

}  // namespace

int print_zone_ds(const config::settings& s) {
  db::pool pool(s.database.dsn, 1);
  db::pg_dnssec_key_store store(pool);
  const auto now = registry::clock::now();
  int printed = 0;
  for (const auto& k : store.list(s.zone.name)) {
    if (k.role != dnssec_key_role::ksk || !reached(k.timeline.published, now) ||
        reached(k.timeline.removed, now))
      continue;
    std::cout << dns::ds_text_from_rdata(s.zone.name, k.dnskey_rdata, 2) << '\n';
    ++printed;
  }
  if (printed == 0) {
    say("zone " + s.zone.name + " has no published KSK in the database (run `iotregctl init`)");
    return 1;
  }
  return 0;
}

int run_dnssec(const config::settings& s, std::span<const std::string> args) {
  if (args.empty()) throw usage_error("dnssec needs a command: status, ds, rollover zsk|ksk, ds-seen TAG");
  const auto& cmd = args[0];
  auto want_args = [&](std::size_t n, const char* form) {
    if (args.size() != n + 1) throw usage_error(std::string("usage: dnssec ") + form);
  };
  if (cmd == "ds") {
    want_args(0, "ds");
    return print_zone_ds(s);
  }
  db::pool pool(s.database.dsn, 1);
  db::pg_dnssec_key_store store(pool);
  if (cmd == "status") {
    want_args(0, "status");
    return run_status(s, store);
  }
  if (cmd == "rollover") {
    want_args(1, "rollover zsk|ksk");
    return run_rollover(s, store, args[1]);
  }
  if (cmd == "ds-seen") {
    want_args(1, "ds-seen KEYTAG");
    return run_ds_seen(s, store, args[1]);
  }
  throw usage_error("unknown dnssec command '" + cmd + "' (status, ds, rollover, ds-seen)");
}

}  // namespace iotreg::tools
