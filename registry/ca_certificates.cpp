#include "registry/ca_certificates.hpp"

#include <cctype>

namespace iotreg::registry {

ca_certificates::ca_certificates(std::span<const pki::certificate> cas) {
  for (const auto& c : cas) {
    std::string id = pki::key_id_text(c.subject_key_id());
    if (!id.empty()) pem_.emplace(std::move(id), c.pem());
  }
}

result<std::string> ca_certificates::find_ca_pem(std::string_view key_id) const {
  // Only hex digits and '-' can name a CA; anything else is not looked up (nor echoed back).
  std::string id;
  id.reserve(key_id.size());
  for (const char c : key_id) {
    if (c != '-' && !std::isxdigit(static_cast<unsigned char>(c))) return error{errc::ca_not_found, {}};
    id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const auto it = pem_.find(id);
  if (it == pem_.end()) return error{errc::ca_not_found, {}};
  return it->second;
}

}  // namespace iotreg::registry
