#pragma once
// OpenSSL glue for the pki module: RAII owners for every handle type we use, and the one place where
// OpenSSL failures become exceptions (STYLE.md §4.5, §6). Include this instead of raw OpenSSL headers.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::pki {

/// An environmental OpenSSL failure (allocation, provider or library fault, unreadable input that
/// the caller vouched for). Its message carries the drained OpenSSL error queue.
class ossl_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws ossl_error with message "<what>: <queue entries, oldest first>", emptying this thread's
/// OpenSSL error queue so that stale entries never leak into a later message.
[[noreturn]] void throw_ossl(const char* what);

/// Empties this thread's OpenSSL error queue. Call after an *expected* OpenSSL failure that is
/// reported as a value (bad CSR), so its entries are not blamed on a later, unrelated call.
void clear_ossl_errors() noexcept;

/// Deleter that calls an OpenSSL free function; `ossl_ptr<X509, X509_free>` owns an X509.
template <auto FreeFn>
struct ossl_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};

template <class T, auto FreeFn>
using ossl_ptr = std::unique_ptr<T, ossl_deleter<FreeFn>>;

/// OPENSSL_free is a macro; this gives it an address.
inline void ossl_free_bytes(unsigned char* p) noexcept { OPENSSL_free(p); }
inline void ossl_free_chars(char* p) noexcept { OPENSSL_free(p); }

using bio_ptr = ossl_ptr<BIO, BIO_free_all>;
using bignum_ptr = ossl_ptr<BIGNUM, BN_free>;
using evp_pkey_ptr = ossl_ptr<EVP_PKEY, EVP_PKEY_free>;
using evp_pkey_ctx_ptr = ossl_ptr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using x509_ptr = ossl_ptr<X509, X509_free>;
using x509_req_ptr = ossl_ptr<X509_REQ, X509_REQ_free>;
using x509_name_ptr = ossl_ptr<X509_NAME, X509_NAME_free>;
using x509_store_ptr = ossl_ptr<X509_STORE, X509_STORE_free>;
using x509_store_ctx_ptr = ossl_ptr<X509_STORE_CTX, X509_STORE_CTX_free>;
using asn1_integer_ptr = ossl_ptr<ASN1_INTEGER, ASN1_INTEGER_free>;
using asn1_octet_string_ptr = ossl_ptr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using asn1_bit_string_ptr = ossl_ptr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using asn1_string_ptr = ossl_ptr<ASN1_STRING, ASN1_STRING_free>;
using basic_constraints_ptr = ossl_ptr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;
using authority_keyid_ptr = ossl_ptr<AUTHORITY_KEYID, AUTHORITY_KEYID_free>;
using extended_key_usage_ptr = ossl_ptr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;
using general_name_ptr = ossl_ptr<GENERAL_NAME, GENERAL_NAME_free>;
using general_names_ptr = ossl_ptr<GENERAL_NAMES, GENERAL_NAMES_free>;
using ossl_bytes_ptr = ossl_ptr<unsigned char, ossl_free_bytes>;
using ossl_chars_ptr = ossl_ptr<char, ossl_free_chars>;

/// A read-only memory BIO over `data`, which must outlive it. Throws ossl_error (or
/// std::length_error past INT_MAX bytes).
bio_ptr make_read_bio(std::string_view data);

/// An empty, growable memory BIO. Throws ossl_error.
bio_ptr make_write_bio();

/// Everything written to a memory BIO, as a string.
std::string bio_contents(BIO* bio);

/// DER-encodes `obj` with an OpenSSL i2d function (`i2d_X509`, `i2d_PUBKEY`, ...).
/// Throws ossl_error if encoding fails.
template <class T, class I2d>
std::vector<std::uint8_t> to_der(I2d i2d, T* obj) {
  const int len = i2d(obj, nullptr);
  if (len <= 0) throw_ossl("DER encoding");
  std::vector<std::uint8_t> out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d(obj, &p) != len) throw_ossl("DER encoding");
  return out;
}

}  // namespace iotreg::pki
