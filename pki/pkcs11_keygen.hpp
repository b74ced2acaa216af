#pragma once
// New key pairs made inside a PKCS#11 token (C_GenerateKeyPair), for `iotregctl ca create|rotate`
// with [ca] key_storage = "pkcs11". OpenSSL's pkcs11 engine (pkcs11.hpp) only loads keys, so
// this calls the module itself through the standard PKCS#11 interface (p11-kit's pkcs11.h).
//
// The key pair gets CKA_ID = its subjectKeyIdentifier (SHA-1 of the public key bits, RFC 5280
// §4.2.1.2 method 1, what pki/x509_build.cpp puts in certificates): the URI of a CA's token key
// is then derived from its certificate (pkcs11_key_uri_for_id), no record of it is kept.

#include "pki/key.hpp"
#include "pki/pkcs11.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::pki {

/// The value of attribute `name` ("token", "object", ...) of the path of a PKCS#11 URI (RFC 7512
/// §2.3), percent-decoded; nullopt if absent.
std::optional<std::string> pkcs11_uri_attribute(std::string_view uri, std::string_view name);

/// `uri` with its object-naming attributes (object, id, type) replaced by id=<`id`
/// percent-encoded>;type=private: the token stays the one `uri` names.
std::string pkcs11_key_uri_for_id(std::string_view uri, std::span<const std::uint8_t> id);

/// Generates a key pair of `type` (EC P-256/P-384 or RSA; not Ed25519) in the token labelled
/// `token_label` of `module`: both halves token objects labelled `label`; the private half
/// sensitive, never extractable, for signing only. Logs in with `pin` (wiped copy). Leaves the
/// module as it found it (finalised unless the process had it initialised already, e.g. by the
/// engine). Blocking. @returns the key pair's CKA_ID, its subjectKeyIdentifier.
/// @throws pkcs11_error naming the module, the token and the failing call (never the PIN);
///         std::invalid_argument for Ed25519.
std::vector<std::uint8_t> pkcs11_generate_key_pair(const std::filesystem::path& module,
                                                   std::string_view token_label, std::string_view pin,
                                                   key_type type, std::string_view label);

}  // namespace iotreg::pki
