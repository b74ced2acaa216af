#pragma once
// Enrollment use cases: enroll, look up and revoke a device. Plain blocking functions, meant to
// run on the work pool (ARCHITECTURE.md, concurrency); they know nothing of HTTP.

#include "pki/revocation_reason.hpp"
#include "registry/errors.hpp"
#include "registry/model.hpp"
#include "registry/secret.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

/// How a server-generated private key is handed back.
enum class key_format {
  pkcs8,   // encrypted PKCS#8 PEM ("ENCRYPTED PRIVATE KEY")
  pkcs12,  // DER PKCS#12 bundle: key, device certificate, issuing and root CA
};

/// Server-side key generation, for a device that cannot make its key on board (an MNO that
/// provisions the identity at SIM activation). The key is made in memory, encrypted under
/// `password` for the requester, never stored and never logged.
struct server_keygen_request {
  std::string key_type = "ec-p256";  // ec-p256, ec-p384, ed25519, rsa2048, rsa3072
  std::string format = "pkcs8";      // pkcs8, pkcs12
  secret_text password;              // 12..1024 bytes; never in a log or an error message
};

struct enroll_request {
  std::string device_id;
  std::string csr_pem;  // empty when server_keygen is set
  std::optional<std::int64_t> api_key_id;
  std::optional<server_keygen_request> server_keygen{};  // positional initializers stay valid
  /// The MNO tenant that activates the device (set by the API after authorize_activation);
  /// nullopt for the admin. Activates the device an ASP registered, if there is one.
  std::optional<std::int64_t> mno_tenant_id{};
};

/// A device as the API shows it.
struct enrollment {
  std::string device_id;
  std::string dns_name;         // <id>._device.<zone> without the final dot
  std::string certificate_pem;  // the device certificate
  std::string chain_pem;        // issuing CA then root CA
  std::string tlsa;             // presentation format: "<owner> <ttl> IN TLSA 3 1 1 <hex>"
  std::optional<std::uint32_t> zone_serial;
  device_status status = device_status::active;
  /// Set only in the reply to an enrollment with server_keygen: the encrypted key in that
  /// format (PEM text or PKCS#12 DER). Held nowhere else; wiped when the enrollment goes.
  std::optional<key_format> private_key_format;
  secret_text private_key;
  std::string serial_hex;  // the certificate's serial, lower-case hex (renew/rekey replies show it)
};

struct revocation {
  std::string device_id;
  std::uint32_t zone_serial = 0;  // first serial without the device's TLSA
  pki::revocation_reason reason = pki::revocation_reason::unspecified;
};

/// Renewal: a new certificate for the key of the device's current (newest) certificate. The TLSA
/// (3 1 1, the SPKI hash) stays the same, so the zone does not change.
struct renew_request {
  std::string device_id;
  std::optional<std::int64_t> api_key_id;
};

/// Rekey: a new certificate for a new key, from a CSR (checked as enroll's) or made by the server
/// (as enroll's server_keygen). The new TLSA joins the device's RRset; the old one stays until
/// the new certificate is confirmed or the old one expires.
struct rekey_request {
  std::string device_id;
  std::string csr_pem;  // empty when server_keygen is set
  std::optional<std::int64_t> api_key_id;
  std::optional<server_keygen_request> server_keygen{};
};

/// The outcome of confirm().
struct confirmation {
  std::string device_id;
  std::string serial_hex;           // the confirmed certificate
  std::size_t removed_records = 0;  // TLSA records that left the zone
  std::uint32_t zone_serial = 0;    // first serial without them (the current one if none left)
};

/// A page of the expiring-certificates list; `next` is set when more may follow.
struct expiring_page {
  std::vector<expiring_certificate> items;
  std::optional<expiring_cursor> next;
};

class enrollment_service {
 public:
  virtual ~enrollment_service() = default;

  /// Checks the id and the CSR, issues the certificate, commits device + certificate + zone change
  /// in one transaction, then waits until the served zone contains the record.
  /// With req.server_keygen instead of a CSR: checks the key type, format and password, generates
  /// the key, issues for it, and returns the key encrypted under the password; a publication
  /// timeout then still succeeds (zone_serial unset), since the key exists nowhere else.
  /// @returns errc::invalid_device_id, csr_*, invalid_server_keygen, device_exists, or
  /// publication_timeout (committed but not yet visible; it will be).
  virtual result<enrollment> enroll(const enroll_request& req) = 0;

  /// @returns errc::device_not_found.
  virtual result<enrollment> get(std::string_view device_id) = 0;

  /// Marks the device revoked with `reason` (recorded with its certificates, listed in the CRL
  /// and OCSP), then waits until its TLSA has left the served zone.
  /// @returns errc::device_not_found, device_already_revoked or publication_timeout.
  virtual result<revocation> revoke(std::string_view device_id, pki::revocation_reason reason) = 0;

  /// Issues a new certificate for the key of the device's current certificate (serial new,
  /// TLSA unchanged). @returns the enrollment with the new certificate; errc::device_not_found or
  /// device_already_revoked.
  virtual result<enrollment> renew(const renew_request& req) = 0;

  /// Issues a certificate for a new key (CSR or server_keygen, checked as enroll's), adds its
  /// TLSA to the device's RRset beside the old one(s) and waits for publication. A CSR for the
  /// current key is allowed and behaves as renew(). EST /simplereenroll calls it. @returns as enroll()
  /// (device_not_found and device_already_revoked instead of invalid_device_id and device_exists).
  virtual result<enrollment> rekey(const rekey_request& req) = 0;

  /// Marks the device's certificate `serial_hex` (hex, any case) confirmed and withdraws every
  /// older live certificate: their TLSA leave the zone unless the confirmed one carries the same.
  /// Waits for publication. @returns errc::device_not_found, device_already_revoked,
  /// invalid_request (not a serial), certificate_not_found, certificate_not_live,
  /// publication_timeout.
  virtual result<confirmation> confirm(std::string_view device_id, std::string_view serial_hex) = 0;

  /// Live certificates of active devices whose notAfter is before `before`, by notAfter, that
  /// `caller` may read (authorization.hpp, as the device list): the admin all, an ASP those of
  /// its devices, an MNO those of the devices it activated. `limit` is 1..1000 (the caller
  /// checks). @returns errc::forbidden (a role without device_read).
  virtual result<expiring_page> expiring(const api_key& caller, time_point before,
                                         const std::optional<expiring_cursor>& after, std::size_t limit) = 0;
};

/// Checks `Authorization: Bearer` tokens against the stored key hashes.
class authenticator {
 public:
  virtual ~authenticator() = default;
  /// @returns the key, or errc::unauthenticated (unknown, revoked or malformed token).
  virtual result<api_key> authenticate(std::string_view bearer_token) = 0;
  /// The credential of the TLS client certificate `der` (the handshake proved that the client
  /// holds its key; registry/tenant_certificates.hpp). @returns the principal, or
  /// errc::unauthenticated (not registered, expired, revoked, its tenant disabled). The default
  /// knows no certificate.
  virtual result<api_key> authenticate_certificate(std::string_view der) {
    (void)der;
    return error{errc::unauthenticated, "the TLS client certificate is not a registered credential"};
  }
};

}  // namespace iotreg::registry
