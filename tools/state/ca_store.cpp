#include "tools/state/ca_store.hpp"

#include "pki/certificate.hpp"
#include "pki/file_io.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <stdexcept>

namespace iotreg::tools {

namespace fs = std::filesystem;

namespace {

constexpr fs::perms public_dir = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec;

std::string ski_of(const pki::certificate& cert, const fs::path& file) {
  std::string id = pki::key_id_text(cert.subject_key_id());
  if (id.empty()) throw std::runtime_error(file.string() + ": CA certificate has no subjectKeyIdentifier");
  return id;
}

bool key_matches(const pki::certificate& cert, const pki::private_key& key) {
  if (X509_check_private_key(cert.native(), key.native()) == 1) return true;
  pki::clear_ossl_errors();
  return false;
}

// The one place CA key files are read: through the key store (plain or encrypted PKCS#8).
pki::private_key load_ca_key(const ca_key_store& keys, const fs::path& key_file,
                             const pki::certificate& cert) {
  pki::private_key key = keys.load_file(key_file);
  if (!key_matches(cert, key))
    throw std::runtime_error(key_file.string() + " does not hold the key of its CA certificate");
  return key;
}

// The key of issuing CA `id`: the token's key when it belongs to `cert` (it is moved out of
// `token_key`: one CA has it), else its file; for the active CA before migration, the file of
// the old layout; without a file, the token key whose id is the CA's SKI (made by `ca create`).
pki::private_key load_issuing_key(const state_layout& layout, const ca_key_store& keys,
                                  std::optional<pki::private_key>& token_key, const std::string& id,
                                  const pki::certificate& cert, bool active) {
  if (token_key && key_matches(cert, *token_key)) {
    pki::private_key key = std::move(*token_key);
    token_key.reset();
    return key;
  }
  fs::path key_file = issuing_key_file(layout, id);
  if (!fs::exists(key_file) && active && fs::exists(layout.issuing_key)) key_file = layout.issuing_key;
  if (!fs::exists(key_file) && keys.in_token(ca_role::issuing)) {
    if (auto key = keys.token_key_for(cert)) {
      if (!key_matches(cert, *key)) {
        throw std::runtime_error("the PKCS#11 key " + keys.token_uri_for(cert) +
                                 " does not belong to issuing CA " + id);
      }
      return std::move(*key);
    }
  }
  if (!fs::exists(key_file)) {
    throw std::runtime_error(
        "the private key of issuing CA " + id + " is missing (expected " + key_file.string() +
        (keys.in_token(ca_role::issuing)
             ? ", the PKCS#11 key " + keys.token_uri_for(cert) +
                   ", or the PKCS#11 key [ca] issuing_key_uri, which belongs to another CA)"
             : ")"));
  }
  return load_ca_key(keys, key_file, cert);
}

struct found_ca {
  pki::certificate cert;
  fs::path cert_file;
};

// ca/issuing/*.pem by key id; each file must be named after its certificate's SKI.
std::map<std::string, found_ca> stored_issuing(const state_layout& layout) {
  std::map<std::string, found_ca> out;
  if (!fs::is_directory(layout.issuing_dir)) return out;
  for (const auto& entry : fs::directory_iterator(layout.issuing_dir)) {
    const fs::path& p = entry.path();
    if (p.extension() != ".pem" || !entry.is_regular_file()) continue;
    auto cert = pki::certificate::load_pem_file(p);
    std::string id = ski_of(cert, p);
    if (p.stem() != id) {
      throw std::runtime_error(p.string() + " holds the CA with SKI " + id + ": rename it to " + id + ".pem");
    }
    out.emplace(std::move(id), found_ca{std::move(cert), p});
  }
  return out;
}

}  // namespace

const pki::certificate_authority* ca_material::find_issuing(std::string_view key_id) const {
  for (const auto& c : issuing) {
    if (pki::key_id_text(c.cert.subject_key_id()) == key_id) return &c;
  }
  return nullptr;
}

pki::private_key new_ca_key(const config::settings& s) {
  const auto type = pki::key_type_from_name(s.ca.key_type);
  if (!type) throw std::runtime_error("ca.key_type: unknown key type '" + s.ca.key_type + "'");
  return pki::private_key::generate(*type);
}

fs::path issuing_cert_file(const state_layout& layout, std::string_view key_id) {
  return layout.issuing_dir / (std::string(key_id) + ".pem");
}

fs::path issuing_key_file(const state_layout& layout, std::string_view key_id) {
  return layout.issuing_key_dir / (std::string(key_id) + ".key");
}

ca_material load_ca_material(const state_layout& layout, const ca_key_store& keys) {
  const auto missing = [](const fs::path& p) {
    return std::runtime_error(p.string() + " is missing: run `iotregctl --config FILE init` first");
  };
  if (!fs::exists(layout.root_cert)) throw missing(layout.root_cert);
  if (!fs::exists(layout.issuing_cert)) throw missing(layout.issuing_cert);
  ca_material m{pki::certificate::load_pem_file(layout.root_cert), {}, 0};
  const std::vector<std::uint8_t> root_ski = m.root.subject_key_id();

  auto stored = stored_issuing(layout);
  // issuing.pem names the active CA; in the legacy layout it is the only one, not in issuing/.
  auto active_cert = pki::certificate::load_pem_file(layout.issuing_cert);
  const std::string active_id = ski_of(active_cert, layout.issuing_cert);
  if (!stored.contains(active_id)) stored.emplace(active_id, found_ca{active_cert, layout.issuing_cert});

  // The token holds at most one issuing CA's key: the one whose certificate matches it.
  std::optional<pki::private_key> token_key = keys.token_key(ca_role::issuing);
  for (auto& [id, found] : stored) {
    if (found.cert.authority_key_id() != root_ski) {
      throw std::runtime_error(found.cert_file.string() + ": issuing CA " + id + " is not signed by " +
                               layout.root_cert.string() + " (its AKI is not the root's SKI)");
    }
    // Until migration, the active CA's key is where the single issuing CA's key used to be.
    pki::private_key key = load_issuing_key(layout, keys, token_key, id, found.cert, id == active_id);
    m.issuing.push_back({std::move(found.cert), std::move(key)});
  }
  // Oldest first, so that `ca list` reads as a history; the key id breaks ties.
  std::sort(m.issuing.begin(), m.issuing.end(), [](const auto& a, const auto& b) {
    const auto ta = a.cert.not_before(), tb = b.cert.not_before();
    if (ta != tb) return ta < tb;
    return a.cert.subject_key_id() < b.cert.subject_key_id();
  });
  for (std::size_t i = 0; i < m.issuing.size(); ++i) {
    if (pki::key_id_text(m.issuing[i].cert.subject_key_id()) == active_id) m.active = i;
  }
  return m;
}

std::string describe_issuing_key(const state_layout& layout, const ca_key_store& keys,
                                 const pki::certificate_authority& ca) {
  if (!ca.key.exportable()) {
    // The key of issuing_key_uri, or one that `ca create` made in the token (id = SKI).
    const auto configured = keys.token_key(ca_role::issuing);
    if (configured && key_matches(ca.cert, *configured)) return keys.describe_token(ca_role::issuing);
    return "PKCS#11 key " + keys.token_uri_for(ca.cert);
  }
  const fs::path key_file = issuing_key_file(layout, pki::key_id_text(ca.cert.subject_key_id()));
  if (!fs::exists(key_file) && fs::exists(layout.issuing_key)) return keys.describe_file(layout.issuing_key);
  return keys.describe_file(key_file);
}

bool migrate_legacy_issuing(const state_layout& layout, const ca_key_store& keys) {
  if (!fs::exists(layout.issuing_cert)) return false;
  const auto cert = pki::certificate::load_pem_file(layout.issuing_cert);
  const std::string id = ski_of(cert, layout.issuing_cert);
  bool changed = false;
  ensure_directory(layout.issuing_dir, public_dir);
  ensure_directory(layout.issuing_key_dir, fs::perms::owner_all);
  // The certificate first: until the key has moved, the loader finds it at the old place.
  if (!fs::exists(issuing_cert_file(layout, id))) {
    cert.save_pem_file(issuing_cert_file(layout, id));
    changed = true;
  }
  const fs::path key_file = issuing_key_file(layout, id);
  if (fs::exists(layout.issuing_key) && !fs::exists(key_file)) {
    (void)load_ca_key(keys, layout.issuing_key, cert);  // never move a key that is not this CA's
    fs::rename(layout.issuing_key, key_file);           // same file system: atomic, no copy of the secret
    changed = true;
  }
  return changed;
}

pki::certificate_authority load_root_authority(const state_layout& layout, const ca_key_store& keys) {
  if (!fs::exists(layout.root_cert)) {
    throw std::runtime_error(layout.root_cert.string() +
                             " is missing: run `iotregctl --config FILE init` first");
  }
  if (auto key = keys.token_key(ca_role::root)) {
    auto cert = pki::certificate::load_pem_file(layout.root_cert);
    if (!key_matches(cert, *key)) {
      throw std::runtime_error("the root CA key (" + keys.describe_token(ca_role::root) +
                               ") does not belong to the certificate " + layout.root_cert.string());
    }
    return {std::move(cert), std::move(*key)};
  }
  if (!fs::exists(layout.root_key)) {
    throw std::runtime_error("root CA key unavailable: " + layout.root_key.string() +
                             " is missing (a root kept offline must be brought back to sign an issuing CA)");
  }
  auto cert = pki::certificate::load_pem_file(layout.root_cert);
  auto key = load_ca_key(keys, layout.root_key, cert);
  return {std::move(cert), std::move(key)};
}

std::string store_issuing_ca(const state_layout& layout, const ca_key_store& keys,
                             const pki::certificate_authority& ca) {
  const std::string id = ski_of(ca.cert, "new issuing CA");
  ensure_directory(layout.issuing_dir, public_dir);
  ensure_directory(layout.issuing_key_dir, fs::perms::owner_all);
  const fs::path cert_file = issuing_cert_file(layout, id);
  if (fs::exists(cert_file))
    throw std::runtime_error("an issuing CA with SKI " + id + " exists: " + cert_file.string());
  // 0600 from its creation on; a token key stays in the token (load_ca_material finds it there).
  if (ca.key.exportable()) keys.save_file(ca.key, issuing_key_file(layout, id));
  ca.cert.save_pem_file(cert_file);
  return id;
}

void activate_issuing_ca(const state_layout& layout, const ca_key_store& keys, std::string_view key_id) {
  migrate_legacy_issuing(layout, keys);
  const fs::path cert_file = issuing_cert_file(layout, key_id);
  if (!fs::exists(cert_file)) {
    throw std::runtime_error("no issuing CA with SKI " + std::string(key_id) + " (see `iotregctl ca list`)");
  }
  const auto cert = pki::certificate::load_pem_file(cert_file);
  std::optional<pki::private_key> token_key = keys.token_key(ca_role::issuing);
  (void)load_issuing_key(layout, keys, token_key, std::string(key_id), cert, false);
  cert.save_pem_file(layout.issuing_cert);  // atomic: issuing.pem always names one whole CA
}

std::vector<fs::path> encrypt_plain_ca_keys(const state_layout& layout, const ca_key_store& keys) {
  std::vector<fs::path> files{layout.root_key, layout.issuing_key};
  if (fs::is_directory(layout.issuing_key_dir)) {
    for (const auto& entry : fs::directory_iterator(layout.issuing_key_dir)) {
      if (entry.path().extension() == ".key" && entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  std::vector<fs::path> done;
  for (const auto& f : files) {
    if (keys.encrypt_if_plain(f)) done.push_back(f);
  }
  return done;
}

std::optional<std::string> parse_key_id(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  std::string hex;
  for (const char c : text) {
    if (c == ':' || c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (!out.empty()) out += '-';
    out += hex.substr(i, 2);
  }
  return out;
}

std::string next_issuing_name(const ca_material& ca, const std::string& base) {
  const auto used = [&](const std::string& cn) {
    return std::any_of(ca.issuing.begin(), ca.issuing.end(),
                       [&](const auto& c) { return c.cert.subject_common_name() == cn; });
  };
  std::size_t digits = base.size();
  while (digits > 0 && std::isdigit(static_cast<unsigned char>(base[digits - 1]))) --digits;
  std::string stem = base.substr(0, digits);
  unsigned long n = 1;
  if (digits < base.size() && base.size() - digits <= 9) {
    n = std::stoul(base.substr(digits));
  } else {
    stem += ' ';
  }
  std::string name;
  do {
    name = stem + std::to_string(++n);
  } while (used(name));
  return name;
}

}  // namespace iotreg::tools
