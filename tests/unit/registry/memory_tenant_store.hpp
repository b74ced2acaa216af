#pragma once
// Tenants in a map, for unit tests of the use cases that read or change tenants. set_disabled
// behaves as the PostgreSQL store does (the first disabled_at is kept; the last enabled admin
// tenant is refused); keys are not kept (the API-key tests use memory_store).

#include "registry/ports.hpp"

#include <map>

namespace iotreg::registry::testing {

struct memory_tenant_store final : tenant_store {
  std::map<std::int64_t, tenant> rows;
  int disable_calls = 0;                                  // set_disabled calls
  std::optional<std::int64_t> last_key;                   // the API key of the last set_disabled
  time_point now = time_point(std::chrono::hours(1000));  // the disabled_at it writes

  memory_tenant_store() = default;
  memory_tenant_store(std::initializer_list<tenant> tenants) {
    for (const auto& t : tenants) rows[t.id] = t;
  }

  tenant create_tenant(std::string_view, std::string_view) override { return {}; }
  std::vector<tenant> list_tenants() override {
    std::vector<tenant> all;
    for (const auto& [id, t] : rows) all.push_back(t);
    return all;
  }
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
    ++disable_calls;
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

}  // namespace iotreg::registry::testing
