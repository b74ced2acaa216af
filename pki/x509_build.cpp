#include "pki/x509_build.hpp"

#include "pki/digest.hpp"
#include "pki/issuance_urls.hpp"
#include "pki/key.hpp"

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <utility>

namespace iotreg::pki::detail {
namespace {

void add_extension(X509* x, int nid, void* value, bool critical, const char* what) {
  if (X509_add1_ext_i2d(x, nid, value, critical ? 1 : 0, X509V3_ADD_REPLACE) != 1) throw_ossl(what);
}

void set_time(ASN1_TIME* field, time_point t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  // ASN1_TIME_set picks UTCTime up to 2049 and GeneralizedTime from 2050, as RFC 5280 requires.
  if (ASN1_TIME_set(field, static_cast<time_t>(secs)) == nullptr) throw_ossl("ASN1_TIME_set");
}

asn1_octet_string_ptr octet_string(std::span<const std::uint8_t> bytes) {
  asn1_octet_string_ptr s(ASN1_OCTET_STRING_new());
  if (!s || ASN1_OCTET_STRING_set(s.get(), bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw_ossl("ASN1_OCTET_STRING_set");
  }
  return s;
}

void push_name(GENERAL_NAMES* names, general_name_ptr name) {
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) throw_ossl("sk_GENERAL_NAME_push");
  static_cast<void>(name.release());  // now owned by the stack
}

// A GeneralName uniformResourceIdentifier (IA5String); the URL is checked first because it ends
// up in every certificate and must never carry a space, a quote or a control character.
general_name_ptr uri_name(std::string_view url) {
  if (!is_certificate_url(url))
    throw std::invalid_argument("not a usable certificate URL: '" + std::string(url) + "'");
  general_name_ptr gn(GENERAL_NAME_new());
  asn1_string_ptr ia5(ASN1_IA5STRING_new());
  if (!gn || !ia5 || ASN1_STRING_set(ia5.get(), url.data(), static_cast<int>(url.size())) != 1) {
    throw_ossl("uniformResourceIdentifier");
  }
  GENERAL_NAME_set0_value(gn.get(), GEN_URI, ia5.release());
  return gn;
}

using crl_dist_points_ptr = ossl_ptr<CRL_DIST_POINTS, CRL_DIST_POINTS_free>;
using dist_point_ptr = ossl_ptr<DIST_POINT, DIST_POINT_free>;
using authority_info_access_ptr = ossl_ptr<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free>;
using access_description_ptr = ossl_ptr<ACCESS_DESCRIPTION, ACCESS_DESCRIPTION_free>;

}  // namespace

x509_name_ptr make_name(std::string_view common_name, std::string_view organisation) {
  x509_name_ptr name(X509_NAME_new());
  if (!name) throw_ossl("X509_NAME_new");
  const auto add = [&](const char* field, std::string_view value) {
    if (value.empty()) return;
    if (value.size() > INT_MAX ||
        X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      throw_ossl("cannot add name attribute");
    }
  };
  add("O", organisation);
  add("CN", common_name);
  return name;
}

asn1_integer_ptr random_serial() {
  std::vector<std::uint8_t> bytes;
  do {
    bytes = random_bytes(16);
    bytes[0] &= 0x7f;  // positive, and DER needs no 0x00 pad byte
  } while (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; }));
  const bignum_ptr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn) throw_ossl("BN_bin2bn");
  asn1_integer_ptr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) throw_ossl("BN_to_ASN1_INTEGER");
  return serial;
}

x509_ptr new_certificate(const X509_NAME* subject, const X509_NAME* issuer, EVP_PKEY* subject_key,
                         time_point not_before, time_point not_after) {
  x509_ptr x(X509_new());
  if (!x) throw_ossl("X509_new");
  const asn1_integer_ptr serial = random_serial();
  if (X509_set_version(x.get(), X509_VERSION_3) != 1 || X509_set_serialNumber(x.get(), serial.get()) != 1 ||
      X509_set_subject_name(x.get(), subject) != 1 || X509_set_issuer_name(x.get(), issuer) != 1 ||
      X509_set_pubkey(x.get(), subject_key) != 1) {
    throw_ossl("cannot fill certificate");
  }
  set_time(X509_getm_notBefore(x.get()), not_before);
  set_time(X509_getm_notAfter(x.get()), not_after);
  return x;
}

void add_basic_constraints(X509* x, bool ca, std::optional<long> pathlen) {
  const basic_constraints_ptr bc(BASIC_CONSTRAINTS_new());
  if (!bc) throw_ossl("BASIC_CONSTRAINTS_new");
  bc->ca = ca ? 0xff : 0;  // DER BOOLEAN TRUE; FALSE is the DEFAULT and is omitted
  if (ca && pathlen) {
    bc->pathlen = ASN1_INTEGER_new();
    if (bc->pathlen == nullptr || ASN1_INTEGER_set(bc->pathlen, *pathlen) != 1)
      throw_ossl("ASN1_INTEGER_set");
  }
  add_extension(x, NID_basic_constraints, bc.get(), true, "basicConstraints");
}

void add_key_usage(X509* x, std::initializer_list<int> bits) {
  const asn1_bit_string_ptr ku(ASN1_BIT_STRING_new());
  if (!ku) throw_ossl("ASN1_BIT_STRING_new");
  for (const int bit : bits) {
    if (ASN1_BIT_STRING_set_bit(ku.get(), bit, 1) != 1) throw_ossl("ASN1_BIT_STRING_set_bit");
  }
  add_extension(x, NID_key_usage, ku.get(), true, "keyUsage");
}

void add_extended_key_usage(X509* x, std::initializer_list<int> nids) {
  const extended_key_usage_ptr eku(sk_ASN1_OBJECT_new_null());
  if (!eku) throw_ossl("sk_ASN1_OBJECT_new_null");
  for (const int nid : nids) {
    ASN1_OBJECT* obj = OBJ_nid2obj(nid);  // static object: freeing it is a no-op
    if (obj == nullptr || sk_ASN1_OBJECT_push(eku.get(), obj) <= 0) throw_ossl("extendedKeyUsage");
  }
  add_extension(x, NID_ext_key_usage, eku.get(), false, "extendedKeyUsage");
}

std::vector<std::uint8_t> add_subject_key_id(X509* x) {
  const unsigned char* pk = nullptr;
  int pk_len = 0;
  if (X509_PUBKEY_get0_param(nullptr, &pk, &pk_len, nullptr, X509_get_X509_PUBKEY(x)) != 1) {
    throw_ossl("X509_PUBKEY_get0_param");
  }
  const auto id = sha1({pk, static_cast<std::size_t>(pk_len)});
  const asn1_octet_string_ptr ski = octet_string(id);
  add_extension(x, NID_subject_key_identifier, ski.get(), false, "subjectKeyIdentifier");
  return {id.begin(), id.end()};
}

void add_authority_key_id(X509* x, std::span<const std::uint8_t> issuer_key_id) {
  if (issuer_key_id.empty()) throw std::invalid_argument("issuer certificate has no subjectKeyIdentifier");
  const authority_keyid_ptr akid(AUTHORITY_KEYID_new());
  if (!akid) throw_ossl("AUTHORITY_KEYID_new");
  akid->keyid = octet_string(issuer_key_id).release();
  add_extension(x, NID_authority_key_identifier, akid.get(), false, "authorityKeyIdentifier");
}

void add_subject_alt_names(X509* x, const std::vector<std::string>& dns_names,
                           const std::vector<std::string>& ip_addresses, bool critical) {
  const general_names_ptr names(GENERAL_NAMES_new());
  if (!names) throw_ossl("GENERAL_NAMES_new");
  for (const std::string& dns : dns_names) {
    general_name_ptr gn(GENERAL_NAME_new());
    asn1_string_ptr ia5(ASN1_IA5STRING_new());
    if (!gn || !ia5 || ASN1_STRING_set(ia5.get(), dns.data(), static_cast<int>(dns.size())) != 1) {
      throw_ossl("dNSName");
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_DNS, ia5.release());
    push_name(names.get(), std::move(gn));
  }
  for (const std::string& ip : ip_addresses) {
    asn1_octet_string_ptr octets(a2i_IPADDRESS(ip.c_str()));
    if (!octets) {
      clear_ossl_errors();
      throw std::invalid_argument("not an IP address: " + ip);
    }
    general_name_ptr gn(GENERAL_NAME_new());
    if (!gn) throw_ossl("GENERAL_NAME_new");
    GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, octets.release());
    push_name(names.get(), std::move(gn));
  }
  add_extension(x, NID_subject_alt_name, names.get(), critical, "subjectAltName");
}

void add_crl_distribution_point(X509* x, std::string_view url) {
  const crl_dist_points_ptr points(sk_DIST_POINT_new_null());
  dist_point_ptr point(DIST_POINT_new());
  if (!points || !point) throw_ossl("DIST_POINT_new");
  point->distpoint = DIST_POINT_NAME_new();
  if (point->distpoint == nullptr) throw_ossl("DIST_POINT_NAME_new");
  point->distpoint->type = 0;  // fullName
  point->distpoint->name.fullname = GENERAL_NAMES_new();
  if (point->distpoint->name.fullname == nullptr) throw_ossl("GENERAL_NAMES_new");
  push_name(point->distpoint->name.fullname, uri_name(url));
  if (sk_DIST_POINT_push(points.get(), point.get()) <= 0) throw_ossl("sk_DIST_POINT_push");
  static_cast<void>(point.release());  // now owned by the stack
  add_extension(x, NID_crl_distribution_points, points.get(), false, "cRLDistributionPoints");
}

void add_authority_info_access(X509* x, std::string_view ocsp_url, std::string_view ca_issuers_url) {
  const authority_info_access_ptr aia(sk_ACCESS_DESCRIPTION_new_null());
  if (!aia) throw_ossl("sk_ACCESS_DESCRIPTION_new_null");
  for (const auto& [nid, url] :
       {std::pair{NID_ad_OCSP, ocsp_url}, std::pair{NID_ad_ca_issuers, ca_issuers_url}}) {
    access_description_ptr ad(ACCESS_DESCRIPTION_new());
    if (!ad) throw_ossl("ACCESS_DESCRIPTION_new");
    ASN1_OBJECT_free(ad->method);
    ad->method = OBJ_nid2obj(nid);  // static object
    GENERAL_NAME_free(ad->location);
    ad->location = uri_name(url).release();
    if (sk_ACCESS_DESCRIPTION_push(aia.get(), ad.get()) <= 0) throw_ossl("sk_ACCESS_DESCRIPTION_push");
    static_cast<void>(ad.release());
  }
  add_extension(x, NID_info_access, aia.get(), false, "authorityInfoAccess");
}

certificate sign(x509_ptr x, EVP_PKEY* key) {
  const EVP_MD* md = EVP_sha256();
  const std::string kind = describe_key(key);
  if (kind == "Ed25519" || kind == "Ed448") {
    md = nullptr;
  } else if (kind == "EC P-384") {
    md = EVP_sha384();
  } else if (kind == "EC P-521") {
    md = EVP_sha512();
  }
  if (X509_sign(x.get(), key, md) <= 0) throw_ossl("X509_sign");
  return certificate::from_der(to_der(i2d_X509, x.get()));
}

}  // namespace iotreg::pki::detail
