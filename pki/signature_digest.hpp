#pragma once
// The digest a CA key signs with (certificates, CRLs, OCSP responses), in one place so that every
// object a CA signs uses the same algorithm.

#include "pki/ossl.hpp"

namespace iotreg::pki {

/// SHA-256, SHA-384 for an EC P-384 key, SHA-512 for P-521, nullptr (no pre-hash) for EdDSA.
/// `key` must not be null. Thread-safe; never throws except bad_alloc.
const EVP_MD* signature_digest(const EVP_PKEY* key);

}  // namespace iotreg::pki
