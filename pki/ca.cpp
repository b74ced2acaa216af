#include "pki/ca.hpp"

#include "pki/x509_build.hpp"

#include <stdexcept>

namespace iotreg::pki {
namespace {

using namespace std::chrono_literals;

// Tolerance for devices whose clocks run behind.
constexpr auto clock_skew = 1h;
constexpr std::size_t max_cn_length = 64;  // X.520 ub-common-name

constexpr int ku_digital_signature = 0;
constexpr int ku_key_cert_sign = 5;
constexpr int ku_crl_sign = 6;

void check_validity(std::chrono::days validity) {
  if (validity <= std::chrono::days::zero()) throw std::invalid_argument("validity must be positive");
}

void check_ca_name(const ca_name& name) {
  if (name.common_name.empty()) throw std::invalid_argument("CA common name must not be empty");
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Letters, digits, '-' and '_' (RFC 5280 forbids '_', but device names are "<id>._device.<zone>").
void check_dns_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 253;
  std::size_t label = 0;
  for (const char c : name) {
    if (!ok) break;
    if (c == '.') {
      ok = label != 0;
      label = 0;
    } else {
      ok = is_label_char(c) && ++label <= 63;
    }
  }
  if (!ok || label == 0) throw std::invalid_argument("not a valid DNS name: '" + std::string(name) + "'");
}

void check_issuer(const certificate_authority& issuer) {
  if (X509_check_private_key(issuer.cert.native(), issuer.key.native()) != 1) {
    clear_ossl_errors();
    throw std::invalid_argument("issuer private key does not match its certificate");
  }
  if (X509_check_ca(issuer.cert.native()) < 1) throw std::invalid_argument("issuer certificate is not a CA");
}

certificate make_ca(const ca_name& name, const private_key& key, const certificate_authority* parent,
                    std::chrono::days validity, time_point now) {
  check_ca_name(name);
  check_validity(validity);
  if (parent != nullptr) check_issuer(*parent);
  const x509_name_ptr subject = detail::make_name(name.common_name, name.organisation);
  const X509_NAME* issuer_name =
      parent != nullptr ? X509_get_subject_name(parent->cert.native()) : subject.get();
  x509_ptr x =
      detail::new_certificate(subject.get(), issuer_name, key.native(), now - clock_skew, now + validity);
  if (parent != nullptr) {
    detail::add_basic_constraints(x.get(), true, 0);
  } else {
    detail::add_basic_constraints(x.get(), true);
  }
  detail::add_key_usage(x.get(), {ku_key_cert_sign, ku_crl_sign});
  const std::vector<std::uint8_t> ski = detail::add_subject_key_id(x.get());
  // A self-signed root names itself (RFC 5280 allows AKI there; it helps chain builders).
  detail::add_authority_key_id(x.get(), parent != nullptr ? parent->cert.subject_key_id() : ski);
  return detail::sign(std::move(x), parent != nullptr ? parent->key.native() : key.native());
}

// The common part of end-entity certificates. With urls.public_url set, the certificate also
// points at its issuer's CRL, the OCSP responder and the issuer certificate.
certificate make_end_entity(const certificate_authority& issuer, EVP_PKEY* subject_key,
                            const std::vector<std::string>& dns_names,
                            const std::vector<std::string>& ip_addresses, int eku_nid,
                            std::chrono::days validity, time_point now, const issuance_urls& urls) {
  check_validity(validity);
  check_issuer(issuer);
  for (const std::string& n : dns_names) check_dns_name(n);
  const std::string& cn = !dns_names.empty() ? dns_names.front() : ip_addresses.front();
  // RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical.
  const bool has_cn = cn.size() <= max_cn_length;
  const x509_name_ptr subject = detail::make_name(has_cn ? std::string_view(cn) : std::string_view());
  x509_ptr x = detail::new_certificate(subject.get(), X509_get_subject_name(issuer.cert.native()),
                                       subject_key, now - clock_skew, now + validity);
  detail::add_basic_constraints(x.get(), false);
  detail::add_key_usage(x.get(), {ku_digital_signature});
  detail::add_extended_key_usage(x.get(), {eku_nid});
  detail::add_subject_key_id(x.get());
  detail::add_authority_key_id(x.get(), issuer.cert.subject_key_id());
  detail::add_subject_alt_names(x.get(), dns_names, ip_addresses, !has_cn);
  if (!urls.public_url.empty()) {
    const std::vector<std::uint8_t> issuer_key_id = issuer.cert.subject_key_id();
    detail::add_crl_distribution_point(x.get(), crl_url(urls, issuer_key_id));
    detail::add_authority_info_access(x.get(), ocsp_url(urls), ca_issuers_url(urls, issuer_key_id));
  }
  return detail::sign(std::move(x), issuer.key.native());
}

}  // namespace

certificate_authority create_root_ca(const std::string& common_name, std::chrono::days validity,
                                     time_point now) {
  return create_root_ca(ca_name{common_name, {}}, private_key::generate_p256(), validity, now);
}

certificate_authority create_root_ca(const ca_name& name, private_key key, std::chrono::days validity,
                                     time_point now) {
  certificate cert = make_ca(name, key, nullptr, validity, now);
  return {std::move(cert), std::move(key)};
}

certificate_authority create_issuing_ca(const certificate_authority& root, const std::string& common_name,
                                        std::chrono::days validity, time_point now) {
  return create_issuing_ca(root, ca_name{common_name, {}}, private_key::generate_p256(), validity, now);
}

certificate_authority create_issuing_ca(const certificate_authority& root, const ca_name& name,
                                        private_key key, std::chrono::days validity, time_point now) {
  certificate cert = make_ca(name, key, &root, validity, now);
  return {std::move(cert), std::move(key)};
}

certificate issue_device_certificate(const certificate_authority& issuer, const csr& req,
                                     const std::string& dns_name, std::chrono::days validity, time_point now,
                                     const issuance_urls& urls) {
  check_dns_name(dns_name);
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.native());
  if (key == nullptr) throw std::invalid_argument("CSR has no usable public key");
  return make_end_entity(issuer, key, {dns_name}, {}, NID_client_auth, validity, now, urls);
}

certificate issue_device_certificate(const certificate_authority& issuer, const EVP_PKEY* public_key,
                                     const std::string& dns_name, std::chrono::days validity, time_point now,
                                     const issuance_urls& urls) {
  if (public_key == nullptr) throw std::invalid_argument("issue_device_certificate: null public key");
  check_dns_name(dns_name);
  // A public-only copy: X509_set_pubkey keeps a reference to the key it is given, and a private
  // key must not ride along in certificate structures.
  const auto spki = to_der(i2d_PUBKEY, public_key);
  const unsigned char* p = spki.data();
  evp_pkey_ptr pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (!pub) throw_ossl("d2i_PUBKEY");
  return make_end_entity(issuer, pub.get(), {dns_name}, {}, NID_client_auth, validity, now, urls);
}

certificate issue_server_certificate(const certificate_authority& issuer, const private_key& key,
                                     const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ip_addresses, std::chrono::days validity,
                                     time_point now) {
  if (dns_names.empty() && ip_addresses.empty())
    throw std::invalid_argument("server certificate needs a name");
  return make_end_entity(issuer, key.native(), dns_names, ip_addresses, NID_server_auth, validity, now, {});
}

}  // namespace iotreg::pki
