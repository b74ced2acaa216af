#include "dns/errors.hpp"

#include <string>

namespace iotreg::dns {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "iotreg.dns"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok: return "ok";
      case errc::ldns_failure: return "ldns failure";
      case errc::crypto_failure: return "crypto failure";
      case errc::unsupported_algorithm: return "unsupported DNSSEC algorithm";
      case errc::bad_key_file: return "bad DNSSEC key file";
    }
    return "unknown dns error";
  }
};

}  // namespace

const boost::system::error_category& dns_category() noexcept {
  static const category instance;
  return instance;
}

void throw_error(errc e, std::string_view what) {
  throw boost::system::system_error(make_error_code(e), std::string(what));
}

}  // namespace iotreg::dns
