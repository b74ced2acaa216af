#pragma once
// The issuing CAs in the state directory: several of them, one active (it signs new device
// certificates), the others retired (still published, still signing CRLs and OCSP answers for
// what they issued). Used by `iotregctl init` and `iotregctl ca ...`; iotregd only loads
// (load_ca_material).
//
// Layout (state_layout.hpp):
//   ca/root.pem, ca/private/root.key          the root (its key may be kept offline)
//   ca/issuing/<ski>.pem                      every issuing CA, 0644
//   ca/private/issuing/<ski>.key              its key, 0600 in a 0700 directory
//   ca/issuing.pem                            a copy of the ACTIVE one's certificate
// <ski> is pki::key_id_text of the CA's subjectKeyIdentifier, the name under which
// /.well-known/ca/<ski>.pem serves it.
//
// Every key is read and written through a ca_key_store (ca_keys.hpp), as [ca] key_storage says:
// plain or encrypted PKCS#8 files, or a PKCS#11 token. With "pkcs11" the issuing CA whose
// certificate matches the token's key (issuing_key_uri) has no key file, nor have those whose
// key `iotregctl ca create|rotate` made in the token (CKA_ID = the CA's SKI, found by the URI
// ca_key_store::token_uri_for derives); the others (retired) keep theirs. The root key comes from
// root_key_uri when set, else from root.key.
//
// The layout before several issuing CAs (ca/issuing.pem + ca/private/issuing.key) is still read
// as it is: that CA is the only and active one. migrate_legacy_issuing() turns it into the
// layout above; every command that changes the CAs runs it first, so migration needs no step of
// its own. Each step of it leaves a state that load_ca_material reads, so a crash is harmless.
//
// All functions are blocking (file I/O) and not safe against two iotregctl runs at once.

#include "tools/state/ca_keys.hpp"
#include "tools/state/state_layout.hpp"

#include "pki/ca.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::tools {

/// A fresh key of the [ca] key_type (validated by the config loader) for a new CA.
/// @throws std::runtime_error for an unknown type, ossl_error.
pki::private_key new_ca_key(const config::settings& s);

/// ca/issuing/<key_id>.pem and ca/private/issuing/<key_id>.key.
std::filesystem::path issuing_cert_file(const state_layout& layout, std::string_view key_id);
std::filesystem::path issuing_key_file(const state_layout& layout, std::string_view key_id);

/// Loads the root certificate and every issuing CA with its key from `keys` (the rules are in
/// ca_store.cpp; the layout before several issuing CAs is read as it is, without writing
/// anything). The root's key is not loaded: it may be kept offline. Blocking (PBKDF2 for
/// encrypted files, token look-ups). `keys` must outlive the returned keys.
/// @throws std::runtime_error naming the missing or inconsistent file (run `iotregctl init`
///         first); as ca_key_store::load_file, pki::pkcs11_error.
ca_material load_ca_material(const state_layout& layout, const ca_key_store& keys);

/// Where the key of `ca` (one of load_ca_material's) is, for logs: "PKCS#11 key pkcs11:..." or
/// "[encrypted ]file <path>". Never a secret.
std::string describe_issuing_key(const state_layout& layout, const ca_key_store& keys,
                                 const pki::certificate_authority& ca);

/// Copies ca/issuing.pem to ca/issuing/<ski>.pem and moves ca/private/issuing.key to
/// ca/private/issuing/<ski>.key, where they are missing (a token key has no file to move).
/// Idempotent. @returns true if it changed anything.
/// @throws std::runtime_error, std::system_error; as ca_key_store::load_file (the key is checked
///         against the certificate before it moves).
bool migrate_legacy_issuing(const state_layout& layout, const ca_key_store& keys);

/// The root certificate with its private key (the token's when [ca] root_key_uri is set), for
/// signing a new issuing CA.
/// @throws std::runtime_error "root CA key unavailable: ..." when ca/private/root.key is missing
/// (a root kept offline must be brought back for this), or naming the file that does not load.
pki::certificate_authority load_root_authority(const state_layout& layout, const ca_key_store& keys);

/// Stores `ca` as an issuing CA, not active: the key first (mode 0600, through `keys`: encrypted
/// when the storage says so; no file for a token key), then the certificate, so that no
/// certificate is ever without its key. Creates the directories.
/// @returns the CA's key id (pki::key_id_text of its SKI).
/// @throws std::runtime_error if the certificate has no SKI or a CA with that SKI exists.
std::string store_issuing_ca(const state_layout& layout, const ca_key_store& keys,
                             const pki::certificate_authority& ca);

/// Makes the stored issuing CA `key_id` the active one (replaces ca/issuing.pem atomically). The
/// previous one stays stored: retired. Runs migrate_legacy_issuing() first, so that the CA a
/// legacy issuing.pem named is not lost. iotregd signs with it after its next start.
/// @throws std::runtime_error "no issuing CA with SKI ..." if it is not stored, or when its key
///         is neither in its file nor the token's.
void activate_issuing_ca(const state_layout& layout, const ca_key_store& keys, std::string_view key_id);

/// With encrypted key files, encrypts every unencrypted CA key file (root.key, issuing.key of
/// the old layout, issuing/<ski>.key): the switch from key_storage = "file".
/// @returns the files rewritten. Blocking. @throws as ca_key_store::encrypt_if_plain.
std::vector<std::filesystem::path> encrypt_plain_ca_keys(const state_layout& layout,
                                                         const ca_key_store& keys);

/// An operator's key id ("AB:CD:..", "ab-cd-..", "abcd..", surrounding blanks allowed) in
/// pki::key_id_text form; nullopt unless it is one or more whole bytes of hex digits.
std::optional<std::string> parse_key_id(std::string_view text);

/// A subject CN for a new issuing CA that none of `ca` uses: `base` with its trailing number
/// incremented ("iotreg Issuing CA 1" -> "iotreg Issuing CA 2"), else `base` + " 2", counting on
/// until the name is free. Distinct names keep CRLs (matched by issuer name) apart.
std::string next_issuing_name(const ca_material& ca, const std::string& base);

}  // namespace iotreg::tools
