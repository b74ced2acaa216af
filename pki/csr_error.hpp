#pragma once
// Why a CSR was refused: expected failures, returned as values (STYLE.md §4.1).

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace iotreg::pki {

enum class csr_errc {
  not_pem = 1,      // no PEM "CERTIFICATE REQUEST" block
  malformed,        // broken PEM framing or base64, bad DER, trailing data, several blocks
  bad_signature,    // self-signature does not verify, or uses a refused algorithm (MD5, SHA-1)
  key_not_allowed,  // key type, curve, size or exponent outside the allow-list
  too_large,        // input larger than csr_policy::max_pem_bytes
  ca_requested,     // extensionRequest asks for basicConstraints cA=TRUE or keyCertSign/cRLSign
  name_mismatch,    // csr_name_policy::check: a CN or SAN dNSName is not the device's name or id
};

/// The category of csr_errc, named "iotreg.pki.csr". Thread-safe.
const boost::system::error_category& csr_category() noexcept;

inline boost::system::error_code make_error_code(csr_errc e) noexcept {
  return {static_cast<int>(e), csr_category()};
}

}  // namespace iotreg::pki

template <>
struct boost::system::is_error_code_enum<iotreg::pki::csr_errc> : std::true_type {};
