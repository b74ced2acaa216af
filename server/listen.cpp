#include "server/listen.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/system/system_error.hpp>

#include <stdexcept>

namespace iotreg::server {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

std::string to_string(const asio::ip::address& a, std::uint16_t port) {
  if (a.is_v6()) return "[" + a.to_string() + "]:" + std::to_string(port);
  return a.to_string() + ":" + std::to_string(port);
}

std::string to_string(const endpoint& e) {
  boost::system::error_code ec;
  auto a = asio::ip::make_address(e.host, ec);
  if (!ec) return to_string(a, e.port);
  return e.host + ":" + std::to_string(e.port);
}

namespace {

[[noreturn]] void fail(const endpoint& e, const std::string& reason) {
  throw std::runtime_error("cannot listen on " + to_string(e) + ": " + reason);
}

}  // namespace

asio::ip::address resolve_listen_address(const endpoint& e) {
  boost::system::error_code ec;
  auto a = asio::ip::make_address(e.host, ec);
  if (!ec) return a;
  // Start-up only, before the io threads run: a blocking lookup is acceptable here.
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(e.host, std::to_string(e.port), ec);
  if (ec) fail(e, ec.message());
  if (results.empty()) fail(e, "no address for host");
  return results.begin()->endpoint().address();
}

void open_acceptor(tcp::acceptor& acceptor, const endpoint& e) {
  const tcp::endpoint ep{resolve_listen_address(e), e.port};
  boost::system::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (ec) fail(e, ec.message());
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) fail(e, ec.message());
  acceptor.bind(ep, ec);
  if (ec) fail(e, ec.message());
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail(e, ec.message());
}

void open_udp(udp::socket& socket, const endpoint& e) {
  const udp::endpoint ep{resolve_listen_address(e), e.port};
  boost::system::error_code ec;
  socket.open(ep.protocol(), ec);
  if (ec) fail(e, ec.message());
  socket.bind(ep, ec);
  if (ec) fail(e, ec.message());
}

}  // namespace iotreg::server
