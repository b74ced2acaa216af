#include "pki/signature_digest.hpp"

#include "pki/key.hpp"

namespace iotreg::pki {

const EVP_MD* signature_digest(const EVP_PKEY* key) {
  const std::string kind = describe_key(key);
  if (kind == "Ed25519" || kind == "Ed448") return nullptr;
  if (kind == "EC P-384") return EVP_sha384();
  if (kind == "EC P-521") return EVP_sha512();
  return EVP_sha256();
}

}  // namespace iotreg::pki
