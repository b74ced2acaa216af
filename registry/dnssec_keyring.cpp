#include "registry/dnssec_keyring.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <stdexcept>

namespace iotreg::registry {

namespace {

/// "DNSSEC key 12345 (ksk) of zone example." for messages.
std::string describe(const dnssec_key_record& r) {
  return "DNSSEC key " + std::to_string(r.key_tag) + " (" + std::string(to_string(r.role)) + ") of zone " +
         r.zone;
}

}  // namespace

std::string dnssec_key_associated_data(std::string_view zone, std::uint16_t key_tag) {
  // NUL separators: a zone name never contains one, so no two (zone, tag) pairs give one string.
  std::string ad = "iotreg dnssec private key v1";
  ad += '\0';
  ad += zone;
  ad += '\0';
  ad += std::to_string(key_tag);
  return ad;
}

dnssec_key_role to_record_role(dns::key_role r) noexcept {
  return r == dns::key_role::ksk ? dnssec_key_role::ksk : dnssec_key_role::zsk;
}

dns::key_role to_dns_role(dnssec_key_role r) noexcept {
  return r == dnssec_key_role::ksk ? dns::key_role::ksk : dns::key_role::zsk;
}

dnssec_key_record seal_dnssec_key(const dns::dnssec_key& key, const pki::key_encryption_key& kek,
                                  const dnssec_key_timeline& t) {
  dnssec_key_record r;
  r.zone = key.zone_apex();
  r.key_tag = key.key_tag();
  r.algorithm = key.algorithm();
  r.role = to_record_role(key.role());
  r.dnskey_rdata = key.dnskey_rdata();
  r.timeline = t;
  std::string text = key.private_text();
  try {
    r.sealed_private_key = kek.seal({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()},
                                    dnssec_key_associated_data(r.zone, r.key_tag));
  } catch (...) {
    OPENSSL_cleanse(text.data(), text.size());
    throw;
  }
  OPENSSL_cleanse(text.data(), text.size());
  return r;
}

dns::dnssec_key unseal_dnssec_key(const dnssec_key_record& r, const pki::key_encryption_key& kek) {
  const auto what = describe(r);
  const auto text = kek.open(r.sealed_private_key, dnssec_key_associated_data(r.zone, r.key_tag), what);
  auto key = dns::dnssec_key::from_private_text(text.view(), r.zone, what);
  if (key.key_tag() != r.key_tag || key.algorithm() != r.algorithm || to_record_role(key.role()) != r.role ||
      key.dnskey_rdata() != r.dnskey_rdata) {
    throw std::runtime_error(what + ": the decrypted private key does not match the row's public key");
  }
  return key;
}

std::vector<loaded_dnssec_key> load_dnssec_keys(dnssec_key_store& store, const pki::key_encryption_key& kek,
                                                std::string_view zone, time_point now) {
  auto rows = store.list(zone);
  if (rows.empty()) {
    throw std::runtime_error("no DNSSEC keys for zone " + std::string(zone) +
                             " in the database: run `iotregctl --config FILE init` first");
  }
  std::vector<loaded_dnssec_key> out;
  for (auto& r : rows) {
    if (r.timeline.removed && *r.timeline.removed <= now) continue;
    auto key = unseal_dnssec_key(r, kek);
    r.sealed_private_key.clear();
    out.push_back({std::move(r), std::move(key)});
  }
  return out;
}

dns::dnssec_key generate_dnssec_key(std::uint8_t algorithm, dnssec_key_role role, std::string_view zone,
                                    std::span<const dnssec_key_record> existing) {
  for (;;) {
    auto key = dns::dnssec_key::generate(algorithm, to_dns_role(role), zone);
    const bool taken = std::any_of(existing.begin(), existing.end(),
                                   [&](const dnssec_key_record& r) { return r.key_tag == key.key_tag(); });
    if (!taken) return key;
  }
}

}  // namespace iotreg::registry
