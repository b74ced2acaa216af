#include "registry/ca_certificates.hpp"

#include "pki/digest.hpp"

#include <cctype>

namespace iotreg::registry {

ca_certificates::ca_certificates(std::span<const pki::certificate> cas) {
  for (const auto& c : cas) {
    std::string id = pki::key_id_text(c.subject_key_id());
    if (id.empty()) continue;
    auto pem = c.pem();
    auto etag =
        '"' + pki::to_hex(pki::sha256({reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()})) + '"';
    pem_.emplace(std::move(id), entry{std::move(pem), std::move(etag)});
  }
}

const ca_certificates::entry* ca_certificates::find(std::string_view key_id) const {
  // Only hex digits and '-' can name a CA; anything else is not looked up (nor echoed back).
  std::string id;
  id.reserve(key_id.size());
  for (const char c : key_id) {
    if (c != '-' && !std::isxdigit(static_cast<unsigned char>(c))) return nullptr;
    id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const auto it = pem_.find(id);
  return it == pem_.end() ? nullptr : &it->second;
}

result<std::string> ca_certificates::find_ca_pem(std::string_view key_id) const {
  const auto* e = find(key_id);
  if (e == nullptr) return error{errc::ca_not_found, {}};
  return e->pem;
}

std::string ca_certificates::entity_tag(std::string_view key_id) const {
  const auto* e = find(key_id);
  return e == nullptr ? std::string{} : e->etag;
}

}  // namespace iotreg::registry
