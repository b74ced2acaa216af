#include "pki/ossl.hpp"

#include <openssl/err.h>

#include <array>

namespace iotreg::pki {

void throw_ossl(const char* what) {
  std::string msg = what;
  const char* sep = ": ";
  const char* data = nullptr;
  int flags = 0;
  unsigned long code = 0;
  while ((code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    msg += sep;
    msg += buf.data();
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
      msg += " (";
      msg += data;
      msg += ')';
    }
    sep = "; ";
  }
  if (*sep == ':') msg += ": no OpenSSL error recorded";
  throw ossl_error(msg);
}

void clear_ossl_errors() noexcept { ERR_clear_error(); }

bio_ptr make_read_bio(std::string_view data) {
  if (data.size() > static_cast<std::size_t>(INT_MAX)) throw std::length_error("input too large for a BIO");
  bio_ptr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) throw_ossl("BIO_new_mem_buf");
  return bio;
}

bio_ptr make_write_bio() {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) throw_ossl("BIO_new");
  return bio;
}

std::string bio_contents(BIO* bio) {
  char* p = nullptr;
  const long len = BIO_get_mem_data(bio, &p);
  if (len <= 0 || p == nullptr) return {};
  return {p, static_cast<std::size_t>(len)};
}

}  // namespace iotreg::pki
