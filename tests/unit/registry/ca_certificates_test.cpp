// The CA directory iotregd serves at /.well-known/ca/: real CA certificates by their SKI.

#include "registry/ca_certificates.hpp"

#include "pki/ca.hpp"
#include "pki/digest.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

using namespace iotreg;

TEST_CASE("ca_certificates: root and issuing CAs by key id, nothing else") {
  const auto now = std::chrono::system_clock::now();
  const auto root = pki::create_root_ca("Root", std::chrono::days(10), now);
  const auto a = pki::create_issuing_ca(root, "A", std::chrono::days(10), now);
  const auto b = pki::create_issuing_ca(root, "B", std::chrono::days(10), now);
  const std::vector<pki::certificate> certs{root.cert, a.cert, b.cert};
  const registry::ca_certificates dir(certs);
  CHECK(dir.size() == 3);

  for (const auto& c : certs) {
    const std::string id = pki::key_id_text(c.subject_key_id());
    auto pem = dir.find_ca_pem(id);
    REQUIRE(pem.has_value());
    CHECK(*pem == c.pem());
    // The AKI of what it issued names it the same way.
    std::string upper = id;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    auto again = dir.find_ca_pem(upper);
    REQUIRE(again.has_value());
    CHECK(*again == c.pem());
    // The entity tag for HTTP caches: the quoted SHA-256 of the PEM, whatever the case.
    const std::string pem_text = c.pem();
    const auto tag =
        '"' +
        pki::to_hex(pki::sha256({reinterpret_cast<const std::uint8_t*>(pem_text.data()), pem_text.size()})) +
        '"';
    CHECK(dir.entity_tag(id) == tag);
    CHECK(dir.entity_tag(upper) == tag);
  }
  CHECK(dir.entity_tag("00-11").empty());
  CHECK(*dir.find_ca_pem(pki::key_id_text(a.cert.authority_key_id())) == root.cert.pem());

  for (const std::string& bad :
       std::vector<std::string>{"", "00-11", "../root", "0a:1b", std::string(60, 'f')}) {
    INFO(bad);
    auto r = dir.find_ca_pem(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == registry::errc::ca_not_found);
  }
}
