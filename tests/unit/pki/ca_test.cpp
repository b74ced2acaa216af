#include "pki/ca.hpp"

#include "pki/digest.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace iotreg::pki;
using namespace std::chrono_literals;

namespace {

void free_x509_stack(STACK_OF(X509) * s) noexcept { sk_X509_free(s); }  // borrowed elements

const std::string device_name = "89049032000001000000012345678901._device.iotregistry.test";

// Whole seconds, as certificates store them.
time_point test_now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

template <class T, auto Free>
struct ext {
  ossl_ptr<T, Free> value;
  int critical = -1;  // -1: absent
};

template <class T, auto Free>
ext<T, Free> get_ext(const certificate& c, int nid) {
  ext<T, Free> e;
  e.value.reset(static_cast<T*>(X509_get_ext_d2i(c.native(), nid, &e.critical, nullptr)));
  return e;
}

ext<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free> basic_constraints(const certificate& c) {
  return get_ext<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>(c, NID_basic_constraints);
}

// Key usage bits 0..8 that are set.
std::vector<int> key_usage_bits(const certificate& c, int& critical) {
  auto ku = get_ext<ASN1_BIT_STRING, ASN1_BIT_STRING_free>(c, NID_key_usage);
  critical = ku.critical;
  std::vector<int> bits;
  if (!ku.value) return bits;
  for (int i = 0; i < 9; ++i) {
    if (ASN1_BIT_STRING_get_bit(ku.value.get(), i) == 1) bits.push_back(i);
  }
  return bits;
}

std::vector<int> eku_nids(const certificate& c, int& critical) {
  auto eku = get_ext<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>(c, NID_ext_key_usage);
  critical = eku.critical;
  std::vector<int> nids;
  if (!eku.value) return nids;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.value.get()); ++i) {
    nids.push_back(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.value.get(), i)));
  }
  return nids;
}

struct san_entry {
  int type;
  std::string value;
  bool operator==(const san_entry&) const = default;
};

std::vector<san_entry> san_entries(const certificate& c, int& critical) {
  auto san = get_ext<GENERAL_NAMES, GENERAL_NAMES_free>(c, NID_subject_alt_name);
  critical = san.critical;
  std::vector<san_entry> out;
  if (!san.value) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(san.value.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(san.value.get(), i);
    int type = 0;
    const auto* str = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(gn, &type));
    const unsigned char* d = ASN1_STRING_get0_data(str);
    out.push_back({type, std::string(d, d + ASN1_STRING_length(str))});
  }
  return out;
}

int serial_bits(const certificate& c, bool& negative) {
  const bignum_ptr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(c.native()), nullptr));
  REQUIRE(bn);
  negative = BN_is_negative(bn.get()) == 1;
  return BN_num_bits(bn.get());
}

// X509_verify_cert with strict RFC 5280 checks, trusting only `root`.
int verify(const certificate& leaf, const std::vector<const certificate*>& intermediates,
           const certificate& root, int purpose) {
  const x509_store_ptr store(X509_STORE_new());
  REQUIRE(X509_STORE_add_cert(store.get(), root.native()) == 1);
  ossl_ptr<STACK_OF(X509), free_x509_stack> chain(sk_X509_new_null());
  for (const certificate* c : intermediates) sk_X509_push(chain.get(), c->native());
  const x509_store_ctx_ptr ctx(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf.native(), chain.get()) == 1);
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_X509_STRICT);
  REQUIRE(X509_STORE_CTX_set_purpose(ctx.get(), purpose) == 1);
  return X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

std::vector<std::uint8_t> ski_method1(const certificate& c) {
  const unsigned char* pk = nullptr;
  int len = 0;
  REQUIRE(X509_PUBKEY_get0_param(nullptr, &pk, &len, nullptr, X509_get_X509_PUBKEY(c.native())) == 1);
  const auto h = sha1({pk, static_cast<std::size_t>(len)});
  return {h.begin(), h.end()};
}

csr make_csr(EVP_PKEY* key, const test::csr_spec& spec = {}) {
  auto r = parse_csr_pem(test::make_csr_pem(key, spec));
  REQUIRE(r.has_value());
  return std::move(*r);
}

void check_serial(const certificate& c) {
  bool negative = true;
  const int bits = serial_bits(c, negative);
  CHECK_FALSE(negative);
  CHECK(bits >= 64);
  CHECK(bits <= 160);
  CHECK(ASN1_STRING_length(X509_get0_serialNumber(c.native())) <= 20);
}

}  // namespace

TEST_CASE("root CA profile", "[pki][ca]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("iotreg test root", std::chrono::days(3650), now);
  const certificate& c = root.cert;

  CHECK(X509_get_version(c.native()) == X509_VERSION_3);
  check_serial(c);
  CHECK(c.subject_common_name() == "iotreg test root");
  CHECK(X509_NAME_cmp(X509_get_subject_name(c.native()), X509_get_issuer_name(c.native())) == 0);
  CHECK(X509_get_signature_nid(c.native()) == NID_ecdsa_with_SHA256);
  CHECK(root.key.description() == "EC P-256");
  CHECK(c.spki_der() == root.key.spki_der());

  const auto bc = basic_constraints(c);
  REQUIRE(bc.value);
  CHECK(bc.critical == 1);
  CHECK(bc.value->ca != 0);
  CHECK(bc.value->pathlen == nullptr);

  int ku_crit = 0;
  CHECK(key_usage_bits(c, ku_crit) == std::vector<int>{5, 6});  // keyCertSign, cRLSign
  CHECK(ku_crit == 1);

  CHECK(c.subject_key_id() == ski_method1(c));
  CHECK(c.authority_key_id() == c.subject_key_id());
  CHECK(c.not_before() == now - 1h);
  CHECK(c.not_after() == now + std::chrono::days(3650));
  CHECK(verify(c, {}, c, X509_PURPOSE_ANY) == X509_V_OK);
}

TEST_CASE("root CA with organisation and an Ed25519 key", "[pki][ca]") {
  const certificate_authority root =
      create_root_ca(ca_name{"Root", "Example MNO"}, private_key::generate(key_type::ed25519),
                     std::chrono::days(30), test_now());
  CHECK(X509_get_signature_nid(root.cert.native()) == NID_ED25519);
  const X509_NAME* subject = X509_get_subject_name(root.cert.native());
  const int idx = X509_NAME_get_index_by_NID(subject, NID_organizationName, -1);
  REQUIRE(idx >= 0);
  const ASN1_STRING* o = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
  CHECK(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(o)), ASN1_STRING_length(o)) ==
        "Example MNO");
  CHECK(root.cert.subject_common_name() == "Root");
}

TEST_CASE("issuing CA profile", "[pki][ca]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
  const certificate_authority issuing = create_issuing_ca(root, "issuing", std::chrono::days(1825), now);
  const certificate& c = issuing.cert;

  CHECK(X509_get_version(c.native()) == X509_VERSION_3);
  check_serial(c);
  CHECK(c.serial_hex() != root.cert.serial_hex());
  CHECK(c.subject_common_name() == "issuing");
  CHECK(X509_NAME_cmp(X509_get_issuer_name(c.native()), X509_get_subject_name(root.cert.native())) == 0);

  const auto bc = basic_constraints(c);
  REQUIRE(bc.value);
  CHECK(bc.critical == 1);
  CHECK(bc.value->ca != 0);
  REQUIRE(bc.value->pathlen != nullptr);
  CHECK(ASN1_INTEGER_get(bc.value->pathlen) == 0);

  int ku_crit = 0;
  CHECK(key_usage_bits(c, ku_crit) == std::vector<int>{5, 6});
  CHECK(ku_crit == 1);
  CHECK(c.subject_key_id() == ski_method1(c));
  CHECK(c.authority_key_id() == root.cert.subject_key_id());
  CHECK(c.subject_key_id() != root.cert.subject_key_id());
  CHECK(verify(c, {}, root.cert, X509_PURPOSE_ANY) == X509_V_OK);

  SECTION("error/issuer key does not match its certificate") {
    const certificate_authority other = create_root_ca("other", std::chrono::days(10), now);
    const certificate_authority mixed{root.cert, private_key::from_pem(other.key.pem())};
    CHECK_THROWS_AS(create_issuing_ca(mixed, "x", std::chrono::days(10), now), std::invalid_argument);
  }
  SECTION("error/non-positive validity") {
    CHECK_THROWS_AS(create_issuing_ca(root, "x", std::chrono::days(0), now), std::invalid_argument);
  }
}

TEST_CASE("device certificate profile, field by field", "[pki][ca][device]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
  const certificate_authority issuing = create_issuing_ca(root, "issuing", std::chrono::days(1825), now);
  const auto device_key = test::make_ec_key("P-256");
  const csr req = make_csr(device_key.get());

  const certificate c = issue_device_certificate(issuing, req, device_name, std::chrono::days(365), now);

  CHECK(X509_get_version(c.native()) == X509_VERSION_3);
  check_serial(c);
  CHECK(X509_get_signature_nid(c.native()) == NID_ecdsa_with_SHA256);
  CHECK(X509_NAME_cmp(X509_get_issuer_name(c.native()), X509_get_subject_name(issuing.cert.native())) == 0);
  CHECK(c.subject_common_name() == device_name);
  CHECK(X509_NAME_entry_count(X509_get_subject_name(c.native())) == 1);
  CHECK(c.spki_der() == req.spki_der());

  int crit = -1;
  CHECK(san_entries(c, crit) == std::vector<san_entry>{{GEN_DNS, device_name}});
  CHECK(crit == 0);
  CHECK(eku_nids(c, crit) == std::vector<int>{NID_client_auth});
  CHECK(crit == 0);
  CHECK(key_usage_bits(c, crit) == std::vector<int>{0});  // digitalSignature only
  CHECK(crit == 1);

  const auto bc = basic_constraints(c);
  REQUIRE(bc.value);
  CHECK(bc.critical == 1);
  CHECK(bc.value->ca == 0);
  CHECK(bc.value->pathlen == nullptr);

  CHECK(c.authority_key_id() == issuing.cert.subject_key_id());
  CHECK(c.subject_key_id() == ski_method1(c));
  CHECK(X509_get_ext_count(c.native()) == 6);  // BC, KU, EKU, SKI, AKI, SAN: nothing else

  CHECK(c.not_before() == now - 1h);
  CHECK(c.not_after() == now + std::chrono::days(365));

  CHECK(verify(c, {&issuing.cert}, root.cert, X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
  CHECK(verify(c, {}, root.cert, X509_PURPOSE_SSL_CLIENT) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  CHECK(verify(c, {&issuing.cert}, root.cert, X509_PURPOSE_SSL_SERVER) == X509_V_ERR_INVALID_PURPOSE);
  const certificate_authority other_root = create_root_ca("root", std::chrono::days(3650), now);
  CHECK(verify(c, {&issuing.cert}, other_root.cert, X509_PURPOSE_SSL_CLIENT) != X509_V_OK);
}

TEST_CASE("device certificate for each allowed key type verifies", "[pki][ca][device]") {
  struct row {
    const char* name;
    evp_pkey_ptr (*make)();
  };
  const auto r = GENERATE(row{"P-256", [] { return test::make_ec_key("P-256"); }},
                          row{"P-384", [] { return test::make_ec_key("P-384"); }},
                          row{"Ed25519", [] { return test::make_raw_key("ED25519"); }},
                          row{"RSA 2048", [] { return test::make_rsa_key(2048); }});
  SECTION(r.name) {
    const time_point now = test_now();
    const certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
    const certificate_authority issuing = create_issuing_ca(root, "issuing", std::chrono::days(1825), now);
    const auto key = r.make();
    const csr req = make_csr(key.get());
    const certificate c = issue_device_certificate(issuing, req, device_name, std::chrono::days(90), now);
    CHECK(c.spki_der() == to_der(i2d_PUBKEY, key.get()));
    CHECK(verify(c, {&issuing.cert}, root.cert, X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
  }
}

TEST_CASE("device certificate ignores the CSR's subject and extensions", "[pki][ca][device]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
  const auto key = test::make_ec_key("P-256");
  test::csr_spec spec;
  spec.common_name = "evil.example";
  // Not a CA request (parse_csr_pem refuses those), but foreign names and usages.
  spec.extensions = {{NID_subject_alt_name, "DNS:evil.example"},
                     {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                     {NID_ext_key_usage, "serverAuth"}};
  const csr req = make_csr(key.get(), spec);
  REQUIRE(req.subject_common_name() == "evil.example");

  const certificate c =
      issue_device_certificate(root, req, "dev1._device.example", std::chrono::days(1), now);
  CHECK(c.subject_common_name() == "dev1._device.example");
  int crit = -1;
  CHECK(san_entries(c, crit) == std::vector<san_entry>{{GEN_DNS, "dev1._device.example"}});
  const auto bc = basic_constraints(c);
  REQUIRE(bc.value);
  CHECK(bc.value->ca == 0);
  CHECK(X509_check_ca(c.native()) == 0);
}

TEST_CASE("device names over 64 characters: empty subject, critical SAN", "[pki][ca][device]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
  const certificate_authority issuing = create_issuing_ca(root, "issuing", std::chrono::days(1825), now);
  const auto key = test::make_ec_key("P-256");
  const std::string long_name = "89049032000001000000012345678901._device.operator-a.iotregistry.example";
  REQUIRE(long_name.size() > 64);
  const certificate c =
      issue_device_certificate(issuing, make_csr(key.get()), long_name, std::chrono::days(1), now);
  CHECK(X509_NAME_entry_count(X509_get_subject_name(c.native())) == 0);
  int crit = -1;
  CHECK(san_entries(c, crit) == std::vector<san_entry>{{GEN_DNS, long_name}});
  CHECK(crit == 1);
  CHECK(verify(c, {&issuing.cert}, root.cert, X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
}

TEST_CASE("device certificate argument checks", "[pki][ca][device]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
  const auto key = test::make_ec_key("P-256");
  const csr req = make_csr(key.get());
  const auto bad = GENERATE(as<std::string>{}, "", "a..b", "bad name.example", "trailing.dot.", ".leading",
                            "comma,injection.example", "DNS:x.example,DNS:y.example",
                            std::string(64, 'a') + ".example", std::string(254, 'a'));
  SECTION("error/dns name '" + bad + "'") {
    CHECK_THROWS_AS(issue_device_certificate(root, req, bad, std::chrono::days(1), now),
                    std::invalid_argument);
  }
  SECTION("error/zero validity") {
    CHECK_THROWS_AS(issue_device_certificate(root, req, "a.example", std::chrono::days(0), now),
                    std::invalid_argument);
  }
}

TEST_CASE("Ed25519 root and P-384 issuing CA chain", "[pki][ca]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca(
      ca_name{"root", {}}, private_key::generate(key_type::ed25519), std::chrono::days(3650), now);
  const certificate_authority issuing = create_issuing_ca(
      root, ca_name{"issuing", {}}, private_key::generate(key_type::ec_p384), std::chrono::days(365), now);
  CHECK(X509_get_signature_nid(issuing.cert.native()) == NID_ED25519);
  const auto key = test::make_ec_key("P-256");
  const certificate c =
      issue_device_certificate(issuing, make_csr(key.get()), device_name, std::chrono::days(1), now);
  CHECK(X509_get_signature_nid(c.native()) == NID_ecdsa_with_SHA384);
  CHECK(verify(c, {&issuing.cert}, root.cert, X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
}

TEST_CASE("server certificate profile", "[pki][ca][server]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
  const certificate_authority issuing = create_issuing_ca(root, "issuing", std::chrono::days(1825), now);
  const private_key key = private_key::generate_p256();
  const certificate c = issue_server_certificate(issuing, key, {"localhost", "iotreg.example"},
                                                 {"127.0.0.1", "::1"}, std::chrono::days(30), now);
  CHECK(c.subject_common_name() == "localhost");
  CHECK(c.spki_der() == key.spki_der());
  int crit = -1;
  const std::string v4{'\x7f', '\0', '\0', '\x01'};
  std::string v6(16, '\0');
  v6.back() = '\x01';
  CHECK(san_entries(c, crit) ==
        std::vector<san_entry>{
            {GEN_DNS, "localhost"}, {GEN_DNS, "iotreg.example"}, {GEN_IPADD, v4}, {GEN_IPADD, v6}});
  CHECK(eku_nids(c, crit) == std::vector<int>{NID_server_auth});
  CHECK(key_usage_bits(c, crit) == std::vector<int>{0});
  CHECK(crit == 1);
  CHECK(basic_constraints(c).value->ca == 0);
  CHECK(c.authority_key_id() == issuing.cert.subject_key_id());
  CHECK(verify(c, {&issuing.cert}, root.cert, X509_PURPOSE_SSL_SERVER) == X509_V_OK);
  CHECK(X509_check_host(c.native(), "iotreg.example", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(c.native(), "::1", 0) == 1);
  CHECK(X509_check_ip_asc(c.native(), "127.0.0.2", 0) == 0);

  SECTION("error/bad address") {
    CHECK_THROWS_AS(
        issue_server_certificate(issuing, key, {"localhost"}, {"127.0.0.256"}, std::chrono::days(1), now),
        std::invalid_argument);
  }
  SECTION("error/no names") {
    CHECK_THROWS_AS(issue_server_certificate(issuing, key, {}, {}, std::chrono::days(1), now),
                    std::invalid_argument);
  }
  SECTION("ok/address only") {
    const certificate ip_only =
        issue_server_certificate(issuing, key, {}, {"::1"}, std::chrono::days(1), now);
    CHECK(ip_only.subject_common_name() == "::1");
  }
}

TEST_CASE("pem_chain concatenates in order", "[pki][ca]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
  const certificate_authority issuing = create_issuing_ca(root, "issuing", std::chrono::days(1825), now);
  const std::vector<certificate> chain{issuing.cert, root.cert};
  const std::string pem = pem_chain(chain);
  CHECK(pem == issuing.cert.pem() + root.cert.pem());
  const auto back = certificates_from_pem(pem);
  REQUIRE(back.size() == 2);
  CHECK(back[0].der() == issuing.cert.der());
  CHECK(back[1].der() == root.cert.der());
  CHECK(pem_chain({}).empty());
}
