#include "pki/digest.hpp"

#include "pki/ossl.hpp"

#include <openssl/rand.h>

namespace iotreg::pki {
namespace {

template <std::size_t N>
std::array<std::uint8_t, N> digest(const EVP_MD* md, std::span<const std::uint8_t> data, const char* what) {
  std::array<std::uint8_t, N> out{};
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 || len != N) {
    throw_ossl(what);
  }
  return out;
}

}  // namespace

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data) {
  return digest<32>(EVP_sha256(), data, "SHA-256");
}

std::array<std::uint8_t, 20> sha1(std::span<const std::uint8_t> data) {
  return digest<20>(EVP_sha1(), data, "SHA-1");
}

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) throw std::length_error("random_bytes: too many bytes");
  std::vector<std::uint8_t> out(n);
  if (n != 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) throw_ossl("RAND_bytes");
  return out;
}

std::string to_hex(std::span<const std::uint8_t> b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (const std::uint8_t byte : b) {
    out += digits[byte >> 4];
    out += digits[byte & 0x0f];
  }
  return out;
}

}  // namespace iotreg::pki
