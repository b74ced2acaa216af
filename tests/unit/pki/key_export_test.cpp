#include "pki/key_export.hpp"

#include "pki/ca.hpp"
#include "test_support.hpp"

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>

using namespace iotreg::pki;

namespace {

const std::string password = "correct horse battery staple";
const std::string device_name = "89049032000001000000012345678901._device.iotregistry.test";

// A small count keeps the many-key tests quick; the default count has its own tests.
constexpr int quick_iterations = 1000;

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

void write_file(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

struct pki_fixture {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  certificate_authority root = create_root_ca("root", std::chrono::days(3650), now);
  certificate_authority issuing = create_issuing_ca(root, "issuing", std::chrono::days(1825), now);
};

pki_fixture& fixture() {
  static pki_fixture f;
  return f;
}

certificate issue_for(const private_key& key) {
  return issue_device_certificate(fixture().issuing, key.native(), device_name, std::chrono::days(365),
                                  fixture().now);
}

int pass_cb(char* buf, int size, int, void* u) {
  const auto* pw = static_cast<const std::string*>(u);
  if (static_cast<int>(pw->size()) > size) return -1;
  std::copy(pw->begin(), pw->end(), buf);
  return static_cast<int>(pw->size());
}

evp_pkey_ptr decrypt_pkcs8(const std::string& pem, const std::string& pw) {
  const bio_ptr bio = make_read_bio(pem);
  evp_pkey_ptr k(PEM_read_bio_PrivateKey(bio.get(), nullptr, pass_cb, const_cast<std::string*>(&pw)));
  clear_ossl_errors();
  return k;
}

using pkcs12_ptr = ossl_ptr<PKCS12, PKCS12_free>;
using x509_sig_ptr = ossl_ptr<X509_SIG, X509_SIG_free>;
using pbe2_ptr = ossl_ptr<PBE2PARAM, PBE2PARAM_free>;
using pbkdf2_ptr = ossl_ptr<PBKDF2PARAM, PBKDF2PARAM_free>;
void free_x509_stack(STACK_OF(X509) * s) noexcept { sk_X509_pop_free(s, X509_free); }

pkcs12_ptr parse_pkcs12(const std::vector<std::uint8_t>& der) {
  const unsigned char* p = der.data();
  pkcs12_ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(p12);
  CHECK(p == der.data() + der.size());
  return p12;
}

// The PBES2 parameters of an AlgorithmIdentifier: checks PBKDF2 with HMAC-SHA256 and
// AES-256-CBC, returns the iteration count.
long check_pbes2(const X509_ALGOR* alg) {
  const ASN1_OBJECT* oid = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&oid, &ptype, &pval, alg);
  REQUIRE(OBJ_obj2nid(oid) == NID_pbes2);
  REQUIRE(ptype == V_ASN1_SEQUENCE);
  const pbe2_ptr pbe2(static_cast<PBE2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), const_cast<ASN1_TYPE*>(alg->parameter))));
  REQUIRE(pbe2);
  CHECK(OBJ_obj2nid(pbe2->encryption->algorithm) == NID_aes_256_cbc);
  REQUIRE(OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_pbkdf2);
  const pbkdf2_ptr kdf(static_cast<PBKDF2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)));
  REQUIRE(kdf);
  REQUIRE(kdf->prf != nullptr);  // absent would mean the HMAC-SHA1 default
  CHECK(OBJ_obj2nid(kdf->prf->algorithm) == NID_hmacWithSHA256);
  CHECK(kdf->salt->type == V_ASN1_OCTET_STRING);
  CHECK(kdf->salt->value.octet_string->length >= 8);
  return ASN1_INTEGER_get(kdf->iter);
}

}  // namespace

TEST_CASE("export_password_problem: 12..1024 bytes, no NUL, never echoes the password", "[pki][key_export]") {
  CHECK(export_password_problem(std::string(11, 'x')).has_value());
  CHECK_FALSE(export_password_problem(std::string(12, 'x')).has_value());
  CHECK_FALSE(export_password_problem(std::string(1024, 'x')).has_value());
  CHECK(export_password_problem(std::string(1025, 'x')).has_value());
  CHECK(export_password_problem(std::string("abcdefgh\0ijklmnop", 17)).has_value());
  CHECK_FALSE(export_password_problem("pässwörd-ünïcode").has_value());  // UTF-8 bytes count

  const private_key k = private_key::generate(key_type::ec_p256);
  const std::string short_pw = "tooShort#42";
  try {
    (void)encrypted_pkcs8_pem(k, short_pw);
    FAIL("a short password was accepted");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("12") != std::string::npos);
    CHECK(what.find(short_pw) == std::string::npos);
  }
  const certificate cert = issue_for(k);
  CHECK_THROWS_AS(pkcs12_bundle(k, cert, {}, short_pw), std::invalid_argument);
  CHECK_THROWS_AS(encrypted_pkcs8_pem(k, password, 0), std::invalid_argument);
}

TEST_CASE("encrypted_pkcs8_pem: each key type decrypts with the password only", "[pki][key_export]") {
  const auto type =
      GENERATE(key_type::ec_p256, key_type::ec_p384, key_type::ed25519, key_type::rsa2048, key_type::rsa3072);
  const private_key k = private_key::generate(type);
  const std::string pem = encrypted_pkcs8_pem(k, password, quick_iterations);
  INFO(k.description());
  CHECK(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
  CHECK(pem.find("-----END ENCRYPTED PRIVATE KEY-----\n") != std::string::npos);

  const evp_pkey_ptr back = decrypt_pkcs8(pem, password);
  REQUIRE(back);
  CHECK(EVP_PKEY_eq(back.get(), k.native()) == 1);
  CHECK_FALSE(decrypt_pkcs8(pem, password + "x"));
  CHECK_FALSE(decrypt_pkcs8(pem, "wrong password!"));
  // Not the clear key in disguise: the unencrypted reader refuses it.
  CHECK_THROWS_AS(private_key::from_pem(pem), ossl_error);
  clear_ossl_errors();
}

TEST_CASE("encrypted_pkcs8_pem: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, fresh salt", "[pki][key_export]") {
  const private_key k = private_key::generate(key_type::ec_p256);
  const std::string a = encrypted_pkcs8_pem(k, password);
  const std::string b = encrypted_pkcs8_pem(k, password);
  CHECK(a != b);  // random salt and IV

  const bio_ptr bio = make_read_bio(a);
  const x509_sig_ptr sig(PEM_read_bio_PKCS8(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(sig);
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sig.get(), &alg, nullptr);
  CHECK(check_pbes2(alg) == default_export_iterations);
}

TEST_CASE("encrypted_pkcs8_pem: openssl pkey/pkcs8 and certtool read it; the key matches the certificate",
          "[pki][key_export][cli]") {
  const private_key k = private_key::generate(key_type::ec_p256);
  const certificate cert = issue_for(k);
  test::temp_dir dir;
  const std::string key_file = dir.path() + "/key.pem";
  const std::string cert_file = dir.path() + "/cert.pem";
  const std::string pw_file = dir.path() + "/pw";
  const std::string bad_pw_file = dir.path() + "/bad";
  write_file(key_file, encrypted_pkcs8_pem(k, password));
  write_file(cert_file, cert.pem());
  write_file(pw_file, password);
  write_file(bad_pw_file, "not the password at all");

  const auto pub = run("openssl pkey -in " + key_file + " -passin file:" + pw_file + " -pubout");
  REQUIRE(pub.exit_code == 0);
  const auto cert_pub = run("openssl x509 -in " + cert_file + " -noout -pubkey");
  REQUIRE(cert_pub.exit_code == 0);
  CHECK(pub.output == cert_pub.output);

  const auto p8 = run("openssl pkcs8 -in " + key_file + " -passin file:" + pw_file);
  CHECK(p8.exit_code == 0);
  CHECK(p8.output.find("-----BEGIN PRIVATE KEY-----") != std::string::npos);

  CHECK(run("openssl pkey -in " + key_file + " -passin file:" + bad_pw_file + " -noout").exit_code != 0);
  CHECK(run("openssl pkcs8 -in " + key_file + " -passin file:" + bad_pw_file).exit_code != 0);

  const auto gnutls = run("certtool --key-info --infile " + key_file + " --password '" + password + "'");
  CHECK(gnutls.exit_code == 0);
  CHECK(gnutls.output.find("PBES2-AES256-CBC") != std::string::npos);
  CHECK(gnutls.output.find("Iteration count: 600000") != std::string::npos);
  CHECK(run("certtool --key-info --infile " + key_file + " --password 'not the password'").exit_code != 0);
}

TEST_CASE("pkcs12_bundle: key, certificate and chain under the password only", "[pki][key_export]") {
  const auto type = GENERATE(key_type::ec_p256, key_type::ed25519, key_type::rsa2048);
  const private_key k = private_key::generate(type);
  const certificate cert = issue_for(k);
  const std::vector<certificate> chain{fixture().issuing.cert, fixture().root.cert};
  const auto der = pkcs12_bundle(k, cert, chain, password, "device-1", quick_iterations);
  INFO(k.description());

  const pkcs12_ptr p12 = parse_pkcs12(der);
  CHECK(PKCS12_verify_mac(p12.get(), password.c_str(), -1) == 1);
  CHECK(PKCS12_verify_mac(p12.get(), "not the password", -1) == 0);
  clear_ossl_errors();

  EVP_PKEY* key_out = nullptr;
  X509* cert_out = nullptr;
  STACK_OF(X509)* ca_out = nullptr;
  REQUIRE(PKCS12_parse(p12.get(), password.c_str(), &key_out, &cert_out, &ca_out) == 1);
  const evp_pkey_ptr key_back(key_out);
  const x509_ptr cert_back(cert_out);
  const ossl_ptr<STACK_OF(X509), free_x509_stack> ca_back(ca_out);
  CHECK(EVP_PKEY_eq(key_back.get(), k.native()) == 1);
  CHECK(X509_cmp(cert_back.get(), cert.native()) == 0);
  REQUIRE(ca_back);
  REQUIRE(sk_X509_num(ca_back.get()) == 2);
  // Either order is what PKCS12_parse may give back; both CA certificates must be there.
  const bool issuing_first = X509_cmp(sk_X509_value(ca_back.get(), 0), chain[0].native()) == 0;
  CHECK(X509_cmp(sk_X509_value(ca_back.get(), issuing_first ? 0 : 1), chain[0].native()) == 0);
  CHECK(X509_cmp(sk_X509_value(ca_back.get(), issuing_first ? 1 : 0), chain[1].native()) == 0);

  EVP_PKEY* bad_key = nullptr;
  X509* bad_cert = nullptr;
  CHECK(PKCS12_parse(p12.get(), "not the password", &bad_key, &bad_cert, nullptr) == 0);
  CHECK(bad_key == nullptr);
  clear_ossl_errors();
}

TEST_CASE("pkcs12_bundle: SHA-256 MAC and PBES2 bags at the default iteration count", "[pki][key_export]") {
  const private_key k = private_key::generate(key_type::ec_p256);
  const certificate cert = issue_for(k);
  const auto p12 = parse_pkcs12(pkcs12_bundle(k, cert, {}, password));

  const ASN1_OCTET_STRING* mac = nullptr;
  const X509_ALGOR* mac_alg = nullptr;
  const ASN1_OCTET_STRING* salt = nullptr;
  const ASN1_INTEGER* iter = nullptr;
  PKCS12_get0_mac(&mac, &mac_alg, &salt, &iter, p12.get());
  REQUIRE(mac_alg != nullptr);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, mac_alg);
  CHECK(OBJ_obj2nid(oid) == NID_sha256);
  REQUIRE(iter != nullptr);
  CHECK(ASN1_INTEGER_get(iter) == default_export_iterations);

  // Every encrypted piece: the certificate bag (encrypted PKCS#7 data) and the shrouded key bag.
  using p7_stack = ossl_ptr<STACK_OF(PKCS7), [](STACK_OF(PKCS7) * s) { sk_PKCS7_pop_free(s, PKCS7_free); }>;
  const p7_stack safes(PKCS12_unpack_authsafes(p12.get()));
  REQUIRE(safes);
  int encrypted_data = 0;
  int shrouded_keys = 0;
  for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
    PKCS7* p7 = sk_PKCS7_value(safes.get(), i);
    using bag_stack = ossl_ptr<STACK_OF(PKCS12_SAFEBAG), [](STACK_OF(PKCS12_SAFEBAG) * s) {
      sk_PKCS12_SAFEBAG_pop_free(s, PKCS12_SAFEBAG_free);
    }>;
    bag_stack bags;
    if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted) {
      ++encrypted_data;
      CHECK(check_pbes2(p7->d.encrypted->enc_data->algorithm) == default_export_iterations);
      bags.reset(PKCS12_unpack_p7encdata(p7, password.c_str(), -1));
    } else {
      CHECK(OBJ_obj2nid(p7->type) == NID_pkcs7_data);
      bags.reset(PKCS12_unpack_p7data(p7));
    }
    REQUIRE(bags);
    for (int j = 0; j < sk_PKCS12_SAFEBAG_num(bags.get()); ++j) {
      const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags.get(), j);
      CHECK(PKCS12_SAFEBAG_get_nid(bag) != NID_keyBag);  // never a clear key bag
      if (PKCS12_SAFEBAG_get_nid(bag) == NID_pkcs8ShroudedKeyBag) {
        ++shrouded_keys;
        const X509_ALGOR* alg = nullptr;
        X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, nullptr);
        CHECK(check_pbes2(alg) == default_export_iterations);
      }
    }
  }
  CHECK(encrypted_data == 1);
  CHECK(shrouded_keys == 1);
}

TEST_CASE("pkcs12_bundle: openssl pkcs12 and certtool read it; wrong password fails",
          "[pki][key_export][cli]") {
  const private_key k = private_key::generate(key_type::ec_p384);
  const certificate cert = issue_for(k);
  const std::vector<certificate> chain{fixture().issuing.cert, fixture().root.cert};
  test::temp_dir dir;
  const std::string p12_file = dir.path() + "/bundle.p12";
  const std::string pw_file = dir.path() + "/pw";
  const std::string bad_pw_file = dir.path() + "/bad";
  const auto der = pkcs12_bundle(k, cert, chain, password, "device-1");
  write_file(p12_file, {reinterpret_cast<const char*>(der.data()), der.size()});
  write_file(pw_file, password);
  write_file(bad_pw_file, "not the password at all");

  const auto info = run("openssl pkcs12 -in " + p12_file + " -passin file:" + pw_file + " -info -noout");
  REQUIRE(info.exit_code == 0);
  CHECK(info.output.find("MAC: sha256") != std::string::npos);
  CHECK(info.output.find(
            "PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256") !=
        std::string::npos);
  CHECK(
      info.output.find("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256") !=
      std::string::npos);

  const auto key = run("openssl pkcs12 -in " + p12_file + " -passin file:" + pw_file + " -nocerts -nodes");
  REQUIRE(key.exit_code == 0);
  const auto begin = key.output.find("-----BEGIN PRIVATE KEY-----");
  REQUIRE(begin != std::string::npos);
  CHECK(EVP_PKEY_eq(private_key::from_pem(key.output.substr(begin)).native(), k.native()) == 1);

  const auto certs = run("openssl pkcs12 -in " + p12_file + " -passin file:" + pw_file + " -nokeys");
  REQUIRE(certs.exit_code == 0);
  CHECK(certificates_from_pem(certs.output).size() == 3);

  CHECK(run("openssl pkcs12 -in " + p12_file + " -passin file:" + bad_pw_file + " -noout").exit_code != 0);

  const auto gnutls =
      run("certtool --p12-info --inder --infile " + p12_file + " --password '" + password + "'");
  CHECK(gnutls.exit_code == 0);
  CHECK(gnutls.output.find("MAC: SHA256") != std::string::npos);
  CHECK(gnutls.output.find("PBES2-AES256-CBC") != std::string::npos);
  CHECK(gnutls.output.find("Iteration count: 600000") != std::string::npos);
  CHECK(gnutls.output.find("PKCS #8 Encrypted key") != std::string::npos);
  CHECK(
      run("certtool --p12-info --inder --infile " + p12_file + " --password 'not the password'").exit_code !=
      0);
}

TEST_CASE("pkcs12_bundle refuses a key that is not the certificate's", "[pki][key_export]") {
  const private_key k = private_key::generate(key_type::ec_p256);
  const private_key other = private_key::generate(key_type::ec_p256);
  const certificate cert = issue_for(k);
  CHECK_THROWS_AS(pkcs12_bundle(other, cert, {}, password, {}, quick_iterations), std::invalid_argument);
}

TEST_CASE("issue_device_certificate from a public key: the certificate carries exactly that key",
          "[pki][key_export]") {
  const private_key k = private_key::generate(key_type::ed25519);
  const certificate cert = issue_for(k);
  CHECK(cert.spki_der() == k.spki_der());
  CHECK(X509_check_private_key(cert.native(), k.native()) == 1);
  CHECK_THROWS_AS(
      issue_device_certificate(fixture().issuing, nullptr, device_name, std::chrono::days(1), fixture().now),
      std::invalid_argument);
}
