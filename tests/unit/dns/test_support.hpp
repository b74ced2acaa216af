#pragma once
// Shared fixtures for the dns unit tests: a small zone, keys, devices, diff replay, temp dirs,
// external tools.

#include "dns/keys.hpp"
#include "dns/ldns.hpp"
#include "dns/signer.hpp"
#include "dns/zone_diff.hpp"
#include "dns/zone_parameters.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace iotreg::dns::test {

inline const std::string zone_apex = "iotregistry.test.";

/// The zone of issue #2: NS ns1, A for ns1 and device, a root CA and one apex CA (fake DER).
zone_parameters make_params();

/// One KSK and one ZSK of `algorithm`.
std::vector<dnssec_key> make_keys(std::uint8_t algorithm = 13);

/// A device whose TLSA is 3 1 1 SHA-256 of a made-up SPKI derived from `seed`.
device_record make_device(const std::string& id, int seed);
change upsert(const std::string& id, int seed);
change removal(const std::string& id);

/// Every record of the zone but the apex SOA itself, as an IXFR journal sees it (zone_diff
/// excludes the SOA).
std::set<rr_record> diffable_records(const zone_snapshot& z);

/// Checks the diff's shape (removed and added sorted, disjoint, no SOA; Catch2 CHECKs) and
/// replays it on `records`: every removed record must be there, every added one must not.
void replay_diff(std::set<rr_record>& records, const zone_diff& diff);

/// The wire form of `p` (ldns_pkt2wire, REQUIREd to succeed); frees `p` in any case.
std::vector<std::uint8_t> take_wire(ldns_pkt* p);

/// Adds a record given in presentation form (e.g. a client's SOA for IXFR) to `section` of `p`;
/// REQUIREs that it parses.
void push_rr(ldns_pkt* p, ldns_pkt_section section, const std::string& text);

/// A DNS message parsed by ldns (REQUIREd to parse), freed with the object.
struct parsed_message {
  ldns_pkt* pkt = nullptr;
  explicit parsed_message(const std::vector<std::uint8_t>& w);
  ~parsed_message();
  parsed_message(const parsed_message&) = delete;
  parsed_message& operator=(const parsed_message&) = delete;

  ldns_pkt_rcode rcode() const { return ldns_pkt_get_rcode(pkt); }
  /// Records of type `t` in the answer / authority section.
  std::size_t answers(ldns_rr_type t) const;
  std::size_t authority(ldns_rr_type t) const;
  /// The TSIG record (ldns moves it out of the additional section), or nullptr.
  ldns_rr* tsig() const { return ldns_pkt_tsig(pkt); }
  /// The TSIG's Error field and MAC length. Precondition: tsig() != nullptr.
  std::uint16_t tsig_error() const { return ldns_rdf2native_int16(ldns_rr_rdf(tsig(), 5)); }
  std::size_t mac_size() const { return ldns_rdf_size(ldns_rr_rdf(tsig(), 3)) - 2; }
};

/// A fresh directory under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// Runs a shell command, capturing stdout+stderr into `output`; returns the exit status.
int run(const std::string& command, std::string& output);

/// Runs ldns-verify-zone, kzonecheck and dnssec-verify on `zone_file`; each must exit 0.
/// Uses Catch2 assertions (INFO carries the tool output).
void verify_with_real_tools(const std::filesystem::path& zone_file);

}  // namespace iotreg::dns::test
