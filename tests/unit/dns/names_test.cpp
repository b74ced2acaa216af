#include "dns/names.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace iotreg::dns;

TEST_CASE("names/normalize_zone_name") {
  const std::string l63(63, 'a');
  const std::string l64(64, 'a');
  // 4 labels of 63 = 4*64 + 1 = 257 octets: too long; 3 of 63 + one of 61 = 255: fits.
  const std::string too_long = l63 + "." + l63 + "." + l63 + "." + l63;
  const std::string max_len = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  const std::string just_over = l63 + "." + l63 + "." + l63 + "." + std::string(62, 'b');

  struct row {
    std::string name;
    std::optional<std::string> want;
  };
  const std::vector<row> rows = {
      {"IoTRegistry.Test", "iotregistry.test."},
      {"iotregistry.test.", "iotregistry.test."},
      {"_device.Example.COM.", "_device.example.com."},
      {"a-b.c_d.e", "a-b.c_d.e."},
      {".", "."},
      {"", std::nullopt},
      {"..", std::nullopt},
      {".example.", std::nullopt},
      {"example..com", std::nullopt},
      {"example.com..", std::nullopt},
      {l63 + ".test", l63 + ".test."},
      {l64 + ".test", std::nullopt},
      {max_len, max_len + "."},
      {just_over, std::nullopt},
      {too_long, std::nullopt},
      {"exa mple.com", std::nullopt},
      {"exa*mple.com", std::nullopt},
      {"*.example.com", std::nullopt},
      {"ex\\.ample.com", std::nullopt},
      {"caf\xc3\xa9.example", std::nullopt},
      {std::string("nul\0l.example", 13), std::nullopt},
  };
  for (const auto& r : rows) {
    INFO("name: " << r.name);
    CHECK(normalize_zone_name(r.name) == r.want);
  }
}

TEST_CASE("names/is_dns_safe_label") {
  CHECK(is_dns_safe_label("a"));
  CHECK(is_dns_safe_label("device-01"));
  CHECK(is_dns_safe_label("89049032004008882600000123456789"));
  CHECK(is_dns_safe_label(std::string(63, 'x')));
  CHECK_FALSE(is_dns_safe_label(std::string(64, 'x')));
  CHECK_FALSE(is_dns_safe_label(""));
  CHECK_FALSE(is_dns_safe_label("-lead"));
  CHECK_FALSE(is_dns_safe_label("trail-"));
  CHECK_FALSE(is_dns_safe_label("under_score"));
  CHECK_FALSE(is_dns_safe_label("dot.ted"));
  CHECK_FALSE(is_dns_safe_label("sp ace"));
}

TEST_CASE("names/owners") {
  CHECK(device_owner("iotregistry.test.", "Dev-1") == "dev-1._device.iotregistry.test.");
  CHECK(rootcert_owner("iotregistry.test.") == "_rootcert.device.iotregistry.test.");
}
