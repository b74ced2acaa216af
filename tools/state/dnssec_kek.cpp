#include "tools/state/dnssec_kek.hpp"

#include <cstdlib>
#include <system_error>

namespace iotreg::tools {

kek_location locate_kek(const config::settings& s) {
  // systemd sets CREDENTIALS_DIRECTORY for a unit with credentials; another unit's credentials
  // may be there without ours, so the file decides, not the variable.
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
    std::filesystem::path cred = std::filesystem::path(dir) / kek_credential_name;
    std::error_code ec;
    if (std::filesystem::exists(cred, ec)) return {cred, true};
  }
  return {s.dnssec.kek_file, false};
}

pki::key_encryption_key load_kek(const config::settings& s) {
  return pki::key_encryption_key::load_file(locate_kek(s).file);
}

}  // namespace iotreg::tools
