#pragma once
// Helpers for the pki unit tests: build CSRs and PEM text with plain OpenSSL calls.

#include "pki/key.hpp"
#include "pki/ossl.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iotreg::pki::test {

struct csr_spec {
  std::string common_name = "device";
  const EVP_MD* md = nullptr;          // nullptr: SHA-256 (no digest for Ed25519 / Ed448)
  bool request_ca_extensions = false;  // asks for CA:TRUE and a foreign SAN
  // More requested extensions, as OpenSSL config values: {NID_key_usage, "critical,keyCertSign"}.
  std::vector<std::pair<int, std::string>> extensions;
  long version = 0;  // X509_REQ_VERSION_1; other values make an invalid request
};

/// DER PKCS#10 request for `key` signed with it.
std::vector<std::uint8_t> make_csr_der(EVP_PKEY* key, const csr_spec& spec = {});

/// PEM text with `label` around `der` (64-column base64).
std::string to_pem(std::string_view label, const std::vector<std::uint8_t>& der);

/// PEM CSR for `key`.
std::string make_csr_pem(EVP_PKEY* key, const csr_spec& spec = {});

/// A key of any OpenSSL type via EVP_PKEY_Q_keygen-like parameters.
evp_pkey_ptr make_ec_key(const char* curve);
evp_pkey_ptr make_rsa_key(unsigned bits);
evp_pkey_ptr make_raw_key(const char* type);  // "ED25519", "ED448"

/// A fresh temporary directory, removed by the destructor.
class temp_dir {
 public:
  temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace iotreg::pki::test
