// registry_reads (issue 5 item 3): the tenant restriction handed to the store, the policy applied
// to every row, the zone status for the admin only, with key states as `iotregctl dnssec status`.

#include "registry/reads.hpp"
#include "tests/unit/registry/memory_key_store.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace iotreg::registry;

namespace {

api_key key(std::string role, std::optional<std::int64_t> tenant) {
  return {1, "k", std::move(role), tenant};
}

device_ownership dev(std::string id, std::optional<std::int64_t> asp, std::optional<std::int64_t> mno) {
  device_ownership d;
  d.id = std::move(id);
  d.asp_tenant_id = asp;
  d.mno_tenant_id = mno;
  return d;
}

/// Returns `rows` whatever the query (so that the service's own policy check is visible).
struct fake_reads_store final : reads_store {
  std::vector<device_ownership> rows;
  std::map<std::string, std::vector<tlsa_data>> tlsa;  // by device id
  std::optional<device_query> last;
  std::vector<device_row> list_devices(std::string_view, const device_query& q) override {
    last = q;
    std::vector<device_row> out;
    std::int64_t id = 0;
    for (const auto& r : rows) {
      const auto t = tlsa.find(r.id);
      out.push_back(
          {r, t == tlsa.end() ? std::vector<tlsa_data>{} : t->second, page_cursor{time_point{}, ++id}});
    }
    return out;
  }
  std::vector<history_entry> history(std::string_view, std::string_view, std::int64_t after,
                                     std::size_t limit) override {
    std::vector<history_entry> out;
    for (std::int64_t i = after + 1; i <= 5 && out.size() <= limit; ++i)
      out.push_back({i, "a", {}, {}, {}, "{}"});
    return out;
  }
  zone_counts counts(std::string_view) override { return {42u, time_point{}, 3, 4}; }
};

/// Only authorize_device matters to the reads.
struct fake_lifecycle final : lifecycle_service {
  device_ownership owned = dev("d1", 10, 20);
  result<device_ownership> authorize_device(const api_key& caller, scope s, std::string_view) override {
    if (auto e = authorize(caller, s, &owned)) return *e;
    return owned;
  }
  result<std::optional<std::int64_t>> authorize_activation(const api_key&, std::string_view) override {
    return error{errc::forbidden, ""};
  }
  result<device_ownership> register_device(const api_key&, std::string_view) override {
    return error{errc::forbidden, ""};
  }
  result<std::vector<bulk_row>> register_bulk(const api_key&, const std::vector<std::string>&) override {
    return error{errc::forbidden, ""};
  }
  result<lifecycle_result> suspend(const api_key&, std::string_view) override {
    return error{errc::forbidden, ""};
  }
  result<lifecycle_result> resume(const api_key&, std::string_view) override {
    return error{errc::forbidden, ""};
  }
  result<lifecycle_result> remove(const api_key&, std::string_view) override {
    return error{errc::forbidden, ""};
  }
  result<revocation> revoke(const api_key&, std::string_view, iotreg::pki::revocation_reason) override {
    return error{errc::forbidden, ""};
  }
  result<transfer_code> create_transfer_code(const api_key&, std::string_view) override {
    return error{errc::forbidden, ""};
  }
  result<lifecycle_result> transfer(const api_key&, std::string_view, std::string_view) override {
    return error{errc::forbidden, ""};
  }
};

struct fixture {
  fake_reads_store store;
  testing::memory_key_store keys;
  fake_lifecycle lifecycle;
  time_point now = time_point(std::chrono::hours(1000));
  registry_reads reads{"devices.example.", 300, store, keys, lifecycle, [this] { return now; }};
};

}  // namespace

TEST_CASE("reads: list items carry the DNS name and every TLSA record as GET /devices/{id} shows it") {
  fixture f;
  tlsa_data a{3, 1, 1, std::vector<std::uint8_t>(32, 0xab)};
  tlsa_data b{3, 1, 1, std::vector<std::uint8_t>(32, 0x01)};
  f.store.rows = {dev("890490320000000000000000000001", 10, 20),
                  dev("890490320000000000000000000002", 10, 20)};
  f.store.tlsa["890490320000000000000000000001"] = {b, a};  // a renewal overlap: two live records
  auto page = f.reads.list_devices(key("asp", 10), {}, std::nullopt, 10);
  REQUIRE(page.has_value());
  REQUIRE(page->items.size() == 2);
  const auto& two = page->items[0];
  CHECK(two.dns_name == "890490320000000000000000000001._device.devices.example");
  REQUIRE(two.tlsa.size() == 2);
  const std::string owner = "890490320000000000000000000001._device.devices.example. 300 IN TLSA 3 1 1 ";
  CHECK(two.tlsa[0] == owner + "0101010101010101010101010101010101010101010101010101010101010101");
  CHECK(two.tlsa[1] == owner + "abababababababababababababababababababababababababababababababab");
  // A device without a live certificate (registered): a DNS name, no record.
  CHECK(page->items[1].dns_name == "890490320000000000000000000002._device.devices.example");
  CHECK(page->items[1].tlsa.empty());
}

TEST_CASE("reads: the store is restricted to the caller's tenant and rows are re-checked") {
  fixture f;
  f.store.rows = {dev("a", 10, 20), dev("b", 11, 20), dev("c", 10, 21)};
  auto page = f.reads.list_devices(key("asp", 10), {}, std::nullopt, 10);
  REQUIRE(page.has_value());
  CHECK(f.store.last->only_asp == 10);
  CHECK_FALSE(f.store.last->only_mno);
  REQUIRE(page->items.size() == 2);  // "b" is another ASP's: dropped even if the store returned it
  CHECK(page->items[0].device.id == "a");
  CHECK(page->items[1].device.id == "c");
  CHECK_FALSE(page->next);

  page = f.reads.list_devices(key("mno", 20), {}, std::nullopt, 10);
  REQUIRE(page.has_value());
  CHECK(f.store.last->only_mno == 20);
  CHECK(page->items.size() == 2);

  page = f.reads.list_devices(key("admin", 1), {}, std::nullopt, 2);
  REQUIRE(page.has_value());
  CHECK_FALSE(f.store.last->only_asp);
  CHECK_FALSE(f.store.last->only_mno);
  CHECK(page->items.size() == 2);
  REQUIRE(page->next);  // limit + 1 rows came back
  CHECK(page->next->row_id == 2);

  f.store.last.reset();
  page = f.reads.list_devices(key("asp", std::nullopt), {}, std::nullopt, 10);
  REQUIRE(page.has_value());
  CHECK(page->items.empty());
  CHECK_FALSE(f.store.last);  // not even asked

  auto refused = f.reads.list_devices(key("reseller", 5), {}, std::nullopt, 10);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == errc::forbidden);
}

TEST_CASE("reads: history pages and hides another tenant's device") {
  fixture f;
  auto h = f.reads.history(key("asp", 10), "d1", std::nullopt, 2);
  REQUIRE(h.has_value());
  CHECK(h->items.size() == 2);
  REQUIRE(h->next);
  h = f.reads.history(key("asp", 10), "d1", h->next, 10);
  REQUIRE(h.has_value());
  CHECK(h->items.size() == 3);
  CHECK(h->items.front().id == 3);
  CHECK_FALSE(h->next);
  auto other = f.reads.history(key("asp", 11), "d1", std::nullopt, 10);
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().code == errc::device_not_found);
}

TEST_CASE("reads: the zone status is the admin's, with the key states of dnssec status") {
  fixture f;
  dnssec_key_record k;
  k.zone = "devices.example.";
  k.key_tag = 4242;
  k.algorithm = 13;
  k.role = dnssec_key_role::ksk;
  k.timeline.generated = f.now - std::chrono::hours(10);
  k.timeline.published = f.now - std::chrono::hours(9);
  f.keys.rows.push_back(k);
  for (const char* role : {"asp", "mno"}) {
    auto z = f.reads.zone(key(role, 10));
    REQUIRE_FALSE(z.has_value());
    CHECK(z.error().code == errc::forbidden);
  }
  auto z = f.reads.zone(key("admin", 1));
  REQUIRE(z.has_value());
  CHECK(z->zone == "devices.example.");
  CHECK(z->serial == std::optional<std::uint32_t>{42u});
  CHECK(z->active_devices == 3);
  CHECK(z->tlsa_records == 4);
  REQUIRE(z->keys.size() == 1);
  CHECK(z->keys[0].key_tag == 4242);
  CHECK(z->keys[0].role == dnssec_key_role::ksk);
  CHECK(z->keys[0].state == dnssec_key_state(k.timeline, f.now));
  CHECK(z->keys[0].state == "published");
}
