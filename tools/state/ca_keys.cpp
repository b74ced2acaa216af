#include "tools/state/ca_keys.hpp"

#include "pki/encrypted_key_file.hpp"
#include "pki/pkcs11_keygen.hpp"
#include "pki/secret_file.hpp"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace iotreg::tools {

namespace fs = std::filesystem;

namespace {

// Short passphrases are refused: the file is only as strong as its passphrase.
constexpr std::size_t min_passphrase_length = 8;

}  // namespace

fs::path locate_secret(const char* credential_name, const fs::path& file) {
  // As locate_kek: another unit's credentials may be there without ours, so the file decides.
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
    fs::path cred = fs::path(dir) / credential_name;
    std::error_code ec;
    if (fs::exists(cred, ec)) return cred;
  }
  return file;
}

ca_key_store::ca_key_store(const config::settings& s) : settings_(s) {
  const config::ca_settings& ca = settings_.ca;
  if (ca.key_storage != "pkcs11") return;
  const fs::path file = pin_file();
  const pki::secret_bytes pin = pki::read_secret_line(file, "PKCS#11 PIN");
  token_ = std::make_unique<pki::pkcs11_token>(ca.pkcs11_module, pin.view(), file.string());
}

fs::path ca_key_store::pin_file() const {
  fs::path file = locate_secret(pkcs11_pin_credential_name, settings_.ca.pkcs11_pin_file);
  if (file.empty()) {
    throw pki::secret_file_error(
        "[ca] key_storage = \"pkcs11\" needs the token's PIN: set [ca] pkcs11_pin_file, or give the "
        "systemd credential " +
        std::string(pkcs11_pin_credential_name));
  }
  return file;
}

std::string ca_key_store::token_uri_for(const pki::certificate& cert) const {
  const auto ski = cert.subject_key_id();
  if (!in_token(ca_role::issuing) || ski.empty()) return {};
  return pki::pkcs11_key_uri_for_id(settings_.ca.issuing_key_uri, ski);
}

std::optional<pki::private_key> ca_key_store::token_key_for(const pki::certificate& cert) const {
  const std::string uri = token_uri_for(cert);
  if (uri.empty()) return std::nullopt;
  try {
    return token_->load_private_key(uri);
  } catch (const pki::pkcs11_error&) {
    // libp11 says "object not found" (PKCS11_R_...); a wrong PIN would have failed the issuing
    // key already. Either way: no key under that id.
    return std::nullopt;
  }
}

pki::private_key ca_key_store::create_in_token(const std::string& label) const {
  if (!in_token(ca_role::issuing))
    throw std::logic_error("create_in_token without [ca] key_storage = \"pkcs11\" and issuing_key_uri");
  const auto token = pki::pkcs11_uri_attribute(settings_.ca.issuing_key_uri, "token");
  if (!token || token->empty()) {
    throw std::runtime_error(
        "[ca] issuing_key_uri names no token (token=<label>): iotregctl cannot tell "
        "in which token to make the new key pair");
  }
  const auto type = pki::key_type_from_name(settings_.ca.key_type);
  if (!type) throw std::runtime_error("ca.key_type: unknown key type '" + settings_.ca.key_type + "'");
  const fs::path file = pin_file();
  const auto ski = [&] {
    const pki::secret_bytes pin = pki::read_secret_line(file, "PKCS#11 PIN");
    return pki::pkcs11_generate_key_pair(settings_.ca.pkcs11_module, *token, pin.view(), *type, label);
  }();
  return token_->load_private_key(pki::pkcs11_key_uri_for_id(settings_.ca.issuing_key_uri, ski));
}

bool ca_key_store::in_token(ca_role role) const { return token_ != nullptr && !uri_of(role).empty(); }

std::optional<pki::private_key> ca_key_store::token_key(ca_role role) const {
  if (!in_token(role)) return std::nullopt;
  return token_->load_private_key(uri_of(role));
}

const std::string& ca_key_store::uri_of(ca_role role) const {
  return role == ca_role::root ? settings_.ca.root_key_uri : settings_.ca.issuing_key_uri;
}

bool ca_key_store::file_encrypted() const {
  const config::ca_settings& ca = settings_.ca;
  if (ca.key_storage == "encrypted-file") return true;
  return ca.key_storage == "pkcs11" &&
         !locate_secret(ca_passphrase_credential_name, ca.key_passphrase_file).empty();
}

std::string ca_key_store::describe_token(ca_role role) const { return "PKCS#11 key " + uri_of(role); }

std::string ca_key_store::describe_file(const fs::path& file) const {
  return std::string(file_encrypted() ? "encrypted file " : "file ") + file.string();
}

std::string ca_key_store::describe(ca_role role, const fs::path& file) const {
  return in_token(role) ? describe_token(role) : describe_file(file);
}

pki::secret_bytes ca_key_store::passphrase(fs::path& source) const {
  source = locate_secret(ca_passphrase_credential_name, settings_.ca.key_passphrase_file);
  if (source.empty()) {
    throw pki::secret_file_error(
        "encrypted CA key files need a passphrase: set [ca] key_passphrase_file, or give the systemd "
        "credential " +
        std::string(ca_passphrase_credential_name));
  }
  return pki::read_secret_line(source, "CA key passphrase", min_passphrase_length);
}

pki::private_key ca_key_store::load_file(const fs::path& file) const {
  if (!fs::exists(file)) {
    throw std::runtime_error(file.string() + " is missing: run `iotregctl --config FILE init` first");
  }
  const auto kind = pki::probe_key_file(file);
  if (file_encrypted()) {
    if (kind == pki::key_file_kind::plain) {
      throw pki::key_file_error("CA key " + file.string() +
                                " is not encrypted, but [ca] key_storage wants encrypted files: run "
                                "`iotregctl init` to encrypt it");
    }
    fs::path source;
    const pki::secret_bytes pass = passphrase(source);
    return pki::load_encrypted_key_file(file, pass.view(), source.string());
  }
  if (kind == pki::key_file_kind::encrypted_pkcs8) {
    throw pki::key_file_error("CA key " + file.string() +
                              " is encrypted: set [ca] key_storage = \"encrypted-file\" and the passphrase");
  }
  return pki::private_key::load_pem_file(file);
}

void ca_key_store::save_file(const pki::private_key& key, const fs::path& file) const {
  if (file_encrypted()) {
    fs::path source;
    const pki::secret_bytes pass = passphrase(source);
    pki::save_encrypted_key_file(key, file, pass.view());
  } else {
    key.save_pem_file(file);
  }
}

pki::private_key ca_key_store::create(ca_role role, const fs::path& file) const {
  if (auto key = token_key(role)) return std::move(*key);
  const auto type = pki::key_type_from_name(settings_.ca.key_type);
  if (!type) throw std::runtime_error("ca.key_type: unknown key type '" + settings_.ca.key_type + "'");
  auto key = pki::private_key::generate(*type);
  save_file(key, file);
  return key;
}

bool ca_key_store::encrypt_if_plain(const fs::path& file) const {
  if (!file_encrypted()) return false;
  if (!fs::exists(file) || pki::probe_key_file(file) != pki::key_file_kind::plain) return false;
  const auto key = pki::private_key::load_pem_file(file);
  fs::path source;
  const pki::secret_bytes pass = passphrase(source);
  // Atomic replacement: a crash leaves the plain or the encrypted file, never neither.
  pki::save_encrypted_key_file(key, file, pass.view());
  return true;
}

}  // namespace iotreg::tools
