#pragma once
// The issuing CAs in the state directory: several of them, one active (it signs new device
// certificates), the others retired (still published, still signing CRLs and OCSP answers for
// what they issued). Used by `iotregctl init` and `iotregctl ca ...`; iotregd only loads
// (load_ca_material in state_layout.hpp).
//
// Layout (state_layout.hpp):
//   ca/root.pem, ca/private/root.key          the root (its key may be kept offline)
//   ca/issuing/<ski>.pem                      every issuing CA, 0644
//   ca/private/issuing/<ski>.key              its key, 0600 in a 0700 directory
//   ca/issuing.pem                            a copy of the ACTIVE one's certificate
// <ski> is pki::key_id_text of the CA's subjectKeyIdentifier, the name under which
// /.well-known/ca/<ski>.pem serves it.
//
// The layout before several issuing CAs (ca/issuing.pem + ca/private/issuing.key) is still read
// as it is: that CA is the only and active one. migrate_legacy_issuing() turns it into the
// layout above; every command that changes the CAs runs it first, so migration needs no step of
// its own. Each step of it leaves a state that load_ca_material reads, so a crash is harmless.
//
// All functions are blocking (file I/O) and not safe against two iotregctl runs at once.

#include "tools/state/state_layout.hpp"

#include "pki/ca.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace iotreg::tools {

/// ca/issuing/<key_id>.pem and ca/private/issuing/<key_id>.key.
/// A fresh key of the [ca] key_type (validated by the config loader) for a new CA.
/// @throws std::runtime_error for an unknown type, ossl_error.
pki::private_key new_ca_key(const config::settings& s);

std::filesystem::path issuing_cert_file(const state_layout& layout, std::string_view key_id);
std::filesystem::path issuing_key_file(const state_layout& layout, std::string_view key_id);

/// Copies ca/issuing.pem to ca/issuing/<ski>.pem and moves ca/private/issuing.key to
/// ca/private/issuing/<ski>.key, where they are missing. Idempotent.
/// @returns true if it changed anything. @throws std::runtime_error, std::system_error.
bool migrate_legacy_issuing(const state_layout& layout);

/// The root certificate with its private key, for signing a new issuing CA.
/// @throws std::runtime_error "root CA key unavailable: ..." when ca/private/root.key is missing
/// (a root kept offline must be brought back for this), or naming the file that does not load.
pki::certificate_authority load_root_authority(const state_layout& layout);

/// Stores `ca` as an issuing CA, not active: the key first (mode 0600), then the certificate, so
/// that no certificate is ever without its key. Creates the directories.
/// @returns the CA's key id (pki::key_id_text of its SKI).
/// @throws std::runtime_error if the certificate has no SKI or a CA with that SKI exists.
std::string store_issuing_ca(const state_layout& layout, const pki::certificate_authority& ca);

/// Makes the stored issuing CA `key_id` the active one (replaces ca/issuing.pem atomically). The
/// previous one stays stored: retired. Runs migrate_legacy_issuing() first, so that the CA a
/// legacy issuing.pem named is not lost. iotregd signs with it after its next start.
/// @throws std::runtime_error "no issuing CA with SKI ..." if it is not stored.
void activate_issuing_ca(const state_layout& layout, std::string_view key_id);

/// An operator's key id ("AB:CD:..", "ab-cd-..", "abcd..", surrounding blanks allowed) in
/// pki::key_id_text form; nullopt unless it is one or more whole bytes of hex digits.
std::optional<std::string> parse_key_id(std::string_view text);

/// A subject CN for a new issuing CA that none of `ca` uses: `base` with its trailing number
/// incremented ("iotreg Issuing CA 1" -> "iotreg Issuing CA 2"), else `base` + " 2", counting on
/// until the name is free. Distinct names keep CRLs (matched by issuer name) apart.
std::string next_issuing_name(const ca_material& ca, const std::string& base);

}  // namespace iotreg::tools
