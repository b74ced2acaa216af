// The enrollment use cases against in-memory ports, a real CA and a real signer: what the API
// relies on (errors as values, the serial in the reply, nothing stored on refusal).

#include "registry/registry_service.hpp"
#include "dns/journal.hpp"
#include "dns/keys.hpp"
#include "dns/signer.hpp"
#include "dns/zone_snapshot.hpp"
#include "dns/zone_walk.hpp"
#include "memory_store.hpp"
#include "pki/ca.hpp"
#include "pki/digest.hpp"
#include "pki/key.hpp"
#include "registry/zone_publisher.hpp"
#include "service_fixture.hpp"
#include "tests/unit/registry/test_csr.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace iotreg;
using namespace std::chrono_literals;

namespace {

constexpr const char* zone = "iotregistry.test.";
constexpr const char* eid1 = "89049032123451234512345678901235";
constexpr const char* eid2 = "89086030202200000022000023022943";

using fixture = registry::testing::service_fixture;

}  // namespace

TEST_CASE("registry/enroll publishes, then get and revoke") {
  fixture f;
  auto key = pki::private_key::generate_p256();
  auto first_serial = f.publisher.snapshot()->serial();

  auto e = f.service.enroll({eid1, registry::testing::csr_pem(key), std::nullopt});
  REQUIRE(e.has_value());
  CHECK(e->device_id == eid1);
  CHECK(e->dns_name == std::string(eid1) + "._device.iotregistry.test");
  REQUIRE(e->zone_serial.has_value());
  CHECK(dns::serial_lt(first_serial, *e->zone_serial));
  CHECK(f.publisher.snapshot()->serial() == *e->zone_serial);
  // The TLSA is 3 1 1 over the key the CSR carried.
  auto spki = key.spki_der();
  auto digest = pki::to_hex(pki::sha256(spki));
  CHECK(e->tlsa == std::string(eid1) + "._device.iotregistry.test. 300 IN TLSA 3 1 1 " + digest);
  CHECK(e->chain_pem == f.issuing.cert.pem() + f.root.cert.pem());

  auto g = f.service.get(eid1);
  REQUIRE(g.has_value());
  CHECK(g->status == registry::device_status::active);
  CHECK(g->certificate_pem == e->certificate_pem);
  CHECK(g->zone_serial == e->zone_serial);

  auto r = f.service.revoke(eid1, iotreg::pki::revocation_reason::key_compromise);
  REQUIRE(r.has_value());
  CHECK(dns::serial_lt(*e->zone_serial, r->zone_serial));
  auto again = f.service.revoke(eid1, iotreg::pki::revocation_reason::key_compromise);
  REQUIRE(again.has_error());
  CHECK(again.error().code == registry::errc::device_already_revoked);
  CHECK(f.service.get(eid1)->status == registry::device_status::revoked);
  CHECK(f.store.last_reason == 1);  // keyCompromise
}

TEST_CASE("registry/refusals change nothing") {
  fixture f;
  auto key = pki::private_key::generate_p256();
  auto csr = registry::testing::csr_pem(key);
  REQUIRE(f.service.enroll({eid1, csr, std::nullopt}).has_value());
  const auto changes = f.store.change_count();

  struct row {
    const char* name;
    std::string id;
    std::string csr;
    registry::errc expected;
  };
  std::string tampered = csr;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  auto c = GENERATE_COPY(values<row>({
      {"error/duplicate", eid1, csr, registry::errc::device_exists},
      {"error/bad check digits", "89049032123451234512345678901234", csr, registry::errc::invalid_device_id},
      {"error/label not allowed", "sensor-1", csr, registry::errc::invalid_device_id},
      {"error/not pem", eid2, "hello", registry::errc::csr_not_pem},
  }));
  INFO(c.name);
  auto r = f.service.enroll({c.id, c.csr, std::nullopt});
  REQUIRE(r.has_error());
  CHECK(r.error().code == c.expected);
  CHECK(f.store.change_count() == changes);
  CHECK_FALSE(f.store.find(zone, eid2).has_value());

  // A tampered CSR never gets as far as the store, whatever the parser calls it.
  auto t = f.service.enroll({eid2, tampered, std::nullopt});
  REQUIRE(t.has_error());
  CHECK(f.store.change_count() == changes);
}

TEST_CASE("registry/unknown devices") {
  fixture f;
  CHECK(f.service.get(eid2).error().code == registry::errc::device_not_found);
  CHECK(f.service.revoke(eid2, iotreg::pki::revocation_reason::unspecified).error().code ==
        registry::errc::device_not_found);
}

TEST_CASE("registry/api keys are checked by hash") {
  registry::testing::memory_store store;
  auto key = registry::generate_api_key();
  CHECK(key.size() == 7 + 64);
  store.insert("admin", "admin", registry::api_key_hash(key));
  registry::api_key_authenticator auth(store);
  CHECK(auth.authenticate(key).has_value());
  CHECK(auth.authenticate(key + "0").error().code == registry::errc::unauthenticated);
  CHECK(auth.authenticate("").error().code == registry::errc::unauthenticated);
  auto other = registry::generate_api_key();
  CHECK(other != key);
  CHECK(auth.authenticate(other).error().code == registry::errc::unauthenticated);
}

TEST_CASE("registry/the publisher continues the serial across rebuilds") {
  registry::testing::memory_store store;
  fixture f;  // for its CA
  registry::zone_publisher p{
      {.zone = zone, .zone_file = {}, .batch_window = 0ms, .batch_max = 2}, store, f.make_signer()};
  store.mark_published(zone, 4294967294u, {}, nullptr, 0);
  p.rebuild();
  CHECK(p.snapshot()->serial() == 4294967295u);
  // Three changes with batches of two: two serials, wrapping around 2^32 as RFC 1982 allows.
  for (const char* id : {eid1, eid2, "89044045116727494800000004479366"}) {
    registry::new_enrollment e;
    e.zone = zone;
    e.device_id = id;
    e.tlsa.association.assign(32, 0xab);
    REQUIRE(store.insert_enrollment(e).has_value());
  }
  CHECK(p.publish_pending() == 2);
  CHECK(p.publish_pending() == 1);
  CHECK(p.publish_pending() == 0);
  CHECK(store.last_serial(zone) == 1u);
  CHECK(p.wait_published(3, 0ms) == 1u);
  CHECK(p.wait_published(1, 0ms) == 0u);
  CHECK_FALSE(p.wait_published(99, 1ms).has_value());
}

namespace {

/// The serial in the header line of a zone file written by iotreg (0 if there is none).
std::uint32_t file_serial(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  const auto at = line.find(" serial ");
  return at == std::string::npos ? 0 : static_cast<std::uint32_t>(std::stoul(line.substr(at + 8)));
}

void enroll_directly(registry::testing::memory_store& store, const char* id) {
  registry::new_enrollment e;
  e.zone = zone;
  e.device_id = id;
  e.tlsa.association.assign(32, 0xcd);
  REQUIRE(store.insert_enrollment(e).has_value());
}

}  // namespace

namespace {

/// Seconds of validity the zone's least fresh RRSIG has left at `now`.
std::int64_t min_validity_left(const dns::zone_snapshot& z, registry::time_point now) {
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::int64_t least = INT64_MAX;
  dns::detail::for_each_record(z.data(), [&](const dns::detail::rr_ref& r) {
    if (r.type != dns::detail::rr_type::rrsig) return;
    const std::int64_t expiration = (std::int64_t{r.rdata[8]} << 24) | (std::int64_t{r.rdata[9]} << 16) |
                                    (std::int64_t{r.rdata[10]} << 8) | std::int64_t{r.rdata[11]};
    least = std::min(least, expiration - t);
  });
  return least;
}

}  // namespace

TEST_CASE("registry/signatures are refreshed before they expire, changes or not") {
  registry::testing::memory_store store;
  fixture f;  // for its CA and signer parameters
  const dns::zone_parameters defaults;
  const registry::time_point start = registry::clock::now();
  registry::time_point now = start;
  registry::zone_publisher p{
      {.zone = zone, .zone_file = {}, .batch_window = 0ms, .batch_max = 10}, store, f.make_signer(), [&] {
        return now;
      }};
  enroll_directly(store, eid1);
  p.rebuild();
  CHECK(p.publish_pending() == 1);  // the outbox row of the device already built in
  const auto first = p.snapshot()->serial();
  now += std::chrono::days(4);
  CHECK(p.step() == 0);
  CHECK(p.snapshot()->serial() == first);  // nothing due (before validity - margin - jitter)

  // An hourly step for 26 more days, with one enrollment on the way: the margin always holds,
  // and refreshes make new serials without any change.
  std::uint32_t serial = first;
  int refreshes = 0;
  for (int hour = 4 * 24; hour <= 30 * 24; ++hour) {
    now = start + std::chrono::hours(hour);
    if (hour == 6 * 24) enroll_directly(store, eid2);
    const auto published = p.step();
    CHECK(published == (hour == 6 * 24 ? 1u : 0u));
    const auto next = p.snapshot()->serial();
    CHECK((next == serial || next == serial + 1));  // a batch and a refresh share one serial
    if (next != serial && published == 0) ++refreshes;
    serial = next;
    CHECK(store.last_serial(zone) == serial);
    CHECK(min_validity_left(*p.snapshot(), now) >=
          (defaults.refresh_margin + defaults.refresh_interval).count());
  }
  CHECK(refreshes >= 10);
}

TEST_CASE("registry/a big zone's file is written at most once per interval, and no write is lost") {
  registry::testing::memory_store store;
  fixture f;
  const auto dir = std::filesystem::temp_directory_path() / ("iotreg-rate-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "zone.db";
  std::atomic<registry::time_point> now{registry::clock::now()};
  registry::zone_publisher p{{.zone = zone,
                              .zone_file = file,
                              .batch_window = 0ms,
                              .batch_max = 10,
                              .poll_interval = 20ms,
                              .min_file_interval = 5000ms,
                              .file_rate_limit_names = 0},  // every zone counts as big
                             store,
                             f.make_signer(),
                             [&] { return now.load(); }};
  p.rebuild();
  const auto built = p.snapshot()->serial();
  CHECK(file_serial(file) == built);  // a full build is written at once

  SECTION("synchronously") {
    enroll_directly(store, eid1);
    CHECK(p.publish_pending() == 1);
    CHECK(p.snapshot()->serial() == built + 1);  // published to DNS readers...
    CHECK(file_serial(file) == built);           // ...but the file waits
    CHECK(p.zone_file_pending());
    now.store(now.load() + 5s);
    enroll_directly(store, eid2);
    CHECK(p.publish_pending() == 1);
    CHECK(file_serial(file) == built + 2);  // interval passed: written with this batch
    enroll_directly(store, "89044045116727494800000004479366");
    CHECK(p.publish_pending() == 1);
    CHECK(file_serial(file) == built + 2);
    p.stop();  // the held-back write happens at the latest here
    CHECK(file_serial(file) == built + 3);
    CHECK_FALSE(p.zone_file_pending());
  }
  SECTION("by the signer thread once the interval has passed") {
    p.start();
    enroll_directly(store, eid1);
    p.notify();
    REQUIRE(p.wait_published(1, 5000ms).has_value());
    std::this_thread::sleep_for(100ms);  // several polls: still held back
    CHECK(file_serial(file) == built);
    now.store(now.load() + 6s);
    for (int i = 0; i < 250 && file_serial(file) != built + 1; ++i) std::this_thread::sleep_for(20ms);
    CHECK(file_serial(file) == built + 1);
    p.stop();
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("registry/the publisher keeps the IXFR journal in memory and in the store, with the serial") {
  registry::testing::memory_store store;
  fixture f;
  registry::zone_publisher p{
      {.zone = zone, .zone_file = {}, .batch_window = 0ms, .batch_max = 1, .ixfr_history = 2},
      store,
      f.make_signer()};
  p.rebuild();
  const auto s0 = p.snapshot()->serial();
  CHECK(p.journal()->empty());
  std::vector<std::shared_ptr<const dns::zone_snapshot>> snaps{p.snapshot()};
  for (const char* id : {eid1, eid2, "89044045116727494800000004479366"}) {
    registry::new_enrollment e;
    e.zone = zone;
    e.device_id = id;
    e.tlsa.association.assign(32, 0xab);
    REQUIRE(store.insert_enrollment(e).has_value());
    CHECK(p.publish_pending() == 1);
    snaps.push_back(p.snapshot());
  }
  // Bounded to 2 diffs, in memory and in the store alike.
  const auto j = p.journal();
  CHECK(j->size() == 2);
  CHECK_FALSE(j->chain(s0, s0 + 3));
  REQUIRE(j->chain(s0 + 1, s0 + 3));
  const auto stored = store.journal(zone);
  REQUIRE(stored.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto d = dns::decode_diff(stored[i].diff);
    REQUIRE(d);
    const dns::zone_diff expected = dns::diff_snapshots(*snaps[i + 1], *snaps[i + 2]);
    CHECK(stored[i].from_serial == s0 + 1 + i);
    CHECK(stored[i].to_serial == s0 + 2 + i);
    CHECK(d->added == expected.added);
    CHECK(d->removed == expected.removed);
    CHECK(d->added == (*j->chain(s0 + 1, s0 + 3))[i]->added);
  }
  // A full build starts the journal afresh: nothing older chains to the rebuilt zone.
  p.rebuild();
  CHECK(p.journal()->empty());
  CHECK(store.journal(zone).empty());
}

namespace {

// A CSR with subject CN=cn (none when empty) and the requested extensions (OpenSSL config values).
std::string make_csr_pem_with(const pki::private_key& key, const std::string& cn,
                              const std::vector<std::pair<int, const char*>>& extensions) {
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_version(req, 0);
  X509_REQ_set_pubkey(req, key.native());
  if (!cn.empty()) {
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  }
  if (!extensions.empty()) {
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    for (const auto& [nid, value] : extensions)
      sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(nullptr, nullptr, nid, value));
    X509_REQ_add_extensions(req, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  X509_REQ_sign(req, key.native(), EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  X509_REQ_free(req);
  return pem;
}

}  // namespace

TEST_CASE(
    "registry/device certificates carry the issuance URLs, CA requests and name mismatches are refused") {
  fixture f;
  registry::registry_service svc{{.zone = zone,
                                  .publish_timeout = 5000ms,
                                  .csr = {.max_pem_bytes = 16 * 1024, .names = pki::csr_name_policy::check},
                                  .urls = {.public_url = "https://iotreg.example:8443"}},
                                 f.store,
                                 f.publisher,
                                 f.issuing,
                                 f.root.cert};
  const auto key = pki::private_key::generate_p256();
  const std::string dns_name = std::string(eid1) + "._device.iotregistry.test";
  const auto changes = f.store.change_count();

  auto ca =
      svc.enroll({eid1, make_csr_pem_with(key, eid1, {{NID_basic_constraints, "critical,CA:TRUE"}}), {}});
  REQUIRE(ca.has_error());
  CHECK(ca.error().code == registry::errc::csr_ca_requested);
  auto ku = svc.enroll({eid1, make_csr_pem_with(key, "", {{NID_key_usage, "keyCertSign"}}), {}});
  REQUIRE(ku.has_error());
  CHECK(ku.error().code == registry::errc::csr_ca_requested);
  auto other = svc.enroll({eid1, make_csr_pem_with(key, eid2, {}), {}});
  REQUIRE(other.has_error());
  CHECK(other.error().code == registry::errc::csr_name_mismatch);
  auto san =
      svc.enroll({eid1, make_csr_pem_with(key, dns_name, {{NID_subject_alt_name, "DNS:evil.example"}}), {}});
  REQUIRE(san.has_error());
  CHECK(san.error().code == registry::errc::csr_name_mismatch);
  CHECK(f.store.change_count() == changes);

  // The same mismatching CSR passes under the default policy ("ignore") of the fixture's service.
  CHECK(f.service.enroll({eid2, make_csr_pem_with(key, eid1, {}), {}}).has_value());

  auto e = svc.enroll(
      {eid1, make_csr_pem_with(key, dns_name, {{NID_subject_alt_name, ("DNS:" + dns_name).c_str()}}), {}});
  REQUIRE(e.has_value());
  const auto cert = pki::certificate::from_pem(e->certificate_pem);
  const std::string aki = pki::key_id_text(f.issuing.cert.subject_key_id());
  CHECK(cert.authority_key_id() == f.issuing.cert.subject_key_id());
  BIO* bio = BIO_new(BIO_s_mem());
  X509_print_ex(bio, cert.native(), 0, 0);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  const std::string text(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  CHECK_THAT(text, Catch::Matchers::Contains("URI:https://iotreg.example:8443/crl/" + aki + ".crl"));
  CHECK_THAT(text, Catch::Matchers::Contains("OCSP - URI:https://iotreg.example:8443/ocsp"));
  CHECK_THAT(text, Catch::Matchers::Contains("CA Issuers - URI:https://iotreg.example:8443/.well-known/ca/" +
                                             aki + ".pem"));
}
