#include "pki/key.hpp"

#include "pki/file_io.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <array>
#include <stdexcept>
#include <utility>

namespace iotreg::pki {
namespace {

// Refuses to prompt: an encrypted PEM key must fail, not block on a terminal.
int no_passphrase(char*, int, int, void*) { return -1; }

evp_pkey_ptr keygen(key_type t) {
  switch (t) {
    case key_type::ec_p256: return evp_pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    case key_type::ec_p384: return evp_pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
    case key_type::ed25519: return evp_pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    case key_type::rsa2048:
      return evp_pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
    case key_type::rsa3072:
      return evp_pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(3072)));
    case key_type::rsa4096:
      return evp_pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(4096)));
  }
  throw std::invalid_argument("unknown key_type");
}

constexpr std::array<std::pair<key_type, std::string_view>, 6> key_type_names{{
    {key_type::ec_p256, "ec-p256"},
    {key_type::ec_p384, "ec-p384"},
    {key_type::ed25519, "ed25519"},
    {key_type::rsa2048, "rsa2048"},
    {key_type::rsa3072, "rsa3072"},
    {key_type::rsa4096, "rsa4096"},
}};

}  // namespace

std::string_view key_type_name(key_type t) noexcept {
  for (const auto& [type, name] : key_type_names) {
    if (type == t) return name;
  }
  return "unknown";
}

std::optional<key_type> key_type_from_name(std::string_view name) noexcept {
  for (const auto& [type, n] : key_type_names) {
    if (n == name) return type;
  }
  return std::nullopt;
}

std::string describe_key(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_RSA_PSS: return "RSA-PSS " + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_ED448: return "Ed448";
    case EVP_PKEY_EC: {
      std::array<char, 80> name{};
      std::size_t len = 0;
      if (EVP_PKEY_get_group_name(key, name.data(), name.size(), &len) != 1) {
        clear_ossl_errors();
        return "EC (explicit parameters)";
      }
      const std::string_view n(name.data(), len);
      if (n == "prime256v1" || n == "P-256") return "EC P-256";
      if (n == "secp384r1" || n == "P-384") return "EC P-384";
      if (n == "secp521r1" || n == "P-521") return "EC P-521";
      return "EC " + std::string(n);
    }
    default: {
      const char* n = EVP_PKEY_get0_type_name(key);
      return n != nullptr ? n : "unknown";
    }
  }
}

private_key::private_key(evp_pkey_ptr key) : key_(std::move(key)) {
  if (!key_) throw std::invalid_argument("private_key: null EVP_PKEY");
}

private_key private_key::in_token(evp_pkey_ptr key) {
  private_key k(std::move(key));
  k.exportable_ = false;
  return k;
}

private_key private_key::generate_p256() { return generate(key_type::ec_p256); }

private_key private_key::generate(key_type t) {
  evp_pkey_ptr k = keygen(t);
  if (!k) throw_ossl("key generation");
  return private_key(std::move(k));
}

private_key private_key::from_pem(std::string_view pem) {
  const bio_ptr bio = make_read_bio(pem);
  evp_pkey_ptr k(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!k) throw_ossl("cannot parse PEM private key");
  return private_key(std::move(k));
}

private_key private_key::load_pem_file(const std::filesystem::path& p) {
  std::string pem = read_file(p);
  try {
    private_key k = from_pem(pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    return k;
  } catch (...) {
    OPENSSL_cleanse(pem.data(), pem.size());
    throw;
  }
}

void private_key::save_pem_file(const std::filesystem::path& p) const {
  std::string text = pem();
  try {
    write_file_atomic(p, text, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  } catch (...) {
    OPENSSL_cleanse(text.data(), text.size());
    throw;
  }
  OPENSSL_cleanse(text.data(), text.size());
}

std::string private_key::pem() const {
  if (!exportable_)
    throw key_not_exportable("the private key lives in a hardware token and cannot be exported");
  // Secure-heap BIO: its buffer is cleansed when freed.
  bio_ptr bio(BIO_new(BIO_s_secmem()));
  if (!bio) throw_ossl("BIO_new");
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw_ossl("PEM_write_bio_PKCS8PrivateKey");
  }
  return bio_contents(bio.get());
}

std::vector<std::uint8_t> private_key::spki_der() const { return to_der(i2d_PUBKEY, key_.get()); }

}  // namespace iotreg::pki
