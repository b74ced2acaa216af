// The one file that uses OpenSSL's ENGINE API (deprecated in OpenSSL 3, still the only PKCS#11
// route Debian 12 ships: libengine-pkcs11-openssl). Its deprecation warnings are silenced here
// and nowhere else.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include "pki/pkcs11.hpp"

#include "pki/ossl.hpp"

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>

#include <atomic>
#include <cctype>
#include <string>

namespace iotreg::pki {

namespace {

std::atomic<bool> token_open{false};

/// The OpenSSL error queue as text, emptied. libp11 puts the PKCS#11 reason there
/// ("PIN incorrect", "object not found"); it never holds the PIN.
std::string drain_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string check_pkcs11_key_uri(std::string_view uri) {
  const std::string l = lower(uri);
  if (!l.starts_with("pkcs11:")) return "must be a PKCS#11 URI (RFC 7512) starting with \"pkcs11:\"";
  if (l.size() == 7) return "names no object (add e.g. object=<label> or id=<hex>)";
  if (l.find("pin-value") != std::string::npos || l.find("pin-source") != std::string::npos)
    return "must not carry the PIN (pin-value, pin-source): give it in [ca] pkcs11_pin_file or the "
           "systemd credential iotreg-pkcs11-pin";
  return {};
}

pkcs11_token::pkcs11_token(const std::filesystem::path& module, std::string_view pin, std::string pin_source)
    : module_(module), pin_source_(std::move(pin_source)) {
  if (token_open.exchange(true)) throw pkcs11_error("a PKCS#11 token is already open in this process");
  auto fail = [&](const std::string& what) {
    token_open = false;
    return pkcs11_error("PKCS#11 module " + module_.string() + ": " + what + ": " + drain_errors());
  };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(module_, ec)) {
    token_open = false;
    throw pkcs11_error(
        "PKCS#11 module " + module_.string() +
        ": no such file (install softhsm2 or the HSM vendor's library, or set [ca] pkcs11_module)");
  }
  // The dynamic engine "pkcs11" comes from OpenSSL's engines directory (libp11).
  ENGINE* e = ENGINE_by_id("pkcs11");
  if (e == nullptr) throw fail("cannot load OpenSSL's pkcs11 engine (install libengine-pkcs11-openssl)");
  // The engine keeps its own copy of the PIN (libp11 logs in again when a session is lost);
  // ours is wiped at once.
  std::string pin_text(pin);  // NUL-terminated for the ctrl
  const bool configured = ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module_.c_str(), 0) == 1 &&
                          ENGINE_ctrl_cmd_string(e, "PIN", pin_text.c_str(), 0) == 1;
  OPENSSL_cleanse(pin_text.data(), pin_text.size());
  if (!configured || ENGINE_init(e) != 1) {
    ENGINE_free(e);
    throw fail("cannot initialise the pkcs11 engine");
  }
  engine_ = e;
}

pkcs11_token::~pkcs11_token() {
  // finish logs out and unloads the module; free drops the structural reference.
  ENGINE_finish(engine_);
  ENGINE_free(engine_);
  token_open = false;
}

private_key pkcs11_token::load_private_key(std::string_view uri) const {
  if (const std::string why = check_pkcs11_key_uri(uri); !why.empty())
    throw pkcs11_error("PKCS#11 key URI " + std::string(uri) + ": " + why);
  const std::string u(uri);
  // UI_null: never prompt on a terminal; a missing or wrong PIN fails instead.
  evp_pkey_ptr k(ENGINE_load_private_key(engine_, u.c_str(), const_cast<UI_METHOD*>(UI_null()), nullptr));
  if (!k) {
    throw pkcs11_error("PKCS#11 key " + u + " (module " + module_.string() + ", PIN from " + pin_source_ +
                       "): cannot load: " + drain_errors());
  }
  return private_key::in_token(std::move(k));
}

}  // namespace iotreg::pki
