#pragma once
// Shared fixtures for the dns unit tests: a small zone, keys, devices, temp dirs, external tools.

#include "dns/keys.hpp"
#include "dns/signer.hpp"
#include "dns/zone_parameters.hpp"

#include <cstdint>
#include <filesystem>
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
