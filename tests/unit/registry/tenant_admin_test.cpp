// tenant_admin's disable/enable (registry/tenancy_service.hpp): admin only, the caller's own
// tenant refused before the store is asked, the store's answers passed through.

#include "registry/tenancy_service.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace iotreg::registry;

namespace {

/// Tenants in a map; set_disabled as the PostgreSQL store (first disabled_at kept, last admin).
struct fake_tenant_store final : tenant_store {
  std::map<std::int64_t, tenant> rows;
  int calls = 0;
  std::optional<std::int64_t> last_key;
  time_point now = time_point(std::chrono::hours(1000));

  tenant create_tenant(std::string_view, std::string_view) override { return {}; }
  std::vector<tenant> list_tenants() override { return {}; }
  std::optional<tenant> find_tenant(std::int64_t id) override {
    auto it = rows.find(id);
    if (it == rows.end()) return std::nullopt;
    return it->second;
  }
  std::int64_t insert_key(std::int64_t, std::string_view, const std::array<std::uint8_t, 32>&,
                          std::optional<time_point>) override {
    return 0;
  }
  bool revoke_key(std::int64_t) override { return false; }
  result<tenant> set_disabled(std::int64_t id, bool disabled, std::optional<std::int64_t> key) override {
    ++calls;
    last_key = key;
    auto it = rows.find(id);
    if (it == rows.end()) return error{errc::tenant_not_found, "no tenant"};
    if (disabled && it->second.kind == "admin") {
      bool other = false;
      for (const auto& [k, t] : rows) other = other || (k != id && t.kind == "admin" && !t.disabled_at);
      if (!other) return error{errc::tenant_disable_refused, "last admin tenant"};
    }
    if (!disabled)
      it->second.disabled_at.reset();
    else if (!it->second.disabled_at)
      it->second.disabled_at = now;
    return it->second;
  }
};

api_key key(std::string role, std::int64_t tenant_id) { return {7, "k", std::move(role), tenant_id}; }

}  // namespace

TEST_CASE("tenant_admin: disable and enable a tenant") {
  fake_tenant_store store;
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
      const int before = store.calls;
      auto r = svc.set_tenant_disabled(key(role, 2), 2, true);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == errc::forbidden);
      CHECK(store.calls == before);
    }
  }
  SECTION("the caller's own tenant: refused before the store is asked; enabling it is fine") {
    const int before = store.calls;
    auto r = svc.set_tenant_disabled(key("admin", 1), 1, true);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::tenant_disable_refused);
    CHECK(store.calls == before);
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
