#include "tools/state/ca_keys.hpp"

#include "pki/encrypted_key_file.hpp"
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

ca_key_store::ca_key_store(const config::settings& s, const state_layout& layout)
    : ca_(s.ca), root_file_(layout.root_key), issuing_file_(layout.issuing_key) {
  if (ca_.key_storage != "pkcs11") return;
  const fs::path pin_file = locate_secret(pkcs11_pin_credential_name, ca_.pkcs11_pin_file);
  if (pin_file.empty()) {
    throw pki::secret_file_error(
        "[ca] key_storage = \"pkcs11\" needs the token's PIN: set [ca] pkcs11_pin_file, or give the "
        "systemd credential " +
        std::string(pkcs11_pin_credential_name));
  }
  const pki::secret_bytes pin = pki::read_secret_line(pin_file, "PKCS#11 PIN");
  token_ = std::make_unique<pki::pkcs11_token>(ca_.pkcs11_module, pin.view(), pin_file.string());
}

bool ca_key_store::in_token(ca_role role) const { return token_ != nullptr && !uri_of(role).empty(); }

const fs::path& ca_key_store::file_of(ca_role role) const {
  return role == ca_role::root ? root_file_ : issuing_file_;
}

const std::string& ca_key_store::uri_of(ca_role role) const {
  return role == ca_role::root ? ca_.root_key_uri : ca_.issuing_key_uri;
}

bool ca_key_store::file_encrypted() const {
  if (ca_.key_storage == "encrypted-file") return true;
  return ca_.key_storage == "pkcs11" &&
         !locate_secret(ca_passphrase_credential_name, ca_.key_passphrase_file).empty();
}

std::string ca_key_store::describe(ca_role role) const {
  if (in_token(role)) return "PKCS#11 key " + uri_of(role);
  return std::string(file_encrypted() ? "encrypted file " : "file ") + file_of(role).string();
}

pki::secret_bytes ca_key_store::passphrase(fs::path& source) const {
  source = locate_secret(ca_passphrase_credential_name, ca_.key_passphrase_file);
  if (source.empty()) {
    throw pki::secret_file_error(
        "encrypted CA key files need a passphrase: set [ca] key_passphrase_file, or give the systemd "
        "credential " +
        std::string(ca_passphrase_credential_name));
  }
  return pki::read_secret_line(source, "CA key passphrase", min_passphrase_length);
}

pki::private_key ca_key_store::load(ca_role role) const {
  if (in_token(role)) return token_->load_private_key(uri_of(role));
  const fs::path& file = file_of(role);
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

pki::private_key ca_key_store::create(ca_role role) const {
  if (in_token(role)) return load(role);
  auto key = pki::private_key::generate_p256();
  if (file_encrypted()) {
    fs::path source;
    const pki::secret_bytes pass = passphrase(source);
    pki::save_encrypted_key_file(key, file_of(role), pass.view());
  } else {
    key.save_pem_file(file_of(role));
  }
  return key;
}

bool ca_key_store::encrypt_if_plain(ca_role role) const {
  if (in_token(role) || !file_encrypted()) return false;
  const fs::path& file = file_of(role);
  if (!fs::exists(file) || pki::probe_key_file(file) != pki::key_file_kind::plain) return false;
  const auto key = pki::private_key::load_pem_file(file);
  fs::path source;
  const pki::secret_bytes pass = passphrase(source);
  // Atomic replacement: a crash leaves the plain or the encrypted file, never neither.
  pki::save_encrypted_key_file(key, file, pass.view());
  return true;
}

ca_material load_ca_material(const state_layout& layout, const ca_key_store& keys) {
  for (const auto& p : {layout.root_cert, layout.issuing_cert}) {
    if (!fs::exists(p))
      throw std::runtime_error(p.string() + " is missing: run `iotregctl --config FILE init` first");
  }
  auto cert = pki::certificate::load_pem_file(layout.issuing_cert);
  auto key = keys.load(ca_role::issuing);
  if (X509_check_private_key(cert.native(), key.native()) != 1) {
    pki::clear_ossl_errors();
    throw std::runtime_error("the issuing CA key (" + keys.describe(ca_role::issuing) +
                             ") does not belong to the certificate " + layout.issuing_cert.string());
  }
  return ca_material{pki::certificate_authority{std::move(cert), std::move(key)},
                     pki::certificate::load_pem_file(layout.root_cert)};
}

}  // namespace iotreg::tools
