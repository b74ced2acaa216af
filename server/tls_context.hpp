#pragma once
// The HTTPS server's TLS context.

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace iotreg::server {

/// A TLS server context: TLS 1.2 and 1.3 only; for 1.2 only ECDHE with AES-GCM or
/// ChaCha20-Poly1305; no compression, no renegotiation, server cipher preference; the
/// certificate chain and private key from PEM files (checked to match).
///
/// The server asks every client for an OPTIONAL client certificate (SSL_VERIFY_PEER without
/// FAIL_IF_NO_PEER_CERT, no list of acceptable issuers) and accepts any chain at the handshake:
/// clients without a certificate see no difference. With `client_ca_pem` (PEM certificates:
/// iotreg's root and issuing CAs) a client certificate is also checked against those CAs; the
/// verdict decides verified_peer_certificate, not the handshake. Sessions resume (session id
/// context set) with their peer certificate.
/// @throws std::runtime_error naming the file and the OpenSSL reason.
boost::asio::ssl::context make_server_tls_context(const std::filesystem::path& cert_chain_file,
                                                  const std::filesystem::path& key_file,
                                                  std::string_view client_ca_pem = {});

/// The DER of the peer's certificate after a handshake on `ssl`, if it sent one AND it verified
/// against the client CAs of make_server_tls_context; empty otherwise. Revocation is not
/// checked here (the registry does, per use). Never throws except bad_alloc.
std::string verified_peer_certificate(SSL* ssl);

/// The DER of the peer's certificate after a handshake on `ssl` (also a resumed one), whether or
/// not it verified: the handshake proved that the peer holds its private key. Empty if the peer
/// sent none. Never throws except bad_alloc.
std::string peer_certificate(SSL* ssl);

}  // namespace iotreg::server
