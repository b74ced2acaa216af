// Tenant TLS client certificates (registry/tenant_certificates.hpp): the checks of a certificate
// at registration (pki/client_certificate.hpp), the admin's use cases over in-memory stores, the
// fingerprint text, and authentication by certificate (api_key_authenticator).

#include "registry/tenant_certificates.hpp"
#include "memory_store.hpp"
#include "memory_tenant_store.hpp"
#include "pki/client_certificate.hpp"
#include "pki/digest.hpp"
#include "registry/registry_service.hpp"
#include "registry/tenant_certificate_admin.hpp"

#include <catch2/catch.hpp>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <map>

using namespace iotreg;
using namespace iotreg::registry;

namespace {

struct cert_spec {
  std::string cn = "operator-platform";
  long not_before_offset = -60;  // seconds from now
  long not_after_offset = 86400;
  std::vector<std::pair<int, std::string>> extensions{};  // {NID, OpenSSL config value}
};

cert_spec valid_between(long not_before, long not_after) {
  cert_spec s;
  s.not_before_offset = not_before;
  s.not_after_offset = not_after;
  return s;
}

cert_spec named(std::string cn) {
  cert_spec s;
  s.cn = std::move(cn);
  return s;
}

cert_spec with_extension(int nid, std::string value) {
  cert_spec s;
  s.extensions.emplace_back(nid, std::move(value));
  return s;
}

/// A self-signed P-256 certificate, PEM.
std::string self_signed(const cert_spec& spec = {}) {
  pki::evp_pkey_ptr key(EVP_EC_gen("P-256"));
  REQUIRE(key);
  pki::x509_ptr x(X509_new());
  REQUIRE(X509_set_version(x.get(), X509_VERSION_3) == 1);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 7);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), spec.not_before_offset);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), spec.not_after_offset);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), key.get());
  for (const auto& [nid, value] : spec.extensions) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    REQUIRE(ext != nullptr);
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(x.get(), key.get(), EVP_sha256()) > 0);
  return pki::certificate(std::move(x)).pem();
}

class memory_certificates final : public tenant_certificate_store {
 public:
  testing::memory_tenant_store& tenants;
  std::vector<tenant_certificate> rows;
  std::vector<std::string> audit;
  time_point now = clock::now();
  explicit memory_certificates(testing::memory_tenant_store& t) : tenants(t) {}

  result<std::int64_t> insert(std::int64_t tenant_id, std::string_view, const fingerprint& sha256,
                              std::span<const std::uint8_t> der, time_point expires_at) override {
    if (!tenants.find_tenant(tenant_id)) return error{errc::tenant_not_found, "no tenant"};
    for (const auto& r : rows)
      if (r.sha256 == sha256) return error{errc::client_certificate_exists, "exists"};
    tenant_certificate c;
    c.id = static_cast<std::int64_t>(rows.size()) + 100;
    c.tenant_id = tenant_id;
    c.der.assign(der.begin(), der.end());
    c.sha256 = sha256;
    c.expires_at = expires_at;
    c.created_at = now;
    rows.push_back(c);
    audit.push_back("register " + std::to_string(c.id));
    return c.id;
  }
  std::vector<tenant_certificate> list(std::int64_t tenant_id) override {
    std::vector<tenant_certificate> out;
    for (const auto& r : rows)
      if (r.tenant_id == tenant_id) out.push_back(r);
    return out;
  }
  std::optional<std::int64_t> revoke(std::int64_t tenant_id, const fingerprint& sha256) override {
    for (auto& r : rows) {
      if (r.tenant_id == tenant_id && r.sha256 == sha256 && !r.revoked_at) {
        r.revoked_at = now;
        audit.push_back("revoke " + std::to_string(r.id));
        return r.id;
      }
    }
    return std::nullopt;
  }
  std::optional<api_key> find_active(const fingerprint& sha256) override {
    for (const auto& r : rows) {
      if (r.sha256 == sha256 && !r.revoked_at && r.expires_at > now) {
        const auto t = tenants.find_tenant(r.tenant_id);
        if (!t || t->disabled_at) return std::nullopt;
        return api_key{r.id, "cert", t->kind, r.tenant_id};
      }
    }
    return std::nullopt;
  }
};

const api_key admin{1, "admin", "admin", 1};
const api_key mno_key{2, "mno", "mno", 2};

struct fixture {
  testing::memory_tenant_store tenants;
  memory_certificates store{tenants};
  time_point now = clock::now();
  tenant_certificate_admin svc{tenants, store, [this] { return now; }};
  fixture() {
    tenants.rows[1] = tenant{1, "admin", "admin", now, std::nullopt};
    tenants.rows[2] = tenant{2, "operator", "mno", now, std::nullopt};
    tenants.rows[3] = tenant{3, "fleet", "asp", now, std::nullopt};
    store.now = now;
  }
};

fingerprint sha256_of_pem(const std::string& pem) {
  return pki::sha256(pki::certificate::from_pem(pem).der());
}

}  // namespace

TEST_CASE("client_certificate_problem: validity and usages") {
  const auto now = clock::now();
  CHECK(pki::client_certificate_problem(pki::certificate::from_pem(self_signed()), now).empty());
  CHECK_THAT(pki::client_certificate_problem(
                 pki::certificate::from_pem(self_signed(valid_between(-7200, -3600))), now),
             Catch::Contains("expired"));
  CHECK_THAT(pki::client_certificate_problem(
                 pki::certificate::from_pem(self_signed(valid_between(3600, 7200))), now),
             Catch::Contains("not valid yet"));
  const auto with = [&](int nid, const char* value) {
    return pki::client_certificate_problem(
        pki::certificate::from_pem(self_signed(with_extension(nid, value))), now);
  };
  CHECK(with(NID_ext_key_usage, "clientAuth").empty());
  CHECK(with(NID_ext_key_usage, "serverAuth,clientAuth").empty());
  CHECK(with(NID_ext_key_usage, "anyExtendedKeyUsage").empty());
  CHECK_THAT(with(NID_ext_key_usage, "serverAuth"), Catch::Contains("clientAuth"));
  CHECK(with(NID_key_usage, "critical,digitalSignature").empty());
  CHECK(with(NID_key_usage, "digitalSignature,keyEncipherment").empty());
  CHECK_THAT(with(NID_key_usage, "keyEncipherment"), Catch::Contains("digitalSignature"));
  // `openssl req -x509` makes a CA certificate by default: accepted (the certificate is pinned).
  CHECK(with(NID_basic_constraints, "critical,CA:TRUE").empty());
  CHECK(pki::subject_text(pki::certificate::from_pem(self_signed(named("a,b")))) == "CN=a\\,b");
}

TEST_CASE("fingerprint text: 64 hex digits, or colon-separated pairs, either case") {
  fingerprint f{};
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<std::uint8_t>(i * 7 + 0xa0);
  const auto text = fingerprint_text(f);
  CHECK(text.size() == 64);
  CHECK(text.substr(0, 6) == "a0a7ae");
  CHECK(parse_fingerprint(text) == f);
  std::string upper;
  for (char ch : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  CHECK(parse_fingerprint(upper) == f);
  std::string colons;
  for (std::size_t i = 0; i < text.size(); i += 2) colons += (i ? ":" : "") + upper.substr(i, 2);
  CHECK(parse_fingerprint(colons) == f);
  CHECK_FALSE(parse_fingerprint(text.substr(1)));
  CHECK_FALSE(parse_fingerprint(text + "0"));
  CHECK_FALSE(parse_fingerprint(std::string(63, 'a') + "g"));
  CHECK_FALSE(parse_fingerprint(colons.substr(0, 94) + ";"));
  auto misplaced = colons;
  std::swap(misplaced[2], misplaced[3]);
  CHECK_FALSE(parse_fingerprint(misplaced));
  CHECK_FALSE(parse_fingerprint(""));
}

TEST_CASE("tenant certificates: registration") {
  fixture fx;
  const auto pem = self_signed(with_extension(NID_ext_key_usage, "clientAuth"));

  SECTION("registered with the certificate's notAfter as expiry, or an earlier one") {
    auto r = fx.svc.register_certificate(admin, 2, pem, std::nullopt);
    REQUIRE(r.has_value());
    CHECK(r->tenant_id == 2);
    CHECK(r->id == 100);
    CHECK(r->sha256 == sha256_of_pem(pem));
    CHECK(r->subject == "CN=operator-platform");
    CHECK(r->expires_at == r->not_after);
    CHECK(fx.store.audit == std::vector<std::string>{"register 100"});
    const auto earlier = fx.now + std::chrono::hours(1);
    auto r2 = fx.svc.register_certificate(admin, 3, self_signed(), earlier);
    REQUIRE(r2.has_value());
    CHECK(r2->expires_at == earlier);
    auto r3 = fx.svc.register_certificate(admin, 3, self_signed(), fx.now + std::chrono::hours(24 * 400));
    REQUIRE(r3.has_value());
    CHECK(r3->expires_at == r3->not_after);
  }
  SECTION("refusals write nothing") {
    const auto code = [&](const api_key& who, std::int64_t tenant, const std::string& text,
                          std::optional<time_point> exp = std::nullopt) {
      auto r = fx.svc.register_certificate(who, tenant, text, exp);
      REQUIRE_FALSE(r.has_value());
      return r.error().code;
    };
    CHECK(code(mno_key, 2, pem) == errc::forbidden);
    CHECK(code(admin, 9, pem) == errc::tenant_not_found);
    CHECK(code(admin, 2, "not pem") == errc::client_certificate_invalid);
    CHECK(code(admin, 2, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") ==
          errc::client_certificate_invalid);
    CHECK(code(admin, 2, pem + self_signed()) == errc::client_certificate_invalid);
    CHECK(code(admin, 2, self_signed(valid_between(-7200, -1))) == errc::client_certificate_refused);
    CHECK(code(admin, 2, self_signed(valid_between(600, 86400))) == errc::client_certificate_refused);
    CHECK(code(admin, 2, self_signed(with_extension(NID_ext_key_usage, "serverAuth"))) ==
          errc::client_certificate_refused);
    CHECK(code(admin, 2, pem, fx.now - std::chrono::seconds(1)) == errc::invalid_request);
    CHECK(fx.store.rows.empty());
    CHECK(fx.store.audit.empty());
  }
  SECTION("the same certificate twice, for any tenant, is a conflict") {
    REQUIRE(fx.svc.register_certificate(admin, 2, pem, std::nullopt).has_value());
    auto again = fx.svc.register_certificate(admin, 3, pem, std::nullopt);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == errc::client_certificate_exists);
    CHECK(fx.store.rows.size() == 1);
  }
}

TEST_CASE("tenant certificates: list and revoke") {
  fixture fx;
  const auto pem = self_signed(named("first"));
  REQUIRE(fx.svc.register_certificate(admin, 2, pem, std::nullopt).has_value());
  REQUIRE(fx.svc.register_certificate(admin, 2, self_signed(named("second")), std::nullopt).has_value());

  auto all = fx.svc.list(admin, 2);
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].subject == "CN=first");  // filled from the DER
  CHECK((*all)[1].subject == "CN=second");
  CHECK((*all)[0].not_after > fx.now);
  CHECK(fx.svc.list(admin, 3)->empty());
  CHECK(fx.svc.list(admin, 9).error().code == errc::tenant_not_found);
  CHECK(fx.svc.list(mno_key, 2).error().code == errc::forbidden);

  const auto fp = fingerprint_text(sha256_of_pem(pem));
  CHECK(fx.svc.revoke(admin, 3, fp).error().code == errc::client_certificate_not_found);  // another tenant
  CHECK(fx.svc.revoke(admin, 2, "zz").error().code == errc::client_certificate_not_found);
  CHECK(fx.svc.revoke(mno_key, 2, fp).error().code == errc::forbidden);
  CHECK(fx.svc.revoke(admin, 9, fp).error().code == errc::tenant_not_found);
  auto r = fx.svc.revoke(admin, 2, fp);
  REQUIRE(r.has_value());
  CHECK(fingerprint_text(*r) == fp);
  CHECK(fx.svc.revoke(admin, 2, fp).error().code == errc::client_certificate_not_found);
  CHECK(fx.store.audit.back() == "revoke 100");
  CHECK(fx.svc.list(admin, 2)->at(0).revoked_at.has_value());
  CHECK_FALSE(fx.svc.list(admin, 2)->at(1).revoked_at.has_value());
}

TEST_CASE("api_key_authenticator: a registered certificate authenticates as its tenant") {
  fixture fx;
  testing::memory_store keys;
  api_key_authenticator auth(keys);
  const auto pem = self_signed();
  const auto cert = pki::certificate::from_pem(pem);
  const auto der_bytes = cert.der();
  const std::string der(der_bytes.begin(), der_bytes.end());

  // Without a certificate store every certificate is unknown.
  CHECK(auth.authenticate_certificate(der).error().code == errc::unauthenticated);
  auth.set_certificate_store(&fx.store);
  CHECK(auth.authenticate_certificate(der).error().code == errc::unauthenticated);  // not registered
  CHECK(auth.authenticate_certificate("").error().code == errc::unauthenticated);

  auto reg = fx.svc.register_certificate(admin, 2, pem, std::nullopt);
  REQUIRE(reg.has_value());
  auto who = auth.authenticate_certificate(der);
  REQUIRE(who.has_value());
  CHECK(who->id == reg->id);
  CHECK(who->role == "mno");
  CHECK(who->tenant_id == 2);

  SECTION("a disabled tenant") {
    fx.tenants.rows[2].disabled_at = fx.now;
    CHECK(auth.authenticate_certificate(der).error().code == errc::unauthenticated);
  }
  SECTION("expired") {
    fx.store.now = reg->expires_at;
    CHECK(auth.authenticate_certificate(der).error().code == errc::unauthenticated);
  }
  SECTION("revoked") {
    REQUIRE(fx.svc.revoke(admin, 2, fingerprint_text(reg->sha256)).has_value());
    CHECK(auth.authenticate_certificate(der).error().code == errc::unauthenticated);
  }
  SECTION("the certificate is no Bearer token") {
    CHECK(auth.authenticate(fingerprint_text(reg->sha256)).error().code == errc::unauthenticated);
  }
}
