#include "pki/crl.hpp"

#include "pki/signature_digest.hpp"

#include <openssl/x509.h>

#include <ctime>
#include <stdexcept>

namespace iotreg::pki {
namespace {

using x509_crl_ptr = ossl_ptr<X509_CRL, X509_CRL_free>;
using x509_revoked_ptr = ossl_ptr<X509_REVOKED, X509_REVOKED_free>;
using asn1_time_ptr = ossl_ptr<ASN1_TIME, ASN1_TIME_free>;
using asn1_enumerated_ptr = ossl_ptr<ASN1_ENUMERATED, ASN1_ENUMERATED_free>;

asn1_time_ptr make_time(time_point t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  // UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 §5.1.2.4).
  asn1_time_ptr out(ASN1_TIME_set(nullptr, static_cast<time_t>(secs)));
  if (!out) throw_ossl("ASN1_TIME_set");
  return out;
}

time_point to_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) throw_ossl("CRL time");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

asn1_integer_ptr serial_from_hex(const std::string& hex) {
  if (hex.empty() || hex.size() > 40 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    throw std::invalid_argument("CRL entry: serial is not 1..40 hex digits");
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0) throw_ossl("BN_hex2bn");
  const bignum_ptr bn(raw);
  asn1_integer_ptr out(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!out) throw_ossl("BN_to_ASN1_INTEGER");
  return out;
}

x509_revoked_ptr make_entry(const crl_entry& e) {
  x509_revoked_ptr r(X509_REVOKED_new());
  if (!r) throw_ossl("X509_REVOKED_new");
  const auto serial = serial_from_hex(e.serial_hex);
  if (X509_REVOKED_set_serialNumber(r.get(), serial.get()) != 1) throw_ossl("X509_REVOKED_set_serialNumber");
  const auto when = make_time(e.revoked_at);
  if (X509_REVOKED_set_revocationDate(r.get(), when.get()) != 1)
    throw_ossl("X509_REVOKED_set_revocationDate");
  if (e.reason != revocation_reason::unspecified) {
    asn1_enumerated_ptr code(ASN1_ENUMERATED_new());
    if (!code || ASN1_ENUMERATED_set(code.get(), static_cast<long>(e.reason)) != 1)
      throw_ossl("ASN1_ENUMERATED_set");
    if (X509_REVOKED_add1_ext_i2d(r.get(), NID_crl_reason, code.get(), 0, X509V3_ADD_REPLACE) != 1)
      throw_ossl("reasonCode extension");
  }
  return r;
}

}  // namespace

std::vector<std::uint8_t> build_crl(const certificate_authority& issuer, std::span<const crl_entry> entries,
                                    const crl_parameters& p) {
  if (p.validity <= std::chrono::seconds::zero())
    throw std::invalid_argument("CRL validity must be positive");
  const auto ski = issuer.cert.subject_key_id();
  if (ski.empty()) throw std::invalid_argument("CRL issuer certificate has no subjectKeyIdentifier");

  x509_crl_ptr crl(X509_CRL_new());
  if (!crl) throw_ossl("X509_CRL_new");
  if (X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1) throw_ossl("X509_CRL_set_version");
  if (X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.cert.native())) != 1)
    throw_ossl("X509_CRL_set_issuer_name");
  const auto this_update = make_time(p.this_update);
  const auto next_update = make_time(p.this_update + p.validity);
  if (X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1)
    throw_ossl("CRL update times");

  // AKI: keyIdentifier only, as in the certificates the CA issues (RFC 5280 §5.2.1 MUST).
  const authority_keyid_ptr akid(AUTHORITY_KEYID_new());
  if (!akid) throw_ossl("AUTHORITY_KEYID_new");
  akid->keyid = ASN1_OCTET_STRING_new();
  if (akid->keyid == nullptr ||
      ASN1_OCTET_STRING_set(akid->keyid, ski.data(), static_cast<int>(ski.size())) != 1)
    throw_ossl("AKI keyIdentifier");
  if (X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, akid.get(), 0, X509V3_ADD_REPLACE) != 1)
    throw_ossl("AKI extension");

  const asn1_integer_ptr number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set_uint64(number.get(), p.number) != 1) throw_ossl("cRLNumber");
  if (X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_REPLACE) != 1)
    throw_ossl("cRLNumber extension");

  for (const auto& e : entries) {
    auto r = make_entry(e);
    if (X509_CRL_add0_revoked(crl.get(), r.get()) != 1) throw_ossl("X509_CRL_add0_revoked");
    static_cast<void>(r.release());  // now owned by the CRL
  }
  if (X509_CRL_sort(crl.get()) != 1) throw_ossl("X509_CRL_sort");
  if (X509_CRL_sign(crl.get(), issuer.key.native(), signature_digest(issuer.key.native())) <= 0)
    throw_ossl("X509_CRL_sign");
  return to_der(i2d_X509_CRL, crl.get());
}

crl_info read_crl_info(std::span<const std::uint8_t> der) {
  const unsigned char* p = der.data();
  x509_crl_ptr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl || p != der.data() + der.size()) throw_ossl("cannot parse CRL");
  crl_info info;
  info.this_update = to_time_point(X509_CRL_get0_lastUpdate(crl.get()));
  info.next_update = to_time_point(X509_CRL_get0_nextUpdate(crl.get()));
  int critical = -1;
  const asn1_integer_ptr number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, &critical, nullptr)));
  if (!number || ASN1_INTEGER_get_uint64(&info.number, number.get()) != 1)
    throw_ossl("CRL without cRLNumber");
  const int n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get()));
  info.entries = n > 0 ? static_cast<std::size_t>(n) : 0;
  return info;
}

}  // namespace iotreg::pki
