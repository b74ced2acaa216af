#include "pki/csr.hpp"

#include "pki/certificate.hpp"
#include "pki/der_check.hpp"
#include "pki/key.hpp"
#include "pki/pem.hpp"

#include <openssl/core_names.h>
#include <openssl/objects.h>

#include <algorithm>
#include <cctype>
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

void free_extension_stack(STACK_OF(X509_EXTENSION) * s) noexcept {
  sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}
using extension_stack_ptr = ossl_ptr<STACK_OF(X509_EXTENSION), free_extension_stack>;

// The extensions the CSR asks for; null (with `ec` set) if the request is unusable. Exactly one
// extensionRequest attribute of one value is allowed: OpenSSL reads only the first one it finds,
// and a second one must not hide what a later reader might see.
extension_stack_ptr requested_extensions(X509_REQ* req, boost::system::error_code& ec) {
  int attributes = 0;
  int index = -1;
  for (const int nid : {NID_ext_req, NID_ms_ext_req}) {
    for (int pos = X509_REQ_get_attr_by_NID(req, nid, -1); pos >= 0;
         pos = X509_REQ_get_attr_by_NID(req, nid, pos)) {
      ++attributes;
      index = pos;
    }
  }
  if (attributes == 0) return extension_stack_ptr(sk_X509_EXTENSION_new_null());
  if (attributes > 1 || X509_ATTRIBUTE_count(X509_REQ_get_attr(req, index)) != 1) {
    ec = csr_errc::malformed;
    return nullptr;
  }
  extension_stack_ptr exts(X509_REQ_get_extensions(req));
  if (!exts) ec = csr_errc::malformed;
  return exts;
}

// Refuses requests for a CA certificate. The profile never copies requested extensions, so this is
// about intent: a device that asks to be a CA is misconfigured or hostile.
boost::system::error_code check_not_ca(X509_REQ* req) {
  boost::system::error_code ec;
  const extension_stack_ptr exts = requested_extensions(req, ec);
  if (!exts) return ec;
  for (int i = 0; i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    if (nid == NID_basic_constraints) {
      const basic_constraints_ptr bc(static_cast<BASIC_CONSTRAINTS*>(X509V3_EXT_d2i(ext)));
      if (!bc) return csr_errc::malformed;
      if (bc->ca != 0) return csr_errc::ca_requested;
    } else if (nid == NID_key_usage) {
      const asn1_bit_string_ptr ku(static_cast<ASN1_BIT_STRING*>(X509V3_EXT_d2i(ext)));
      if (!ku) return csr_errc::malformed;
      constexpr int key_cert_sign = 5;
      constexpr int crl_sign = 6;
      if (ASN1_BIT_STRING_get_bit(ku.get(), key_cert_sign) == 1 ||
          ASN1_BIT_STRING_get_bit(ku.get(), crl_sign) == 1) {
        return csr_errc::ca_requested;
      }
    }
  }
  return {};
}

bool equal_ascii_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Whether `name` (raw bytes of a CN or dNSName) names the device.
bool names_device(std::string_view name, std::string_view dns_name, std::string_view device_id) {
  if (name == device_id) return true;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return !name.empty() && equal_ascii_nocase(name, dns_name);
}

std::string_view string_of(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<std::size_t>(ASN1_STRING_length(s))};
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

  // Strict DER before OpenSSL sees it: its decoder also takes BER and would verify the signature
  // over the original, oddly encoded bytes.
  if (!is_strict_der(block.data)) return make_error_code(csr_errc::malformed);

  const unsigned char* p = block.data.data();
  x509_req_ptr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(block.data.size())));
  if (!req || p != block.data.data() + block.data.size()) return make_error_code(csr_errc::malformed);
  if (X509_REQ_get_version(req.get()) != X509_REQ_VERSION_1) return make_error_code(csr_errc::malformed);

  // Key first: it is cheap and keeps odd or huge keys away from signature verification.
  if (const auto ec = check_key(req.get())) return ec;
  if (const auto ec = check_signature(req.get())) return ec;
  if (const auto ec = check_not_ca(req.get())) return ec;
  return csr(std::move(req));
}

boost::system::error_code check_csr_names(const csr& req, const csr_policy& policy, std::string_view dns_name,
                                          std::string_view device_id) {
  const error_queue_guard guard;
  if (policy.names == csr_name_policy::ignore) return {};
  // Raw bytes, not a UTF-8 conversion: a name that needs converting is not an ASCII DNS name or id.
  const X509_NAME* subject = X509_REQ_get_subject_name(req.native());
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    if (!names_device(string_of(cn), dns_name, device_id)) return csr_errc::name_mismatch;
  }
  boost::system::error_code ec;
  const extension_stack_ptr exts = requested_extensions(req.native(), ec);
  if (!exts) return ec;
  for (int i = 0; i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    const general_names_ptr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
    if (!names) return csr_errc::malformed;
    for (int j = 0; j < sk_GENERAL_NAME_num(names.get()); ++j) {
      int type = 0;
      const void* value = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names.get(), j), &type);
      if (type == GEN_DNS &&
          !names_device(string_of(static_cast<const ASN1_STRING*>(value)), dns_name, device_id)) {
        return csr_errc::name_mismatch;
      }
    }
  }
  return {};
}

std::vector<std::uint8_t> csr::der() const { return to_der(i2d_X509_REQ, req_.get()); }

std::vector<std::uint8_t> csr::spki_der() const {
  return to_der(i2d_X509_PUBKEY, X509_REQ_get_X509_PUBKEY(req_.get()));
}

std::string csr::key_description() const { return describe_key(X509_REQ_get0_pubkey(req_.get())); }

std::string csr::subject_common_name() const { return common_name_of(X509_REQ_get_subject_name(req_.get())); }

}  // namespace iotreg::pki
