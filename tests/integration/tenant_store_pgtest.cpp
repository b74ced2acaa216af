// tenant_store and lifecycle_store on PostgreSQL (migration 006).

#include "db/api_key_store_pg.hpp"
#include "db/device_store_pg.hpp"
#include "db/tenant_store_pg.hpp"
#include "registry/authorization.hpp"
#include "tests/integration/pg_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using iotreg::test::fresh_db;
using iotreg::test::sample_enrollment;
namespace db = iotreg::db;
namespace registry = iotreg::registry;

namespace {

std::array<std::uint8_t, 32> hash_of(std::uint8_t seed) {
  std::array<std::uint8_t, 32> h{};
  h[0] = seed;
  h[31] = 0x5a;
  return h;
}

const std::string zone = "devices.example.";

/// A decider that applies `ev` by the transition table, as the service does.
registry::lifecycle_store::decider by_table(registry::lifecycle_event ev) {
  return [ev](const registry::locked_device& d) -> registry::result<registry::lifecycle_change> {
    auto t = registry::next_transition(d.owners.status, ev);
    if (!t) return registry::error{registry::errc::invalid_transition, "no"};
    registry::lifecycle_change c;
    c.t = *t;
    c.audit_action = "device.test";
    return c;
  };
}

}  // namespace

TEST_CASE("tenant_store: migration 006 puts existing keys in the admin tenant", "[pg][tenants]") {
  fresh_db d;
  CHECK(d.scalar("SELECT count(*) FROM tenants WHERE kind = 'admin'") == 1);
  db::pg_api_key_store keys{d.pool()};
  keys.insert("bootstrap", "admin", hash_of(1));
  const auto k = keys.find_active(hash_of(1));
  REQUIRE(k);
  REQUIRE(k->tenant_id);
  CHECK(*k->tenant_id == d.scalar("SELECT id FROM tenants WHERE kind = 'admin'"));
}

TEST_CASE("tenant_store: tenants, keys with expiry, revocation, disabled tenants", "[pg][tenants]") {
  fresh_db d;
  db::pg_tenant_store tenants{d.pool()};
  db::pg_api_key_store keys{d.pool()};
  const auto asp = tenants.create_tenant("fleet-a", "asp");
  CHECK(asp.id > 0);
  CHECK(asp.kind == "asp");
  CHECK(tenants.list_tenants().size() == 2);  // admin + fleet-a
  REQUIRE(tenants.find_tenant(asp.id));
  CHECK_FALSE(tenants.find_tenant(asp.id + 100));
  CHECK_THROWS(tenants.create_tenant("x", "reseller"));  // CHECK constraint

  const auto id = tenants.insert_key(asp.id, "k1", hash_of(2), std::nullopt);
  auto k = keys.find_active(hash_of(2));
  REQUIRE(k);
  CHECK(k->id == id);
  CHECK(k->role == "asp");
  CHECK(k->tenant_id == asp.id);
  CHECK_THROWS_AS(tenants.insert_key(asp.id + 100, "k", hash_of(3), std::nullopt), std::invalid_argument);

  // Expired: 401 from then on.
  tenants.insert_key(asp.id, "k2", hash_of(4), registry::clock::now() + std::chrono::hours(1));
  CHECK(keys.find_active(hash_of(4)));
  d.exec("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE name = 'k2'");
  CHECK_FALSE(keys.find_active(hash_of(4)));

  CHECK(tenants.revoke_key(id));
  CHECK_FALSE(tenants.revoke_key(id));  // already revoked
  CHECK_FALSE(keys.find_active(hash_of(2)));

  tenants.insert_key(asp.id, "k3", hash_of(5), std::nullopt);
  CHECK(keys.find_active(hash_of(5)));
  d.exec("UPDATE tenants SET disabled_at = now() WHERE id = " + std::to_string(asp.id));
  CHECK_FALSE(keys.find_active(hash_of(5)));
}

TEST_CASE("tenant_store: disable and enable, idempotent, audited, the last admin tenant kept",
          "[pg][tenants]") {
  fresh_db d;
  db::pg_tenant_store tenants{d.pool()};
  db::pg_api_key_store keys{d.pool()};
  db::pg_device_store devices{d.pool()};
  const auto admin_id = d.scalar("SELECT id FROM tenants WHERE kind = 'admin'");
  const auto mno = tenants.create_tenant("op-a", "mno");
  tenants.insert_key(mno.id, "k", hash_of(7), std::nullopt);
  auto e = sample_enrollment(zone, "dev-1", 1);
  e.mno_tenant_id = mno.id;
  REQUIRE(devices.insert_enrollment(e).has_value());
  const auto audit = [&](const std::string& action) {
    return d.scalar("SELECT count(*) FROM audit_log WHERE action = '" + action +
                    "' AND detail->>'tenant_id' = '" + std::to_string(mno.id) + "'");
  };

  auto t = tenants.set_disabled(mno.id, true, 42);
  REQUIRE(t.has_value());
  REQUIRE(t->disabled_at);
  CHECK_FALSE(keys.find_active(hash_of(7)));  // refused at once
  CHECK(audit("tenant.disable") == 1);
  CHECK(d.scalar("SELECT api_key_id FROM audit_log WHERE action = 'tenant.disable'") == 42);
  // The tenant's device is not touched: still active, its certificate live.
  CHECK(d.scalar("SELECT count(*) FROM devices WHERE device_id = 'dev-1' AND status = 'active'") == 1);
  CHECK(d.scalar("SELECT count(*) FROM certificates WHERE revoked_at IS NULL AND withdrawn_at IS NULL") == 1);

  // Disabling again: same state, the first disabled_at kept, no second audit row.
  d.exec("SELECT pg_sleep(0.01)");
  auto again = tenants.set_disabled(mno.id, true, 42);
  REQUIRE(again.has_value());
  CHECK(again->disabled_at == t->disabled_at);
  CHECK(audit("tenant.disable") == 1);

  auto enabled = tenants.set_disabled(mno.id, false, std::nullopt);
  REQUIRE(enabled.has_value());
  CHECK_FALSE(enabled->disabled_at);
  CHECK(keys.find_active(hash_of(7)));
  CHECK(audit("tenant.enable") == 1);
  REQUIRE(tenants.set_disabled(mno.id, false, std::nullopt).has_value());
  CHECK(audit("tenant.enable") == 1);

  CHECK(tenants.set_disabled(mno.id + 100, true, std::nullopt).error().code ==
        registry::errc::tenant_not_found);

  // The only admin tenant cannot be disabled; with a second one enabled, one of them can, and
  // then the other no longer.
  CHECK(tenants.set_disabled(admin_id, true, std::nullopt).error().code ==
        registry::errc::tenant_disable_refused);
  const auto admin2 = tenants.create_tenant("admin-2", "admin");
  REQUIRE(tenants.set_disabled(admin_id, true, std::nullopt).has_value());
  CHECK(tenants.set_disabled(admin2.id, true, std::nullopt).error().code ==
        registry::errc::tenant_disable_refused);
  CHECK_FALSE(tenants.find_tenant(admin2.id)->disabled_at);
  REQUIRE(tenants.set_disabled(admin_id, false, std::nullopt).has_value());
  CHECK(tenants.set_disabled(admin2.id, true, std::nullopt).has_value());
}

TEST_CASE("lifecycle_store: register, activate, suspend, resume, revoke, delete", "[pg][tenants]") {
  fresh_db d;
  db::pg_tenant_store tenants{d.pool()};
  db::pg_lifecycle_store store{d.pool()};
  db::pg_device_store devices{d.pool()};
  const auto asp = tenants.create_tenant("fleet-a", "asp");
  const auto mno = tenants.create_tenant("op-a", "mno");
  const std::string id = "89049032000001000000000000000001";

  auto out = store.register_devices(zone, {id, "dev-2"}, asp.id, std::nullopt);
  REQUIRE(out.size() == 2);
  CHECK(out[0].registered);
  CHECK(out[1].registered);
  out = store.register_devices(zone, {"dev-3", id}, asp.id, std::nullopt);
  CHECK(out[0].registered);
  CHECK_FALSE(out[1].registered);  // already there
  CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE action = 'device.register'") == 3);

  auto o = store.ownership(zone, id);
  REQUIRE(o);
  CHECK(o->status == registry::device_status::registered);
  CHECK(o->asp_tenant_id == asp.id);
  CHECK_FALSE(o->mno_tenant_id);
  CHECK_FALSE(devices.find(zone, id));  // no certificate yet

  // Suspending a registered device: 409 and nothing written.
  auto bad = store.change(zone, id, by_table(registry::lifecycle_event::suspend));
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == registry::errc::invalid_transition);
  CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE action = 'device.test'") == 0);

  // Activation: the enrollment upsert takes the registered row.
  auto e = sample_enrollment(zone, id, 1);
  e.mno_tenant_id = mno.id;
  REQUIRE(devices.insert_enrollment(e).has_value());
  o = store.ownership(zone, id);
  CHECK(o->status == registry::device_status::active);
  CHECK(o->mno_tenant_id == mno.id);
  CHECK(o->asp_tenant_id == asp.id);
  // A second activation is refused (the row is no longer registered).
  auto again = devices.insert_enrollment(sample_enrollment(zone, id, 2));
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == registry::errc::device_exists);

  const auto changes = [&] { return d.scalar("SELECT count(*) FROM zone_changes"); };
  const auto before = changes();
  auto s = store.change(zone, id, by_table(registry::lifecycle_event::suspend));
  REQUIRE(s.has_value());
  REQUIRE(s->has_value());  // a zone change
  CHECK(d.scalar("SELECT count(*) FROM zone_changes WHERE op = 'remove'") == 1);
  CHECK(store.ownership(zone, id)->status == registry::device_status::suspended);
  CHECK(d.scalar("SELECT count(*) FROM certificates WHERE revoked_at IS NULL") == 1);  // certificate kept

  auto res = store.change(zone, id, by_table(registry::lifecycle_event::resume));
  REQUIRE(res.has_value());
  REQUIRE(res->has_value());
  CHECK(store.ownership(zone, id)->status == registry::device_status::active);
  CHECK(changes() == before + 2);

  auto r = store.change(zone, id, by_table(registry::lifecycle_event::revoke));
  REQUIRE(r.has_value());
  CHECK(d.scalar("SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL") == 1);
  auto del = store.change(zone, id, by_table(registry::lifecycle_event::remove));
  REQUIRE(del.has_value());
  CHECK_FALSE(del->has_value());  // revoked: no TLSA left to remove
  o = store.ownership(zone, id);
  CHECK(o->status == registry::device_status::deleted);
  CHECK(o->deleted_at);
  CHECK(d.scalar("SELECT count(*) FROM audit_log WHERE action = 'device.test'") == 4);

  // Unknown device.
  auto missing = store.change(zone, "nope", by_table(registry::lifecycle_event::suspend));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == registry::errc::device_not_found);
}

TEST_CASE("lifecycle_store: transfer code and owner change", "[pg][tenants]") {
  fresh_db d;
  db::pg_tenant_store tenants{d.pool()};
  db::pg_lifecycle_store store{d.pool()};
  const auto a = tenants.create_tenant("fleet-a", "asp");
  const auto b = tenants.create_tenant("fleet-b", "asp");
  REQUIRE(store.register_devices(zone, {"dev-1"}, a.id, std::nullopt)[0].registered);

  auto set_code = store.change(zone, "dev-1", [&](const registry::locked_device& l) {
    registry::lifecycle_change c;
    c.t = *registry::next_transition(l.owners.status, registry::lifecycle_event::transfer);
    c.set_transfer_code = hash_of(9);
    c.transfer_code_expires_at = registry::clock::now() + std::chrono::hours(1);
    c.audit_action = "device.transfer_code";
    return registry::result<registry::lifecycle_change>{c};
  });
  REQUIRE(set_code.has_value());
  CHECK(d.scalar("SELECT count(*) FROM devices WHERE transfer_code_hash IS NOT NULL") == 1);

  std::optional<std::array<std::uint8_t, 32>> seen;
  auto moved = store.change(zone, "dev-1", [&](const registry::locked_device& l) {
    seen = l.transfer_code_hash;
    registry::lifecycle_change c;
    c.t = *registry::next_transition(l.owners.status, registry::lifecycle_event::transfer);
    c.new_asp = b.id;
    c.audit_action = "device.transfer";
    return registry::result<registry::lifecycle_change>{c};
  });
  REQUIRE(moved.has_value());
  REQUIRE(seen);
  CHECK(*seen == hash_of(9));
  CHECK(store.ownership(zone, "dev-1")->asp_tenant_id == b.id);
  CHECK(d.scalar("SELECT count(*) FROM devices WHERE transfer_code_hash IS NOT NULL") == 0);  // one-time
}

TEST_CASE("lifecycle_store: 10000 registrations in one call", "[pg][tenants]") {
  fresh_db d;
  db::pg_tenant_store tenants{d.pool()};
  db::pg_lifecycle_store store{d.pool()};
  const auto a = tenants.create_tenant("fleet-a", "asp");
  std::vector<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.push_back("dev-" + std::to_string(i));
  const auto t0 = std::chrono::steady_clock::now();
  const auto out = store.register_devices(zone, ids, a.id, std::nullopt);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(out.size() == ids.size());
  CHECK(d.scalar("SELECT count(*) FROM devices WHERE status = 'registered'") == 10000);
  CHECK(took < std::chrono::seconds(5));
}
