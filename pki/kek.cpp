#include "pki/kek.hpp"

#include "pki/file_io.hpp"

#include "pki/ossl.hpp"

#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace iotreg::pki {

namespace {

using cipher_ctx_ptr = ossl_ptr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

/// The file's content, wiped afterwards. A KEK file is tiny: anything larger is a mistake.
secret_bytes read_small_secret(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    throw kek_error("key encryption key " + file.string() + ": cannot open: " + std::strerror(errno) +
                    " (run `iotregctl init` to create it, or copy it from another node)");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw kek_error("key encryption key " + file.string() + ": not a regular file");
  }
  if (!is_private_mode(st.st_mode)) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw kek_error("key encryption key " + file.string() + " has mode " + mode +
                    ": it must be 0600 or stricter (chmod 0600 it)");
  }
  secret_bytes buf(256);
  std::size_t used = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw kek_error("key encryption key " + file.string() + ": cannot read: " + std::strerror(err));
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    if (used == buf.size()) {
      ::close(fd);
      throw kek_error("key encryption key " + file.string() +
                      ": too large (expected 32 bytes or 64 hex digits)");
    }
  }
  ::close(fd);
  secret_bytes out(used);
  std::memcpy(out.data(), buf.data(), used);
  return out;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/// 32 raw bytes, or 64 hex digits with optional surrounding whitespace.
secret_bytes decode_key(const secret_bytes& content, const std::filesystem::path& file) {
  if (content.size() == key_encryption_key::key_size) {
    secret_bytes out(content.size());
    std::memcpy(out.data(), content.data(), content.size());
    return out;
  }
  std::string_view text = content.view();
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (text.size() == 2 * key_encryption_key::key_size) {
    secret_bytes out(key_encryption_key::key_size);
    bool ok = true;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const int hi = hex_value(text[2 * i]);
      const int lo = hex_value(text[2 * i + 1]);
      ok = ok && hi >= 0 && lo >= 0;
      out.data()[i] = static_cast<std::uint8_t>((hi << 4 | lo) & 0xff);
    }
    if (ok) return out;
  }
  throw kek_error("key encryption key " + file.string() + ": expected 32 raw bytes or 64 hex digits, found " +
                  std::to_string(content.size()) + " bytes");
}

int checked_int(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) throw kek_error("key encryption: input too large");
  return static_cast<int>(n);
}

}  // namespace

secret_bytes& secret_bytes::operator=(secret_bytes&& other) noexcept {
  if (this != &other) {
    OPENSSL_cleanse(data_.data(), data_.size());
    data_ = std::move(other.data_);
    other.data_.clear();
  }
  return *this;
}

secret_bytes::~secret_bytes() { OPENSSL_cleanse(data_.data(), data_.size()); }

bool is_private_mode(unsigned mode) noexcept { return (mode & 0177u) == 0; }

key_encryption_key key_encryption_key::load_file(const std::filesystem::path& file) {
  const auto content = read_small_secret(file);
  return key_encryption_key(decode_key(content, file));
}

bool key_encryption_key::create_file(const std::filesystem::path& file) {
  if (std::filesystem::exists(std::filesystem::symlink_status(file))) return false;
  secret_bytes key(key_size);
  if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    clear_ossl_errors();
    throw kek_error("key encryption key: the random generator failed");
  }
  // Never replaces a KEK that another `iotregctl init` created meanwhile (that one wins).
  return create_file_exclusive(file, key.view(),
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

key_encryption_key key_encryption_key::from_bytes(std::span<const std::uint8_t> key) {
  if (key.size() != key_size) throw kek_error("key encryption key: expected 32 bytes");
  secret_bytes k(key_size);
  std::memcpy(k.data(), key.data(), key_size);
  return key_encryption_key(std::move(k));
}

std::vector<std::uint8_t> key_encryption_key::seal(std::span<const std::uint8_t> plaintext,
                                                   std::string_view associated_data) const {
  std::vector<std::uint8_t> out(overhead + plaintext.size());
  out[0] = format_version;
  std::uint8_t* nonce = out.data() + 1;
  std::uint8_t* body = nonce + nonce_size;
  std::uint8_t* tag = body + plaintext.size();
  // A random 96-bit nonce per message: with one KEK sealing a few keys per rollover, the 2^-32
  // collision bound of NIST SP 800-38D 8.3 is never approached.
  if (RAND_bytes(nonce, static_cast<int>(nonce_size)) != 1) throw_ossl("key encryption: RAND_bytes");

  const cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw_ossl("key encryption: EVP_CIPHER_CTX_new");
  int len = 0;
  // The version byte is authenticated too, so that a blob cannot be relabelled as another format.
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, out.data(), 1) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(associated_data.data()),
                        checked_int(associated_data.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), body, &len, plaintext.data(), checked_int(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), body + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size), tag) != 1) {
    throw_ossl("key encryption: AES-256-GCM");
  }
  return out;
}

secret_bytes key_encryption_key::open(std::span<const std::uint8_t> sealed, std::string_view associated_data,
                                      std::string_view what) const {
  auto fail = [&](const char* why) -> kek_error {
    return kek_error("cannot decrypt " + std::string(what) + ": " + why);
  };
  if (sealed.size() < overhead) throw fail("the stored value is too short to be an encrypted key");
  if (sealed[0] != format_version) throw fail("unknown encryption format version");
  const std::uint8_t* nonce = sealed.data() + 1;
  const std::uint8_t* body = nonce + nonce_size;
  const std::size_t body_size = sealed.size() - overhead;
  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer but only reads it.
  std::uint8_t tag[tag_size];
  std::memcpy(tag, body + body_size, tag_size);

  secret_bytes out(body_size);
  const cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw_ossl("key decryption: EVP_CIPHER_CTX_new");
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, sealed.data(), 1) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(associated_data.data()),
                        checked_int(associated_data.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, body, checked_int(body_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size), tag) != 1) {
    throw_ossl("key decryption: AES-256-GCM");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &final_len) != 1) {
    clear_ossl_errors();
    throw fail(
        "authentication failed (wrong key encryption key, or the stored value was altered or "
        "belongs to another key)");
  }
  return out;
}

}  // namespace iotreg::pki
