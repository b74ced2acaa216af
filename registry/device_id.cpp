#include "registry/device_id.hpp"

#include "dns/names.hpp"

#include <algorithm>

namespace iotreg::registry {
namespace {

bool all_digits(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Remainder of the decimal number `digits` modulo 97, digit by digit (the number has 32 digits,
// far beyond any integer type).
unsigned mod97(std::string_view digits) noexcept {
  unsigned r = 0;
  for (char c : digits) r = (r * 10 + static_cast<unsigned>(c - '0')) % 97;
  return r;
}

}  // namespace

bool is_valid_eid(std::string_view eid) noexcept {
  return eid.size() == 32 && all_digits(eid) && mod97(eid) == 1;
}

std::optional<std::string> eid_check_digits(std::string_view body) {
  if (body.size() != 30 || !all_digits(body)) return std::nullopt;
  std::string padded(body);
  padded += "00";
  unsigned check = 98 - mod97(padded);
  return std::string{static_cast<char>('0' + check / 10), static_cast<char>('0' + check % 10)};
}

result<std::string> normalize_device_id(std::string_view id, bool allow_labels) {
  if (id.size() == 32 && all_digits(id)) {
    if (is_valid_eid(id)) return std::string(id);
    return error{errc::invalid_device_id, "the EID's check digits are wrong (ISO/IEC 7064 MOD 97-10)"};
  }
  if (!allow_labels) {
    return error{errc::invalid_device_id, "the device id must be an EID: 32 digits with valid check digits"};
  }
  if (!dns::is_dns_safe_label(id)) {
    return error{errc::invalid_device_id,
                 "the device id must be an EID or a DNS label of 1-63 letters, digits and hyphens"};
  }
  std::string out(id);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

}  // namespace iotreg::registry
