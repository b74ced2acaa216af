#pragma once
// Building blocks of the certificate profiles in ca.cpp. Internal to pki (namespace detail).
// Extensions are built as typed ASN.1 structures, never from config strings, so a name can never
// smuggle in a second SAN or extension.

#include "pki/certificate.hpp"
#include "pki/ossl.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::pki::detail {

/// A subject "CN=<common_name>[, O=<organisation>]" (UTF8String). An empty common_name gives an
/// empty DN. Throws ossl_error (e.g. common_name longer than 64 characters).
x509_name_ptr make_name(std::string_view common_name, std::string_view organisation = {});

/// A v3 certificate with a random 127-bit serial, issuer and subject names and subject key set,
/// valid from `not_before` to `not_after`, without extensions and unsigned. Throws ossl_error.
x509_ptr new_certificate(const X509_NAME* subject, const X509_NAME* issuer, EVP_PKEY* subject_key,
                         time_point not_before, time_point not_after);

/// A positive serial from 16 CSPRNG bytes with the top bit cleared; never zero. Throws ossl_error.
asn1_integer_ptr random_serial();

/// Critical basicConstraints; pathlen only with ca.
void add_basic_constraints(X509* x, bool ca, std::optional<long> pathlen = std::nullopt);

/// Critical keyUsage with the given bit numbers (0 digitalSignature ... 5 keyCertSign, 6 cRLSign).
void add_key_usage(X509* x, std::initializer_list<int> bits);

/// Non-critical extendedKeyUsage with the given purpose NIDs (NID_client_auth, NID_server_auth).
void add_extended_key_usage(X509* x, std::initializer_list<int> nids);

/// subjectKeyIdentifier by RFC 5280 §4.2.1.2 method 1 (SHA-1 of the subjectPublicKey BIT STRING).
/// Returns the identifier (read back from an unsigned X509 the extension cache may be stale).
std::vector<std::uint8_t> add_subject_key_id(X509* x);

/// authorityKeyIdentifier with only keyIdentifier = `issuer_key_id`. Throws std::invalid_argument
/// if it is empty.
void add_authority_key_id(X509* x, std::span<const std::uint8_t> issuer_key_id);

/// subjectAltName with dNSNames then iPAddresses. Throws std::invalid_argument for an address
/// that is not IPv4/IPv6 text.
void add_subject_alt_names(X509* x, const std::vector<std::string>& dns_names,
                           const std::vector<std::string>& ip_addresses, bool critical);

/// Non-critical cRLDistributionPoints with one DistributionPoint whose fullName is the URI `url`
/// (no reasons, no cRLIssuer: RFC 5280 §4.2.1.13). Throws std::invalid_argument if `url` fails
/// is_certificate_url, ossl_error otherwise.
void add_crl_distribution_point(X509* x, std::string_view url);

/// Non-critical authorityInfoAccess with id-ad-ocsp `ocsp_url` then id-ad-caIssuers
/// `ca_issuers_url`, both URIs (RFC 5280 §4.2.2.1). Throws as add_crl_distribution_point.
void add_authority_info_access(X509* x, std::string_view ocsp_url, std::string_view ca_issuers_url);

/// Signs `x` with `key`: SHA-256 (SHA-384 for a P-384 key, SHA-512 for P-521), no digest for
/// EdDSA. Returns the certificate re-parsed from its DER, so that no extension cache computed
/// while it was being built can disagree with what was signed. Throws ossl_error.
certificate sign(x509_ptr x, EVP_PKEY* key);

}  // namespace iotreg::pki::detail
