// The IoT SAFE DER codec (registry/der_tlv.hpp, registry/iotsafe_der.hpp): lengths in short and
// long form, round trips with and without the optional fields, and a strict decoder that refuses
// every truncation, bad length and trailing byte. OpenSSL parses what the encoder writes.

#include "registry/iotsafe_der.hpp"
#include "pki/ca.hpp"
#include "registry/der_tlv.hpp"

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>

using namespace iotreg;
using namespace iotreg::registry;
using bytes = std::vector<std::uint8_t>;

namespace {

iotsafe_payload sample(bool with_root, bool with_service) {
  static const auto root = pki::create_root_ca("Test Root", std::chrono::days(3650), clock::now());
  static const auto issuing =
      pki::create_issuing_ca(root, "Test Issuing", std::chrono::days(365), clock::now());
  iotsafe_payload p;
  p.device_id = "89049032123451234512345678901235";
  p.dns_name = p.device_id + "._device.iotregistry.test";
  p.device_certificate = issuing.cert.der();  // any certificate will do for the codec
  p.issuing_ca = issuing.cert.der();
  if (with_root) p.root_ca = root.cert.der();
  p.zone = "iotregistry.test";
  p.ds.push_back({43, bytes(36, 0xab), "ds text"});
  p.dnskey.push_back({48, bytes(68, 0x01), "dnskey text"});
  p.dnskey.push_back({48, bytes(300, 0x02), ""});  // long-form length inside a record
  p.device_tlsa.push_back({52, bytes(35, 0x03), ""});
  if (with_service)
    p.service = iotsafe_payload::endpoint{
        "asp.example.com", 8443, "_8443._tcp.asp.example.com", {{52, bytes(35, 4), ""}}};
  return p;
}

void check_same(const iotsafe_payload& a, const iotsafe_payload& b) {
  CHECK(a.version == b.version);
  CHECK(a.device_id == b.device_id);
  CHECK(a.dns_name == b.dns_name);
  CHECK(a.device_certificate == b.device_certificate);
  CHECK(a.issuing_ca == b.issuing_ca);
  CHECK(a.root_ca == b.root_ca);
  CHECK(a.zone == b.zone);
  auto same_records = [](const std::vector<payload_record>& x, const std::vector<payload_record>& y) {
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      CHECK(x[i].rr_type == y[i].rr_type);
      CHECK(x[i].rdata == y[i].rdata);
    }
  };
  same_records(a.ds, b.ds);
  same_records(a.dnskey, b.dnskey);
  same_records(a.device_tlsa, b.device_tlsa);
  REQUIRE(a.service.has_value() == b.service.has_value());
  if (a.service) {
    CHECK(a.service->host == b.service->host);
    CHECK(a.service->port == b.service->port);
    CHECK(a.service->tlsa_name == b.service->tlsa_name);
    same_records(a.service->tlsa, b.service->tlsa);
  }
}

}  // namespace

TEST_CASE("der: lengths use the short form below 128 and the shortest long form above") {
  for (std::size_t n : {0u, 1u, 127u, 128u, 255u, 256u, 65535u, 65536u}) {
    bytes out;
    der::append_tlv(out, der::tag_octet_string, bytes(n, 0x5a));
    INFO("length " << n);
    const std::size_t header = n < 128 ? 2 : n < 256 ? 3 : n < 65536 ? 4 : 5;
    REQUIRE(out.size() == header + n);
    if (n >= 128) CHECK(out[1] == 0x80 + (header - 2));
    der::reader r(out);
    auto t = r.next();
    REQUIRE(t);
    CHECK(t->content.size() == n);
    CHECK(t->encoding.size() == out.size());
    CHECK(r.at_end());
    // OpenSSL agrees on the length.
    const unsigned char* p = out.data();
    ASN1_OCTET_STRING* os = d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(out.size()));
    REQUIRE(os != nullptr);
    CHECK(static_cast<std::size_t>(ASN1_STRING_length(os)) == n);
    ASN1_OCTET_STRING_free(os);
  }
}

TEST_CASE("der: integers are minimal two's complement") {
  const std::vector<std::pair<std::uint64_t, bytes>> cases = {
      {0, {0x02, 0x01, 0x00}},          {1, {0x02, 0x01, 0x01}},
      {127, {0x02, 0x01, 0x7f}},        {128, {0x02, 0x02, 0x00, 0x80}},
      {8443, {0x02, 0x02, 0x20, 0xfb}}, {65535, {0x02, 0x03, 0x00, 0xff, 0xff}},
  };
  for (const auto& [v, want] : cases) {
    bytes out;
    der::append_integer(out, v);
    CHECK(out == want);
    CHECK(der::read_unsigned(std::span(out).subspan(2)) == v);
  }
  CHECK_FALSE(der::read_unsigned(bytes{0x00, 0x01}));  // not minimal
  CHECK_FALSE(der::read_unsigned(bytes{0x80}));        // negative
  CHECK_FALSE(der::read_unsigned(bytes{}));
}

TEST_CASE("der: the reader refuses malformed lengths") {
  const std::vector<std::pair<const char*, bytes>> bad = {
      {"indefinite length", {0x30, 0x80, 0x00, 0x00}},
      {"long form for a short length", {0x04, 0x81, 0x05, 1, 2, 3, 4, 5}},
      {"leading zero length octet", {0x04, 0x82, 0x00, 0x80}},
      {"five length octets", {0x04, 0x85, 1, 0, 0, 0, 0}},
      {"length past the end", {0x04, 0x05, 1, 2}},
      {"long length past the end", {0x04, 0x81, 0x80, 1, 2}},
      {"multi-byte tag", {0x1f, 0x81, 0x01, 0x00}},
      {"tag only", {0x04}},
  };
  for (const auto& [what, data] : bad) {
    INFO(what);
    der::reader r(data);
    CHECK_FALSE(r.next());
  }
}

TEST_CASE("iotsafe DER: round trips with and without the optional fields") {
  for (bool root : {true, false}) {
    for (bool service : {true, false}) {
      INFO("root " << root << " service " << service);
      const auto p = sample(root, service);
      const auto der = encode_iotsafe_der(p);
      auto back = decode_iotsafe_der(der);
      REQUIRE(back.has_value());
      check_same(p, *back);
      CHECK(back->ds[0].text.empty());  // the texts are not in the binary form
      // The whole payload is one SEQUENCE OpenSSL can walk, and the embedded certificate parses.
      const unsigned char* q = der.data();
      ASN1_TYPE* t = d2i_ASN1_TYPE(nullptr, &q, static_cast<long>(der.size()));
      REQUIRE(t != nullptr);
      CHECK(ASN1_TYPE_get(t) == V_ASN1_SEQUENCE);
      CHECK(q == der.data() + der.size());
      ASN1_TYPE_free(t);
      const unsigned char* c = back->device_certificate.data();
      X509* x = d2i_X509(nullptr, &c, static_cast<long>(back->device_certificate.size()));
      CHECK(x != nullptr);
      X509_free(x);
    }
  }
}

TEST_CASE("iotsafe DER: the layout starts as the README's ASN.1 module says") {
  const auto der = encode_iotsafe_der(sample(true, true));
  REQUIRE(der.size() > 256);
  CHECK(der[0] == 0x30);
  CHECK(der[1] == 0x82);  // long form, two length octets
  const std::size_t len = static_cast<std::size_t>(der[2]) << 8 | der[3];
  CHECK(len == der.size() - 4);
  CHECK(bytes(der.begin() + 4, der.begin() + 7) == bytes{0x02, 0x01, 0x01});  // version 1
  CHECK(der[7] == 0x16);                                                      // deviceId IA5String
}

TEST_CASE("iotsafe DER: every truncation and trailing byte is refused") {
  const auto der = encode_iotsafe_der(sample(true, true));
  for (std::size_t n = 0; n < der.size(); ++n) {
    auto r = decode_iotsafe_der(std::span(der).first(n));
    if (r.has_value()) FAIL("a truncation to " << n << " bytes decoded");
    CHECK(r.error().code == errc::invalid_request);
  }
  auto longer = der;
  longer.push_back(0);
  CHECK_FALSE(decode_iotsafe_der(longer).has_value());
}

TEST_CASE("iotsafe DER: bad lengths, versions and tags are refused") {
  const auto good = encode_iotsafe_der(sample(false, true));
  SECTION("outer length one too long") {
    auto d = good;
    d[3] = static_cast<std::uint8_t>(d[3] + 1);
    CHECK_FALSE(decode_iotsafe_der(d).has_value());
  }
  SECTION("outer length one too short") {
    auto d = good;
    d[3] = static_cast<std::uint8_t>(d[3] - 1);
    CHECK_FALSE(decode_iotsafe_der(d).has_value());
  }
  SECTION("version 2") {
    auto d = good;
    d[6] = 2;
    auto r = decode_iotsafe_der(d);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("version 2") != std::string::npos);
  }
  SECTION("a name that is not IA5") {
    auto d = good;
    d[9] = 0xc3;
    CHECK_FALSE(decode_iotsafe_der(d).has_value());
  }
  SECTION("device id tagged as OCTET STRING") {
    auto d = good;
    d[7] = 0x04;
    CHECK_FALSE(decode_iotsafe_der(d).has_value());
  }
  SECTION("not a certificate") {
    auto p = sample(false, false);
    p.device_certificate = {0x04, 0x00};
    CHECK_THROWS_AS(encode_iotsafe_der(p), std::invalid_argument);
  }
}
