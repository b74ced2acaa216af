#pragma once
// Where iotreg keeps its material under [paths] state_dir, shared by iotregctl (which creates
// it) and iotregd (which loads it). Private keys are written with mode 0600 in directories
// of mode 0700; certificates are public.

#include "config/settings.hpp"
#include "dns/key_timing.hpp"
#include "dns/keys.hpp"
#include "dns/zone_parameters.hpp"
#include "pki/ca.hpp"

#include <cstddef>
#include <filesystem>
#include <string_view>
#include <vector>

namespace iotreg::tools {

struct state_layout {
  explicit state_layout(const std::filesystem::path& state_dir);

  std::filesystem::path root;
  std::filesystem::path ca_dir;      // <state>/ca: root.pem, issuing.pem (public)
  std::filesystem::path ca_key_dir;  // <state>/ca/private (0700): root.key
  // issuing_cert is the ACTIVE issuing CA (the one that signs new device certificates): a copy
  // of one of issuing_dir/<ski>.pem, replaced atomically by `iotregctl ca rotate`. issuing_key
  // is the layout before several issuing CAs: the key of issuing.pem, moved to
  // issuing_key_dir/<ski>.key by the first command that changes the CAs (tools/state/ca_store.hpp).
  std::filesystem::path root_cert, root_key, issuing_cert, issuing_key;
  std::filesystem::path issuing_dir;      // <state>/ca/issuing: <ski>.pem, every issuing CA (public)
  std::filesystem::path issuing_key_dir;  // <state>/ca/private/issuing (0700): <ski>.key (0600)
  std::filesystem::path dnssec_dir;       // <state>/dnssec (0700)
  std::filesystem::path ksk_file, zsk_file;
  std::filesystem::path tls_dir;  // <state>/tls: server.pem (chain), private/server.key
  std::filesystem::path tls_key_dir;
  std::filesystem::path server_cert, server_key;
};

/// The root certificate and every issuing CA with its key, as iotregd needs them: the active one
/// signs new device certificates; all of them are published (/.well-known/ca/, apex TLSA) and
/// keep signing CRLs and OCSP answers for what they issued. Loaded by load_ca_material
/// (tools/state/ca_store.hpp), wherever [ca] key_storage keeps the keys.
struct ca_material {
  pki::certificate root;
  std::vector<pki::certificate_authority> issuing;  ///< oldest first (notBefore, then SKI); not empty
  std::size_t active = 0;                           ///< index into `issuing`

  const pki::certificate_authority& active_issuing() const { return issuing.at(active); }
  /// The issuing CA whose SKI is `key_id` (pki::key_id_text form), or nullptr.
  const pki::certificate_authority* find_issuing(std::string_view key_id) const;
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
