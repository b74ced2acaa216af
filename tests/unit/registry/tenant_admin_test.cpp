// tenant_admin's disable/enable (registry/tenancy_service.hpp): admin only, the caller's own
// tenant refused before the store is asked, the store's answers passed through.

#include "registry/tenancy_service.hpp"
#include "tests/unit/registry/memory_tenant_store.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace iotreg::registry;

namespace {

api_key key(std::string role, std::int64_t tenant_id) { return {7, "k", std::move(role), tenant_id}; }

}  // namespace

TEST_CASE("tenant_admin: disable and enable a tenant") {
  testing::memory_tenant_store store;
  store.rows[1] = {1, "admin", "admin", {}, {}};
  store.rows[2] = {2, "op", "mno", {}, {}};
  store.rows[3] = {3, "admin-2", "admin", {}, {}};
  tenant_admin svc(store);

  auto t = svc.set_tenant_disabled(key("admin", 1), 2, true);
  REQUIRE(t.has_value());
  CHECK(t->disabled_at == store.now);
  CHECK(store.last_key == 7);  // the audit row names the caller's key
  store.now += std::chrono::hours(1);
  t = svc.set_tenant_disabled(key("admin", 1), 2, true);  // again: same state, first time kept
  REQUIRE(t.has_value());
  CHECK(t->disabled_at == store.now - std::chrono::hours(1));
  t = svc.set_tenant_disabled(key("admin", 1), 2, false);
  REQUIRE(t.has_value());
  CHECK_FALSE(t->disabled_at);

  SECTION("only the admin") {
    for (const auto* role : {"mno", "asp"}) {
      const int before = store.disable_calls;
      auto r = svc.set_tenant_disabled(key(role, 2), 2, true);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == errc::forbidden);
      CHECK(store.disable_calls == before);
    }
  }
  SECTION("the caller's own tenant: refused before the store is asked; enabling it is fine") {
    const int before = store.disable_calls;
    auto r = svc.set_tenant_disabled(key("admin", 1), 1, true);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::tenant_disable_refused);
    CHECK(store.disable_calls == before);
    CHECK(svc.set_tenant_disabled(key("admin", 1), 1, false).has_value());
  }
  SECTION("the last enabled admin tenant: the store's refusal passes through") {
    REQUIRE(svc.set_tenant_disabled(key("admin", 1), 3, true).has_value());  // tenant 1 still enabled
    auto r = svc.set_tenant_disabled(key("admin", 3), 1, true);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::tenant_disable_refused);
  }
  SECTION("an unknown tenant") {
    auto r = svc.set_tenant_disabled(key("admin", 1), 99, true);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::tenant_not_found);
  }
}
