#pragma once
// DNSKEY and DS presentation text from a DNSKEY's public RDATA alone: what `iotregctl dnssec ds`
// and `dnssec status` need from the database, without decrypting any private key.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace iotreg::dns {

/// The DNSKEY RR "<apex> <ttl> IN DNSKEY <flags> <protocol> <algorithm> <base64>" for `rdata`
/// (wire form: flags, protocol, algorithm, public key), as dnssec_key::dnskey_text() prints it.
/// @throw std::invalid_argument if `rdata` is shorter than 5 bytes or zone_apex is not a name;
///        boost::system::system_error errc::ldns_failure if ldns rejects the record.
std::string dnskey_text_from_rdata(std::string_view zone_apex, std::span<const std::uint8_t> rdata,
                                   std::uint32_t ttl = 3600);

/// The DS RR of that DNSKEY, digest type 2 (SHA-256) or 4 (SHA-384), as dnssec_key::ds_text()
/// prints it. @throw as dnskey_text_from_rdata; std::invalid_argument for another digest type.
std::string ds_text_from_rdata(std::string_view zone_apex, std::span<const std::uint8_t> rdata,
                               std::uint8_t digest_type = 2, std::uint32_t ttl = 3600);

/// RFC 4034 Appendix B key tag of a DNSKEY RDATA (algorithm 1 is not supported: it is obsolete).
std::uint16_t key_tag_of_rdata(std::span<const std::uint8_t> rdata) noexcept;

}  // namespace iotreg::dns
