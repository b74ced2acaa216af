// check_service_endpoint and tlsa_owner_of (registry/iotsafe.hpp): pure, no I/O.
#include "registry/iotsafe.hpp"

#include <cctype>

namespace iotreg::registry {
namespace {

constexpr std::size_t max_tlsa_records = 16;

error bad(std::string detail) { return {errc::invalid_service_endpoint, std::move(detail)}; }

bool is_ldh_label(std::string_view l) {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  for (char ch : l) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') return false;
  }
  return true;
}

}  // namespace

result<service_endpoint> check_service_endpoint(std::string_view host, std::int64_t port,
                                                std::vector<tlsa_data> tlsa) {
  service_endpoint e;
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > 253) return bad("host must be a DNS host name of 1 to 253 characters");
  std::size_t labels = 0;
  for (std::size_t start = 0;;) {
    const auto dot = host.find('.', start);
    const auto label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!is_ldh_label(label))
      return bad("host must be a DNS host name: labels of letters, digits and '-' (1 to 63 characters)");
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2) return bad("host must be a fully qualified DNS host name (at least two labels)");
  e.host.reserve(host.size());
  for (char ch : host) e.host += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (port < 1 || port > 65535) return bad("port must be an integer from 1 to 65535");
  e.port = static_cast<std::uint16_t>(port);
  if (tlsa.size() > max_tlsa_records)
    return bad("at most " + std::to_string(max_tlsa_records) + " TLSA records per endpoint");
  for (std::size_t i = 0; i < tlsa.size(); ++i) {
    const auto& t = tlsa[i];
    const std::string at = "tlsa[" + std::to_string(i) + "]: ";
    if (t.usage > 3) return bad(at + "usage must be 0 to 3 (RFC 7218: PKIX-TA, PKIX-EE, DANE-TA, DANE-EE)");
    if (t.selector > 1) return bad(at + "selector must be 0 (full certificate) or 1 (SubjectPublicKeyInfo)");
    if (t.matching > 2) return bad(at + "matching_type must be 0 (full), 1 (SHA-256) or 2 (SHA-512)");
    const std::size_t want = t.matching == 1 ? 32 : t.matching == 2 ? 64 : 0;
    if (want != 0 && t.association.size() != want)
      return bad(at + "data must be " + std::to_string(want) + " bytes (" + std::to_string(2 * want) +
                 " hex digits) for matching_type " + std::to_string(t.matching));
    if (t.association.empty()) return bad(at + "data must not be empty");
    if (t.association.size() > 4096) return bad(at + "data must be at most 4096 bytes");
  }
  e.tlsa = std::move(tlsa);
  return e;
}

std::string tlsa_owner_of(const service_endpoint& e) {
  return "_" + std::to_string(e.port) + "._tcp." + e.host;
}

}  // namespace iotreg::registry
