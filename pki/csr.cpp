#include "pki/csr.hpp"

#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "pki/pem.hpp"

#include <openssl/core_names.h>
#include <openssl/objects.h>

#include <climits>

namespace iotreg::pki {
namespace {

// Empties the OpenSSL error queue on every exit: refusals are values, and their queue entries must
// not be blamed on a later, unrelated OpenSSL call in this thread.
struct error_queue_guard {
  error_queue_guard() = default;
  error_queue_guard(const error_queue_guard&) = delete;
  error_queue_guard& operator=(const error_queue_guard&) = delete;
  ~error_queue_guard() { clear_ossl_errors(); }
};

bool allowed_ec_params(const X509_ALGOR* alg) {
  const ASN1_OBJECT* obj = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&obj, &ptype, &pval, alg);
  // namedCurve only: explicit (SEQUENCE) or implicit (NULL) parameters are refused.
  if (ptype != V_ASN1_OBJECT || pval == nullptr) return false;
  const int curve = OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(pval));
  return curve == NID_X9_62_prime256v1 || curve == NID_secp384r1;
}

bool allowed_rsa_key(const EVP_PKEY* pkey) {
  const int bits = EVP_PKEY_get_bits(pkey);
  if (bits < 2048 || bits > 8192) return false;
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &raw) != 1) return false;
  const bignum_ptr e(raw);
  return BN_is_odd(e.get()) == 1 && BN_num_bits(e.get()) >= 2 && BN_num_bits(e.get()) <= 256;
}

bool valid_ec_point(EVP_PKEY* pkey) {
  const evp_pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx) throw_ossl("EVP_PKEY_CTX_new_from_pkey");
  return EVP_PKEY_public_check(ctx.get()) == 1;
}

// Checks the SubjectPublicKeyInfo against the allow-list; the algorithm parameters are read from
// the wire encoding so that an explicit-parameter copy of P-256 cannot pass as the named curve.
boost::system::error_code check_key(X509_REQ* req) {
  X509_PUBKEY* spki = X509_REQ_get_X509_PUBKEY(req);
  ASN1_OBJECT* alg_obj = nullptr;
  X509_ALGOR* alg = nullptr;
  if (spki == nullptr || X509_PUBKEY_get0_param(&alg_obj, nullptr, nullptr, &alg, spki) != 1) {
    return csr_errc::malformed;
  }
  const int alg_nid = OBJ_obj2nid(alg_obj);
  if (alg_nid == NID_X9_62_id_ecPublicKey) {
    if (!allowed_ec_params(alg)) return csr_errc::key_not_allowed;
  } else if (alg_nid != NID_rsaEncryption && alg_nid != NID_ED25519) {
    return csr_errc::key_not_allowed;
  }

  EVP_PKEY* pkey = X509_REQ_get0_pubkey(req);
  if (pkey == nullptr) return csr_errc::malformed;  // known algorithm, undecodable key
  if (alg_nid == NID_rsaEncryption && !allowed_rsa_key(pkey)) return csr_errc::key_not_allowed;
  if (alg_nid == NID_X9_62_id_ecPublicKey && !valid_ec_point(pkey)) return csr_errc::malformed;
  return {};
}

boost::system::error_code check_signature(X509_REQ* req) {
  const int sig_nid = X509_REQ_get_signature_nid(req);
  if (sig_nid != NID_ED25519) {
    int md_nid = NID_undef;
    int pk_nid = NID_undef;
    if (OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid) != 1) return csr_errc::bad_signature;
    if (md_nid != NID_sha256 && md_nid != NID_sha384 && md_nid != NID_sha512) return csr_errc::bad_signature;
  }
  if (X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) != 1) return csr_errc::bad_signature;
  return {};
}

}  // namespace

boost::system::result<csr> parse_csr_pem(std::string_view pem, const csr_policy& policy) {
  const error_queue_guard guard;
  if (pem.size() > policy.max_pem_bytes) return make_error_code(csr_errc::too_large);

  const pem_block block = parse_single_pem_block(pem);
  if (block.status == pem_status::not_pem) return make_error_code(csr_errc::not_pem);
  if (block.status != pem_status::ok) return make_error_code(csr_errc::malformed);
  if (block.label != "CERTIFICATE REQUEST" && block.label != "NEW CERTIFICATE REQUEST") {
    return make_error_code(csr_errc::not_pem);
  }
  if (block.data.size() > static_cast<std::size_t>(LONG_MAX)) return make_error_code(csr_errc::too_large);

  const unsigned char* p = block.data.data();
  x509_req_ptr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(block.data.size())));
  if (!req || p != block.data.data() + block.data.size()) return make_error_code(csr_errc::malformed);
  if (X509_REQ_get_version(req.get()) != X509_REQ_VERSION_1) return make_error_code(csr_errc::malformed);

  // Key first: it is cheap and keeps odd or huge keys away from signature verification.
  if (const auto ec = check_key(req.get())) return ec;
  if (const auto ec = check_signature(req.get())) return ec;
  return csr(std::move(req));
}

std::vector<std::uint8_t> csr::der() const { return to_der(i2d_X509_REQ, req_.get()); }

std::vector<std::uint8_t> csr::spki_der() const {
  return to_der(i2d_X509_PUBKEY, X509_REQ_get_X509_PUBKEY(req_.get()));
}

std::string csr::key_description() const { return describe_key(X509_REQ_get0_pubkey(req_.get())); }

std::string csr::subject_common_name() const { return common_name_of(X509_REQ_get_subject_name(req_.get())); }

}  // namespace iotreg::pki
