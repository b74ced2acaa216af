#pragma once
// PKCS#10 certificate requests from untrusted clients: strict parsing, proof of possession and the
// key allow-list. Every refusal is a csr_errc value; nothing here throws for bad input.

#include "pki/csr_error.hpp"
#include "pki/ossl.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::pki {

/// What check_csr_names does with the names a CSR carries.
enum class csr_name_policy {
  ignore,  // names in the CSR play no part (the certificate's names come from the device id)
  check,   // every subject CN and SAN dNSName must be the device's DNS name or its id
};

struct csr_policy {
  std::size_t max_pem_bytes = 16 * 1024;
  csr_name_policy names = csr_name_policy::ignore;
};

class csr;

/// Parses a PEM "CERTIFICATE REQUEST" (exactly one block; the legacy "NEW CERTIFICATE REQUEST"
/// label is accepted; explanatory text before the block is ignored, anything after it is not),
/// then checks, in order:
///  - size: more than policy.max_pem_bytes -> too_large
///  - framing: no PEM block -> not_pem; another label (e.g. CERTIFICATE) -> not_pem;
///    broken base64, several blocks, trailing data, bad DER, version != v1 -> malformed
///  - encoding: anything but strict DER (is_strict_der: BER indefinite or long-form lengths,
///    constructed strings, non-minimal integers, ...) -> malformed
///  - key allow-list: EC P-256 / P-384 as named curves (explicit parameters refused), Ed25519,
///    RSA 2048..8192 bits with an odd exponent 3 <= e < 2^256 -> otherwise key_not_allowed
///  - self-signature (proof of possession) with SHA-256/384/512 or Ed25519 -> otherwise bad_signature
///  - requested extensions: more than one extensionRequest attribute (PKCS#9 or Microsoft's),
///    one with several values, or one that does not decode -> malformed; a basicConstraints with
///    cA TRUE or a keyUsage with keyCertSign or cRLSign -> ca_requested (also undecodable ones of
///    those two -> malformed)
/// policy.names is not used here (see check_csr_names). Subject and requested extensions are
/// kept but never trusted. Thread-safe; never throws for bad input (only std::bad_alloc or
/// ossl_error for environmental faults).
boost::system::result<csr> parse_csr_pem(std::string_view pem, const csr_policy& policy = {});

/// The name policy of `policy` applied to `req`: with csr_name_policy::ignore always success; with
/// check, every commonName of the subject and every dNSName of a requested subjectAltName must
/// equal `dns_name` (ASCII case-insensitive, one trailing dot allowed) or `device_id` (exactly),
/// else name_mismatch. A CSR without such names passes. Other SAN types are not names of the
/// device and are ignored like the rest of the request. Thread-safe; never throws for bad input.
boost::system::error_code check_csr_names(const csr& req, const csr_policy& policy, std::string_view dns_name,
                                          std::string_view device_id);

/// A certificate request that passed parse_csr_pem. Move-only; a moved-from csr may only be
/// destroyed or assigned to. Const member functions are safe to call from several threads.
class csr {
 public:
  csr(csr&&) noexcept = default;
  csr& operator=(csr&&) noexcept = default;
  csr(const csr&) = delete;
  csr& operator=(const csr&) = delete;
  ~csr() = default;

  /// DER encoding of the request. Throws ossl_error.
  std::vector<std::uint8_t> der() const;
  /// DER SubjectPublicKeyInfo of the requested key. Throws ossl_error.
  std::vector<std::uint8_t> spki_der() const;
  /// "EC P-256", "EC P-384", "RSA 2048", "Ed25519".
  std::string key_description() const;
  /// First commonName of the requested subject (untrusted; informational). Throws ossl_error.
  std::string subject_common_name() const;
  /// The request, owned by this object; its public key is X509_REQ_get0_pubkey(native()).
  X509_REQ* native() const noexcept { return req_.get(); }

 private:
  explicit csr(x509_req_ptr req) noexcept : req_(std::move(req)) {}
  friend boost::system::result<csr> parse_csr_pem(std::string_view pem, const csr_policy& policy);

  x509_req_ptr req_;
};

}  // namespace iotreg::pki
