// Issue 4, acceptance b: the device certificate profile, field by field, for every device key type
// under issuers of several key types; and the same chains checked by two independent verifiers,
// `openssl verify` and GnuTLS `certtool --verify-chain`.

#include "pki/ca.hpp"
#include "pki/digest.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

using namespace iotreg::pki;
using namespace std::chrono_literals;

namespace {

const std::string device_name = "89049032000001000000012345678901._device.iotregistry.test";
const issuance_urls urls{"https://iotreg.example:8443"};
constexpr auto device_validity = std::chrono::days(397);

time_point test_now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

// One key per type, made once: RSA 4096 generation takes a second.
const private_key& key_of(key_type t) {
  static std::map<key_type, private_key> keys;
  auto it = keys.find(t);
  if (it == keys.end()) it = keys.emplace(t, private_key::generate(t)).first;
  return it->second;
}

csr csr_for(const private_key& key) {
  auto r = parse_csr_pem(test::make_csr_pem(key.native()));
  REQUIRE(r.has_value());
  return std::move(*r);
}

// The one extension of type `nid` decoded (the caller owns it), with its criticality (-1 when
// absent); fails the test on duplicates.
struct decoded_ext {
  void* value = nullptr;
  int critical = -1;
};

decoded_ext find_ext(const certificate& c, int nid) {
  decoded_ext e;
  int idx = -1;
  e.value = X509_get_ext_d2i(c.native(), nid, &e.critical, &idx);
  REQUIRE(X509_get_ext_by_NID(c.native(), nid, idx) == -1);  // at most one
  return e;
}

std::string ia5(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<std::size_t>(ASN1_STRING_length(s))};
}

std::string uri_of(const GENERAL_NAME* gn) {
  int type = -1;
  const void* v = GENERAL_NAME_get0_value(gn, &type);
  REQUIRE(type == GEN_URI);
  return ia5(static_cast<const ASN1_STRING*>(v));
}

int expected_signature_nid(key_type issuer) {
  switch (issuer) {
    case key_type::ec_p256: return NID_ecdsa_with_SHA256;
    case key_type::ec_p384: return NID_ecdsa_with_SHA384;
    case key_type::ed25519: return NID_ED25519;
    case key_type::rsa2048:
    case key_type::rsa3072:
    case key_type::rsa4096: return NID_sha256WithRSAEncryption;
  }
  return NID_undef;
}

std::string run(const std::string& command, int& status) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[512];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  status = ::pclose(p);
  return out;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  REQUIRE(f.good());
}

void check_profile(const certificate& c, const certificate_authority& issuing, const csr& req,
                   key_type issuer_type, time_point now) {
  // Version, serial: v3; positive; at least 64 random bits; at most 20 octets (RFC 5280 §4.1.2.2).
  CHECK(X509_get_version(c.native()) == X509_VERSION_3);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(c.native());
  CHECK(ASN1_STRING_type(serial) == V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER
  CHECK(ASN1_STRING_length(serial) <= 20);
  const bignum_ptr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  REQUIRE(bn);
  CHECK(BN_is_negative(bn.get()) == 0);
  CHECK(BN_num_bits(bn.get()) >= 64);
  CHECK(c.serial_hex() != issuing.cert.serial_hex());

  // Validity: one hour back for slow clocks, then exactly the configured validity.
  CHECK(c.not_before() == now - 1h);
  CHECK(c.not_after() == now + device_validity);

  // Names: issuer = the issuing CA's subject (byte for byte), subject = CN=<device name> only.
  CHECK(X509_NAME_cmp(X509_get_issuer_name(c.native()), X509_get_subject_name(issuing.cert.native())) == 0);
  const X509_NAME* subject = X509_get_subject_name(c.native());
  REQUIRE(X509_NAME_entry_count(subject) == 1);
  CHECK(OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(subject, 0))) == NID_commonName);
  CHECK(c.subject_common_name() == device_name);
  CHECK(c.spki_der() == req.spki_der());

  // Signature algorithm by the issuer's key type, the same inside and outside the TBS.
  CHECK(X509_get_signature_nid(c.native()) == expected_signature_nid(issuer_type));
  const X509_ALGOR* outer = nullptr;
  X509_get0_signature(nullptr, &outer, c.native());
  CHECK(X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(c.native())) == 0);
  int ptype = -2;
  X509_ALGOR_get0(nullptr, &ptype, nullptr, outer);
  // RSA PKCS#1 v1.5: NULL parameters; ECDSA and EdDSA: absent (RFC 5758 §3.2, RFC 8410 §3).
  CHECK(ptype ==
        (expected_signature_nid(issuer_type) == NID_sha256WithRSAEncryption ? V_ASN1_NULL : V_ASN1_UNDEF));

  // Exactly these extensions, nothing else.
  std::multiset<int> nids;
  for (int i = 0; i < X509_get_ext_count(c.native()); ++i) {
    nids.insert(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(c.native(), i))));
  }
  CHECK(nids == std::multiset<int>{NID_basic_constraints, NID_key_usage, NID_ext_key_usage,
                                   NID_subject_alt_name, NID_subject_key_identifier,
                                   NID_authority_key_identifier, NID_crl_distribution_points,
                                   NID_info_access});

  {  // basicConstraints: critical, cA FALSE (DEFAULT, so absent from the DER), no pathLen
    const auto e = find_ext(c, NID_basic_constraints);
    const basic_constraints_ptr bc(static_cast<BASIC_CONSTRAINTS*>(e.value));
    REQUIRE(bc);
    CHECK(e.critical == 1);
    CHECK(bc->ca == 0);
    CHECK(bc->pathlen == nullptr);
    X509_EXTENSION* ext =
        X509_get_ext(c.native(), X509_get_ext_by_NID(c.native(), NID_basic_constraints, -1));
    CHECK(ASN1_STRING_length(X509_EXTENSION_get_data(ext)) == 2);  // 30 00: an empty SEQUENCE
  }
  {  // keyUsage: critical, digitalSignature only
    const auto e = find_ext(c, NID_key_usage);
    const asn1_bit_string_ptr ku(static_cast<ASN1_BIT_STRING*>(e.value));
    REQUIRE(ku);
    CHECK(e.critical == 1);
    for (int bit = 0; bit < 16; ++bit) {
      INFO("keyUsage bit " << bit);
      CHECK(ASN1_BIT_STRING_get_bit(ku.get(), bit) == (bit == 0 ? 1 : 0));
    }
  }
  {  // extendedKeyUsage: not critical, clientAuth only
    const auto e = find_ext(c, NID_ext_key_usage);
    const extended_key_usage_ptr eku(static_cast<EXTENDED_KEY_USAGE*>(e.value));
    REQUIRE(eku);
    CHECK(e.critical == 0);
    REQUIRE(sk_ASN1_OBJECT_num(eku.get()) == 1);
    CHECK(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), 0)) == NID_client_auth);
  }
  {  // subjectAltName: not critical (the subject has a CN), one dNSName = <id>._device.<zone>
    const auto e = find_ext(c, NID_subject_alt_name);
    const general_names_ptr san(static_cast<GENERAL_NAMES*>(e.value));
    REQUIRE(san);
    CHECK(e.critical == 0);
    REQUIRE(sk_GENERAL_NAME_num(san.get()) == 1);
    int type = -1;
    const void* v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(san.get(), 0), &type);
    CHECK(type == GEN_DNS);
    CHECK(ia5(static_cast<const ASN1_STRING*>(v)) == device_name);
  }
  {  // subjectKeyIdentifier: not critical, SHA-1 of the subjectPublicKey (RFC 5280 method 1)
    const auto e = find_ext(c, NID_subject_key_identifier);
    const asn1_octet_string_ptr ski(static_cast<ASN1_OCTET_STRING*>(e.value));
    REQUIRE(ski);
    CHECK(e.critical == 0);
    const unsigned char* pk = nullptr;
    int len = 0;
    REQUIRE(X509_PUBKEY_get0_param(nullptr, &pk, &len, nullptr, X509_get_X509_PUBKEY(c.native())) == 1);
    const auto h = sha1({pk, static_cast<std::size_t>(len)});
    CHECK(c.subject_key_id() == std::vector<std::uint8_t>(h.begin(), h.end()));
  }
  const std::vector<std::uint8_t> issuer_ski = issuing.cert.subject_key_id();
  REQUIRE(issuer_ski.size() == 20);
  {  // authorityKeyIdentifier: not critical, keyIdentifier = issuer SKI, no issuer/serial
    const auto e = find_ext(c, NID_authority_key_identifier);
    const authority_keyid_ptr aki(static_cast<AUTHORITY_KEYID*>(e.value));
    REQUIRE(aki);
    CHECK(e.critical == 0);
    CHECK(aki->issuer == nullptr);
    CHECK(aki->serial == nullptr);
    CHECK(c.authority_key_id() == issuer_ski);
  }
  const std::string aki_text = key_id_text(issuer_ski);
  {  // cRLDistributionPoints: not critical, one point, fullName = one URI, no reasons or cRLIssuer
    const auto e = find_ext(c, NID_crl_distribution_points);
    const ossl_ptr<CRL_DIST_POINTS, CRL_DIST_POINTS_free> cdp(static_cast<CRL_DIST_POINTS*>(e.value));
    REQUIRE(cdp);
    CHECK(e.critical == 0);
    REQUIRE(sk_DIST_POINT_num(cdp.get()) == 1);
    const DIST_POINT* dp = sk_DIST_POINT_value(cdp.get(), 0);
    CHECK(dp->reasons == nullptr);
    CHECK(dp->CRLissuer == nullptr);
    REQUIRE(dp->distpoint != nullptr);
    REQUIRE(dp->distpoint->type == 0);
    REQUIRE(sk_GENERAL_NAME_num(dp->distpoint->name.fullname) == 1);
    CHECK(uri_of(sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0)) ==
          "https://iotreg.example:8443/crl/" + aki_text + ".crl");
  }
  {  // authorityInfoAccess: not critical, OCSP then caIssuers, both URIs
    const auto e = find_ext(c, NID_info_access);
    const ossl_ptr<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free> aia(
        static_cast<AUTHORITY_INFO_ACCESS*>(e.value));
    REQUIRE(aia);
    CHECK(e.critical == 0);
    REQUIRE(sk_ACCESS_DESCRIPTION_num(aia.get()) == 2);
    const ACCESS_DESCRIPTION* ocsp = sk_ACCESS_DESCRIPTION_value(aia.get(), 0);
    const ACCESS_DESCRIPTION* issuers = sk_ACCESS_DESCRIPTION_value(aia.get(), 1);
    CHECK(OBJ_obj2nid(ocsp->method) == NID_ad_OCSP);
    CHECK(uri_of(ocsp->location) == "https://iotreg.example:8443/ocsp");
    CHECK(OBJ_obj2nid(issuers->method) == NID_ad_ca_issuers);
    CHECK(uri_of(issuers->location) == "https://iotreg.example:8443/.well-known/ca/" + aki_text + ".pem");
  }
}

}  // namespace

TEST_CASE("device certificate profile for each key type, checked field by field and by openssl and GnuTLS",
          "[pki][ca][device][profile]") {
  const auto issuer_type =
      GENERATE(key_type::ec_p256, key_type::ec_p384, key_type::ed25519, key_type::rsa2048);
  const auto device_type = GENERATE(key_type::ec_p256, key_type::ec_p384, key_type::ed25519,
                                    key_type::rsa2048, key_type::rsa3072, key_type::rsa4096);
  const std::string label = std::string("issuer ") + std::string(key_type_name(issuer_type)) + ", device " +
                            std::string(key_type_name(device_type));
  SECTION(label) {
    const time_point now = test_now();
    const certificate_authority root = create_root_ca(
        ca_name{"Profile Root", "iotreg"}, private_key::generate(issuer_type), std::chrono::days(3650), now);
    const certificate_authority issuing =
        create_issuing_ca(root, ca_name{"Profile Issuing", "iotreg"}, private_key::generate(issuer_type),
                          std::chrono::days(1825), now);
    const csr req = csr_for(key_of(device_type));
    const certificate c = issue_device_certificate(issuing, req, device_name, device_validity, now, urls);
    check_profile(c, issuing, req, issuer_type, now);

    // Two independent verifiers over the chain root -> issuing -> device, as a TLS client certificate.
    const test::temp_dir dir;
    const std::string root_pem = dir.path() + "/root.pem";
    const std::string issuing_pem = dir.path() + "/issuing.pem";
    const std::string leaf_pem = dir.path() + "/leaf.pem";
    const std::string chain_pem = dir.path() + "/chain.pem";
    write(root_pem, root.cert.pem());
    write(issuing_pem, issuing.cert.pem());
    write(leaf_pem, c.pem());
    write(chain_pem, c.pem() + issuing.cert.pem());
    int status = -1;
    const std::string ossl = run("openssl verify -x509_strict -purpose sslclient -CAfile " + root_pem +
                                     " -untrusted " + issuing_pem + " " + leaf_pem,
                                 status);
    INFO(ossl);
    CHECK(status == 0);
    CHECK(ossl == leaf_pem + ": OK\n");
    // GnuTLS 3.7: --verify-chain checks the chain in the file up to its last, self-signed
    // certificate (it refuses --load-ca-certificate); --verify checks against a trusted root with
    // a purpose.
    const std::string full_pem = dir.path() + "/full.pem";
    write(full_pem, c.pem() + issuing.cert.pem() + root.cert.pem());
    const std::string gnutls = run("certtool --verify-chain --infile " + full_pem, status);
    INFO(gnutls);
    CHECK(status == 0);
    CHECK(gnutls.find("Chain verification output: Verified.") != std::string::npos);
    CHECK(gnutls.find("Not verified") == std::string::npos);
    const std::string purpose =
        run("certtool --verify --verify-purpose=1.3.6.1.5.5.7.3.2 --load-ca-certificate " + root_pem +
                " --infile " + chain_pem,
            status);
    INFO(purpose);
    CHECK(status == 0);
    CHECK(purpose.find("Chain verification output: Verified.") != std::string::npos);

    // Negative controls, so that the checks above can fail: a foreign root, a server purpose.
    const certificate_authority other = create_root_ca("Profile Root", std::chrono::days(10), now);
    write(root_pem, other.cert.pem());
    write(full_pem, c.pem() + issuing.cert.pem() + other.cert.pem());
    run("openssl verify -purpose sslclient -CAfile " + root_pem + " -untrusted " + issuing_pem + " " +
            leaf_pem,
        status);
    CHECK(status != 0);
    CHECK(run("certtool --verify-chain --infile " + full_pem, status)
              .find("Chain verification output: Verified.") == std::string::npos);
    write(root_pem, root.cert.pem());
    CHECK(run("certtool --verify --verify-purpose=1.3.6.1.5.5.7.3.1 --load-ca-certificate " + root_pem +
                  " --infile " + chain_pem,
              status)
              .find("Chain verification output: Verified.") == std::string::npos);
    CHECK(status != 0);
  }
}

TEST_CASE("device certificate without public_url has no CDP and no AIA", "[pki][ca][device][profile]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
  const certificate c = issue_device_certificate(root, csr_for(key_of(key_type::ec_p256)), device_name,
                                                 std::chrono::days(1), now);
  CHECK(X509_get_ext_by_NID(c.native(), NID_crl_distribution_points, -1) == -1);
  CHECK(X509_get_ext_by_NID(c.native(), NID_info_access, -1) == -1);
  CHECK(X509_get_ext_count(c.native()) == 6);
}

TEST_CASE("error/device certificate refuses URLs that cannot go into a certificate",
          "[pki][ca][device][profile]") {
  const time_point now = test_now();
  const certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
  const csr req = csr_for(key_of(key_type::ec_p256));
  for (const char* bad : {"ftp://x.example", "https://a b", "https://x.example/\"", "https://x/?a",
                          "https://", "https://x.example\n"}) {
    INFO(bad);
    CHECK_THROWS_AS(
        issue_device_certificate(root, req, device_name, std::chrono::days(1), now, issuance_urls{bad}),
        std::invalid_argument);
  }
}

TEST_CASE("issuance URLs and key_id_text", "[pki][ca][profile]") {
  const std::vector<std::uint8_t> id{0x0a, 0x1b, 0xff, 0x00};
  CHECK(key_id_text(id) == "0a-1b-ff-00");
  CHECK(key_id_text({}).empty());
  CHECK(key_id_text(std::vector<std::uint8_t>{0x7f}) == "7f");
  CHECK(crl_url(urls, id) == "https://iotreg.example:8443/crl/0a-1b-ff-00.crl");
  CHECK(ocsp_url(urls) == "https://iotreg.example:8443/ocsp");
  CHECK(ca_issuers_url(urls, id) == "https://iotreg.example:8443/.well-known/ca/0a-1b-ff-00.pem");
  CHECK(is_certificate_url("http://127.0.0.1:8080/prefix"));
  CHECK(is_certificate_url("https://[::1]:8443"));
  CHECK_FALSE(is_certificate_url("https://x.example/a b"));
  CHECK_FALSE(is_certificate_url("mailto:x@example"));
}
