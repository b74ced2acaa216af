#include "pki/client_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/x509v3.h>

#include <cstdint>

namespace iotreg::pki {

std::string client_certificate_problem(const certificate& cert, time_point now) {
  if (now < cert.not_before()) return "the certificate is not valid yet (notBefore is in the future)";
  if (now >= cert.not_after()) return "the certificate has expired (notAfter is in the past)";
  X509* x = cert.native();
  // Both return UINT32_MAX when the extension is absent (and cache the decoded extensions).
  const std::uint32_t ku = X509_get_key_usage(x);
  if (ku != UINT32_MAX && (ku & KU_DIGITAL_SIGNATURE) == 0)
    return "the certificate's keyUsage lacks digitalSignature";
  const std::uint32_t xku = X509_get_extended_key_usage(x);
  if (xku != UINT32_MAX && (xku & (XKU_SSL_CLIENT | XKU_ANYEKU)) == 0)
    return "the certificate's extendedKeyUsage lacks clientAuth";
  return {};
}

std::string subject_text(const certificate& cert) {
  const bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) throw_ossl("BIO_new");
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert.native()), 0,
                         XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
    throw_ossl("X509_NAME_print_ex");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string{};
}

}  // namespace iotreg::pki
