// The CA certificates at the zone apex (TLSA 0 0 0, one per CA: root and every issuing CA, as
// CIRA's zone did) and at _rootcert.device.<zone>: present, signed, named in the denial chain's
// type bitmap, and accepted by ldns-verify-zone, kzonecheck and dnssec-verify.

#include "dns/nsec3.hpp"
#include "dns/nsec_chain.hpp"
#include "dns/rr_types.hpp"
#include "dns/signer.hpp"
#include "dns/tlsa.hpp"
#include "dns/zone_file.hpp"
#include "dns/zone_snapshot.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

using namespace iotreg::dns;
using namespace iotreg::dns::test;
namespace d = iotreg::dns::detail;

namespace {

/// A made-up DER "certificate" (TLSA 0 0 0 carries any bytes): SEQUENCE header then `fill`.
std::vector<std::uint8_t> fake_der(std::uint8_t fill, std::size_t size) {
  std::vector<std::uint8_t> der(size, fill);
  der[0] = 0x30;
  der[1] = 0x82;
  return der;
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string hex_upper(const std::vector<std::uint8_t>& v) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const auto b : v) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

/// The zone file's TLSA 0 0 0 data at `owner`, upper-case hex, sorted.
std::vector<std::string> tlsa_000_at(const std::string& text, const std::string& owner) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  const std::string prefix = owner + "\t";
  while ((pos = text.find(prefix, pos)) != std::string::npos) {
    if (pos != 0 && text[pos - 1] != '\n') {
      ++pos;
      continue;
    }
    const std::size_t eol = text.find('\n', pos);
    const std::string line = text.substr(pos, eol - pos);
    const std::string marker = "\tIN\tTLSA\t0 0 0 ";
    if (const auto m = line.find(marker); m != std::string::npos) {
      std::string data = line.substr(m + marker.size());
      std::erase(data, ' ');
      std::transform(data.begin(), data.end(), data.begin(), ::toupper);
      out.push_back(data);
    }
    pos = eol;
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool has_type(const std::vector<std::uint16_t>& types, std::uint16_t t) {
  return std::find(types.begin(), types.end(), t) != types.end();
}

}  // namespace

TEST_CASE("apex TLSA: root and every issuing CA, signed, in the bitmap, verified by real tools") {
  const auto now = std::chrono::system_clock::now();
  const auto root = fake_der(0x41, 320);
  const auto issuing_old = fake_der(0x42, 280);
  const auto issuing_new = fake_der(0x43, 290);
  auto denial = GENERATE(denial_mode::nsec3, denial_mode::nsec);
  INFO((denial == denial_mode::nsec3 ? "nsec3" : "nsec"));
  auto p = make_params();
  p.denial = denial;
  p.root_ca_der = root;
  p.apex_ca_der = {root, issuing_old, issuing_new};
  zone_signer signer(p, make_keys());
  signer.build(std::vector<device_record>{make_device("dev-1", 1)}, 2024010101, now);
  const auto snap = signer.snapshot();
  REQUIRE(snap);

  // The apex RRset: three TLSA records, with RRSIGs.
  const auto& apex_node = snap->data().nodes.at(snap->data().apex);
  const d::rrset* tlsa = apex_node.find(d::rr_type::tlsa);
  REQUIRE(tlsa != nullptr);
  CHECK(tlsa->rdata.size() == 3);
  CHECK_FALSE(tlsa->rrsig.empty());
  CHECK(tlsa->ttl == p.default_ttl);

  // The denial chain names TLSA at the apex (else a validator would take it as absent).
  if (denial == denial_mode::nsec3) {
    const auto& n3 = snap->data().nsec3.at(d::nsec3_hash_of(snap->data().apex));
    CHECK(has_type(d::nsec3_types_of(n3.rdata), d::rr_type::tlsa));
  } else {
    const d::rrset* nsec = apex_node.find(d::rr_type::nsec);
    REQUIRE(nsec != nullptr);
    CHECK(has_type(d::nsec_types(apex_node), d::rr_type::tlsa));
  }

  temp_dir dir;
  const auto file = dir.path() / "zone";
  write_zone_file(*snap, file);
  verify_with_real_tools(file);
  const std::string text = read_all(file);
  CHECK(tlsa_000_at(text, zone_apex) ==
        std::vector<std::string>{hex_upper(root), hex_upper(issuing_old), hex_upper(issuing_new)});
  CHECK(tlsa_000_at(text, "_rootcert.device." + zone_apex) == std::vector<std::string>{hex_upper(root)});
  if (denial == denial_mode::nsec) {
    // The apex NSEC as written: its type list names TLSA.
    const auto at = text.find("\n" + zone_apex + "\t300\tIN\tNSEC\t");
    REQUIRE(at != std::string::npos);
    const std::string line = text.substr(at + 1, text.find('\n', at + 1) - at - 1) + " ";
    INFO(line);
    CHECK(line.find(" TLSA ") != std::string::npos);
  }

  SECTION("a zone with no apex CA has no apex TLSA, and its bitmap says so") {
    p.apex_ca_der.clear();
    zone_signer bare(p, make_keys());
    bare.build(std::vector<device_record>{}, 1, now);
    const auto& node = bare.snapshot()->data().nodes.at(bare.snapshot()->data().apex);
    CHECK(node.find(d::rr_type::tlsa) == nullptr);
    if (denial == denial_mode::nsec3) {
      const auto& n3 = bare.snapshot()->data().nsec3.at(d::nsec3_hash_of(bare.snapshot()->data().apex));
      CHECK_FALSE(has_type(d::nsec3_types_of(n3.rdata), d::rr_type::tlsa));
    }
    write_zone_file(*bare.snapshot(), file);
    verify_with_real_tools(file);
  }
}
