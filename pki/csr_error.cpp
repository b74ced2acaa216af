#include "pki/csr_error.hpp"

#include <string>

namespace iotreg::pki {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "iotreg.pki.csr"; }
  std::string message(int ev) const override {
    switch (static_cast<csr_errc>(ev)) {
      case csr_errc::not_pem: return "not a PEM certificate request";
      case csr_errc::malformed: return "malformed certificate request";
      case csr_errc::bad_signature: return "certificate request signature invalid or algorithm refused";
      case csr_errc::key_not_allowed: return "key type or size not allowed";
      case csr_errc::too_large: return "certificate request too large";
      case csr_errc::ca_requested: return "certificate request asks for a CA certificate";
      case csr_errc::name_mismatch: return "certificate request names another subject";
    }
    return "unknown CSR error";
  }
};

}  // namespace

const boost::system::error_category& csr_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace iotreg::pki
