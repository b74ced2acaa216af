#include "dns/tlsa.hpp"

#include "dns/errors.hpp"

#include <openssl/evp.h>

namespace iotreg::dns {

std::string tlsa_rdata::to_text() const {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = std::to_string(usage) + ' ' + std::to_string(selector) + ' ' + std::to_string(matching);
  if (!data.empty()) {
    out += ' ';
    out.reserve(out.size() + 2 * data.size());
    for (const std::uint8_t b : data) {
      out += hex[b >> 4];
      out += hex[b & 0x0f];
    }
  }
  return out;
}

std::vector<std::uint8_t> tlsa_rdata::to_wire() const {
  std::vector<std::uint8_t> out{usage, selector, matching};
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

tlsa_rdata dane_ee_spki_sha256(std::span<const std::uint8_t> spki_der) {
  tlsa_rdata r;  // 3 1 1 by default
  r.data.resize(32);
  unsigned int len = 0;
  if (EVP_Digest(spki_der.data(), spki_der.size(), r.data.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != 32) {
    throw_error(errc::crypto_failure, "SHA-256 of SPKI failed");
  }
  return r;
}

tlsa_rdata pkix_ta_full_cert(std::span<const std::uint8_t> cert_der) {
  return tlsa_rdata{0, 0, 0, {cert_der.begin(), cert_der.end()}};
}

}  // namespace iotreg::dns
