#pragma once
// The IoT SAFE registry payload (issue 5 item 5): what an MNO pushes over the air to the (e)SIM
// applet (GSMA IoT.05, STANDARDS.md §7.5) — the device certificate, its issuing and root CA, the
// device's DNS name and TLSA, the zone's DNSSEC trust anchor, and the ASP's service endpoint with
// its TLSA — and the ASP's service endpoint, held on the ASP tenant (migration 008).
// The payload is plain data: api/dto/iotsafe_dto.hpp writes it as JSON, registry/iotsafe_der.hpp
// as DER. Plain blocking functions for the work pool; they know nothing of HTTP.

#include "registry/errors.hpp"
#include "registry/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

/// The ASP's TLS service (the server its devices connect to) and the TLSA records that
/// authenticate it (RFC 6698, at _<port>._tcp.<host>).
struct service_endpoint {
  std::string host;  // a DNS host name, lower case, no final dot
  std::uint16_t port = 0;
  std::vector<tlsa_data> tlsa;
  friend bool operator==(const service_endpoint&, const service_endpoint&) = default;
};

/// An endpoint as a client sent it, before check_service_endpoint.
struct service_endpoint_input {
  std::string host;
  std::int64_t port = 0;
  std::vector<tlsa_data> tlsa;
};

/// Checks and normalises an endpoint as the API receives it: host a DNS host name (LDH labels of
/// 1..63, at most 253 characters, at least two labels; a final dot and upper case accepted and
/// removed), port 1..65535 (`port` is taken as int so that 0 and 65536 are seen), usage 0..3,
/// selector 0..1, matching type 0..2, data 32 bytes for type 1, 64 for type 2, non-empty for 0,
/// at most 16 records. @returns errc::invalid_service_endpoint naming the first bad field. Pure.
result<service_endpoint> check_service_endpoint(std::string_view host, std::int64_t port,
                                                std::vector<tlsa_data> tlsa);

/// "_<port>._tcp.<host>": the owner name of the endpoint's TLSA RRset (RFC 6698 §3).
std::string tlsa_owner_of(const service_endpoint& e);

/// A DNS record of the payload: its RR type, RDATA in wire form and the whole RR in
/// presentation form (owner, TTL, class, type, RDATA).
struct payload_record {
  std::uint16_t rr_type = 0;  // 43 DS, 48 DNSKEY, 52 TLSA
  std::vector<std::uint8_t> rdata;
  std::string text;  // empty after decoding the DER form (which carries no presentation text)
};

/// The payload, version 1. Names are absolute, lower case, written without the final dot.
struct iotsafe_payload {
  std::uint32_t version = 1;
  std::string device_id;
  std::string dns_name;                              // <id>._device.<zone>
  std::vector<std::uint8_t> device_certificate;      // DER, the newest live certificate
  std::vector<std::uint8_t> issuing_ca;              // DER, the CA that issued it
  std::optional<std::vector<std::uint8_t>> root_ca;  // DER; nullopt when the issuing CA is the root
  std::string zone;                                  // apex of the trust anchor
  std::vector<payload_record> ds;                    // DS (SHA-256) of each KSK in use
  std::vector<payload_record> dnskey;                // those KSKs' DNSKEY records
  std::vector<payload_record> device_tlsa;           // the device certificate's TLSA
  struct endpoint {
    std::string host;
    std::uint16_t port = 0;
    std::string tlsa_name;  // _<port>._tcp.<host>
    std::vector<payload_record> tlsa;
  };
  std::optional<endpoint> service;  // nullopt: the ASP has configured none (or the device has no ASP)
};

/// Persistence of the service endpoints (migration 008).
/// @par Thread safety: implementations must be safe from any thread; methods may throw the
/// store's failures.
class service_endpoint_store {
 public:
  virtual ~service_endpoint_store() = default;
  virtual std::optional<service_endpoint> find(std::int64_t tenant_id) = 0;
  /// Writes (replaces) the endpoint and an audit row "tenant.service_endpoint.set" in ONE
  /// transaction. The caller has checked that the tenant exists.
  virtual void put(std::int64_t tenant_id, const service_endpoint& e,
                   std::optional<std::int64_t> api_key_id) = 0;
  /// Deletes it with an audit row "tenant.service_endpoint.delete". @returns false if there was none.
  virtual bool remove(std::int64_t tenant_id, std::optional<std::int64_t> api_key_id) = 0;
};

class iotsafe_service {
 public:
  virtual ~iotsafe_service() = default;
  /// The payload of `device_id` for `caller` (its MNO, its ASP or the admin).
  /// @returns errc::device_not_found (also another tenant's device), forbidden,
  /// no_live_certificate (the device is not active or its newest certificate is no longer live).
  virtual result<iotsafe_payload> payload(const api_key& caller, std::string_view device_id) = 0;

  /// The service endpoint of ASP tenant `tenant_id` (the admin, or that ASP itself).
  /// @returns errc::tenant_not_found (unknown, or another tenant for a non-admin),
  /// forbidden (an MNO), service_endpoint_not_found (none configured).
  virtual result<service_endpoint> get_endpoint(const api_key& caller, std::int64_t tenant_id) = 0;
  /// Sets it (checked by check_service_endpoint first; nothing written on a failure).
  /// @returns as get_endpoint, and invalid_service_endpoint (bad field, or the tenant is no ASP).
  virtual result<service_endpoint> put_endpoint(const api_key& caller, std::int64_t tenant_id,
                                                const service_endpoint_input& e) = 0;
  /// @returns as get_endpoint.
  virtual result<std::int64_t> delete_endpoint(const api_key& caller, std::int64_t tenant_id) = 0;
};

}  // namespace iotreg::registry
