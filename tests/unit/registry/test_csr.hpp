#pragma once
// A PEM CSR with an empty subject for a key: what the use-case tests enroll with (the device id
// travels beside the CSR in the request).

#include "pki/key.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

namespace iotreg::registry::testing {

inline std::string csr_pem(const pki::private_key& key) {
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_version(req, 0);
  X509_REQ_set_pubkey(req, key.native());
  X509_REQ_sign(req, key.native(), EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  X509_REQ_free(req);
  return pem;
}

}  // namespace iotreg::registry::testing
