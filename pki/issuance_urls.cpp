#include "pki/issuance_urls.hpp"

#include "pki/certificate.hpp"

namespace iotreg::pki {

std::string crl_url(const issuance_urls& urls, std::span<const std::uint8_t> issuer_key_id) {
  return urls.public_url + "/crl/" + key_id_text(issuer_key_id) + ".crl";
}

std::string ocsp_url(const issuance_urls& urls) { return urls.public_url + "/ocsp"; }

std::string ca_issuers_url(const issuance_urls& urls, std::span<const std::uint8_t> issuer_key_id) {
  return urls.public_url + "/.well-known/ca/" + key_id_text(issuer_key_id) + ".pem";
}

bool is_certificate_url(std::string_view url) noexcept {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/') return false;
  constexpr std::string_view refused = " \"<>\\^`{|}?#";
  for (const char c : rest) {
    if (c < 0x21 || c > 0x7e || refused.find(c) != std::string_view::npos) return false;
  }
  return true;
}

}  // namespace iotreg::pki
