#pragma once
// The checks of a TLS client certificate that a tenant registers as a credential (issue 5 item
// 1): the server pins the certificate itself (RFC 8705 §2.2, "self-signed certificate-bound"),
// so its chain does not matter, only that it can authenticate a TLS client now.

#include "pki/certificate.hpp"

#include <string>

namespace iotreg::pki {

/// Why `cert` cannot authenticate a TLS client at `now`; empty if it can. Refused: not yet valid
/// or expired at `now`; a keyUsage extension without digitalSignature (RFC 5280 §4.2.1.3: the
/// TLS CertificateVerify is a digital signature); an extendedKeyUsage extension without
/// id-kp-clientAuth or anyExtendedKeyUsage (§4.2.1.12). Absent extensions restrict nothing; a CA
/// certificate (`openssl req -x509` makes one by default) is accepted. Thread-safe; throws
/// ossl_error if a validity time is unreadable.
std::string client_certificate_problem(const certificate& cert, time_point now);

/// The subject as one line in RFC 2253 form ("CN=a,O=b"), UTF-8. Throws ossl_error.
std::string subject_text(const certificate& cert);

}  // namespace iotreg::pki
