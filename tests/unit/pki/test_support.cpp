#include "test_support.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <utility>

namespace iotreg::pki::test {
namespace {
void free_extension_stack(STACK_OF(X509_EXTENSION) * s) noexcept {
  sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}
}  // namespace

std::vector<std::uint8_t> make_csr_der(EVP_PKEY* key, const csr_spec& spec) {
  x509_req_ptr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1) throw_ossl("X509_REQ_new");
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1,
                                 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key) != 1) {
    throw_ossl("CSR fill");
  }
  std::vector<std::pair<int, std::string>> wanted = spec.extensions;
  if (spec.request_ca_extensions) {
    wanted.emplace_back(NID_basic_constraints, "critical,CA:TRUE");
    wanted.emplace_back(NID_subject_alt_name, "DNS:evil.example");
  }
  if (!wanted.empty()) {
    ossl_ptr<STACK_OF(X509_EXTENSION), free_extension_stack> exts(sk_X509_EXTENSION_new_null());
    for (const auto& [nid, value] : wanted) {
      X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, nullptr, nid, value.c_str());
      if (e == nullptr || sk_X509_EXTENSION_push(exts.get(), e) <= 0) throw_ossl("CSR extensions");
    }
    if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) throw_ossl("X509_REQ_add_extensions");
  }
  if (spec.version != X509_REQ_VERSION_1 && X509_REQ_set_version(req.get(), spec.version) != 1)
    throw_ossl("X509_REQ_set_version");
  const EVP_MD* md = spec.md;
  const int id = EVP_PKEY_get_base_id(key);
  if (md == nullptr && id != EVP_PKEY_ED25519 && id != EVP_PKEY_ED448) md = EVP_sha256();
  if (X509_REQ_sign(req.get(), key, md) <= 0) throw_ossl("X509_REQ_sign");
  return to_der(i2d_X509_REQ, req.get());
}

std::string to_pem(std::string_view label, const std::vector<std::uint8_t>& der) {
  const bio_ptr bio = make_write_bio();
  const std::string name(label);
  if (PEM_write_bio(bio.get(), name.c_str(), "", der.data(), static_cast<long>(der.size())) <= 0) {
    throw_ossl("PEM_write_bio");
  }
  return bio_contents(bio.get());
}

std::string make_csr_pem(EVP_PKEY* key, const csr_spec& spec) {
  return to_pem("CERTIFICATE REQUEST", make_csr_der(key, spec));
}

evp_pkey_ptr make_ec_key(const char* curve) {
  evp_pkey_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  if (!k) throw_ossl("EC keygen");
  return k;
}

evp_pkey_ptr make_rsa_key(unsigned bits) {
  evp_pkey_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  if (!k) throw_ossl("RSA keygen");
  return k;
}

evp_pkey_ptr make_raw_key(const char* type) {
  evp_pkey_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, type));
  if (!k) throw_ossl("keygen");
  return k;
}

temp_dir::temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "iotreg-pki-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace iotreg::pki::test
