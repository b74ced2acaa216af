#pragma once
// Where iotreg keeps its material under [paths] state_dir, shared by iotregctl (which creates
// it) and iotregd (which loads it). Private keys are written with mode 0600 in directories
// of mode 0700; certificates are public.

#include "config/settings.hpp"
#include "dns/key_timing.hpp"
#include "dns/keys.hpp"
#include "dns/zone_parameters.hpp"
#include "pki/ca.hpp"

#include <filesystem>
#include <vector>

namespace iotreg::tools {

struct state_layout {
  explicit state_layout(const std::filesystem::path& state_dir);

  std::filesystem::path root;
  std::filesystem::path ca_dir;      // <state>/ca: root.pem, issuing.pem (public)
  std::filesystem::path ca_key_dir;  // <state>/ca/private (0700): root.key, issuing.key
  std::filesystem::path root_cert, root_key, issuing_cert, issuing_key;
  std::filesystem::path dnssec_dir;  // <state>/dnssec (0700)
  std::filesystem::path ksk_file, zsk_file;
  std::filesystem::path tls_dir;  // <state>/tls: server.pem (chain), private/server.key
  std::filesystem::path tls_key_dir;
  std::filesystem::path server_cert, server_key;
};

/// The issuing CA with its key, and the root certificate, as iotregd needs them. Loaded by
/// load_ca_material (tools/state/ca_keys.hpp), wherever [ca] key_storage keeps the key.
struct ca_material {
  pki::certificate_authority issuing;
  pki::certificate root;
};

/// The zone's DNSSEC keys (KSK first). @throws std::runtime_error naming the missing file.
std::vector<dns::dnssec_key> load_zone_keys(const state_layout& layout, const std::string& zone);

/// The zone's fixed content and signing parameters from the settings and the CA certificates.
dns::zone_parameters make_zone_parameters(const config::settings& s, const ca_material& ca);

/// The zone's key policy: [dnssec] timing, with the DNSKEY TTL, the largest TTL and the signature
/// validity of [zone].
dns::key_policy make_key_policy(const config::settings& s);

/// Creates a directory (and parents) with the given mode, or tightens an existing one.
void ensure_directory(const std::filesystem::path& dir, std::filesystem::perms mode);

}  // namespace iotreg::tools
