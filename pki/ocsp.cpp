#include "pki/ocsp.hpp"

#include "pki/signature_digest.hpp"

#include <openssl/ocsp.h>

#include <cctype>
#include <climits>
#include <cstring>
#include <optional>

namespace iotreg::pki {
namespace {

using ocsp_request_ptr = ossl_ptr<OCSP_REQUEST, OCSP_REQUEST_free>;
using ocsp_response_ptr = ossl_ptr<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using ocsp_basicresp_ptr = ossl_ptr<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using asn1_time_ptr = ossl_ptr<ASN1_TIME, ASN1_TIME_free>;
using md_ctx_ptr = ossl_ptr<EVP_MD_CTX, EVP_MD_CTX_free>;

std::vector<std::uint8_t> status_only(int status) {
  const ocsp_response_ptr r(OCSP_response_create(status, nullptr));
  if (!r) throw_ossl("OCSP_response_create");
  return to_der(i2d_OCSP_RESPONSE, r.get());
}

asn1_time_ptr make_time(time_point t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  asn1_time_ptr out(ASN1_TIME_set(nullptr, static_cast<time_t>(secs)));
  if (!out) throw_ossl("ASN1_TIME_set");
  return out;
}

/// The digests a CertID may use. SHA-1 is what most clients send (RFC 5019); it only names the
/// issuer here, nothing is trusted on its strength.
const EVP_MD* certid_digest(const ASN1_OBJECT* alg) {
  switch (OBJ_obj2nid(alg)) {
    case NID_sha1: return EVP_sha1();
    case NID_sha256: return EVP_sha256();
    case NID_sha384: return EVP_sha384();
    case NID_sha512: return EVP_sha512();
    default: return nullptr;
  }
}

bool equal(const ASN1_OCTET_STRING* s, const unsigned char* md, unsigned int len) {
  return s != nullptr && ASN1_STRING_length(s) == static_cast<int>(len) &&
         std::memcmp(ASN1_STRING_get0_data(s), md, len) == 0;
}

/// Does `cid` name `ca` (issuerNameHash over the DER subject, issuerKeyHash over the
/// subjectPublicKey BIT STRING value, RFC 6960 §4.1.1)?
bool names_issuer(OCSP_CERTID* cid, const certificate_authority& ca) {
  ASN1_OCTET_STRING* name_hash = nullptr;
  ASN1_OBJECT* alg = nullptr;
  ASN1_OCTET_STRING* key_hash = nullptr;
  if (OCSP_id_get0_info(&name_hash, &alg, &key_hash, nullptr, cid) != 1) return false;
  const EVP_MD* md = certid_digest(alg);
  if (md == nullptr) return false;
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_NAME_digest(X509_get_subject_name(ca.cert.native()), md, buf, &len) != 1)
    throw_ossl("X509_NAME_digest");
  if (!equal(name_hash, buf, len)) return false;
  if (X509_pubkey_digest(ca.cert.native(), md, buf, &len) != 1) throw_ossl("X509_pubkey_digest");
  return equal(key_hash, buf, len);
}

/// Lower-case hex without leading zeros, as certificate::serial_hex; nullopt for a negative or
/// absurdly long serial (no certificate of ours has one).
std::optional<std::string> serial_text(OCSP_CERTID* cid) {
  ASN1_INTEGER* serial = nullptr;
  if (OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, cid) != 1 || serial == nullptr)
    return std::nullopt;
  if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER || ASN1_STRING_length(serial) > 21) return std::nullopt;
  const bignum_ptr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) throw_ossl("ASN1_INTEGER_to_BN");
  const ossl_chars_ptr hex(BN_bn2hex(bn.get()));
  if (!hex) throw_ossl("BN_bn2hex");
  std::string s(hex.get());
  const auto first = s.find_first_not_of('0');
  s.erase(0, first == std::string::npos ? s.size() - 1 : first);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::uint8_t> respond(OCSP_REQUEST* req, std::span<const certificate_authority* const> cas,
                                  const ocsp_lookup& lookup, const ocsp_parameters& p) {
  const int count = OCSP_request_onereq_count(req);
  if (count <= 0 || static_cast<std::size_t>(count) > p.max_requests)
    return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);

  // The signer: the CA named by the first CertID that names one of ours.
  std::vector<const certificate_authority*> issuer_of(static_cast<std::size_t>(count), nullptr);
  const certificate_authority* signer = nullptr;
  for (int i = 0; i < count; ++i) {
    OCSP_CERTID* cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
    for (const auto* ca : cas) {
      if (ca != nullptr && names_issuer(cid, *ca)) {
        issuer_of[static_cast<std::size_t>(i)] = ca;
        if (signer == nullptr) signer = ca;
        break;
      }
    }
  }
  if (signer == nullptr) return status_only(OCSP_RESPONSE_STATUS_UNAUTHORIZED);

  const ocsp_basicresp_ptr basic(OCSP_BASICRESP_new());
  if (!basic) throw_ossl("OCSP_BASICRESP_new");
  const auto this_update = make_time(p.now);
  const auto next_update = make_time(p.now + p.validity);
  for (int i = 0; i < count; ++i) {
    OCSP_CERTID* cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
    ocsp_status st;
    if (issuer_of[static_cast<std::size_t>(i)] == signer) {
      if (auto serial = serial_text(cid)) st = lookup(*signer, *serial);
    }
    int status = V_OCSP_CERTSTATUS_UNKNOWN;
    int reason = OCSP_REVOKED_STATUS_NOSTATUS;
    asn1_time_ptr revoked_at;
    if (st.status == ocsp_status::kind::good) {
      status = V_OCSP_CERTSTATUS_GOOD;
    } else if (st.status == ocsp_status::kind::revoked) {
      status = V_OCSP_CERTSTATUS_REVOKED;
      revoked_at = make_time(st.revoked_at);
      // As in the CRL, an unspecified reason is left out rather than spelled out.
      if (st.reason != revocation_reason::unspecified) reason = static_cast<int>(st.reason);
    }
    if (OCSP_basic_add1_status(basic.get(), cid, status, reason, revoked_at.get(), this_update.get(),
                               next_update.get()) == nullptr)
      throw_ossl("OCSP_basic_add1_status");
  }
  if (OCSP_copy_nonce(basic.get(), req) <= 0) throw_ossl("OCSP_copy_nonce");

  // OCSP_basic_sign_ctx rather than OCSP_basic_sign, which cannot sign with EdDSA (no digest).
  const md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, signature_digest(signer->key.native()), nullptr,
                                 signer->key.native()) != 1)
    throw_ossl("EVP_DigestSignInit");
  // Signer certificate included (no OCSP_NOCERTS): clients that only have the device
  // certificate and a trust anchor can still build the path.
  if (OCSP_basic_sign_ctx(basic.get(), signer->cert.native(), ctx.get(), nullptr, OCSP_RESPID_KEY) != 1)
    throw_ossl("OCSP_basic_sign_ctx");
  const ocsp_response_ptr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  if (!resp) throw_ossl("OCSP_response_create");
  return to_der(i2d_OCSP_RESPONSE, resp.get());
}

}  // namespace

std::vector<std::uint8_t> ocsp_respond(std::span<const std::uint8_t> request_der,
                                       std::span<const certificate_authority* const> cas,
                                       const ocsp_lookup& lookup, const ocsp_parameters& p,
                                       std::string* error) {
  if (request_der.empty() || request_der.size() > LONG_MAX)
    return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  const unsigned char* in = request_der.data();
  const ocsp_request_ptr req(d2i_OCSP_REQUEST(nullptr, &in, static_cast<long>(request_der.size())));
  if (!req || in != request_der.data() + request_der.size()) {
    clear_ossl_errors();  // a bad request is the client's fault, not ours
    return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  }
  try {
    return respond(req.get(), cas, lookup, p);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    if (error != nullptr) *error = e.what();
    clear_ossl_errors();
    return status_only(OCSP_RESPONSE_STATUS_INTERNALERROR);
  }
}

bool ocsp_response_successful(std::span<const std::uint8_t> der) noexcept {
  if (der.size() > static_cast<std::size_t>(LONG_MAX)) return false;
  const unsigned char* p = der.data();
  const ocsp_response_ptr r(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  clear_ossl_errors();
  return r && p == der.data() + der.size() &&
         OCSP_response_status(r.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL;
}

}  // namespace iotreg::pki
