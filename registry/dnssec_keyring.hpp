#pragma once
// DNSSEC keys to and from their database rows: the private key sealed with the key encryption
// key, bound to its zone and key tag, and checked against the row's public data when opened.

#include "dns/keys.hpp"
#include "pki/kek.hpp"
#include "registry/dnssec_key_record.hpp"
#include "registry/ports.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

/// The associated data of a sealed DNSSEC private key: a version label, the zone and the key tag.
/// A row copied onto another zone or key tag no longer opens.
std::string dnssec_key_associated_data(std::string_view zone, std::uint16_t key_tag);

/// dns key_role <-> registry dnssec_key_role.
dnssec_key_role to_record_role(dns::key_role r) noexcept;
dns::key_role to_dns_role(dnssec_key_role r) noexcept;

/// The row for `key` (id 0): zone, key tag, algorithm, role, public DNSKEY RDATA, the private key
/// sealed with `kek`, and the timeline `t`. @throws pki::kek_error, dns errors (bad_alloc aside,
/// only on an OpenSSL or ldns fault).
dnssec_key_record seal_dnssec_key(const dns::dnssec_key& key, const pki::key_encryption_key& kek,
                                  const dnssec_key_timeline& t);

/// Opens the private key of `r` and checks that it is the key the row describes (key tag,
/// algorithm, role, DNSKEY RDATA), so a row whose public columns were edited is refused too.
/// @throws pki::kek_error "cannot decrypt DNSSEC key <tag> (<role>) of zone <zone>: ..." when the
///         KEK is wrong or the row was altered; std::runtime_error naming the key when the private
///         key does not match the row. Messages never hold key material.
dns::dnssec_key unseal_dnssec_key(const dnssec_key_record& r, const pki::key_encryption_key& kek);

/// A decrypted key with its row (whose sealed_private_key is cleared: the key is in `key`).
struct loaded_dnssec_key {
  dnssec_key_record record;
  dns::dnssec_key key;
};

/// The keys of `zone` a signer loads at `now`: every key not yet removed (`removed` unset or
/// later than now), decrypted and checked, oldest first.
/// @throws std::runtime_error if the zone has no key at all ("run `iotregctl init`"), else what
///         unseal_dnssec_key and the store throw.
std::vector<loaded_dnssec_key> load_dnssec_keys(dnssec_key_store& store, const pki::key_encryption_key& kek,
                                                std::string_view zone, time_point now);

/// A fresh key whose tag differs from every key in `existing` (RFC 4034 tags collide by chance;
/// a tag names one key of a zone). @throws what dns::dnssec_key::generate throws.
dns::dnssec_key generate_dnssec_key(std::uint8_t algorithm, dnssec_key_role role, std::string_view zone,
                                    std::span<const dnssec_key_record> existing);

}  // namespace iotreg::registry
