#include "pki/est_encoding.hpp"

#include "pki/ossl.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <algorithm>
#include <stdexcept>

namespace iotreg::pki {
namespace {

using pkcs7_ptr = ossl_ptr<PKCS7, PKCS7_free>;
using asn1_object_ptr = ossl_ptr<ASN1_OBJECT, ASN1_OBJECT_free>;

/// A DER length: short form below 128, else the minimal long form (X.690 §8.1.3).
void append_length(std::vector<std::uint8_t>& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
    return;
  }
  std::vector<std::uint8_t> bytes;
  for (; n != 0; n >>= 8) bytes.insert(bytes.begin(), static_cast<std::uint8_t>(n & 0xff));
  out.push_back(static_cast<std::uint8_t>(0x80 | bytes.size()));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

std::vector<std::uint8_t> tlv(std::uint8_t tag, const std::vector<std::uint8_t>& content) {
  std::vector<std::uint8_t> out{tag};
  append_length(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

/// The DER OBJECT IDENTIFIER of dotted text; names ("prime256v1") are refused so that a typo
/// cannot silently pick another OID.
std::vector<std::uint8_t> oid_der(const std::string& dotted) {
  if (dotted.empty() || dotted.find_first_not_of("0123456789.") != std::string::npos)
    throw std::invalid_argument("not a dotted OID: " + dotted);
  asn1_object_ptr obj(OBJ_txt2obj(dotted.c_str(), 1));
  if (!obj) throw std::invalid_argument("not a dotted OID: " + dotted);
  return to_der(i2d_ASN1_OBJECT, obj.get());
}

}  // namespace

std::vector<std::uint8_t> certs_only_pkcs7(std::span<const certificate> certs) {
  if (certs.empty()) throw std::invalid_argument("certs_only_pkcs7: no certificate");
  clear_ossl_errors();
  pkcs7_ptr p7(PKCS7_new());
  if (!p7) throw_ossl("PKCS7_new");
  // PKCS7_set_type makes version 1 with empty digest algorithm and signerInfo sets;
  // PKCS7_content_new an id-data encapsulated content with an empty OCTET STRING, which is
  // dropped: a certs-only message has no eContent at all (RFC 5652 §5.2, RFC 5751 §3.6).
  if (PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1) throw_ossl("PKCS7_set_type");
  if (PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1) throw_ossl("PKCS7_content_new");
  PKCS7* inner = p7->d.sign->contents;
  ASN1_OCTET_STRING_free(inner->d.data);
  inner->d.data = nullptr;
  for (const auto& c : certs) {
    // PKCS7_add_certificate takes its own reference.
    if (PKCS7_add_certificate(p7.get(), c.native()) != 1) throw_ossl("PKCS7_add_certificate");
  }
  return to_der(i2d_PKCS7, p7.get());
}

std::vector<certificate> certificates_from_pkcs7(std::span<const std::uint8_t> der) {
  clear_ossl_errors();
  const unsigned char* p = der.data();
  pkcs7_ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!p7 || p != der.data() + der.size()) throw_ossl("not a DER PKCS#7");
  if (OBJ_obj2nid(p7->type) != NID_pkcs7_signed || p7->d.sign == nullptr) throw_ossl("not a SignedData");
  std::vector<certificate> out;
  const STACK_OF(X509)* certs = p7->d.sign->cert;
  for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
    X509* x = sk_X509_value(certs, i);
    if (X509_up_ref(x) != 1) throw_ossl("X509_up_ref");
    out.emplace_back(x509_ptr(x));
  }
  return out;
}

std::vector<std::uint8_t> encode_csr_attrs(std::span<const csr_attr> attrs) {
  clear_ossl_errors();
  std::vector<std::uint8_t> content;
  for (const auto& a : attrs) {
    auto oid = oid_der(a.oid);
    if (a.values.empty()) {
      content.insert(content.end(), oid.begin(), oid.end());
      continue;
    }
    // Attribute ::= SEQUENCE { type OID, values SET OF ANY }: DER sorts a SET OF by encoding.
    std::vector<std::vector<std::uint8_t>> values;
    for (const auto& v : a.values) values.push_back(oid_der(v));
    std::sort(values.begin(), values.end());
    std::vector<std::uint8_t> set;
    for (const auto& v : values) set.insert(set.end(), v.begin(), v.end());
    auto seq = oid;
    const auto s = tlv(0x31, set);
    seq.insert(seq.end(), s.begin(), s.end());
    const auto attr = tlv(0x30, seq);
    content.insert(content.end(), attr.begin(), attr.end());
  }
  return tlv(0x30, content);
}

std::string pem_from_der(std::string_view label, std::span<const std::uint8_t> der) {
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (std::size_t i = 0; i < der.size(); i += 48) {
    const auto n = std::min<std::size_t>(48, der.size() - i);
    char line[65];  // 48 bytes -> 64 characters and a NUL
    const int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(line), der.data() + i, static_cast<int>(n));
    out.append(line, static_cast<std::size_t>(len));
    out += '\n';
  }
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

bool same_subject(const csr& req, const certificate& cert) {
  const X509_NAME* a = X509_REQ_get_subject_name(req.native());
  const X509_NAME* b = X509_get_subject_name(cert.native());
  return a != nullptr && b != nullptr && X509_NAME_cmp(a, b) == 0;
}

}  // namespace iotreg::pki
