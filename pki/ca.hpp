#pragma once
// The certificate profiles iotreg issues: self-signed root, issuing CA, device (TLS client) and
// iotregd's own TLS server certificate. STANDARDS.md §7.1 gives the profile.
// All functions are pure given `now` and the CSPRNG; they are CPU-bound (signing) and thread-safe.

#include "pki/certificate.hpp"
#include "pki/csr.hpp"
#include "pki/issuance_urls.hpp"
#include "pki/key.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace iotreg::pki {

/// A CA certificate and its private key. Move-only (the key is).
struct certificate_authority {
  certificate cert;
  private_key key;
};

/// Subject of a CA certificate: CN=common_name, plus O=organisation when non-empty.
/// Precondition: common_name non-empty and at most 64 characters (X.520 upper bound).
struct ca_name {
  std::string common_name;
  std::string organisation;
};

/// Self-signed root with a fresh ECDSA P-256 key: basicConstraints critical CA:TRUE (no path
/// length), keyUsage critical keyCertSign+cRLSign, SKI (RFC 5280 method 1), AKI = SKI, random
/// 127-bit serial, subject CN=common_name, valid from now-1h to now+validity.
/// Throws std::invalid_argument if validity <= 0 or the name is empty, ossl_error otherwise.
certificate_authority create_root_ca(const std::string& common_name, std::chrono::days validity,
                                     time_point now);

/// As above with a full subject and a caller-supplied key (any key_type; Ed25519 roots sign
/// with no digest, P-384 roots with SHA-384).
certificate_authority create_root_ca(const ca_name& name, private_key key, std::chrono::days validity,
                                     time_point now);

/// Issuing CA with a fresh P-256 key, signed by `root`: basicConstraints critical CA:TRUE
/// pathlen:0, keyUsage critical keyCertSign+cRLSign, SKI, AKI = root SKI, issuer = root subject.
/// Throws std::invalid_argument if root's key does not match its certificate, root is not a CA or
/// has no SKI, validity <= 0 or the name is empty; ossl_error otherwise.
certificate_authority create_issuing_ca(const certificate_authority& root, const std::string& common_name,
                                        std::chrono::days validity, time_point now);

/// As above with a full subject and a caller-supplied key.
certificate_authority create_issuing_ca(const certificate_authority& root, const ca_name& name,
                                        private_key key, std::chrono::days validity, time_point now);

/// Device (TLS client) certificate for the key of `req`, which parse_csr_pem accepted. The CSR's
/// subject and requested extensions are ignored. Profile: v3; random 127-bit serial; subject
/// CN=dns_name (empty subject and a critical SAN instead if dns_name exceeds 64 characters);
/// SAN exactly one dNSName = dns_name ('_' labels allowed); EKU clientAuth; keyUsage critical
/// digitalSignature; basicConstraints critical CA:FALSE; SKI; AKI keyIdentifier = issuer SKI;
/// when urls.public_url is set, cRLDistributionPoints URI crl_url(urls, issuer SKI) and
/// authorityInfoAccess OCSP ocsp_url(urls) + caIssuers ca_issuers_url(urls, issuer SKI), both
/// non-critical; valid from now-1h (clock skew) to now+validity (not clamped to the issuer's
/// notAfter); signed with SHA-256 (SHA-384 for a P-384 issuer, none for Ed25519).
/// Throws std::invalid_argument if dns_name is not a hostname of letters, digits, '-' and '_'
/// (at most 253 characters, labels 1..63, no trailing dot), validity <= 0, a URL fails
/// is_certificate_url, or the issuer is unusable (see create_issuing_ca); ossl_error otherwise.
certificate issue_device_certificate(const certificate_authority& issuer, const csr& req,
                                     const std::string& dns_name, std::chrono::days validity, time_point now,
                                     const issuance_urls& urls = {});

/// As above for a public key the server made itself (server-side key generation), so there is no
/// CSR to check: `public_key` is used for its public half only (a private key may be passed) and
/// must be of a type the CSR allow-list accepts. Throws as above, std::invalid_argument if
/// `public_key` is null.
certificate issue_device_certificate(const certificate_authority& issuer, const EVP_PKEY* public_key,
                                     const std::string& dns_name, std::chrono::days validity, time_point now,
                                     const issuance_urls& urls = {});

/// TLS server certificate for iotregd's own `key`: SAN dNSNames then iPAddresses ("127.0.0.1",
/// "::1"), subject CN = first DNS name (else first address), EKU serverAuth, keyUsage critical
/// digitalSignature, basicConstraints critical CA:FALSE, SKI, AKI = issuer SKI, valid from now-1h.
/// Throws std::invalid_argument if both lists are empty, a name or address is invalid, or as
/// issue_device_certificate; ossl_error otherwise.
certificate issue_server_certificate(const certificate_authority& issuer, const private_key& key,
                                     const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ip_addresses, std::chrono::days validity,
                                     time_point now);

}  // namespace iotreg::pki
