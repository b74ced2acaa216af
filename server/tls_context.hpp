#pragma once
// The HTTPS server's TLS context.

#include <boost/asio/ssl/context.hpp>

#include <filesystem>

namespace iotreg::server {

/// A TLS server context: TLS 1.2 and 1.3 only; for 1.2 only ECDHE with AES-GCM or
/// ChaCha20-Poly1305; no compression, no renegotiation, server cipher preference; the
/// certificate chain and private key from PEM files (checked to match).
/// @throws std::runtime_error naming the file and the OpenSSL reason.
boost::asio::ssl::context make_server_tls_context(const std::filesystem::path& cert_chain_file,
                                                  const std::filesystem::path& key_file);

}  // namespace iotreg::server
