#include "pki/certificate.hpp"

#include "pki/file_io.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cctype>
#include <climits>
#include <ctime>
#include <stdexcept>

namespace iotreg::pki {
namespace {

std::vector<std::uint8_t> octets(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return {};
  const unsigned char* p = ASN1_STRING_get0_data(s);
  return {p, p + ASN1_STRING_length(s)};
}

time_point to_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) throw_ossl("ASN1_TIME_to_tm");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

certificate::certificate(x509_ptr cert) : cert_(std::move(cert)) {
  if (!cert_) throw std::invalid_argument("certificate: null X509");
}

certificate::certificate(const certificate& other) : cert_(nullptr) {
  if (other.cert_) {
    if (X509_up_ref(other.cert_.get()) != 1) throw_ossl("X509_up_ref");
    cert_.reset(other.cert_.get());
  }
}

certificate& certificate::operator=(const certificate& other) {
  if (this != &other) *this = certificate(other);
  return *this;
}

certificate certificate::from_pem(std::string_view pem) {
  const bio_ptr bio = make_read_bio(pem);
  x509_ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x) throw_ossl("cannot parse PEM certificate");
  return certificate(std::move(x));
}

certificate certificate::from_der(std::span<const std::uint8_t> der) {
  if (der.size() > static_cast<std::size_t>(LONG_MAX)) throw std::length_error("certificate too large");
  const unsigned char* p = der.data();
  x509_ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) throw_ossl("cannot parse DER certificate");
  if (p != der.data() + der.size()) throw ossl_error("cannot parse DER certificate: trailing bytes");
  return certificate(std::move(x));
}

certificate certificate::load_pem_file(const std::filesystem::path& p) { return from_pem(read_file(p)); }

void certificate::save_pem_file(const std::filesystem::path& p) const {
  using std::filesystem::perms;
  write_file_atomic(p, pem(),
                    perms::owner_read | perms::owner_write | perms::group_read | perms::others_read);
}

std::string certificate::pem() const {
  const bio_ptr bio = make_write_bio();
  if (PEM_write_bio_X509(bio.get(), cert_.get()) != 1) throw_ossl("PEM_write_bio_X509");
  return bio_contents(bio.get());
}

std::vector<std::uint8_t> certificate::der() const { return to_der(i2d_X509, cert_.get()); }

std::vector<std::uint8_t> certificate::spki_der() const {
  return to_der(i2d_X509_PUBKEY, X509_get_X509_PUBKEY(cert_.get()));
}

std::vector<std::uint8_t> certificate::subject_key_id() const {
  return octets(X509_get0_subject_key_id(cert_.get()));
}

std::vector<std::uint8_t> certificate::authority_key_id() const {
  return octets(X509_get0_authority_key_id(cert_.get()));
}

std::string certificate::serial_hex() const {
  const bignum_ptr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_.get()), nullptr));
  if (!bn) throw_ossl("ASN1_INTEGER_to_BN");
  const ossl_chars_ptr hex(BN_bn2hex(bn.get()));
  if (!hex) throw_ossl("BN_bn2hex");
  std::string s(hex.get());
  // BN_bn2hex emits whole bytes, so "0ABC" may start with a zero nibble.
  const bool negative = !s.empty() && s.front() == '-';
  const std::size_t digits = negative ? 1 : 0;
  const std::size_t first = s.find_first_not_of('0', digits);
  s.erase(digits, (first == std::string::npos ? s.size() - 1 : first) - digits);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

time_point certificate::not_before() const { return to_time_point(X509_get0_notBefore(cert_.get())); }
time_point certificate::not_after() const { return to_time_point(X509_get0_notAfter(cert_.get())); }

std::string certificate::subject_common_name() const {
  return common_name_of(X509_get_subject_name(cert_.get()));
}

std::string common_name_of(const X509_NAME* name) {
  const int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0) throw_ossl("ASN1_STRING_to_UTF8");
  const ossl_bytes_ptr owner(utf8);
  return {reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len)};
}

std::vector<certificate> certificates_from_pem(std::string_view pem) {
  const bio_ptr bio = make_read_bio(pem);
  std::vector<certificate> out;
  for (;;) {
    x509_ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!x) break;
    out.emplace_back(std::move(x));
  }
  // The loop ends on "no more PEM" (expected) or on a broken block (an error).
  const unsigned long err = ERR_peek_last_error();
  if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
    clear_ossl_errors();
  } else {
    throw_ossl("cannot parse PEM certificate chain");
  }
  if (out.empty()) throw ossl_error("no certificate in PEM input");
  return out;
}

std::string pem_chain(std::span<const certificate> certs) {
  std::string out;
  for (const certificate& c : certs) out += c.pem();
  return out;
}

std::string key_id_text(std::span<const std::uint8_t> key_id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(key_id.size() * 3);
  for (const std::uint8_t b : key_id) {
    if (!out.empty()) out += '-';
    out += digits[b >> 4];
    out += digits[b & 0x0f];
  }
  return out;
}

}  // namespace iotreg::pki
