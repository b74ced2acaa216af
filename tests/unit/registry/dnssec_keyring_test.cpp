// DNSSEC keys sealed into database rows and opened again (registry/dnssec_keyring), and the key
// state shown by `iotregctl dnssec status`.
#include "registry/dnssec_keyring.hpp"

#include "memory_key_store.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>

using namespace iotreg;
using registry::dnssec_key_record;
using registry::dnssec_key_role;
using registry::dnssec_key_timeline;

namespace {

constexpr const char* zone = "iotregistry.test.";

pki::key_encryption_key kek_of(std::uint8_t fill) {
  return pki::key_encryption_key::from_bytes(std::vector<std::uint8_t>(32, fill));
}

using registry::testing::memory_key_store;

template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("dnssec keyring/seal then unseal gives the same key back") {
  const auto kek = kek_of(1);
  const auto now = registry::clock::now();
  for (auto role : {dns::key_role::ksk, dns::key_role::zsk}) {
    const auto key = dns::dnssec_key::generate(13, role, zone);
    const auto row = registry::seal_dnssec_key(key, kek, {.generated = now, .published = now});
    CHECK(row.zone == zone);
    CHECK(row.key_tag == key.key_tag());
    CHECK(row.algorithm == 13);
    CHECK(row.role == registry::to_record_role(role));
    CHECK(row.dnskey_rdata == key.dnskey_rdata());
    CHECK(row.timeline.published == now);
    // The sealed bytes are not the private key text.
    const auto text = key.private_text();
    const std::string sealed(row.sealed_private_key.begin(), row.sealed_private_key.end());
    CHECK(sealed.find("PrivateKey") == std::string::npos);
    CHECK(sealed.find(text.substr(text.find("PrivateKey:"), 40)) == std::string::npos);

    const auto back = registry::unseal_dnssec_key(row, kek);
    CHECK(back.private_text() == text);
    CHECK(back.key_tag() == key.key_tag());
    CHECK(back.role() == role);
  }
}

TEST_CASE("dnssec keyring/a row opens only with its KEK, zone and key tag") {
  const auto kek = kek_of(1);
  const auto row =
      registry::seal_dnssec_key(dns::dnssec_key::generate(13, dns::key_role::ksk, zone), kek, {});

  SECTION("wrong KEK: the message names the key, not the secret") {
    const auto msg = message_of<pki::kek_error>([&] { (void)registry::unseal_dnssec_key(row, kek_of(2)); });
    CHECK(msg.find("cannot decrypt DNSSEC key " + std::to_string(row.key_tag) +
                   " (ksk) of zone iotregistry.test.") != std::string::npos);
    CHECK(msg.find("PrivateKey") == std::string::npos);
  }
  SECTION("moved to another key tag") {
    auto moved = row;
    moved.key_tag = static_cast<std::uint16_t>(row.key_tag + 1);
    CHECK_THROWS_AS(registry::unseal_dnssec_key(moved, kek), pki::kek_error);
  }
  SECTION("moved to another zone") {
    auto moved = row;
    moved.zone = "other.test.";
    CHECK_THROWS_AS(registry::unseal_dnssec_key(moved, kek), pki::kek_error);
  }
  SECTION("tampered ciphertext") {
    auto bad = row;
    bad.sealed_private_key[20] ^= 0x80;
    CHECK_THROWS_AS(registry::unseal_dnssec_key(bad, kek), pki::kek_error);
  }
  SECTION("public columns edited: role, algorithm, DNSKEY") {
    auto bad = row;
    bad.role = dnssec_key_role::zsk;
    auto msg = message_of<std::runtime_error>([&] { (void)registry::unseal_dnssec_key(bad, kek); });
    CHECK(msg.find("does not match the row's public key") != std::string::npos);
    bad = row;
    bad.algorithm = 15;
    CHECK_THROWS_AS(registry::unseal_dnssec_key(bad, kek), std::runtime_error);
    bad = row;
    bad.dnskey_rdata.back() ^= 1;
    CHECK_THROWS_AS(registry::unseal_dnssec_key(bad, kek), std::runtime_error);
  }
}

TEST_CASE("dnssec keyring/load_dnssec_keys skips removed keys, refuses an empty zone") {
  using namespace std::chrono_literals;
  const auto kek = kek_of(3);
  const auto now = registry::clock::now();
  memory_key_store store;
  CHECK(message_of<std::runtime_error>([&] {
          (void)registry::load_dnssec_keys(store, kek, zone, now);
        }).find("iotregctl --config FILE init") != std::string::npos);

  auto add = [&](dns::key_role role, dnssec_key_timeline t) {
    auto key = registry::generate_dnssec_key(13, registry::to_record_role(role), zone, store.rows);
    store.insert(registry::seal_dnssec_key(key, kek, t));
    return key.key_tag();
  };
  const auto ksk = add(dns::key_role::ksk, {.published = now - 1h, .active = now - 1h});
  const auto old_zsk =
      add(dns::key_role::zsk, {.published = now - 2h, .retired = now - 1h, .removed = now - 1s});
  const auto zsk = add(dns::key_role::zsk, {.published = now - 1h, .active = now - 1h});
  const auto leaving =
      add(dns::key_role::zsk, {.retired = now - 1h, .removed = now + 1h});  // still published
  auto other_zone =
      registry::seal_dnssec_key(dns::dnssec_key::generate(13, dns::key_role::ksk, "other.test."), kek, {});
  store.insert(other_zone);

  const auto loaded = registry::load_dnssec_keys(store, kek, zone, now);
  std::vector<std::uint16_t> tags;
  for (const auto& k : loaded) {
    tags.push_back(k.key.key_tag());
    CHECK(k.record.key_tag == k.key.key_tag());
    CHECK(k.record.sealed_private_key.empty());
  }
  CHECK(tags == std::vector<std::uint16_t>{ksk, zsk, leaving});
  CHECK(std::find(tags.begin(), tags.end(), old_zsk) == tags.end());

  // One row sealed with another KEK stops the load, naming that key.
  store.insert(
      registry::seal_dnssec_key(dns::dnssec_key::generate(13, dns::key_role::zsk, zone), kek_of(4), {}));
  CHECK_THROWS_AS(registry::load_dnssec_keys(store, kek, zone, now), pki::kek_error);
}

TEST_CASE("dnssec keyring/generate_dnssec_key avoids the tags in use") {
  std::vector<dnssec_key_record> existing;
  for (int i = 0; i < 20; ++i) {
    auto key = registry::generate_dnssec_key(13, dnssec_key_role::zsk, zone, existing);
    for (const auto& r : existing) CHECK(r.key_tag != key.key_tag());
    dnssec_key_record r;
    r.key_tag = key.key_tag();
    existing.push_back(r);
  }
}

TEST_CASE("dnssec keyring/state from the timeline") {
  using namespace std::chrono_literals;
  const auto now = registry::clock::now();
  using registry::dnssec_key_state;
  CHECK(dnssec_key_state({}, now) == "created");
  CHECK(dnssec_key_state({.generated = now - 1s}, now) == "generated");
  CHECK(dnssec_key_state({.generated = now - 1s, .published = now + 1s}, now) == "generated");  // scheduled
  CHECK(dnssec_key_state({.generated = now - 2s, .published = now - 1s}, now) == "published");
  CHECK(dnssec_key_state({.published = now - 2s, .ready = now - 1s}, now) == "ready");
  CHECK(dnssec_key_state({.published = now - 2s, .ready = now - 1s, .active = now}, now) == "active");
  CHECK(dnssec_key_state({.active = now - 2s, .retired = now - 1s, .removed = now + 1h}, now) == "retired");
  CHECK(dnssec_key_state({.active = now - 2s, .retired = now - 1s, .removed = now - 1s}, now) == "removed");
  CHECK(registry::to_string(dnssec_key_role::ksk) == "ksk");
  CHECK(registry::dnssec_key_role_from_string("zsk") == dnssec_key_role::zsk);
  CHECK_FALSE(registry::dnssec_key_role_from_string("ZSK"));
  CHECK(registry::dnssec_key_associated_data("a.", 1) != registry::dnssec_key_associated_data("a.1", 1));
}
