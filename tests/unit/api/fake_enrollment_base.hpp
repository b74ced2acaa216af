#pragma once
// The base of the API tests' fake enrollment services: every use case a test does not exercise
// answers device_not_found, so that a fake overrides only what its test looks at.

#include "registry/enrollment_service.hpp"

namespace iotreg::testing {

struct fake_enrollment_base : registry::enrollment_service {
  registry::result<registry::enrollment> enroll(const registry::enroll_request&) override { return unused(); }
  registry::result<registry::enrollment> get(std::string_view) override { return unused(); }
  registry::result<registry::revocation> revoke(std::string_view, pki::revocation_reason) override {
    return unused();
  }
  registry::result<registry::enrollment> renew(const registry::renew_request&) override { return unused(); }
  registry::result<registry::enrollment> rekey(const registry::rekey_request&) override { return unused(); }
  registry::result<registry::confirmation> confirm(std::string_view, std::string_view) override {
    return unused();
  }
  registry::result<registry::expiring_page> expiring(const registry::api_key&, registry::time_point,
                                                     const std::optional<registry::expiring_cursor>&,
                                                     std::size_t) override {
    return registry::expiring_page{};
  }

 private:
  static registry::error unused() { return {registry::errc::device_not_found, "not used by this test"}; }
};

}  // namespace iotreg::testing
