#pragma once
// CRLReason codes of RFC 5280 §5.3.1, shared by the CRL, the OCSP responder (RFC 6960 §4.2.1
// reuses them), the registry (stored as a smallint) and the API, with their ASN.1 names as the
// API spells them ("keyCompromise"). Header-only (no OpenSSL), so that api/ can use it.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace iotreg::pki {

enum class revocation_reason : std::uint8_t {
  unspecified = 0,
  key_compromise = 1,
  ca_compromise = 2,
  affiliation_changed = 3,
  superseded = 4,
  cessation_of_operation = 5,
  certificate_hold = 6,
  // 7 is not used
  remove_from_crl = 8,
  privilege_withdrawn = 9,
  aa_compromise = 10,
};

namespace detail {
inline constexpr std::array<std::pair<revocation_reason, std::string_view>, 10> reason_names{{
    {revocation_reason::unspecified, "unspecified"},
    {revocation_reason::key_compromise, "keyCompromise"},
    {revocation_reason::ca_compromise, "cACompromise"},
    {revocation_reason::affiliation_changed, "affiliationChanged"},
    {revocation_reason::superseded, "superseded"},
    {revocation_reason::cessation_of_operation, "cessationOfOperation"},
    {revocation_reason::certificate_hold, "certificateHold"},
    {revocation_reason::remove_from_crl, "removeFromCRL"},
    {revocation_reason::privilege_withdrawn, "privilegeWithdrawn"},
    {revocation_reason::aa_compromise, "aACompromise"},
}};
}  // namespace detail

/// The RFC 5280 name: "unspecified", "keyCompromise", ... Never throws.
constexpr std::string_view to_name(revocation_reason r) noexcept {
  for (const auto& [reason, name] : detail::reason_names) {
    if (reason == r) return name;
  }
  return "unspecified";
}

/// The reason named `name` (exact RFC 5280 spelling, case-sensitive), or nullopt. "removeFromCRL"
/// is refused: it only has a meaning in delta CRLs, which iotreg does not issue.
constexpr std::optional<revocation_reason> revocation_reason_from_name(std::string_view name) noexcept {
  for (const auto& [reason, n] : detail::reason_names) {
    if (n == name && reason != revocation_reason::remove_from_crl) return reason;
  }
  return std::nullopt;
}

/// The reason with this code, or nullopt for 7, removeFromCRL (8), negative codes and codes above 10.
constexpr std::optional<revocation_reason> revocation_reason_from_code(int code) noexcept {
  for (const auto& [reason, n] : detail::reason_names) {
    if (static_cast<int>(reason) == code && reason != revocation_reason::remove_from_crl) return reason;
  }
  return std::nullopt;
}

}  // namespace iotreg::pki
