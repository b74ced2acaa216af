#include "server/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
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

/// Loads the client CAs into the context's verification store (what verified_peer_certificate
/// checks against). They are NOT listed in the CertificateRequest: a tenant's pinned client
/// certificate may come from any PKI or be self-signed, and clients that pick their certificate
/// by the server's list of acceptable issuers (Go, Java, browsers) would send none. An empty
/// list lets the client send any certificate (RFC 5246 §7.4.4; RFC 8446 §4.2.4 makes the
/// extension optional).
void load_client_cas(SSL_CTX* native, std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  if (!bio) fail("cannot read client CA certificates");
  X509_STORE* store = SSL_CTX_get_cert_store(native);
  int count = 0;
  while (X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    std::unique_ptr<X509, decltype(&X509_free)> cert(raw, &X509_free);
    if (X509_STORE_add_cert(store, cert.get()) != 1) fail("cannot add a client CA certificate");
    ++count;
  }
  ERR_clear_error();  // the end of the PEM data is reported as an error
  if (count == 0) fail("no client CA certificate");
}

/// Asks every client for an OPTIONAL certificate. Accepts every chain at the handshake: an
/// unverified certificate must reach HTTP (a tenant's pinned certificate, or "no certificate"
/// for EST: 401 from the handler), not fail the handshake, and a client that sends none must
/// proceed as before. SSL_get_verify_result keeps the verdict. The handshake still fails if the
/// client sends a certificate without proving it holds the key (CertificateVerify).
void request_client_certificates(SSL_CTX* native) {
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
                     [](int, X509_STORE_CTX*) -> int { return 1; });
  // With SSL_VERIFY_PEER, OpenSSL refuses to resume a session (a fatal handshake error, not a
  // cache miss) unless a session id context is set. Resumed sessions (TLS 1.2 ids or tickets,
  // TLS 1.3 tickets) keep the peer certificate and its verify result.
  static constexpr unsigned char sid_ctx[] = "iotreg-https";
  if (SSL_CTX_set_session_id_context(native, sid_ctx, sizeof sid_ctx - 1) != 1)
    fail("cannot set the TLS session id context");
}

}  // namespace

std::string verified_peer_certificate(SSL* ssl) {
  if (SSL_get_verify_result(ssl) != X509_V_OK) return {};
  return peer_certificate(ssl);
}

std::string peer_certificate(SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return {};
  const int len = i2d_X509(peer, nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(peer, &p) != len) return {};
  return der;
}

ssl::context make_server_tls_context(const std::filesystem::path& cert_chain_file,
                                     const std::filesystem::path& key_file, std::string_view client_ca_pem) {
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
  if (!client_ca_pem.empty()) load_client_cas(native, client_ca_pem);
  request_client_certificates(native);
  return ctx;
}

}  // namespace iotreg::server
