#include "pki/encrypted_key_file.hpp"

#include "pki/file_io.hpp"
#include "pki/ossl.hpp"

#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <stdexcept>
#include <string>
#include <system_error>

namespace iotreg::pki {

namespace {

using x509_sig_ptr = ossl_ptr<X509_SIG, X509_SIG_free>;
using p8_info_ptr = ossl_ptr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;

constexpr int salt_size = 16;

int passphrase_length(std::string_view passphrase) {
  if (passphrase.size() > 1024) throw std::invalid_argument("passphrase longer than 1024 bytes");
  return static_cast<int>(passphrase.size());
}

/// The file's text, wiped when it goes out of scope.
struct wiped_text {
  std::string text;
  ~wiped_text() { OPENSSL_cleanse(text.data(), text.size()); }
};

}  // namespace

key_file_kind probe_key_file(const std::filesystem::path& file) {
  const wiped_text content{read_file(file)};
  const std::string& t = content.text;
  const auto begin = t.find("-----BEGIN ");
  if (begin == std::string::npos) return key_file_kind::unknown;
  const auto label_start = begin + 11;
  const auto label_end = t.find("-----", label_start);
  if (label_end == std::string::npos) return key_file_kind::unknown;
  const std::string_view label(t.data() + label_start, label_end - label_start);
  if (label == "ENCRYPTED PRIVATE KEY") return key_file_kind::encrypted_pkcs8;
  if (label == "PRIVATE KEY" || label == "EC PRIVATE KEY" || label == "RSA PRIVATE KEY")
    return key_file_kind::plain;
  return key_file_kind::unknown;
}

void save_encrypted_key_file(const private_key& key, const std::filesystem::path& file,
                             std::string_view passphrase, unsigned iterations) {
  if (passphrase.empty()) throw std::invalid_argument("empty passphrase");
  if (iterations < 1000) throw std::invalid_argument("fewer than 1000 PBKDF2 iterations");
  if (!key.exportable())
    throw key_not_exportable("the private key lives in a hardware token and cannot be exported");

  const p8_info_ptr info(EVP_PKEY2PKCS8(key.native()));
  if (!info) throw_ossl("EVP_PKEY2PKCS8");
  // pbe_nid -1 with a cipher selects PBES2; OpenSSL 3 then uses PBKDF2 with hmacWithSHA256 and
  // draws the salt and the IV at random.
  const x509_sig_ptr sig(PKCS8_encrypt_ex(-1, EVP_aes_256_cbc(), passphrase.data(),
                                          passphrase_length(passphrase), nullptr, salt_size,
                                          static_cast<int>(iterations), info.get(), nullptr, nullptr));
  if (!sig) throw_ossl("PKCS8_encrypt_ex");
  const bio_ptr bio = make_write_bio();
  if (PEM_write_bio_PKCS8(bio.get(), sig.get()) != 1) throw_ossl("PEM_write_bio_PKCS8");
  write_file_atomic(file, bio_contents(bio.get()),
                    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

private_key load_encrypted_key_file(const std::filesystem::path& file, std::string_view passphrase,
                                    std::string_view passphrase_source) {
  const std::string name = "CA key " + file.string();
  std::string text;
  try {
    text = read_file(file);
  } catch (const std::system_error& e) {
    throw key_file_error(name + ": cannot read: " + e.code().message());
  } catch (const std::length_error&) {
    throw key_file_error(name + ": too large to be a key file");
  }
  const wiped_text content{std::move(text)};
  const bio_ptr bio = make_read_bio(content.text);
  const x509_sig_ptr sig(PEM_read_bio_PKCS8(bio.get(), nullptr, nullptr, nullptr));
  if (!sig) {
    clear_ossl_errors();
    throw key_file_error(
        name + ": not an encrypted PKCS#8 key (expected \"-----BEGIN ENCRYPTED PRIVATE KEY-----\")");
  }
  const p8_info_ptr info(
      PKCS8_decrypt_ex(sig.get(), passphrase.data(), passphrase_length(passphrase), nullptr, nullptr));
  if (!info) {
    // A wrong passphrase and a damaged file look the same to PBES2 (padding or DER check fails).
    clear_ossl_errors();
    throw key_file_error(name + ": cannot decrypt: wrong passphrase (read from " +
                         std::string(passphrase_source) + ") or damaged file");
  }
  evp_pkey_ptr k(EVP_PKCS82PKEY(info.get()));
  if (!k) {
    clear_ossl_errors();
    throw key_file_error(name + ": decrypted, but holds no usable private key");
  }
  return private_key(std::move(k));
}

}  // namespace iotreg::pki
