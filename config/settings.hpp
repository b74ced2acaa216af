#pragma once
// Plain settings structs, parsed once from the TOML file and passed by reference (STYLE.md §2:
// no global configuration). Defaults here are the documented defaults of
// config/iotreg.example.toml.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace iotreg::config {

struct endpoint {
  std::string host;  // an IP address literal ("127.0.0.1", "::1") or "localhost"
  std::uint16_t port = 0;
  friend bool operator==(const endpoint&, const endpoint&) = default;
};

struct server_settings {
  endpoint http_listen{"127.0.0.1", 8443};
  endpoint dns_listen{"127.0.0.1", 5353};
  unsigned io_threads = 0;  // 0: one per core
  unsigned work_threads = 16;
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::seconds publish_timeout{10};         // how long a request waits for its change to be served
  std::chrono::seconds read_timeout{30};            // a whole request (header and body): slow senders get 408
  std::chrono::seconds handshake_timeout{10};       // the TLS handshake
  std::vector<std::string> tls_names{"localhost"};  // server certificate dNSNames
  std::vector<std::string> tls_addresses{"127.0.0.1", "::1"};  // server certificate iPAddresses
};

struct database_settings {
  std::string dsn = "postgresql:///iotreg?host=/run/postgresql";
  std::size_t pool_size = 8;
};

struct paths_settings {
  std::filesystem::path state_dir = "/var/lib/iotreg";
};

struct zone_address {
  std::string owner;    // absolute name inside the zone
  std::string address;  // IPv4 or IPv6 literal
};

struct zone_settings {
  std::string name = "iotregistry.test.";  // normalised: lower case, final dot
  std::filesystem::path file = "/var/lib/iotreg/iotregistry.test.zone";
  std::uint32_t ttl = 3600;
  std::uint32_t tlsa_ttl = 300;
  std::string soa_mname;                // default "ns1.<zone>"
  std::string soa_rname;                // default "hostmaster.<zone>"
  std::vector<std::string> ns;          // default ["ns1.<zone>"]
  std::vector<zone_address> addresses;  // default: ns1 and device -> 127.0.0.1
  bool allow_label_ids = false;         // device ids may be DNS-safe labels, not only EIDs
  std::vector<std::string> transfer_allow{"127.0.0.1", "::1"};
  std::string transfer_tsig;     // name of a [[tsig]] key AXFR/IXFR must be signed with; "" = none
  std::vector<endpoint> notify;  // secondaries sent NOTIFY (RFC 1996) after each new serial
  std::chrono::milliseconds batch_window{10};
  std::size_t batch_max = 1000;
  std::size_t ixfr_history = 200;  // diffs kept for IXFR (RFC 1995); 0: secondaries always get AXFR
  std::string denial = "nsec3";    // "nsec3" (RFC 9276 parameters "1 0 0 -") or "nsec"
  std::chrono::seconds signature_validity = std::chrono::days(14);
  std::chrono::seconds signature_inception_offset = std::chrono::hours(1);
  // Refresh policy, see dns::zone_parameters. The loader sets margin and jitter from the
  // validity (half and a seventh) unless the file gives them.
  std::chrono::seconds signature_refresh_margin = std::chrono::days(7);
  std::chrono::seconds signature_refresh_jitter = std::chrono::days(2);
  std::chrono::seconds signature_refresh_interval = std::chrono::hours(1);
};

/// A TSIG key ([[tsig]] tables). The secret stays in its own file, never in the settings.
struct tsig_settings {
  std::string name;  // normalised like a zone name: lower case, final dot
  std::string algorithm = "hmac-sha256";
  std::filesystem::path secret_file;  // base64 secret; must not be world-readable
};

/// DNSSEC key storage: the private keys live in the database, sealed with this key encryption key.
struct dnssec_settings {
  // 32 bytes (raw or 64 hex digits), mode 0600 or stricter; "" in the file means the default
  // <state_dir>/dnssec/kek. A systemd credential named iotreg-kek ($CREDENTIALS_DIRECTORY) wins.
  std::filesystem::path kek_file;
  // Key policy (dns::key_policy, RFC 7583 timing); the DNSKEY TTL, the largest TTL and the
  // signature validity come from [zone].
  std::uint8_t algorithm = 13;  // of a new zone's keys: 13, 15 or 8 (successors keep the zone's)
  std::chrono::seconds zsk_lifetime = std::chrono::days(90);
  std::chrono::seconds ksk_lifetime = std::chrono::days(365);  // zero: manual rollovers only
  std::chrono::seconds propagation_delay{300};                 // primary to every secondary
  std::chrono::seconds publish_safety{3600};
  std::chrono::seconds retire_safety{3600};
  std::chrono::seconds parent_ds_ttl{86400};
  std::chrono::seconds parent_propagation_delay{3600};
  std::chrono::seconds policy_interval{120};  // longest gap between two policy steps
};

struct ca_settings {
  std::string organization = "iotreg";
  std::string root_common_name = "iotreg Root CA";
  std::string issuing_common_name = "iotreg Issuing CA 1";
  std::chrono::days root_validity{365 * 20};
  std::chrono::days issuing_validity{365 * 10};
  std::chrono::days device_validity{365};
  // How often expired device certificates are withdrawn from the zone (renewal overlap).
  std::chrono::seconds expiry_sweep_interval = std::chrono::minutes(1);
  // Key type of new root and issuing CAs (iotregctl init): "ec-p256", "ec-p384", "ed25519",
  // "rsa2048", "rsa3072" or "rsa4096" (the names of pki::key_type_from_name).
  std::string key_type = "ec-p256";
  // Base of the URLs device certificates carry (CRL distribution point, OCSP, caIssuers): scheme
  // and authority, no trailing '/'. Default "https://<first tls_names>:<http_listen port>".
  std::string public_url;
  // Names in enrollment CSRs: "ignore" (default) or "check" (CN and SAN dNSName must be the
  // device's DNS name or its id).
  std::string csr_names = "ignore";
  // Where the CA private keys live (docs in iotreg.example.toml): "file" (unencrypted PKCS#8,
  // mode 0600), "encrypted-file" (PKCS#8 under a passphrase) or "pkcs11" (the issuing key, and
  // the root key when root_key_uri is set, in a PKCS#11 token; no key file).
  std::string key_storage = "file";
  // The passphrase of encrypted key files; "" = none configured. A systemd credential named
  // iotreg-ca-passphrase ($CREDENTIALS_DIRECTORY) wins.
  std::filesystem::path key_passphrase_file;
  std::filesystem::path pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so";
  std::string issuing_key_uri;  // RFC 7512 URI of the issuing CA's key (required with "pkcs11")
  std::string root_key_uri;     // "" with "pkcs11": the root key stays in a file
  // The token's user PIN; "" = none configured. A systemd credential iotreg-pkcs11-pin wins.
  std::filesystem::path pkcs11_pin_file;
};

/// CRLs and the OCSP responder ([revocation]).
struct revocation_settings {
  std::chrono::seconds crl_validity = std::chrono::days(7);        // CRL nextUpdate - thisUpdate
  std::chrono::seconds crl_refresh_before = std::chrono::days(3);  // regenerate when less is left
  std::chrono::seconds ocsp_validity = std::chrono::hours(1);      // OCSP nextUpdate - thisUpdate
  std::chrono::seconds check_interval = std::chrono::hours(1);     // how often CRLs are checked
};

/// The REST API's robustness knobs ([api]): idempotency keys and per-tenant rate limits.
struct api_settings {
  std::chrono::seconds idempotency_ttl = std::chrono::hours(24);  // how long an Idempotency-Key is kept
  double rate_limit_per_second = 0;  // tokens added per second to each tenant's bucket; 0 = off
  unsigned rate_limit_burst = 0;     // bucket size; 0 = off
};

struct settings {
  std::filesystem::path source;  // the file these came from
  server_settings server;
  database_settings database;
  paths_settings paths;
  zone_settings zone;
  std::vector<tsig_settings> tsig;
  dnssec_settings dnssec;
  ca_settings ca;
  revocation_settings revocation;
  api_settings api;
};

}  // namespace iotreg::config
