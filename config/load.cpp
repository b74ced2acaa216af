#include "config/load.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace iotreg::config {
namespace {

// Reads one TOML table, remembering which keys were consumed so that unknown keys (typos) are
// reported instead of silently ignored.
class table_reader {
 public:
  table_reader(const toml::table& t, std::string path, const std::string& origin)
      : table_(t), path_(std::move(path)), origin_(origin) {}

  [[noreturn]] void fail(const toml::node* at, std::string_view key, const std::string& msg) const {
    std::ostringstream os;
    os << origin_;
    const auto& src = at ? at->source() : table_.source();
    if (src.begin.line > 0) os << ':' << src.begin.line;
    os << ": " << qualified(key) << ": " << msg;
    throw error(os.str());
  }

  template <class T>
  bool read(std::string_view key, T& out) {
    const toml::node* n = take(key);
    if (!n) return false;
    if (auto v = n->value<T>()) {
      out = *v;
      return true;
    }
    fail(n, key, std::string("expected ") + type_name<T>());
  }

  bool read_string(std::string_view key, std::string& out) { return read(key, out); }

  template <class Unsigned>
  bool read_unsigned(std::string_view key, Unsigned& out, std::int64_t min, std::int64_t max) {
    std::int64_t v = 0;
    if (!read(key, v)) return false;
    if (v < min || v > max) {
      fail(table_.get(key), key,
           "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
               std::to_string(v));
    }
    out = static_cast<Unsigned>(v);
    return true;
  }

  bool read_string_list(std::string_view key, std::vector<std::string>& out) {
    const toml::node* n = take(key);
    if (!n) return false;
    const toml::array* a = n->as_array();
    if (!a) fail(n, key, "expected an array of strings");
    std::vector<std::string> items;
    for (const auto& e : *a) {
      auto s = e.value<std::string>();
      if (!s) fail(&e, key, "expected an array of strings");
      items.push_back(*s);
    }
    out = std::move(items);
    return true;
  }

  const toml::node* take(std::string_view key) {
    used_.insert(std::string(key));
    return table_.get(key);
  }

  const toml::table* sub_table(std::string_view key) {
    const toml::node* n = take(key);
    if (!n) return nullptr;
    if (!n->as_table()) fail(n, key, "expected a table");
    return n->as_table();
  }

  /// Every key that nobody asked for is a mistake in the file.
  void reject_unknown() const {
    for (const auto& [k, v] : table_) {
      if (!used_.contains(std::string(k.str()))) fail(&v, k.str(), "unknown key");
    }
  }

  std::string qualified(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  const std::string& origin() const { return origin_; }

 private:
  template <class T>
  static const char* type_name() {
    if constexpr (std::is_same_v<T, std::string>)
      return "a string";
    else if constexpr (std::is_same_v<T, bool>)
      return "a boolean";
    else
      return "an integer";
  }

  const toml::table& table_;
  std::string path_;
  const std::string& origin_;
  std::set<std::string, std::less<>> used_;
};

// Lower-cases, adds the final dot and checks label and name lengths and characters
// (letters, digits, hyphen, underscore). The DNS module has the authoritative rules; this keeps
// config free of dependencies while refusing what could never be a zone name.
std::optional<std::string> normalize_name(std::string_view in) {
  std::string s(in);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.empty() || s == ".") return std::nullopt;
  if (s.back() != '.') s.push_back('.');
  std::size_t wire = 1, label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || label > 63) return std::nullopt;
      wire += label + 1;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      ++label;
    } else {
      return std::nullopt;
    }
  }
  if (wire > 255) return std::nullopt;
  return s;
}

bool is_ip_literal(std::string_view s) {
  if (s.find(':') != std::string_view::npos) {
    return s.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
  }
  int parts = 0;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t dot = s.find('.', pos);
    if (dot == std::string_view::npos) dot = s.size();
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + dot, v);
    if (ec != std::errc{} || p != s.data() + dot || dot == pos || v > 255) return false;
    ++parts;
    pos = dot + 1;
  }
  return parts == 4;
}

void read_endpoint(table_reader& r, std::string_view key, endpoint& out) {
  std::string text;
  if (!r.read_string(key, text)) return;
  try {
    out = parse_endpoint(text);
  } catch (const std::invalid_argument& e) {
    r.fail(r.take(key), key, e.what());
  }
}

void read_server(table_reader& r, server_settings& s) {
  read_endpoint(r, "http_listen", s.http_listen);
  read_endpoint(r, "dns_listen", s.dns_listen);
  r.read_unsigned("io_threads", s.io_threads, 0, 256);
  r.read_unsigned("work_threads", s.work_threads, 1, 1024);
  r.read_unsigned("max_body_bytes", s.max_body_bytes, 1024, 16 * 1024 * 1024);
  std::int64_t secs = 0;
  if (r.read("publish_timeout_seconds", secs)) {
    if (secs < 1 || secs > 600)
      r.fail(r.take("publish_timeout_seconds"), "publish_timeout_seconds", "must be between 1 and 600");
    s.publish_timeout = std::chrono::seconds(secs);
  }
  if (r.read("read_timeout_seconds", secs)) {
    if (secs < 1 || secs > 3600)
      r.fail(r.take("read_timeout_seconds"), "read_timeout_seconds", "must be between 1 and 3600");
    s.read_timeout = std::chrono::seconds(secs);
  }
  if (r.read("handshake_timeout_seconds", secs)) {
    if (secs < 1 || secs > 600)
      r.fail(r.take("handshake_timeout_seconds"), "handshake_timeout_seconds", "must be between 1 and 600");
    s.handshake_timeout = std::chrono::seconds(secs);
  }
  r.read_string_list("tls_names", s.tls_names);
  if (r.read_string_list("tls_addresses", s.tls_addresses)) {
    for (const auto& a : s.tls_addresses) {
      if (!is_ip_literal(a))
        r.fail(r.take("tls_addresses"), "tls_addresses", "not an IP address: '" + a + "'");
    }
  }
}

void read_zone(table_reader& r, zone_settings& z) {
  if (r.read_string("name", z.name)) {
    auto n = normalize_name(z.name);
    if (!n) r.fail(r.take("name"), "name", "not a valid DNS name: '" + z.name + "'");
    z.name = *n;
  }
  std::string file;
  if (r.read_string("file", file)) {
    if (file.empty()) r.fail(r.take("file"), "file", "must not be empty");
    z.file = file;
  }
  r.read_unsigned("ttl", z.ttl, 1, 604800);
  r.read_unsigned("tlsa_ttl", z.tlsa_ttl, 1, 604800);
  auto read_name = [&](std::string_view key, std::string& out) {
    if (!r.read_string(key, out)) return;
    auto n = normalize_name(out);
    if (!n) r.fail(r.take(key), key, "not a valid DNS name: '" + out + "'");
    out = *n;
  };
  read_name("soa_mname", z.soa_mname);
  read_name("soa_rname", z.soa_rname);
  if (r.read_string_list("ns", z.ns)) {
    for (auto& n : z.ns) {
      auto norm = normalize_name(n);
      if (!norm) r.fail(r.take("ns"), "ns", "not a valid DNS name: '" + n + "'");
      n = *norm;
    }
  }
  if (const toml::node* n = r.take("addresses")) {
    // addresses = { ns1 = ["127.0.0.1"], device = ["127.0.0.1", "::1"] }: names relative to the zone.
    const toml::table* t = n->as_table();
    if (!t) r.fail(n, "addresses", "expected a table of name = [addresses]");
    z.addresses.clear();
    for (const auto& [k, v] : *t) {
      const toml::array* a = v.as_array();
      if (!a) r.fail(&v, "addresses." + std::string(k.str()), "expected an array of IP addresses");
      for (const auto& e : *a) {
        auto ip = e.value<std::string>();
        if (!ip || !is_ip_literal(*ip)) r.fail(&e, "addresses." + std::string(k.str()), "not an IP address");
        std::string owner = k.str() == "@" ? std::string() : std::string(k.str()) + ".";
        z.addresses.push_back({owner, *ip});  // completed with the zone name below
      }
    }
  }
  r.read("allow_label_ids", z.allow_label_ids);
  r.read_string_list("transfer_allow", z.transfer_allow);
  if (r.read_string("transfer_tsig", z.transfer_tsig)) {
    auto n = normalize_name(z.transfer_tsig);
    if (!n)
      r.fail(r.take("transfer_tsig"), "transfer_tsig", "not a valid key name: '" + z.transfer_tsig + "'");
    z.transfer_tsig = *n;
  }
  if (const toml::node* n = r.take("notify")) {
    const toml::array* a = n->as_array();
    if (!a) r.fail(n, "notify", "expected an array of \"host:port\" strings");
    z.notify.clear();
    for (const auto& e : *a) {
      auto text = e.value<std::string>();
      if (!text) r.fail(&e, "notify", "expected an array of \"host:port\" strings");
      try {
        z.notify.push_back(parse_endpoint(*text));
      } catch (const std::invalid_argument& x) {
        r.fail(&e, "notify", x.what());
      }
    }
  }
  if (r.read_string("denial", z.denial) && z.denial != "nsec3" && z.denial != "nsec") {
    r.fail(r.take("denial"), "denial", "must be \"nsec3\" or \"nsec\"");
  }
  std::int64_t v = 0;
  if (r.read("batch_window_ms", v)) {
    if (v < 0 || v > 10000)
      r.fail(r.take("batch_window_ms"), "batch_window_ms", "must be between 0 and 10000");
    z.batch_window = std::chrono::milliseconds(v);
  }
  r.read_unsigned("batch_max", z.batch_max, 1, 1000000);
  r.read_unsigned("ixfr_history", z.ixfr_history, 0, 100000);
  if (r.read("signature_validity_days", v)) {
    if (v < 1 || v > 365)
      r.fail(r.take("signature_validity_days"), "signature_validity_days", "must be between 1 and 365");
    z.signature_validity = std::chrono::days(v);
  }
  // Signature refresh (dns::zone_parameters): by default half the validity as the margin and a
  // seventh as the jitter (7 d and 2 d for 14 d), which always leaves room for the hourly
  // refresh interval.
  z.signature_refresh_margin = z.signature_validity / 2;
  z.signature_refresh_jitter = z.signature_validity / 7;
  const bool margin_set = r.read("signature_refresh_days", v);
  if (margin_set) {
    if (v < 1 || v > 364)
      r.fail(r.take("signature_refresh_days"), "signature_refresh_days", "must be between 1 and 364");
    z.signature_refresh_margin = std::chrono::days(v);
  }
  const bool jitter_set = r.read("signature_jitter_hours", v);
  if (jitter_set) {
    if (v < 0 || v > 8760)
      r.fail(r.take("signature_jitter_hours"), "signature_jitter_hours", "must be between 0 and 8760");
    z.signature_refresh_jitter = std::chrono::hours(v);
  }
  if (z.signature_refresh_margin + z.signature_refresh_interval + z.signature_refresh_jitter >=
      z.signature_validity) {
    const char* key = margin_set   ? "signature_refresh_days"
                      : jitter_set ? "signature_jitter_hours"
                                   : "signature_validity_days";
    r.fail(r.take(key), key,
           "signature_refresh_days + signature_jitter_hours + 1 hour must be less than "
           "signature_validity_days");
  }
}

// [[tsig]] name = "...", algorithm = "hmac-sha256", secret_file = "...": an array of tables.
void read_tsig(const toml::node& n, const std::string& origin, std::vector<tsig_settings>& out) {
  const toml::array* a = n.as_array();
  if (!a || !a->is_array_of_tables()) {
    std::ostringstream os;
    os << origin << ':' << n.source().begin.line << ": tsig: expected [[tsig]] tables";
    throw error(os.str());
  }
  for (const auto& e : *a) {
    table_reader r(*e.as_table(), "tsig", origin);
    tsig_settings k;
    if (!r.read_string("name", k.name)) r.fail(nullptr, "name", "missing (required)");
    auto name = normalize_name(k.name);
    if (!name) r.fail(r.take("name"), "name", "not a valid key name: '" + k.name + "'");
    k.name = *name;
    for (const auto& other : out) {
      if (other.name == k.name) r.fail(r.take("name"), "name", "key '" + k.name + "' is defined twice");
    }
    if (r.read_string("algorithm", k.algorithm) && k.algorithm != "hmac-sha256")
      r.fail(r.take("algorithm"), "algorithm",
             "only \"hmac-sha256\" is supported, got '" + k.algorithm + "'");
    std::string file;
    if (!r.read_string("secret_file", file)) r.fail(nullptr, "secret_file", "missing (required)");
    if (file.empty()) r.fail(r.take("secret_file"), "secret_file", "must not be empty");
    k.secret_file = file;
    r.reject_unknown();
    out.push_back(std::move(k));
  }
}

// A URL that may go into certificates as is (mirrors pki::is_certificate_url, which config cannot
// include): http(s), an authority, printable ASCII without the characters RFC 3986 excludes.
bool is_public_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/') return false;
  constexpr std::string_view refused = " \"<>\\^`{|}?#";
  return std::all_of(rest.begin(), rest.end(), [&](char c) {
    return c > 0x20 && c < 0x7f && refused.find(c) == std::string_view::npos;
  });
}

void read_ca(table_reader& r, ca_settings& c) {
  r.read_string("organization", c.organization);
  r.read_string("root_common_name", c.root_common_name);
  r.read_string("issuing_common_name", c.issuing_common_name);
  std::int64_t days = 0;
  auto read_days = [&](std::string_view key, std::chrono::days& out, std::int64_t max) {
    if (!r.read(key, days)) return;
    if (days < 1 || days > max) r.fail(r.take(key), key, "must be between 1 and " + std::to_string(max));
    out = std::chrono::days(days);
  };
  read_days("root_validity_days", c.root_validity, 365 * 50);
  read_days("issuing_validity_days", c.issuing_validity, 365 * 50);
  read_days("device_validity_days", c.device_validity, 365 * 30);
  if (r.read("expiry_sweep_interval_seconds", days)) {
    if (days < 1 || days > 86400)
      r.fail(r.take("expiry_sweep_interval_seconds"), "expiry_sweep_interval_seconds",
             "must be between 1 and 86400");
    c.expiry_sweep_interval = std::chrono::seconds(days);
  }
  if (r.read_string("key_type", c.key_type)) {
    constexpr std::string_view types[] = {"ec-p256", "ec-p384", "ed25519", "rsa2048", "rsa3072", "rsa4096"};
    if (std::find(std::begin(types), std::end(types), c.key_type) == std::end(types))
      r.fail(r.take("key_type"), "key_type",
             "must be \"ec-p256\", \"ec-p384\", \"ed25519\", \"rsa2048\", \"rsa3072\" or \"rsa4096\", got '" +
                 c.key_type + "'");
  }
  if (r.read_string("public_url", c.public_url)) {
    while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
    if (!is_public_url(c.public_url))
      r.fail(r.take("public_url"), "public_url",
             "expected \"http://host[:port][/path]\" or \"https://...\" without spaces, quotes, '?' or '#', "
             "got '" +
                 c.public_url + "'");
  }
  if (r.read_string("csr_names", c.csr_names) && c.csr_names != "ignore" && c.csr_names != "check")
    r.fail(r.take("csr_names"), "csr_names", "must be \"ignore\" or \"check\", got '" + c.csr_names + "'");
  if (c.root_common_name.empty()) r.fail(r.take("root_common_name"), "root_common_name", "must not be empty");
  if (c.issuing_common_name.empty())
    r.fail(r.take("issuing_common_name"), "issuing_common_name", "must not be empty");
}

void read_revocation(table_reader& r, revocation_settings& rv) {
  std::int64_t v = 0;
  auto read_span = [&](std::string_view key, std::chrono::seconds& out, std::int64_t unit, std::int64_t min,
                       std::int64_t max) {
    if (!r.read(key, v)) return;
    if (v < min || v > max)
      r.fail(r.take(key), key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    out = std::chrono::seconds(v * unit);
  };
  constexpr std::int64_t day = 86400;
  read_span("crl_validity_seconds", rv.crl_validity, 1, 60, 365 * day);
  read_span("crl_refresh_before_seconds", rv.crl_refresh_before, 1, 0, 365 * day);
  read_span("ocsp_validity_seconds", rv.ocsp_validity, 1, 60, 30 * day);
  read_span("check_interval_seconds", rv.check_interval, 1, 1, day);
  if (rv.crl_refresh_before >= rv.crl_validity)
    r.fail(r.take("crl_refresh_before_seconds"), "crl_refresh_before_seconds",
           "must be less than crl_validity_seconds");
}

void read_api(table_reader& r, api_settings& a) {
  std::int64_t v = 0;
  if (r.read("idempotency_ttl_seconds", v)) {
    if (v < 60 || v > 30 * 86400)
      r.fail(r.take("idempotency_ttl_seconds"), "idempotency_ttl_seconds", "must be between 60 and 2592000");
    a.idempotency_ttl = std::chrono::seconds(v);
  }
  // A rate may be fractional (0.5 = one request every two seconds): TOML floats and integers.
  if (const toml::node* n = r.take("rate_limit_per_second")) {
    const auto d = n->value<double>();
    if (!d || *d < 0 || *d > 1e6)
      r.fail(n, "rate_limit_per_second", "must be a number between 0 and 1000000");
    else
      a.rate_limit_per_second = *d;
  }
  r.read_unsigned("rate_limit_burst", a.rate_limit_burst, 0, 1000000);
}

// [ca] key_storage and its companions (CA keys at rest). A PKCS#11 URI is checked here only for
// its shape (pkcs11:, no PIN in it): config knows nothing of pki.
void read_ca_key_storage(table_reader& r, ca_settings& c) {
  if (r.read_string("key_storage", c.key_storage) && c.key_storage != "file" &&
      c.key_storage != "encrypted-file" && c.key_storage != "pkcs11") {
    r.fail(r.take("key_storage"), "key_storage", "must be \"file\", \"encrypted-file\" or \"pkcs11\"");
  }
  auto read_path = [&](std::string_view key, std::filesystem::path& out) {
    std::string v;
    if (!r.read_string(key, v)) return;
    if (v.empty()) r.fail(r.take(key), key, "must not be empty");
    out = v;
  };
  read_path("key_passphrase_file", c.key_passphrase_file);
  read_path("pkcs11_module", c.pkcs11_module);
  read_path("pkcs11_pin_file", c.pkcs11_pin_file);
  const bool pkcs11 = c.key_storage == "pkcs11";
  auto read_uri = [&](std::string_view key, std::string& out) {
    if (!r.read_string(key, out)) return;
    if (!pkcs11) r.fail(r.take(key), key, "is only used with key_storage = \"pkcs11\"");
    std::string l = out;
    for (auto& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!l.starts_with("pkcs11:") || l.size() == 7)
      r.fail(r.take(key), key,
             "must be a PKCS#11 URI (RFC 7512), e.g. \"pkcs11:token=iotreg;object=issuing\"");
    if (l.find("pin-value") != std::string::npos || l.find("pin-source") != std::string::npos)
      r.fail(r.take(key), key,
             "must not carry the PIN: use pkcs11_pin_file or the credential iotreg-pkcs11-pin");
  };
  read_uri("issuing_key_uri", c.issuing_key_uri);
  read_uri("root_key_uri", c.root_key_uri);
  if (pkcs11 && c.issuing_key_uri.empty())
    r.fail(r.take("key_storage"), "issuing_key_uri", "is required with key_storage = \"pkcs11\"");
  if (!c.root_key_uri.empty() && c.root_key_uri == c.issuing_key_uri)
    r.fail(r.take("root_key_uri"), "root_key_uri", "must name another key than issuing_key_uri");
  if (!pkcs11 && r.take("pkcs11_module") != nullptr)
    r.fail(r.take("pkcs11_module"), "pkcs11_module", "is only used with key_storage = \"pkcs11\"");
}

void read_dnssec_policy(table_reader& r, dnssec_settings& d) {
  std::int64_t alg = 0;
  if (r.read("algorithm", alg)) {
    if (alg != 13 && alg != 15 && alg != 8)
      r.fail(r.take("algorithm"), "algorithm", "must be 13 (ECDSAP256SHA256), 15 (ED25519) or 8 (RSASHA256)");
    d.algorithm = static_cast<std::uint8_t>(alg);
  }
  std::int64_t v = 0;
  auto read_span = [&](std::string_view key, std::chrono::seconds& out, std::int64_t unit, std::int64_t min,
                       std::int64_t max) {
    if (!r.read(key, v)) return;
    if (v < min || v > max)
      r.fail(r.take(key), key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    out = std::chrono::seconds(v * unit);
  };
  constexpr std::int64_t day = 86400;
  read_span("zsk_lifetime_days", d.zsk_lifetime, day, 1, 3650);
  read_span("ksk_lifetime_days", d.ksk_lifetime, day, 0, 36500);
  read_span("propagation_delay_seconds", d.propagation_delay, 1, 0, 7 * day);
  read_span("publish_safety_seconds", d.publish_safety, 1, 0, 30 * day);
  read_span("retire_safety_seconds", d.retire_safety, 1, 0, 30 * day);
  read_span("parent_ds_ttl_seconds", d.parent_ds_ttl, 1, 0, 30 * day);
  read_span("parent_propagation_delay_seconds", d.parent_propagation_delay, 1, 0, 30 * day);
  read_span("policy_interval_seconds", d.policy_interval, 1, 1, day);
}

// Defaults that depend on the zone name, and cross-field checks.
void complete(settings& s) {
  if (s.dnssec.kek_file.empty()) s.dnssec.kek_file = s.paths.state_dir / "dnssec" / "kek";
  auto& z = s.zone;
  if (z.soa_mname.empty()) z.soa_mname = "ns1." + z.name;
  if (z.soa_rname.empty()) z.soa_rname = "hostmaster." + z.name;
  if (z.ns.empty()) z.ns.push_back("ns1." + z.name);
  if (z.addresses.empty()) {
    z.addresses.push_back({"ns1." + z.name, "127.0.0.1"});
    z.addresses.push_back({"device." + z.name, "127.0.0.1"});
  } else {
    for (auto& a : z.addresses) a.owner += z.name;
  }
  if (s.ca.public_url.empty()) {
    // The HTTPS listener under the name its certificate carries.
    const auto& http = s.server.http_listen;
    std::string host = !s.server.tls_names.empty() ? s.server.tls_names.front() : http.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    s.ca.public_url = "https://" + host + ":" + std::to_string(http.port);
    if (!is_public_url(s.ca.public_url))
      throw error(s.source.string() + ": ca.public_url: the default '" + s.ca.public_url +
                  "' (from server.tls_names) is not a usable URL; set ca.public_url");
  }
}

}  // namespace

endpoint parse_endpoint(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw std::invalid_argument("expected \"[address]:port\", got '" + std::string(text) + "'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      throw std::invalid_argument("expected \"host:port\", got '" + std::string(text) + "'");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) throw std::invalid_argument("missing host in '" + std::string(text) + "'");
  if (host != "localhost" && !is_ip_literal(host))
    throw std::invalid_argument("host must be an IP address or localhost, got '" + std::string(host) + "'");
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535)
    throw std::invalid_argument("port must be 1..65535, got '" + std::string(port) + "'");
  return {std::string(host), static_cast<std::uint16_t>(p)};
}

environment process_environment() {
  environment env;
  for (const char* name : {"IOTREG_DATABASE_DSN"}) {
    if (const char* v = std::getenv(name)) env.emplace(name, v);
  }
  return env;
}

settings parse(std::string_view toml_text, const std::string& origin, const environment& env) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << origin << ':' << e.source().begin.line << ": " << e.description();
    throw error(os.str());
  }

  settings s;
  s.source = origin;
  table_reader top(root, "", origin);
  if (auto* t = top.sub_table("server")) {
    table_reader r(*t, "server", origin);
    read_server(r, s.server);
    r.reject_unknown();
  }
  if (auto* t = top.sub_table("database")) {
    table_reader r(*t, "database", origin);
    r.read_string("dsn", s.database.dsn);
    // 2 at least: the DNSSEC key policy step holds a lock on one connection while it uses another.
    r.read_unsigned("pool_size", s.database.pool_size, 2, 1000);
    r.reject_unknown();
  }
  if (auto* t = top.sub_table("paths")) {
    table_reader r(*t, "paths", origin);
    std::string dir;
    if (r.read_string("state_dir", dir)) {
      if (dir.empty()) r.fail(r.take("state_dir"), "state_dir", "must not be empty");
      s.paths.state_dir = dir;
    }
    r.reject_unknown();
  }
  if (const toml::node* n = top.take("tsig")) read_tsig(*n, origin, s.tsig);
  if (auto* t = top.sub_table("zone")) {
    table_reader r(*t, "zone", origin);
    read_zone(r, s.zone);
    const auto& want = s.zone.transfer_tsig;
    if (!want.empty() &&
        std::none_of(s.tsig.begin(), s.tsig.end(), [&](const tsig_settings& k) { return k.name == want; })) {
      r.fail(r.take("transfer_tsig"), "transfer_tsig", "no [[tsig]] key named '" + want + "'");
    }
    r.reject_unknown();
  }
  if (auto* t = top.sub_table("dnssec")) {
    table_reader r(*t, "dnssec", origin);
    std::string file;
    if (r.read_string("kek_file", file)) {
      if (file.empty()) r.fail(r.take("kek_file"), "kek_file", "must not be empty");
      s.dnssec.kek_file = file;
    }
    read_dnssec_policy(r, s.dnssec);
    r.reject_unknown();
  }
  if (auto* t = top.sub_table("ca")) {
    table_reader r(*t, "ca", origin);
    read_ca(r, s.ca);
    read_ca_key_storage(r, s.ca);
    r.reject_unknown();
  }
  if (auto* t = top.sub_table("revocation")) {
    table_reader r(*t, "revocation", origin);
    read_revocation(r, s.revocation);
    r.reject_unknown();
  }
  if (auto* t = top.sub_table("api")) {
    table_reader r(*t, "api", origin);
    read_api(r, s.api);
    r.reject_unknown();
  }
  top.reject_unknown();

  if (auto it = env.find("IOTREG_DATABASE_DSN"); it != env.end() && !it->second.empty()) {
    s.database.dsn = it->second;
  }
  if (s.database.dsn.empty()) throw error(origin + ": database.dsn: must not be empty");
  complete(s);
  return s;
}

settings load_file(const std::filesystem::path& path, const environment& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error(path.string() + ": cannot read the configuration file");
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse(buf.str(), path.string(), env);
}

}  // namespace iotreg::config
