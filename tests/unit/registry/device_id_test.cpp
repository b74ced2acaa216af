#include "registry/device_id.hpp"

#include <catch2/catch.hpp>

using namespace iotreg::registry;

TEST_CASE("eid/the STANDARDS.md vectors") {
  auto valid =
      GENERATE(as<std::string>{}, "89049032123451234512345678901235", "89086030202200000022000023022943",
               "89044045116727494800000004479366", "89001039240180124400000000000157");
  INFO(valid);
  CHECK(is_valid_eid(valid));
  CHECK(eid_check_digits(valid.substr(0, 30)) == valid.substr(30));
}

TEST_CASE("eid/invalid ones") {
  auto bad = GENERATE(as<std::string>{}, "89049032123451234512345678901234",  // wrong check digits
                      "8904903212345123451234567890123",                      // 31 digits
                      "890490321234512345123456789012355",                    // 33 digits
                      "8904903212345123451234567890123a", "");
  INFO(bad);
  CHECK_FALSE(is_valid_eid(bad));
}

TEST_CASE("eid/check digits of the example body") {
  CHECK(eid_check_digits("890490320000010000000123456789") == "54");
  CHECK(is_valid_eid("89049032000001000000012345678954"));
  CHECK_FALSE(eid_check_digits("12345").has_value());
}

TEST_CASE("eid/every single-digit error is caught") {
  // MOD 97-10 detects all single substitutions: flip each digit of a valid EID.
  std::string eid = "89049032123451234512345678901235";
  for (std::size_t i = 0; i < eid.size(); ++i) {
    for (char d = '0'; d <= '9'; ++d) {
      if (d == eid[i]) continue;
      std::string changed = eid;
      changed[i] = d;
      INFO(changed);
      CHECK_FALSE(is_valid_eid(changed));
    }
  }
}

TEST_CASE("device id/normalisation by policy") {
  struct row {
    const char* name;
    const char* id;
    bool labels;
    const char* expected;  // nullptr: refused
  };
  auto c = GENERATE(values<row>({
      {"eid accepted", "89049032123451234512345678901235", false, "89049032123451234512345678901235"},
      {"bad eid refused even with labels", "89049032123451234512345678901234", true, nullptr},
      {"label refused without the option", "sensor-7", false, nullptr},
      {"label accepted and lower-cased", "Sensor-7", true, "sensor-7"},
      {"leading hyphen", "-sensor", true, nullptr},
      {"trailing hyphen", "sensor-", true, nullptr},
      {"underscore", "sensor_7", true, nullptr},
      {"dot", "a.b", true, nullptr},
      {"empty", "", true, nullptr},
      {"63 chars", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true,
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
      {"64 chars", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true, nullptr},
  }));
  INFO(c.name);
  auto r = normalize_device_id(c.id, c.labels);
  if (c.expected) {
    REQUIRE(r.has_value());
    CHECK(*r == c.expected);
  } else {
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::invalid_device_id);
    CHECK_FALSE(r.error().detail.empty());
  }
}
