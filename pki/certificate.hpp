#pragma once
// An X.509 certificate: parsing, encoding and the accessors the registry needs.

#include "pki/ossl.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::pki {

using time_point = std::chrono::system_clock::time_point;

/// An immutable X.509 certificate. Copies share the underlying X509 (X509_up_ref), which is safe
/// because nothing here mutates it; const member functions may be called from several threads.
/// A moved-from certificate may only be destroyed or assigned to.
class certificate {
 public:
  /// Takes ownership of `cert`. Throws std::invalid_argument if null.
  explicit certificate(x509_ptr cert);

  certificate(const certificate& other);
  certificate& operator=(const certificate& other);
  certificate(certificate&&) noexcept = default;
  certificate& operator=(certificate&&) noexcept = default;
  ~certificate() = default;

  /// The first "CERTIFICATE" block of `pem`. Throws ossl_error if there is none or it does not parse.
  static certificate from_pem(std::string_view pem);
  /// Exactly one DER certificate. Throws ossl_error if it does not parse or has trailing bytes.
  static certificate from_der(std::span<const std::uint8_t> der);
  /// Reads `p` and parses its first certificate (blocking). Throws std::system_error, ossl_error.
  static certificate load_pem_file(const std::filesystem::path& p);

  /// Writes pem() to `p` atomically with mode 0644 (see write_file_atomic). Blocking.
  /// Throws std::system_error, ossl_error.
  void save_pem_file(const std::filesystem::path& p) const;

  /// PEM "CERTIFICATE" block with a trailing newline. Throws ossl_error.
  std::string pem() const;
  /// DER encoding. Throws ossl_error.
  std::vector<std::uint8_t> der() const;
  /// DER SubjectPublicKeyInfo (the input of TLSA selector 1). Throws ossl_error.
  std::vector<std::uint8_t> spki_der() const;
  /// subjectKeyIdentifier value; empty if the extension is absent.
  std::vector<std::uint8_t> subject_key_id() const;
  /// authorityKeyIdentifier keyIdentifier; empty if absent.
  std::vector<std::uint8_t> authority_key_id() const;
  /// Serial number in lower-case hex without leading zeros ("0" for zero, "-" prefix if negative).
  /// Throws ossl_error.
  std::string serial_hex() const;
  /// Validity bounds, to the second. Throws ossl_error if the time field is unreadable.
  time_point not_before() const;
  time_point not_after() const;
  /// First subject commonName as UTF-8; empty if there is none. Throws ossl_error.
  std::string subject_common_name() const;
  /// The certificate, owned by this object. Never null unless moved from.
  X509* native() const noexcept { return cert_.get(); }

 private:
  x509_ptr cert_;
};

/// Every "CERTIFICATE" block of `pem`, in order (e.g. a chain file). Other PEM blocks and text
/// between blocks are skipped. Throws ossl_error if one does not parse or there is none.
std::vector<certificate> certificates_from_pem(std::string_view pem);

/// Concatenated PEM of `certs`, in order.
std::string pem_chain(std::span<const certificate> certs);

/// First commonName of `name` as UTF-8, empty if none. Throws ossl_error.
std::string common_name_of(const X509_NAME* name);

/// A key identifier as the URLs spell it (STANDARDS.md §3): lower-case hex bytes joined by '-',
/// e.g. "0a-1b-ff"; empty for an empty id. Never throws except bad_alloc.
std::string key_id_text(std::span<const std::uint8_t> key_id);

}  // namespace iotreg::pki
