#pragma once
// What a zone is made of besides its devices: SOA values, name servers, CA certificates, TTLs and
// the signature validity policy. Plain data; zone_signer validates it.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace iotreg::dns {

struct zone_parameters {
  std::string apex;                  ///< "iotregistry.test." (normalised or not; the signer normalises)
  std::uint32_t default_ttl = 3600;  ///< SOA, NS, DNSKEY, NSEC3PARAM, A/AAAA, CA TLSA
  std::uint32_t tlsa_ttl = 300;      ///< device TLSA
  std::string soa_mname;             ///< "ns1.iotregistry.test."
  std::string soa_rname;             ///< "hostmaster.iotregistry.test."
  std::uint32_t refresh = 3600, retry = 600, expire = 1209600, minimum = 300;
  std::vector<std::string> ns;  ///< NS targets (absolute names)
  /// (owner, "127.0.0.1" or "::1"): A/AAAA records inside the zone, e.g. ns1 and device.<zone>.
  std::vector<std::pair<std::string, std::string>> addresses;
  std::vector<std::uint8_t> root_ca_der;  ///< _rootcert.device.<zone> TLSA 0 0 0 (skipped if empty)
  std::vector<std::vector<std::uint8_t>> apex_ca_der;  ///< apex TLSA 0 0 0, one per CA (may be empty)
  std::chrono::seconds signature_validity = std::chrono::days(14);  ///< expiration = now + this
  std::chrono::seconds inception_offset = std::chrono::hours(1);    ///< inception = now - this
};

}  // namespace iotreg::dns
