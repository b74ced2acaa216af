#pragma once
// Binding listening sockets with the error message an operator needs.

#include "server/options.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <string>

namespace iotreg::server {

/// "127.0.0.1:8443", "[::1]:53".
std::string to_string(const endpoint& e);
std::string to_string(const boost::asio::ip::address& a, std::uint16_t port);

/// Resolves `e.host` (IP literal, else a name; the first address wins).
/// @throws std::runtime_error "cannot listen on <host>:<port>: <reason>".
boost::asio::ip::address resolve_listen_address(const endpoint& e);

/// Opens, binds (SO_REUSEADDR) and listens. @throws std::runtime_error
/// "cannot listen on 127.0.0.1:8443: Address already in use".
void open_acceptor(boost::asio::ip::tcp::acceptor& acceptor, const endpoint& e);

/// Opens and binds a UDP socket. @throws std::runtime_error as open_acceptor.
void open_udp(boost::asio::ip::udp::socket& socket, const endpoint& e);

}  // namespace iotreg::server
