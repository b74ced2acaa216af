#include "config/load.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

using namespace iotreg::config;

namespace {

std::string error_of(std::string_view text, const environment& env = {}) {
  try {
    parse(text, "test.toml", env);
  } catch (const error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("config/the documented keys parse") {
  auto s = parse(R"(
[server]
http_listen = "127.0.0.1:8443"   # HTTPS API
dns_listen  = "[::1]:5353"
[database]
dsn = "postgresql:///iotreg?host=/run/postgresql"
[paths]
state_dir = "/var/lib/iotreg"
[zone]
name = "IoTRegistry.Test"
file = "/var/lib/iotreg/iotregistry.test.zone"
)",
                 "test.toml");
  CHECK(s.server.http_listen == endpoint{"127.0.0.1", 8443});
  CHECK(s.server.dns_listen == endpoint{"::1", 5353});
  CHECK(s.database.dsn == "postgresql:///iotreg?host=/run/postgresql");
  CHECK(s.paths.state_dir == "/var/lib/iotreg");
  CHECK(s.zone.name == "iotregistry.test.");
  CHECK(s.zone.soa_mname == "ns1.iotregistry.test.");
  CHECK(s.zone.ns == std::vector<std::string>{"ns1.iotregistry.test."});
  REQUIRE(s.zone.addresses.size() == 2);
  CHECK(s.zone.addresses[1].owner == "device.iotregistry.test.");
}

TEST_CASE("config/the example file parses") {
  auto path = std::filesystem::path(IOTREG_SOURCE_DIR) / "config" / "iotreg.example.toml";
  auto s = load_file(path, {});
  CHECK(s.zone.name == "iotregistry.test.");
  CHECK(s.server.http_listen.port == 8443);
}

TEST_CASE("config/errors name the line and the key") {
  struct row {
    const char* name;
    const char* text;
    const char* expected;
  };
  auto c = GENERATE(values<row>({
      {"error/unknown key", "[zone]\nname = \"a.test\"\nnmae = \"x\"\n",
       "test.toml:3: zone.nmae: unknown key"},
      {"error/unknown table", "[zoen]\nname = \"a\"\n", "test.toml:1: zoen: unknown key"},
      {"error/wrong type", "[database]\n\npool_size = \"8\"\n",
       "test.toml:3: database.pool_size: expected an integer"},
      {"error/bad zone name", "[zone]\nname = \"bad..name\"\n",
       "test.toml:2: zone.name: not a valid DNS name"},
      {"error/label too long",
       "[zone]\nname = \""
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test\"\n",
       "test.toml:2: zone.name: not a valid DNS name"},
      {"error/bad endpoint", "[server]\nhttp_listen = \"127.0.0.1\"\n",
       "test.toml:2: server.http_listen: expected \"host:port\""},
      {"error/port out of range", "[server]\ndns_listen = \"127.0.0.1:70000\"\n",
       "test.toml:2: server.dns_listen: port must be 1..65535"},
      {"error/range", "[server]\nwork_threads = 0\n",
       "test.toml:2: server.work_threads: must be between 1 and 1024"},
      {"error/syntax", "[server\n", "test.toml:1:"},
      {"error/bad address", "[zone]\naddresses = { ns1 = [\"1.2.3\"] }\n",
       "test.toml:2: zone.addresses.ns1: not an IP address"},
      {"error/bad notify endpoint", "[zone]\nnotify = [\"127.0.0.1:53\",\n  \"127.0.0.1\"]\n",
       "test.toml:3: zone.notify: expected \"host:port\""},
      {"error/notify not a list", "[zone]\nnotify = \"127.0.0.1:53\"\n",
       "test.toml:2: zone.notify: expected an array"},
      {"error/transfer_tsig names no key", "[zone]\ntransfer_tsig = \"xfr\"\n",
       "test.toml:2: zone.transfer_tsig: no [[tsig]] key named 'xfr.'"},
      {"error/tsig algorithm", "[[tsig]]\nname = \"k\"\nalgorithm = \"hmac-md5\"\nsecret_file = \"f\"\n",
       "test.toml:3: tsig.algorithm: only \"hmac-sha256\" is supported"},
      {"error/tsig without secret_file", "[[tsig]]\nname = \"k\"\n",
       "test.toml:1: tsig.secret_file: missing"},
      {"error/tsig unknown key", "[[tsig]]\nname = \"k\"\nsecret_file = \"f\"\nsecret = \"abc\"\n",
       "test.toml:4: tsig.secret: unknown key"},
      {"error/tsig twice",
       "[[tsig]]\nname = \"k\"\nsecret_file = \"f\"\n[[tsig]]\nname = \"K.\"\nsecret_file = \"g\"\n",
       "test.toml:5: tsig.name: key 'k.' is defined twice"},
      {"error/tsig not tables", "tsig = \"k\"\n", "test.toml:1: tsig: expected [[tsig]] tables"},
      {"error/refresh margin range", "[zone]\nsignature_refresh_days = 0\n",
       "test.toml:2: zone.signature_refresh_days: must be between 1 and 364"},
      {"error/refresh does not fit the validity",
       "[zone]\nsignature_validity_days = 10\nsignature_refresh_days = 9\n",
       "test.toml:3: zone.signature_refresh_days: signature_refresh_days + signature_jitter_hours"},
      {"error/jitter does not fit the validity", "[zone]\nsignature_jitter_hours = 200\n",
       "test.toml:2: zone.signature_jitter_hours: signature_refresh_days + signature_jitter_hours"},
  }));
  INFO(c.name);
  CHECK_THAT(error_of(c.text), Catch::Matchers::StartsWith(c.expected));
}

TEST_CASE("config/signature refresh defaults follow the validity") {
  auto s = parse("[zone]\n", "t", {});
  CHECK(s.zone.signature_validity == std::chrono::days(14));
  CHECK(s.zone.signature_refresh_margin == std::chrono::days(7));
  CHECK(s.zone.signature_refresh_jitter == std::chrono::days(2));
  s = parse("[zone]\nsignature_validity_days = 28\n", "t", {});
  CHECK(s.zone.signature_refresh_margin == std::chrono::days(14));
  CHECK(s.zone.signature_refresh_jitter == std::chrono::days(4));
  s = parse("[zone]\nsignature_validity_days = 1\n", "t", {});  // still leaves the hour
  CHECK(s.zone.signature_refresh_margin == std::chrono::hours(12));
  s = parse("[zone]\nsignature_refresh_days = 3\nsignature_jitter_hours = 0\n", "t", {});
  CHECK(s.zone.signature_refresh_margin == std::chrono::days(3));
  CHECK(s.zone.signature_refresh_jitter == std::chrono::seconds(0));
}

TEST_CASE("config/environment overrides the DSN") {
  auto s = parse("[database]\ndsn = \"postgresql:///file\"\n", "t",
                 {{"IOTREG_DATABASE_DSN", "postgresql:///env"}});
  CHECK(s.database.dsn == "postgresql:///env");
}

TEST_CASE("config/a missing file is an error naming it") {
  CHECK_THROWS_WITH(load_file("/nonexistent/iotreg.toml", {}),
                    Catch::Matchers::Contains("/nonexistent/iotreg.toml"));
}

TEST_CASE("config/tsig keys, transfer_tsig and notify targets") {
  auto s = parse(R"(
[zone]
transfer_tsig = "XFR.iotregistry.test"
notify = ["127.0.0.1:5300", "[::1]:53"]
[[tsig]]
name = "xfr.iotregistry.test."
algorithm = "hmac-sha256"
secret_file = "/etc/iotreg/xfr.tsig"
[[tsig]]
name = "other"
secret_file = "other.tsig"
)",
                 "t", {});
  CHECK(s.zone.transfer_tsig == "xfr.iotregistry.test.");
  REQUIRE(s.zone.notify.size() == 2);
  CHECK(s.zone.notify[0] == endpoint{"127.0.0.1", 5300});
  CHECK(s.zone.notify[1] == endpoint{"::1", 53});
  REQUIRE(s.tsig.size() == 2);
  CHECK(s.tsig[0].name == "xfr.iotregistry.test.");
  CHECK(s.tsig[0].algorithm == "hmac-sha256");
  CHECK(s.tsig[0].secret_file == "/etc/iotreg/xfr.tsig");
  CHECK(s.tsig[1].name == "other.");
  CHECK(s.tsig[1].algorithm == "hmac-sha256");
}

TEST_CASE("config/no tsig and no notify by default") {
  auto s = parse("", "t", {});
  CHECK(s.zone.transfer_tsig.empty());
  CHECK(s.zone.notify.empty());
  CHECK(s.tsig.empty());
}

TEST_CASE("config/ixfr_history: 200 by default, 0 allowed, bounded") {
  const std::string base = "[database]\ndsn = \"postgresql:///x\"\n[zone]\nname = \"z.test\"\n";
  CHECK(parse(base, "test.toml").zone.ixfr_history == 200);
  CHECK(parse(base + "ixfr_history = 0\n", "test.toml").zone.ixfr_history == 0);
  CHECK(parse(base + "ixfr_history = 5\n", "test.toml").zone.ixfr_history == 5);
  CHECK_THAT(error_of(base + "ixfr_history = 100001\n"), Catch::Matchers::Contains("ixfr_history"));
  CHECK_THAT(error_of(base + "ixfr_history = -1\n"), Catch::Matchers::Contains("ixfr_history"));
}

TEST_CASE("config/zone denial: nsec3 by default, nsec as an option") {
  const std::string base = "[zone]\nname = \"z.test\"\n";
  CHECK(parse(base, "test.toml").zone.denial == "nsec3");
  CHECK(parse(base + "denial = \"nsec\"\n", "test.toml").zone.denial == "nsec");
  CHECK(parse(base + "denial = \"nsec3\"\n", "test.toml").zone.denial == "nsec3");
  CHECK(error_of(base + "denial = \"NSEC5\"\n") == "test.toml:3: zone.denial: must be \"nsec3\" or \"nsec\"");
  CHECK(error_of(base + "denial = 3\n") == "test.toml:3: zone.denial: expected a string");
}

TEST_CASE("config/dnssec kek_file: default under state_dir, or as given") {
  CHECK(parse("[paths]\nstate_dir = \"/srv/iotreg\"\n", "t", {}).dnssec.kek_file == "/srv/iotreg/dnssec/kek");
  CHECK(parse("", "t", {}).dnssec.kek_file == "/var/lib/iotreg/dnssec/kek");
  CHECK(parse("[dnssec]\nkek_file = \"/etc/iotreg/kek\"\n", "t", {}).dnssec.kek_file == "/etc/iotreg/kek");
  CHECK(error_of("[dnssec]\nkek_file = \"\"\n") == "test.toml:2: dnssec.kek_file: must not be empty");
  CHECK(error_of("[dnssec]\nkek = \"/x\"\n") == "test.toml:2: dnssec.kek: unknown key");
  CHECK(error_of("[dnssec]\nkek_file = 3\n") == "test.toml:2: dnssec.kek_file: expected a string");
}

TEST_CASE("config/dnssec key policy: defaults, values, errors naming file:line:key") {
  const auto d = parse("", "t", {}).dnssec;
  CHECK(d.algorithm == 13);
  CHECK(d.zsk_lifetime == std::chrono::days(90));
  CHECK(d.ksk_lifetime == std::chrono::days(365));
  CHECK(d.parent_ds_ttl == std::chrono::seconds(86400));
  const auto s = parse(R"([dnssec]
algorithm = 15
zsk_lifetime_days = 30
ksk_lifetime_days = 0
propagation_delay_seconds = 7
publish_safety_seconds = 8
retire_safety_seconds = 9
parent_ds_ttl_seconds = 10
parent_propagation_delay_seconds = 11
policy_interval_seconds = 12
)",
                       "t", {})
                     .dnssec;
  CHECK(s.algorithm == 15);
  CHECK(s.zsk_lifetime == std::chrono::days(30));
  CHECK(s.ksk_lifetime == std::chrono::seconds(0));  // manual KSK rollovers only
  CHECK(s.propagation_delay == std::chrono::seconds(7));
  CHECK(s.publish_safety == std::chrono::seconds(8));
  CHECK(s.retire_safety == std::chrono::seconds(9));
  CHECK(s.parent_ds_ttl == std::chrono::seconds(10));
  CHECK(s.parent_propagation_delay == std::chrono::seconds(11));
  CHECK(s.policy_interval == std::chrono::seconds(12));
  CHECK(error_of("[dnssec]\n\nalgorithm = 7\n") ==
        "test.toml:3: dnssec.algorithm: must be 13 (ECDSAP256SHA256), 15 (ED25519) or 8 (RSASHA256)");
  CHECK(error_of("[dnssec]\nzsk_lifetime_days = 0\n") ==
        "test.toml:2: dnssec.zsk_lifetime_days: must be between 1 and 3650");
  CHECK(error_of("[dnssec]\nparent_ds_ttl_seconds = -1\n") ==
        "test.toml:2: dnssec.parent_ds_ttl_seconds: must be between 0 and 2592000");
  CHECK(error_of("[dnssec]\npropagation_delay_seconds = \"5\"\n") ==
        "test.toml:2: dnssec.propagation_delay_seconds: expected an integer");
  CHECK(error_of("[dnssec]\nzsk_lifetime = 5\n") == "test.toml:2: dnssec.zsk_lifetime: unknown key");
  CHECK(error_of("[database]\npool_size = 1\n") ==
        "test.toml:2: database.pool_size: must be between 2 and 1000, got 1");
}

TEST_CASE("config/zone addresses: a configured table replaces the default ns1 and device") {
  auto s = parse(R"(
[zone]
name = "iotregistry.test."
addresses = { ns1 = ["192.0.2.53"], device = ["192.0.2.10", "2001:db8::10"] }
)",
                 "test.toml");
  std::set<std::string> got;
  for (const auto& a : s.zone.addresses) got.insert(a.owner + " " + a.address);
  CHECK(got == std::set<std::string>{"ns1.iotregistry.test. 192.0.2.53",
                                     "device.iotregistry.test. 192.0.2.10",
                                     "device.iotregistry.test. 2001:db8::10"});
}

TEST_CASE("config/ca key_type, public_url and csr_names: defaults, values, errors naming file:line:key") {
  const auto d = parse("", "t", {});
  CHECK(d.ca.key_type == "ec-p256");
  CHECK(d.ca.public_url == "https://localhost:8443");
  CHECK(d.ca.csr_names == "ignore");

  const auto s = parse(R"([server]
http_listen = "127.0.0.1:9443"
tls_names = ["iotreg.example", "localhost"]
[ca]
key_type = "rsa4096"
csr_names = "check"
)",
                       "t", {});
  CHECK(s.ca.key_type == "rsa4096");
  CHECK(s.ca.public_url == "https://iotreg.example:9443");
  CHECK(s.ca.csr_names == "check");
  const auto v6 = parse("[server]\nhttp_listen = \"[::1]:443\"\ntls_names = []\n", "t", {});
  CHECK(v6.ca.public_url == "https://[::1]:443");
  for (const char* t : {"ec-p256", "ec-p384", "ed25519", "rsa2048", "rsa3072", "rsa4096"}) {
    CHECK(parse(std::string("[ca]\nkey_type = \"") + t + "\"\n", "t", {}).ca.key_type == t);
  }
  CHECK(parse("[ca]\npublic_url = \"http://ca.example/iotreg/\"\n", "t", {}).ca.public_url ==
        "http://ca.example/iotreg");

  CHECK_THAT(error_of("[ca]\n\nkey_type = \"rsa1024\"\n"),
             Catch::Matchers::StartsWith("test.toml:3: ca.key_type: must be \"ec-p256\""));
  CHECK_THAT(error_of("[ca]\nkey_type = \"EC-P256\"\n"), Catch::Matchers::Contains("got 'EC-P256'"));
  CHECK_THAT(error_of("[ca]\nkey_type = 256\n"),
             Catch::Matchers::StartsWith("test.toml:2: ca.key_type: expected a string"));
  CHECK_THAT(error_of("[ca]\ncsr_names = \"strict\"\n"),
             Catch::Matchers::StartsWith("test.toml:2: ca.csr_names: must be \"ignore\" or \"check\""));
  for (const char* bad : {"", "ftp://x.example", "https://", "https:///x", "https://a b.example",
                          "https://x.example/?q", "https://x.example/#f", "https://x.example/\\\"x"}) {
    INFO(bad);
    CHECK_THAT(error_of(std::string("[ca]\npublic_url = \"") + bad + "\"\n"),
               Catch::Matchers::StartsWith("test.toml:2: ca.public_url: expected"));
  }
  CHECK_THAT(error_of("[server]\ntls_names = [\"a b\"]\n"),
             Catch::Matchers::StartsWith("test.toml: ca.public_url: the default"));
}

TEST_CASE("config/revocation: defaults, values, errors") {
  const auto d = iotreg::config::parse("", "t", {}).revocation;
  CHECK(d.crl_validity == std::chrono::days(7));
  CHECK(d.crl_refresh_before == std::chrono::days(3));
  CHECK(d.ocsp_validity == std::chrono::hours(1));
  CHECK(d.check_interval == std::chrono::hours(1));
  const auto s = iotreg::config::parse(R"([revocation]
crl_validity_seconds = 86400
crl_refresh_before_seconds = 3600
ocsp_validity_seconds = 600
check_interval_seconds = 60
)",
                                       "t", {})
                     .revocation;
  CHECK(s.crl_validity == std::chrono::seconds(86400));
  CHECK(s.crl_refresh_before == std::chrono::seconds(3600));
  CHECK(s.ocsp_validity == std::chrono::seconds(600));
  CHECK(s.check_interval == std::chrono::seconds(60));
  CHECK(error_of("[revocation]\ncrl_validity_seconds = 10\n") ==
        "test.toml:2: revocation.crl_validity_seconds: must be between 60 and 31536000");
  CHECK(error_of("[revocation]\ncrl_validity_seconds = 3600\ncrl_refresh_before_seconds = 3600\n") ==
        "test.toml:3: revocation.crl_refresh_before_seconds: must be less than crl_validity_seconds");
  CHECK(error_of("[revocation]\nocsp_lifetime = 1\n").find("ocsp_lifetime") != std::string::npos);
}

TEST_CASE("config/ca key_storage: file by default; encrypted-file and pkcs11 with their keys") {
  auto s = parse("", "test.toml");
  CHECK(s.ca.key_storage == "file");
  CHECK(s.ca.key_passphrase_file.empty());
  CHECK(s.ca.pkcs11_module == "/usr/lib/softhsm/libsofthsm2.so");
  CHECK(s.ca.issuing_key_uri.empty());

  s = parse("[ca]\nkey_storage = \"encrypted-file\"\nkey_passphrase_file = \"/etc/iotreg/ca.pass\"\n",
            "test.toml");
  CHECK(s.ca.key_storage == "encrypted-file");
  CHECK(s.ca.key_passphrase_file == "/etc/iotreg/ca.pass");

  s = parse(R"([ca]
key_storage = "pkcs11"
pkcs11_module = "/usr/lib/x86_64-linux-gnu/pkcs11/vendor.so"
issuing_key_uri = "pkcs11:token=iotreg;object=issuing;type=private"
root_key_uri = "pkcs11:token=iotreg;object=root;type=private"
pkcs11_pin_file = "/etc/iotreg/pkcs11.pin"
)",
            "test.toml");
  CHECK(s.ca.key_storage == "pkcs11");
  CHECK(s.ca.pkcs11_module == "/usr/lib/x86_64-linux-gnu/pkcs11/vendor.so");
  CHECK(s.ca.issuing_key_uri == "pkcs11:token=iotreg;object=issuing;type=private");
  CHECK(s.ca.root_key_uri == "pkcs11:token=iotreg;object=root;type=private");
  CHECK(s.ca.pkcs11_pin_file == "/etc/iotreg/pkcs11.pin");
}

TEST_CASE("config/ca key_storage errors name file:line:key and never echo a PIN") {
  CHECK(error_of("[ca]\nkey_storage = \"hsm\"\n") ==
        "test.toml:2: ca.key_storage: must be \"file\", \"encrypted-file\" or \"pkcs11\"");
  CHECK(error_of("[ca]\nkey_storage = \"pkcs11\"\n") ==
        "test.toml:2: ca.issuing_key_uri: is required with key_storage = \"pkcs11\"");
  CHECK(error_of("[ca]\nissuing_key_uri = \"pkcs11:object=x\"\n") ==
        "test.toml:2: ca.issuing_key_uri: is only used with key_storage = \"pkcs11\"");
  CHECK(error_of("[ca]\nkey_storage = \"pkcs11\"\nissuing_key_uri = \"/tmp/issuing.key\"\n")
            .starts_with("test.toml:3: ca.issuing_key_uri: must be a PKCS#11 URI"));
  const std::string pin_msg =
      error_of("[ca]\nkey_storage = \"pkcs11\"\nissuing_key_uri = \"pkcs11:object=x?pin-value=271828\"\n");
  CHECK(pin_msg.starts_with("test.toml:3: ca.issuing_key_uri: must not carry the PIN"));
  CHECK(pin_msg.find("271828") == std::string::npos);
  CHECK(error_of("[ca]\nkey_storage = \"pkcs11\"\nissuing_key_uri = \"pkcs11:object=x\"\n"
                 "root_key_uri = \"pkcs11:object=x\"\n") ==
        "test.toml:4: ca.root_key_uri: must name another key than issuing_key_uri");
  CHECK(error_of("[ca]\nkey_passphrase_file = \"\"\n") ==
        "test.toml:2: ca.key_passphrase_file: must not be empty");
  CHECK(error_of("[ca]\npkcs11_module = \"/x.so\"\n") ==
        "test.toml:2: ca.pkcs11_module: is only used with key_storage = \"pkcs11\"");
}

TEST_CASE("config/[api] idempotency and rate limits, [server] request timeouts") {
  auto s = parse("", "t", {});
  CHECK(s.api.idempotency_ttl == std::chrono::hours(24));
  CHECK(s.api.rate_limit_per_second == 0);
  CHECK(s.api.rate_limit_burst == 0);
  CHECK(s.server.read_timeout == std::chrono::seconds(30));
  CHECK(s.server.handshake_timeout == std::chrono::seconds(10));

  s = parse(
      "[server]\nread_timeout_seconds = 5\nhandshake_timeout_seconds = 3\n"
      "[api]\nidempotency_ttl_seconds = 3600\nrate_limit_per_second = 0.5\nrate_limit_burst = 20\n",
      "t", {});
  CHECK(s.server.read_timeout == std::chrono::seconds(5));
  CHECK(s.server.handshake_timeout == std::chrono::seconds(3));
  CHECK(s.api.idempotency_ttl == std::chrono::hours(1));
  CHECK(s.api.rate_limit_per_second == 0.5);
  CHECK(s.api.rate_limit_burst == 20);
  CHECK(parse("[api]\nrate_limit_per_second = 10\n", "t", {}).api.rate_limit_per_second == 10);

  CHECK(error_of("[api]\nidempotency_ttl_seconds = 1\n") ==
        "test.toml:2: api.idempotency_ttl_seconds: must be between 60 and 2592000");
  CHECK(error_of("[api]\nrate_limit_per_second = -1\n").find("api.rate_limit_per_second") !=
        std::string::npos);
  CHECK(error_of("[api]\nrate_limit_per_second = \"fast\"\n").find("must be a number") != std::string::npos);
  CHECK(error_of("[api]\nbogus = 1\n").find("api.bogus") != std::string::npos);
  CHECK(error_of("[server]\nread_timeout_seconds = 0\n").find("server.read_timeout_seconds") !=
        std::string::npos);
}
