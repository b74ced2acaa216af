#include "server/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace iotreg::server {
namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 keeps OpenSSL's defaults (all AEAD).
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/// Drains the OpenSSL error queue into one message (STYLE.md §4.5: translate at the edge).
[[noreturn]] void fail(const std::string& what) {
  std::string msg = what;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  throw std::runtime_error(msg);
}

}  // namespace

ssl::context make_server_tls_context(const std::filesystem::path& cert_chain_file,
                                     const std::filesystem::path& key_file) {
  ERR_clear_error();
  ssl::context ctx{ssl::context::tls_server};
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1)
    fail("cannot restrict TLS versions");
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_ECDH_USE);
  if (SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1) fail("cannot set TLS 1.2 ciphers");

  // An encrypted key must fail, not prompt on the daemon's terminal.
  SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) -> int { return 0; });
  if (SSL_CTX_use_certificate_chain_file(native, cert_chain_file.c_str()) != 1)
    fail("cannot load TLS certificate chain " + cert_chain_file.string());
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    fail("cannot load TLS private key " + key_file.string());
  if (SSL_CTX_check_private_key(native) != 1)
    fail("TLS private key " + key_file.string() + " does not match certificate " + cert_chain_file.string());
  return ctx;
}

}  // namespace iotreg::server
