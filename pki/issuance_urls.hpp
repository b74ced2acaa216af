#pragma once
// Where relying parties find what a device certificate points at: the CRL distribution point and
// the AIA (OCSP responder, caIssuers) URLs. The base URL comes from configuration ([ca]
// public_url); pki only derives the paths, so it stays free of config (STANDARDS.md §3: the
// issuer's key identifier as lower-case hex bytes joined by '-').

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace iotreg::pki {

/// The public HTTP endpoints of iotreg that issued certificates name.
struct issuance_urls {
  /// Scheme and authority, optionally a path prefix, without a trailing '/', e.g.
  /// "https://iotreg.example:8443". Empty: certificates get no CRL distribution point and no AIA.
  std::string public_url;
};

/// "<public_url>/crl/<issuer key id>.crl". Precondition: public_url non-empty.
std::string crl_url(const issuance_urls& urls, std::span<const std::uint8_t> issuer_key_id);

/// "<public_url>/ocsp". Precondition: public_url non-empty.
std::string ocsp_url(const issuance_urls& urls);

/// "<public_url>/.well-known/ca/<issuer key id>.pem". Precondition: public_url non-empty.
std::string ca_issuers_url(const issuance_urls& urls, std::span<const std::uint8_t> issuer_key_id);

/// Whether `url` may go into a certificate as a URI: "http://" or "https://" followed by a
/// non-empty rest of printable ASCII without spaces, '"', '<', '>', '\\', '^', '`', '{', '|', '}'
/// (RFC 3986 characters only), and no '?' or '#'. Never throws.
bool is_certificate_url(std::string_view url) noexcept;

}  // namespace iotreg::pki
