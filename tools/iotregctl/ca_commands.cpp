#include "tools/iotregctl/ca_commands.hpp"

#include "pki/certificate.hpp"
#include "tools/iotregctl/cli.hpp"
#include "tools/state/ca_store.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <ctime>
#include <iostream>

namespace iotreg::tools {

namespace {

std::string format_time(pki::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "?";
  return buf;
}

/// A name in RFC 2253 form ("CN=iotreg Issuing CA 2,O=iotreg").
std::string name_text(const X509_NAME* name) {
  const pki::bio_ptr bio = pki::make_write_bio();
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) pki::throw_ossl("X509_NAME_print_ex");
  return pki::bio_contents(bio.get());
}

std::string key_type(const pki::certificate& c) {
  const EVP_PKEY* key = X509_get0_pubkey(c.native());
  return key != nullptr ? pki::describe_key(key) : "?";
}

std::string key_id(const pki::certificate& c) { return pki::key_id_text(c.subject_key_id()); }

enum class role { root, active, retired, expired };

const char* role_name(role r) {
  switch (r) {
    case role::root: return "root";
    case role::active: return "active";
    case role::retired: return "retired";
    case role::expired: return "expired";
  }
  return "?";
}

role role_of(const ca_material& m, std::size_t i, pki::time_point now) {
  if (i == m.active) return role::active;
  return m.issuing[i].cert.not_after() < now ? role::expired : role::retired;
}

/// The key id an operator typed, or a usage error saying what a key id looks like.
std::string key_id_argument(const std::string& text) {
  auto id = parse_key_id(text);
  if (!id) {
    throw usage_error("'" + text +
                      "' is not a key identifier (hex bytes, e.g. 0a-1b-... as `iotregctl ca list` shows)");
  }
  return *id;
}

std::runtime_error unknown_ca(const std::string& id) {
  return std::runtime_error("no CA with SKI " + id + " (see `iotregctl ca list`)");
}

/// Signs a new issuing CA with the root and stores it, not active. @returns its key id.
std::string create_ca(const config::settings& s, const state_layout& l, const ca_key_store& keys,
                      const std::optional<std::string>& name) {
  migrate_legacy_issuing(l, keys);
  const auto material = load_ca_material(l, keys);
  const auto root = load_root_authority(l, keys);
  std::string cn = name ? *name : next_issuing_name(material, s.ca.issuing_common_name);
  if (cn.empty() || cn.size() > 64) throw usage_error("--name must be 1 to 64 characters");
  for (const auto& c : material.issuing) {
    if (c.cert.subject_common_name() == cn) {
      throw std::runtime_error("issuing CA " + key_id(c.cert) + " is already named '" + cn +
                               "': choose another --name (CRLs are told apart by their issuer's name)");
    }
  }
  const auto now = std::chrono::system_clock::now();
  // A fresh key of [ca] key_type: made inside the token with key_storage = "pkcs11" (its id the
  // new CA's SKI, so that iotregd finds it from the certificate), else stored as key_storage
  // says (encrypted when configured).
  const bool token = keys.in_token(ca_role::issuing);
  auto key = token ? keys.create_in_token(cn) : new_ca_key(s);
  auto ca = pki::create_issuing_ca(root, pki::ca_name{cn, {}}, std::move(key), s.ca.issuing_validity, now);
  const std::string id = store_issuing_ca(l, keys, ca);
  say("created issuing CA " + id + " (CN=" + cn + ", " + key_type(ca.cert) + ", valid until " +
      format_time(ca.cert.not_after()) + ")");
  if (token) say("its key pair was made in the token: " + keys.token_uri_for(ca.cert));
  return id;
}

int run_create(const config::settings& s, const state_layout& l, const ca_key_store& keys,
               const std::optional<std::string>& name) {
  const std::string id = create_ca(s, l, keys, name);
  std::cout << id << '\n';
  say("it is not active: `iotregctl ca rotate " + id + "` makes it sign new device certificates");
  say("restart iotregd to publish it (/.well-known/ca/ and the zone's apex TLSA)");
  return 0;
}

int run_list(const state_layout& l, const ca_key_store& keys) {
  const auto m = load_ca_material(l, keys);
  const auto now = std::chrono::system_clock::now();
  std::cout << "SKI\tSTATUS\tKEY\tNOT_BEFORE\tNOT_AFTER\tSUBJECT\n";
  const auto line = [](const pki::certificate& c, role r) {
    std::cout << key_id(c) << '\t' << role_name(r) << '\t' << key_type(c) << '\t'
              << format_time(c.not_before()) << '\t' << format_time(c.not_after()) << '\t'
              << name_text(X509_get_subject_name(c.native())) << '\n';
  };
  line(m.root, role::root);
  for (std::size_t i = 0; i < m.issuing.size(); ++i) line(m.issuing[i].cert, role_of(m, i, now));
  return 0;
}

int run_show(const state_layout& l, const ca_key_store& keys, const std::string& arg) {
  const std::string id = key_id_argument(arg);
  const auto m = load_ca_material(l, keys);
  const auto now = std::chrono::system_clock::now();
  const pki::certificate* cert = nullptr;
  role r = role::root;
  if (key_id(m.root) == id) {
    cert = &m.root;
  } else {
    for (std::size_t i = 0; i < m.issuing.size(); ++i) {
      if (key_id(m.issuing[i].cert) == id) {
        cert = &m.issuing[i].cert;
        r = role_of(m, i, now);
      }
    }
  }
  if (cert == nullptr) throw unknown_ca(id);
  std::cout << "SKI:        " << id << '\n'
            << "AKI:        " << pki::key_id_text(cert->authority_key_id()) << '\n'
            << "status:     " << role_name(r) << '\n'
            << "subject:    " << name_text(X509_get_subject_name(cert->native())) << '\n'
            << "issuer:     " << name_text(X509_get_issuer_name(cert->native())) << '\n'
            << "serial:     " << cert->serial_hex() << '\n'
            << "not before: " << format_time(cert->not_before()) << '\n'
            << "not after:  " << format_time(cert->not_after()) << '\n'
            << "key:        " << key_type(*cert) << '\n'
            << "served at:  /.well-known/ca/" << id << ".pem\n"
            << cert->pem();
  return 0;
}

int run_rotate(const config::settings& s, const state_layout& l, const ca_key_store& keys,
               const std::optional<std::string>& arg, const std::optional<std::string>& name) {
  std::string id;
  const auto before = load_ca_material(l, keys);
  const std::string previous = key_id(before.active_issuing().cert);
  if (arg) {
    if (name) throw usage_error("--name only goes with `ca rotate` without an SKI (it names the new CA)");
    id = key_id_argument(*arg);
    if (key_id(before.root) == id)
      throw std::runtime_error(id + " is the root CA: only an issuing CA can be active");
    const auto* ca = before.find_issuing(id);
    if (ca == nullptr) throw unknown_ca(id);
    if (ca->cert.not_after() <= std::chrono::system_clock::now()) {
      throw std::runtime_error("issuing CA " + id + " expired on " + format_time(ca->cert.not_after()));
    }
    if (id == previous) {
      say("issuing CA " + id + " is already the active one; nothing changed");
      std::cout << id << '\n';
      return 0;
    }
  } else {
    id = create_ca(s, l, keys, name);
  }
  activate_issuing_ca(l, keys, id);
  std::cout << id << '\n';
  say("issuing CA " + id + " is now active; " + previous +
      " is retired (still published, its CRL and OCSP still served)");
  say("restart iotregd to sign new device certificates with it and to publish the change");
  return 0;
}

}  // namespace

int run_ca(const config::settings& s, std::span<const std::string> args,
           const std::optional<std::string>& name) {
  const state_layout l(s.paths.state_dir);
  if (args.empty()) throw usage_error("ca needs a subcommand: create, list, show or rotate");
  const std::string& cmd = args[0];
  const bool known = ((cmd == "create" || cmd == "list") && args.size() == 1) || cmd == "show" ||
                     (cmd == "rotate" && args.size() <= 2);
  if (!known) throw usage_error("unknown ca command: ca " + cmd + (args.size() > 1 ? " ..." : ""));
  if (cmd == "show" && args.size() != 2) throw usage_error("ca show needs one SKI");
  const ca_key_store keys(s);  // before any CA key: a token key signs through it
  if (cmd == "create") return run_create(s, l, keys, name);
  if (cmd == "list") return run_list(l, keys);
  if (cmd == "show") return run_show(l, keys, args[1]);
  if (cmd == "rotate") {
    return run_rotate(s, l, keys, args.size() == 2 ? std::optional<std::string>(args[1]) : std::nullopt,
                      name);
  }
  throw usage_error("unknown ca command: ca " + cmd + (args.size() > 1 ? " ..." : ""));
}

}  // namespace iotreg::tools
