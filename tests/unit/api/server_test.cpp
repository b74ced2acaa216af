// The daemon over loopback: HTTPS (TLS versions, routing through the work pool, body limit,
// deadlines, keep-alive), DNS (UDP, TCP), bind errors and shutdown. Real clients: curl, dig.

#include "api/router.hpp"
#include "fake_enrollment_base.hpp"
#include "server/daemon.hpp"
#include "server/offload.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace registry = iotreg::registry;
namespace server = iotreg::server;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

namespace {

struct command_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

command_result run(const std::string& cmd) {
  command_result r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + cmd);
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

struct fake_enrollment final : iotreg::testing::fake_enrollment_base {
  std::atomic<int> calls{0};
  registry::result<registry::enrollment> enroll(const registry::enroll_request& req) override {
    ++calls;
    registry::enrollment e;
    e.device_id = req.device_id;
    e.dns_name = req.device_id + "._device.iotregistry.test";
    e.certificate_pem = "CERT";
    e.chain_pem = "CHAIN";
    e.tlsa = e.dns_name + ". 60 IN TLSA 3 1 1 00";
    e.zone_serial = 7;
    return e;
  }
  registry::result<registry::enrollment> get(std::string_view) override {
    return registry::error{registry::errc::device_not_found, "no such device"};
  }
  registry::result<registry::revocation> revoke(std::string_view id,
                                                iotreg::pki::revocation_reason) override {
    return registry::revocation{std::string(id), 8};
  }
};

struct fake_auth final : registry::authenticator {
  registry::result<registry::api_key> authenticate(std::string_view token) override {
    if (token != "t0ken") return registry::error{registry::errc::unauthenticated, "unknown key"};
    return registry::api_key{1, "test", "admin"};
  }
};

/// A temporary directory with a self-signed certificate for 127.0.0.1 / localhost.
struct tls_files {
  fs::path dir;
  fs::path cert, key;
  tls_files() {
    char tmpl[] = "/tmp/iotreg-server-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    cert = dir / "cert.pem";
    key = dir / "key.pem";
    const auto r =
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
            " -keyout " +
            key.string() + " -out " + cert.string() +
            " -days 1 -subj /CN=localhost"
            " -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
    if (r.exit_code != 0) throw std::runtime_error("openssl req failed: " + r.output);
  }
  ~tls_files() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

/// A running daemon on ephemeral ports.
struct running_daemon {
  tls_files tls;
  fake_enrollment svc;
  fake_auth auth;
  iotreg::api::router router{svc, auth};
  server::daemon d{2, 2};
  std::uint16_t https_port = 0;
  std::uint16_t dns_port = 0;
  std::thread thread;

  running_daemon() {
    server::https_options h;
    h.listen = {"127.0.0.1", 0};
    h.cert_chain_file = tls.cert;
    h.key_file = tls.key;
    h.max_body_bytes = 1024;
    h.read_timeout = 2s;
    h.handshake_timeout = 2s;
    https_port = d.add_https(h, router);
    server::dns_options dn;
    dn.listen = {"127.0.0.1", 0};
    dn.transfer_allow = {"127.0.0.1"};
    dn.tcp_idle_timeout = 2s;
    dns_port = d.add_dns(dn, [] { return nullptr; });
    thread = std::thread([this] { d.run(); });
  }
  ~running_daemon() {
    d.stop();
    thread.join();
  }

  std::string url(std::string_view path) const {
    return "https://127.0.0.1:" + std::to_string(https_port) + std::string(path);
  }
  std::string curl(const std::string& args) const {
    return "curl -sS -v --max-time 10 --cacert " + tls.cert.string() + " " + args;
  }
};

const std::string enroll_args =
    "-H 'Authorization: Bearer t0ken' -H 'Content-Type: application/json'"
    " -d '{\"device_id\":\"dev1\",\"csr\":\"x\"}' -w '\\nHTTP=%{http_code}\\n' ";

bool contains(const std::string& s, std::string_view what) { return s.find(what) != std::string::npos; }

/// Seconds until the server closes a connection that sent `data` (maybe nothing) and then
/// nothing more.
double seconds_until_closed(std::uint16_t port, std::string_view data, std::string* received) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  const auto start = std::chrono::steady_clock::now();
  if (!data.empty()) asio::write(s, asio::buffer(data));
  boost::system::error_code ec;
  std::string got;
  std::array<char, 4096> buf{};
  for (;;) {
    const auto n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf.data(), n);
  }
  if (received) *received = got;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// As seconds_until_closed, after a TLS handshake (verified against `ca`).
double seconds_until_tls_closed(std::uint16_t port, const fs::path& ca, std::string_view data,
                                std::string* received) {
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(ca.string());
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<tcp::socket> s(io, ctx);
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  s.handshake(asio::ssl::stream_base::client);
  const auto start = std::chrono::steady_clock::now();
  if (!data.empty()) asio::write(s, asio::buffer(data));
  boost::system::error_code ec;
  std::string got;
  std::array<char, 4096> buf{};
  for (;;) {
    const auto n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf.data(), n);
  }
  if (received) *received = got;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("offload runs on the pool, resumes on the caller's strand, propagates exceptions") {
  asio::io_context io;
  asio::thread_pool pool(2);
  auto strand = asio::make_strand(io);
  auto fut = asio::co_spawn(
      strand,
      [&]() -> asio::awaitable<int> {
        const auto caller = std::this_thread::get_id();
        std::thread::id worker;
        const int v = co_await server::offload(pool, [&] {
          worker = std::this_thread::get_id();
          return 41;
        });
        CHECK(worker != caller);
        CHECK(strand.running_in_this_thread());
        co_await server::offload(pool, [] {});
        try {
          co_await server::offload(pool, []() -> int { throw std::runtime_error("boom"); });
          FAIL("no exception");
        } catch (const std::runtime_error& e) {
          CHECK(std::string(e.what()) == "boom");
        }
        CHECK(strand.running_in_this_thread());
        co_return v + 1;
      },
      asio::use_future);
  io.run();
  CHECK(fut.get() == 42);
  pool.join();
}

TEST_CASE("https and dns over loopback") {
  running_daemon rd;

  SECTION("enroll over TLS 1.3") {
    const auto r = run(rd.curl("--tlsv1.3 " + enroll_args + rd.url("/api/v1/devices")));
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "SSL connection using TLSv1.3"));
    CHECK(contains(r.output, "HTTP=201"));
    CHECK(contains(r.output, "< Location: /api/v1/devices/dev1"));
    CHECK(contains(r.output, "< X-Request-Id: "));
    CHECK(contains(r.output, "\"zone_serial\":7"));
    CHECK(rd.svc.calls == 1);
  }
  SECTION("enroll over TLS 1.2, ECDHE + AEAD") {
    const auto r = run(rd.curl("--tlsv1.2 --tls-max 1.2 " + enroll_args + rd.url("/api/v1/devices")));
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "SSL connection using TLSv1.2 / ECDHE-ECDSA-"));
    CHECK(contains(r.output, "HTTP=201"));
  }
  SECTION("TLS 1.1 and a CBC-only TLS 1.2 client are refused") {
    auto r = run(rd.curl("--tls-max 1.1 " + rd.url("/healthz")));
    INFO(r.output);
    CHECK(r.exit_code != 0);
    r = run(rd.curl("--tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-SHA " + rd.url("/healthz")));
    CHECK(r.exit_code != 0);
  }
  SECTION("problems and keep-alive") {
    const auto r = run(rd.curl("-w '\\nHTTP=%{http_code}\\n' " + rd.url("/healthz") + " " +
                               rd.url("/api/v1/devices/x") + " " + rd.url("/nope")));
    INFO(r.output);
    CHECK(contains(r.output, "HTTP=200"));
    CHECK(contains(r.output, "HTTP=401"));
    CHECK(contains(r.output, "HTTP=404"));
    CHECK(contains(r.output, "Re-using existing connection"));
    CHECK(contains(r.output, "urn:iotreg:problem:unauthenticated"));
  }
  SECTION("parallel clients") {
    std::string urls;
    for (int i = 0; i < 60; ++i) urls += " " + rd.url("/api/v1/devices");
    const auto r = run(rd.curl("--parallel --parallel-max 20 " + enroll_args + urls));
    INFO(r.output);
    CHECK(r.exit_code == 0);
    std::size_t created = 0;
    for (auto p = r.output.find("HTTP=201"); p != std::string::npos; p = r.output.find("HTTP=201", p + 1))
      ++created;
    CHECK(created == 60);
    CHECK(rd.svc.calls == 60);
  }
  SECTION("body over the limit: 413 problem+json") {
    const auto body = rd.tls.dir / "big.json";
    std::ofstream(body) << std::string(4000, 'x');
    for (const std::string expect : {"", "-H 'Expect:' "}) {
      const auto r =
          run(rd.curl(expect +
                      "-H 'Authorization: Bearer t0ken' -H 'Content-Type: "
                      "application/json' --data-binary @" +
                      body.string() + " -w '\\nHTTP=%{http_code}\\n' " + rd.url("/api/v1/devices")));
      INFO(r.output);
      CHECK(contains(r.output, "HTTP=413"));
      CHECK(contains(r.output, "< Content-Type: application/problem+json"));
      CHECK(contains(r.output, "urn:iotreg:problem:payload-too-large"));
    }
    CHECK(rd.svc.calls == 0);
  }
  SECTION("slow-loris without TLS handshake is closed after the handshake timeout") {
    const auto s = seconds_until_closed(rd.https_port, "", nullptr);
    CHECK(s >= 1.5);
    CHECK(s < 4.0);
  }
  SECTION("slow-loris after the handshake: silent connection closed, partial request gets 408") {
    std::string got;
    auto secs = seconds_until_tls_closed(rd.https_port, rd.tls.cert, "", &got);
    CHECK(secs >= 1.5);
    CHECK(secs < 4.0);
    CHECK(got.empty());
    secs = seconds_until_tls_closed(rd.https_port, rd.tls.cert, "GET /healthz HTTP/1.1\r\nHost: x\r\n", &got);
    INFO(got);
    CHECK(secs >= 1.5);
    CHECK(secs < 4.0);
    CHECK(got.starts_with("HTTP/1.1 408"));
    CHECK(contains(got, "Connection: close"));
    CHECK(contains(got, "urn:iotreg:problem:request-timeout"));
  }
  SECTION("keep-alive connection idle past the read timeout is closed") {
    std::string got;
    const auto secs = seconds_until_tls_closed(rd.https_port, rd.tls.cert,
                                               "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", &got);
    INFO(got);
    CHECK(got.starts_with("HTTP/1.1 200"));
    CHECK(secs >= 1.5);
    CHECK(secs < 4.0);
  }
  SECTION("binding a taken port fails with a clear message") {
    server::daemon other{1, 1};
    server::https_options h;
    h.listen = {"127.0.0.1", rd.https_port};
    h.cert_chain_file = rd.tls.cert;
    h.key_file = rd.tls.key;
    CHECK_THROWS_WITH(
        other.add_https(h, rd.router),
        "cannot listen on 127.0.0.1:" + std::to_string(rd.https_port) + ": Address already in use");
    h.listen.port = 0;
    h.key_file = rd.tls.dir / "missing.pem";
    CHECK_THROWS_WITH(other.add_https(h, rd.router), Catch::Contains("missing.pem"));
  }
  SECTION("dns over UDP and TCP (several queries per connection)") {
    const auto at = "@127.0.0.1 -p " + std::to_string(rd.dns_port) + " +tries=1 +time=3 ";
    auto r = run("dig " + at + "iotregistry.test. SOA");
    INFO(r.output);
    CHECK(contains(r.output, "->>HEADER<<- opcode: QUERY"));
    CHECK(contains(r.output, "(UDP)"));
    r = run("dig +tcp +keepopen " + at + "a.iotregistry.test. SOA b.iotregistry.test. SOA");
    INFO(r.output);
    CHECK(contains(r.output, "(TCP)"));
    std::size_t headers = 0;
    for (auto p = r.output.find("->>HEADER<<-"); p != std::string::npos;
         p = r.output.find("->>HEADER<<-", p + 1))
      ++headers;
    CHECK(headers == 2);
  }
  SECTION("an idle dns tcp connection is closed after the idle timeout") {
    const auto s = seconds_until_closed(rd.dns_port, "", nullptr);
    CHECK(s >= 1.5);
    CHECK(s < 4.0);
  }
}

TEST_CASE("stop closes idle connections and returns quickly") {
  auto rd = std::make_unique<running_daemon>();
  // An idle TLS client that would otherwise hold its connection for read_timeout.
  asio::io_context io;
  tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), rd->https_port});
  std::this_thread::sleep_for(100ms);
  const auto start = std::chrono::steady_clock::now();
  rd.reset();
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < 1s);
}
