#pragma once
// The DER structures of EST (RFC 7030, STANDARDS.md §6): a "certs-only" PKCS#7/CMS SignedData
// (RFC 5751 §3.6, RFC 7030 §4.1.3 and §4.2.3) and the CSR attributes of /csrattrs (RFC 7030
// §4.5.2, as corrected by RFC 8951 and RFC 9148).

#include "pki/certificate.hpp"
#include "pki/csr.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace iotreg::pki {

/// A degenerate SignedData ("certs-only"): version 1, no digest algorithms, encapsulated content
/// of type id-data without content, `certs` in order, no CRLs, no signerInfos. What EST clients
/// read with `openssl pkcs7 -print_certs`. Thread-safe.
/// @throws std::invalid_argument for an empty `certs`; ossl_error if OpenSSL fails.
std::vector<std::uint8_t> certs_only_pkcs7(std::span<const certificate> certs);

/// The certificates of a DER PKCS#7 SignedData, in order (the inverse of certs_only_pkcs7, for
/// tests and clients). @throws ossl_error if `der` is not a SignedData.
std::vector<certificate> certificates_from_pkcs7(std::span<const std::uint8_t> der);

/// One element of CsrAttrs: an OID alone (`values` empty: "put this in the CSR", e.g. a
/// signature algorithm) or an Attribute whose values are OIDs (e.g. id-ecPublicKey with the
/// curve secp256r1, RFC 7030 §4.5.2's example). OIDs in dotted form.
struct csr_attr {
  std::string oid;
  std::vector<std::string> values;
};

/// DER CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID (RFC 7030 §4.5.2). Thread-safe.
/// @throws std::invalid_argument for an OID that is not dotted numeric text; ossl_error otherwise.
std::vector<std::uint8_t> encode_csr_attrs(std::span<const csr_attr> attrs);

/// `der` as one PEM block "-----BEGIN <label>-----" with 64-character lines (RFC 7468). EST
/// bodies are base64 DER; the CSR parser reads PEM. Never throws except bad_alloc.
std::string pem_from_der(std::string_view label, std::span<const std::uint8_t> der);

/// Whether the CSR's subject is the certificate's subject (X509_NAME_cmp: same DER encoding), as
/// RFC 7030 §4.2.2 asks of a re-enrollment. Thread-safe.
bool same_subject(const csr& req, const certificate& cert);

}  // namespace iotreg::pki
