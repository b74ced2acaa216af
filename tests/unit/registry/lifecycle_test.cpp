// The lifecycle transition table (registry/lifecycle.hpp) and the authorization policy
// (registry/authorization.hpp): every pair is checked, so a new row or scope fails here first.

#include "registry/lifecycle.hpp"
#include "registry/authorization.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <tuple>

using namespace iotreg::registry;

namespace {

constexpr device_status all_states[] = {device_status::registered, device_status::active,
                                        device_status::suspended, device_status::revoked,
                                        device_status::deleted};
constexpr lifecycle_event all_events[] = {lifecycle_event::activate, lifecycle_event::suspend,
                                          lifecycle_event::resume,   lifecycle_event::revoke,
                                          lifecycle_event::transfer, lifecycle_event::remove};

api_key key(std::string role, std::optional<std::int64_t> tenant) {
  return {1, "k", std::move(role), tenant};
}

device_ownership owned(std::optional<std::int64_t> asp, std::optional<std::int64_t> mno,
                       device_status s = device_status::active) {
  device_ownership d;
  d.id = "89049032000001000000000000000123";
  d.status = s;
  d.asp_tenant_id = asp;
  d.mno_tenant_id = mno;
  return d;
}

}  // namespace

TEST_CASE("lifecycle: exactly the documented transitions are allowed") {
  using s = device_status;
  using e = lifecycle_event;
  const std::set<std::tuple<s, e, s>> allowed = {
      {s::registered, e::activate, s::active}, {s::registered, e::transfer, s::registered},
      {s::registered, e::remove, s::deleted},  {s::active, e::suspend, s::suspended},
      {s::active, e::revoke, s::revoked},      {s::active, e::transfer, s::active},
      {s::active, e::remove, s::deleted},      {s::suspended, e::resume, s::active},
      {s::suspended, e::revoke, s::revoked},   {s::suspended, e::transfer, s::suspended},
      {s::suspended, e::remove, s::deleted},   {s::revoked, e::remove, s::deleted},
  };
  std::size_t found = 0;
  for (auto from : all_states) {
    for (auto ev : all_events) {
      INFO(to_string(from) << " --" << to_string(ev) << "-->");
      const auto t = next_transition(from, ev);
      bool expected = false;
      for (const auto& [f, v, to] : allowed) {
        if (f == from && v == ev) {
          expected = true;
          REQUIRE(t);
          CHECK(t->to == to);
        }
      }
      CHECK(t.has_value() == expected);
      if (t) ++found;
    }
  }
  CHECK(found == allowed.size());
  // Nothing leaves "deleted".
  for (auto ev : all_events) CHECK_FALSE(next_transition(s::deleted, ev));
}

TEST_CASE("lifecycle: zone effects and certificate revocation") {
  using s = device_status;
  using e = lifecycle_event;
  CHECK(next_transition(s::registered, e::activate)->zone == zone_effect::add);
  CHECK(next_transition(s::active, e::suspend)->zone == zone_effect::remove);
  CHECK_FALSE(next_transition(s::active, e::suspend)->revoke_certificates);  // the certificate stays
  CHECK(next_transition(s::suspended, e::resume)->zone == zone_effect::add);
  CHECK(next_transition(s::active, e::revoke)->zone == zone_effect::remove);
  CHECK(next_transition(s::active, e::revoke)->revoke_certificates);
  // A suspended device's TLSA is already out of the zone: no second removal.
  CHECK(next_transition(s::suspended, e::revoke)->zone == zone_effect::none);
  CHECK(next_transition(s::suspended, e::revoke)->revoke_certificates);
  CHECK(next_transition(s::active, e::remove)->zone == zone_effect::remove);
  CHECK(next_transition(s::active, e::remove)->revoke_certificates);
  CHECK(next_transition(s::revoked, e::remove)->zone == zone_effect::none);
  CHECK_FALSE(next_transition(s::revoked, e::remove)->revoke_certificates);
  CHECK(next_transition(s::active, e::transfer)->zone == zone_effect::none);
  CHECK(to_string(e::remove) == "delete");
}

TEST_CASE("authorization: scopes per role") {
  const auto admin = key("admin", 1);
  const auto mno = key("mno", 2);
  const auto asp = key("asp", 3);
  for (auto sc : {scope::tenants_manage, scope::zone_read, scope::device_register, scope::device_activate,
                  scope::device_read, scope::device_suspend, scope::device_revoke, scope::device_transfer_out,
                  scope::device_transfer_in, scope::device_delete}) {
    CHECK(has_scope(admin, sc));
    CHECK_FALSE(has_scope(key("operator", 2), sc));  // unknown roles have nothing
  }
  CHECK(has_scope(mno, scope::device_activate));
  CHECK(has_scope(mno, scope::device_suspend));
  CHECK(has_scope(mno, scope::device_revoke));
  CHECK(has_scope(mno, scope::device_read));
  CHECK_FALSE(has_scope(mno, scope::device_register));
  CHECK_FALSE(has_scope(mno, scope::device_delete));
  CHECK_FALSE(has_scope(mno, scope::device_transfer_out));
  CHECK_FALSE(has_scope(mno, scope::tenants_manage));
  CHECK_FALSE(has_scope(mno, scope::zone_read));
  CHECK(has_scope(asp, scope::device_register));
  CHECK(has_scope(asp, scope::device_delete));
  CHECK(has_scope(asp, scope::device_transfer_out));
  CHECK(has_scope(asp, scope::device_transfer_in));
  CHECK(has_scope(asp, scope::device_revoke));
  CHECK_FALSE(has_scope(asp, scope::device_activate));
  CHECK_FALSE(has_scope(asp, scope::device_suspend));
  CHECK_FALSE(has_scope(asp, scope::tenants_manage));

  const auto e = authorize(asp, scope::tenants_manage);
  REQUIRE(e);
  CHECK(e->code == errc::forbidden);
}

TEST_CASE("authorization: a tenant sees only its own devices, others get not-found") {
  const auto d = owned(3, 2);
  CHECK_FALSE(authorize(key("admin", 1), scope::device_read, &d));
  CHECK_FALSE(authorize(key("asp", 3), scope::device_read, &d));
  CHECK_FALSE(authorize(key("mno", 2), scope::device_read, &d));
  for (const auto& other :
       {key("asp", 4), key("mno", 5), key("asp", std::nullopt), key("mno", 3), key("asp", 2)}) {
    INFO(other.role << " " << other.tenant_id.value_or(-1));
    const auto e = authorize(other, scope::device_read, &d);
    REQUIRE(e);
    CHECK(e->code == errc::device_not_found);
  }
  // A missing scope is 403 even on another's device (the role check comes first).
  const auto e = authorize(key("mno", 9), scope::device_delete, &d);
  REQUIRE(e);
  CHECK(e->code == errc::forbidden);
}

TEST_CASE("authorization: MNO activation and ASP transfer") {
  const auto registered = owned(3, std::nullopt, device_status::registered);
  CHECK_FALSE(authorize(key("mno", 2), scope::device_activate, &registered));
  CHECK_FALSE(authorize(key("mno", 7), scope::device_activate, &registered));
  // Once another MNO activated it, it is hidden from this one.
  const auto active = owned(3, 2, device_status::active);
  REQUIRE(authorize(key("mno", 7), scope::device_activate, &active));
  CHECK(authorize(key("mno", 7), scope::device_activate, &active)->code == errc::device_not_found);
  // A device without an MNO that is not registered (enrolled by the admin) is not the MNO's.
  const auto admin_enrolled = owned(std::nullopt, std::nullopt, device_status::active);
  CHECK(authorize(key("mno", 2), scope::device_activate, &admin_enrolled)->code == errc::device_not_found);
  // Transfer in: any ASP may try; the code is checked by the service.
  CHECK_FALSE(authorize(key("asp", 4), scope::device_transfer_in, &active));
  CHECK(authorize(key("asp", 4), scope::device_transfer_out, &active)->code == errc::device_not_found);
  CHECK_FALSE(authorize(key("asp", 3), scope::device_transfer_out, &active));
}
