// registry_iotsafe (issue 5 item 5): the payload of an enrolled device (its certificate, the CA
// chain, the DS/DNSKEY of the published KSKs only, the device and ASP TLSA), who may read it,
// 409 for a device without a live certificate, and the ASP's service endpoint: checks, who may
// set it, nothing written on a refusal.

#include "registry/iotsafe_service.hpp"
#include "dns/keys.hpp"
#include "pki/key.hpp"
#include "registry/iotsafe_der.hpp"
#include "service_fixture.hpp"
#include "tests/unit/registry/memory_key_store.hpp"
#include "tests/unit/registry/memory_tenant_store.hpp"
#include "tests/unit/registry/test_csr.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>

using namespace iotreg;
using namespace iotreg::registry;

namespace {

constexpr const char* eid = "89049032123451234512345678901235";

api_key key(std::string role, std::optional<std::int64_t> tenant) {
  return {7, "k", std::move(role), tenant};
}

/// authorize_device with the real policy over one device's owners (ASP 10, MNO 20).
struct fake_lifecycle final : lifecycle_service {
  device_ownership owned;
  fake_lifecycle() {
    owned.id = eid;
    owned.status = device_status::active;
    owned.asp_tenant_id = 10;
    owned.mno_tenant_id = 20;
  }
  result<device_ownership> authorize_device(const api_key& caller, scope s, std::string_view id) override {
    if (!has_scope(caller, s)) return *authorize(caller, s);
    if (id != owned.id) return error{errc::device_not_found, "no such device"};
    if (auto e = authorize(caller, s, &owned)) return *e;
    return owned;
  }
  result<std::optional<std::int64_t>> authorize_activation(const api_key&, std::string_view) override {
    return std::optional<std::int64_t>{};
  }
  result<device_ownership> register_device(const api_key&, std::string_view) override { return no(); }
  result<std::vector<bulk_row>> register_bulk(const api_key&, const std::vector<std::string>&) override {
    return no();
  }
  result<lifecycle_result> suspend(const api_key&, std::string_view) override { return no(); }
  result<lifecycle_result> resume(const api_key&, std::string_view) override { return no(); }
  result<lifecycle_result> remove(const api_key&, std::string_view) override { return no(); }
  result<revocation> revoke(const api_key&, std::string_view, pki::revocation_reason) override {
    return no();
  }
  result<transfer_code> create_transfer_code(const api_key&, std::string_view) override { return no(); }
  result<lifecycle_result> transfer(const api_key&, std::string_view, std::string_view) override {
    return no();
  }
  static error no() { return {errc::forbidden, "not used"}; }
};

struct memory_endpoints final : service_endpoint_store {
  std::map<std::int64_t, service_endpoint> rows;
  int writes = 0;
  std::optional<service_endpoint> find(std::int64_t id) override {
    auto it = rows.find(id);
    if (it == rows.end()) return std::nullopt;
    return it->second;
  }
  void put(std::int64_t id, const service_endpoint& e, std::optional<std::int64_t>) override {
    ++writes;
    rows[id] = e;
  }
  bool remove(std::int64_t id, std::optional<std::int64_t>) override {
    ++writes;
    return rows.erase(id) == 1;
  }
};

dnssec_key_record record_of(const dns::dnssec_key& k, dnssec_key_role role, dnssec_key_timeline t) {
  dnssec_key_record r;
  r.zone = testing::service_fixture::zone;
  r.key_tag = k.key_tag();
  r.algorithm = 13;
  r.role = role;
  r.dnskey_rdata = k.dnskey_rdata();
  r.timeline = t;
  return r;
}

struct fixture {
  testing::service_fixture f;
  fake_lifecycle lifecycle;
  testing::memory_tenant_store tenants{{1, "admin", "admin", {}, {}},
                                       {10, "asp", "asp", {}, {}},
                                       {11, "asp2", "asp", {}, {}},
                                       {20, "mno", "mno", {}, {}}};
  memory_endpoints endpoints;
  testing::memory_key_store keys;
  time_point now = clock::now();
  dns::dnssec_key ksk = dns::dnssec_key::generate(13, dns::key_role::ksk, testing::service_fixture::zone);
  dns::dnssec_key old_ksk = dns::dnssec_key::generate(13, dns::key_role::ksk, testing::service_fixture::zone);
  dns::dnssec_key zsk = dns::dnssec_key::generate(13, dns::key_role::zsk, testing::service_fixture::zone);
  registry_iotsafe svc{{.zone = testing::service_fixture::zone, .tlsa_ttl = 300, .dnskey_ttl = 3600},
                       lifecycle,
                       f.service,
                       tenants,
                       endpoints,
                       keys,
                       {f.issuing.cert},
                       f.root.cert,
                       [this] { return now; }};
  pki::private_key device_key = pki::private_key::generate_p256();

  fixture() {
    const auto past = now - std::chrono::hours(24);
    keys.rows.push_back(record_of(ksk, dnssec_key_role::ksk, {.published = past, .active = past}));
    keys.rows.push_back(record_of(zsk, dnssec_key_role::zsk, {.published = past, .active = past}));
    // A removed KSK: not in the trust anchor.
    keys.rows.push_back(record_of(old_ksk, dnssec_key_role::ksk, {.published = past, .removed = past}));
    REQUIRE(f.service.enroll({eid, testing::csr_pem(device_key), std::nullopt}).has_value());
  }
};

}  // namespace

TEST_CASE("iotsafe: the payload carries the device's certificate, chain, trust anchor and TLSA") {
  fixture x;
  auto p = x.svc.payload(key("mno", 20), eid);
  REQUIRE(p.has_value());
  const auto e = x.f.service.get(eid).value();
  CHECK(p->version == 1);
  CHECK(p->device_id == eid);
  CHECK(p->dns_name == std::string(eid) + "._device.iotregistry.test");
  CHECK(p->device_certificate == pki::certificate::from_pem(e.certificate_pem).der());
  CHECK(p->issuing_ca == x.f.issuing.cert.der());
  REQUIRE(p->root_ca);
  CHECK(*p->root_ca == x.f.root.cert.der());
  CHECK(p->zone == "iotregistry.test");
  // Only the published, not removed KSK; the DS equals what dnssec_key::ds_text prints.
  REQUIRE(p->ds.size() == 1);
  REQUIRE(p->dnskey.size() == 1);
  CHECK(p->ds[0].rr_type == 43);
  CHECK(p->ds[0].text == x.ksk.ds_text(2));
  CHECK(p->dnskey[0].rdata == x.ksk.dnskey_rdata());
  const auto& ds = p->ds[0].rdata;
  REQUIRE(ds.size() == 36);
  CHECK((ds[0] << 8 | ds[1]) == x.ksk.key_tag());
  CHECK(ds[2] == 13);
  CHECK(ds[3] == 2);
  // The text's digest is the wire form's.
  std::string hex;
  for (std::size_t i = 4; i < ds.size(); ++i) {
    static constexpr char d[] = "0123456789abcdef";
    hex += d[ds[i] >> 4];
    hex += d[ds[i] & 15];
  }
  std::string upper_text = p->ds[0].text;
  for (auto& ch : upper_text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  CHECK(upper_text.find(hex) != std::string::npos);
  // The device TLSA: 3 1 1 SHA-256(SPKI), as GET /devices/{id} shows it.
  REQUIRE(p->device_tlsa.size() == 1);
  CHECK(p->device_tlsa[0].rdata.size() == 3 + 32);
  CHECK(p->device_tlsa[0].rdata[0] == 3);
  CHECK(p->device_tlsa[0].text == e.tlsa);  // as GET /api/v1/devices/{id} shows it
  CHECK_FALSE(p->service);                  // the ASP has none
  // The DER form carries the same.
  auto back = decode_iotsafe_der(encode_iotsafe_der(*p));
  REQUIRE(back.has_value());
  CHECK(back->device_certificate == p->device_certificate);
}

TEST_CASE("iotsafe: the device's MNO, its ASP and the admin may read it; others get 404 or 403") {
  fixture x;
  CHECK(x.svc.payload(key("asp", 10), eid).has_value());
  CHECK(x.svc.payload(key("admin", 1), eid).has_value());
  CHECK(x.svc.payload(key("asp", 11), eid).error().code == errc::device_not_found);
  CHECK(x.svc.payload(key("mno", 21), eid).error().code == errc::device_not_found);
  CHECK(x.svc.payload(key("asp", 10), "89049032123451234512345678901236").error().code ==
        errc::device_not_found);
  CHECK(x.svc.payload(key("other", 10), eid).error().code == errc::forbidden);
}

TEST_CASE("iotsafe: no payload without a live certificate") {
  fixture x;
  for (auto s : {device_status::registered, device_status::suspended, device_status::revoked,
                 device_status::deleted}) {
    x.lifecycle.owned.status = s;
    auto p = x.svc.payload(key("mno", 20), eid);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().code == errc::no_live_certificate);
  }
  x.lifecycle.owned.status = device_status::active;
  x.now += std::chrono::days(400);  // past the certificate's notAfter
  CHECK(x.svc.payload(key("mno", 20), eid).error().code == errc::no_live_certificate);
}

TEST_CASE("iotsafe: the ASP's endpoint is in the payload with its TLSA owner name") {
  fixture x;
  const service_endpoint_input in{"Svc.ASP.example.", 8443, {{3, 1, 1, std::vector<std::uint8_t>(32, 0xab)}}};
  auto put = x.svc.put_endpoint(key("asp", 10), 10, in);
  REQUIRE(put.has_value());
  CHECK(put->host == "svc.asp.example");
  CHECK(x.svc.get_endpoint(key("admin", 1), 10).value() == *put);
  auto p = x.svc.payload(key("mno", 20), eid).value();
  REQUIRE(p.service);
  CHECK(p.service->host == "svc.asp.example");
  CHECK(p.service->port == 8443);
  CHECK(p.service->tlsa_name == "_8443._tcp.svc.asp.example");
  REQUIRE(p.service->tlsa.size() == 1);
  std::string ab;
  for (int i = 0; i < 32; ++i) ab += "ab";
  CHECK(p.service->tlsa[0].text == "_8443._tcp.svc.asp.example. 300 IN TLSA 3 1 1 " + ab);
  REQUIRE(x.svc.delete_endpoint(key("admin", 1), 10).has_value());
  CHECK_FALSE(x.svc.payload(key("mno", 20), eid).value().service);
  CHECK(x.svc.delete_endpoint(key("admin", 1), 10).error().code == errc::service_endpoint_not_found);
}

TEST_CASE("iotsafe: who may manage a service endpoint") {
  fixture x;
  const service_endpoint_input in{"svc.example.com", 443, {}};
  CHECK(x.svc.put_endpoint(key("admin", 1), 10, in).has_value());
  CHECK(x.svc.put_endpoint(key("asp", 10), 10, in).has_value());
  CHECK(x.svc.put_endpoint(key("asp", 11), 10, in).error().code == errc::tenant_not_found);
  CHECK(x.svc.get_endpoint(key("asp", 11), 10).error().code == errc::tenant_not_found);
  CHECK(x.svc.put_endpoint(key("mno", 20), 10, in).error().code == errc::forbidden);
  CHECK(x.svc.get_endpoint(key("mno", 20), 20).error().code == errc::forbidden);
  CHECK(x.svc.put_endpoint(key("admin", 1), 99, in).error().code == errc::tenant_not_found);
  CHECK(x.svc.put_endpoint(key("admin", 1), 20, in).error().code ==
        errc::invalid_service_endpoint);  // an MNO
  CHECK(x.svc.get_endpoint(key("asp", 11), 11).error().code == errc::service_endpoint_not_found);
  CHECK(x.endpoints.writes == 2);
}

TEST_CASE("iotsafe: every field of a service endpoint is checked, nothing written on a refusal") {
  fixture x;
  using v = std::vector<std::uint8_t>;
  const std::vector<std::pair<const char*, service_endpoint_input>> bad = {
      {"empty host", {"", 443, {}}},
      {"one label", {"localhost", 443, {}}},
      {"underscore", {"a_b.example", 443, {}}},
      {"leading hyphen", {"-a.example", 443, {}}},
      {"empty label", {"a..example", 443, {}}},
      {"label of 64", {std::string(64, 'a') + ".example", 443, {}}},
      {"name of 254",
       {std::string(63, 'a') + "." + std::string(63, 'a') + "." + std::string(63, 'a') + "." +
            std::string(62, 'a'),
        443,
        {}}},
      {"space", {"a b.example", 443, {}}},
      {"port 0", {"svc.example", 0, {}}},
      {"port 65536", {"svc.example", 65536, {}}},
      {"port -1", {"svc.example", -1, {}}},
      {"usage 4", {"svc.example", 443, {{4, 1, 1, v(32, 1)}}}},
      {"selector 2", {"svc.example", 443, {{3, 2, 1, v(32, 1)}}}},
      {"matching 3", {"svc.example", 443, {{3, 1, 3, v(32, 1)}}}},
      {"sha-256 of 31", {"svc.example", 443, {{3, 1, 1, v(31, 1)}}}},
      {"sha-512 of 32", {"svc.example", 443, {{3, 1, 2, v(32, 1)}}}},
      {"full, empty", {"svc.example", 443, {{3, 1, 0, v{}}}}},
      {"17 records", {"svc.example", 443, std::vector<tlsa_data>(17, {3, 1, 1, v(32, 1)})}},
  };
  for (const auto& [what, in] : bad) {
    INFO(what);
    auto r = x.svc.put_endpoint(key("admin", 1), 10, in);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_service_endpoint);
  }
  CHECK(x.endpoints.writes == 0);
  // The limits themselves are accepted.
  CHECK(check_service_endpoint(std::string(63, 'a') + ".b", 65535, {{0, 0, 0, v(1, 1)}, {2, 0, 2, v(64, 1)}})
            .has_value());
  CHECK(
      check_service_endpoint("svc.example", 1, std::vector<tlsa_data>(16, {3, 1, 1, v(32, 1)})).has_value());
}

TEST_CASE("iotsafe: ds_rdata_sha256 matches the DS text of the key") {
  const auto k = dns::dnssec_key::generate(13, dns::key_role::ksk, "example.");
  const auto ds = ds_rdata_sha256("Example.", k.dnskey_rdata());  // case does not matter
  REQUIRE(ds.size() == 36);
  std::string hex;
  for (std::size_t i = 4; i < ds.size(); ++i) {
    static constexpr char d[] = "0123456789ABCDEF";
    hex += d[ds[i] >> 4];
    hex += d[ds[i] & 15];
  }
  auto text = k.ds_text(2);
  for (auto& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  CHECK(text.find(hex) != std::string::npos);
  CHECK_THROWS_AS(ds_rdata_sha256("example.", std::vector<std::uint8_t>(4, 0)), std::invalid_argument);
}
