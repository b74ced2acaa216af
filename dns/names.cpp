#include "dns/names.hpp"

#include <cstddef>

namespace iotreg::dns {
namespace {

constexpr std::size_t max_label = 63;
constexpr std::size_t max_wire_name = 255;

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_ldh_or_underscore(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/// Joins `label` and `apex` ("." apex gives "label.").
std::string join(std::string_view label, std::string_view apex) {
  std::string out(label);
  out += '.';
  if (apex != ".") out += apex;
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

}  // namespace

std::optional<std::string> normalize_zone_name(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name == ".") return std::string(".");
  std::string out;
  out.reserve(name.size() + 1);
  std::size_t label_len = 0;
  std::size_t wire_len = 1;  // the root label
  for (const char c : name) {
    if (c == '.') {
      if (label_len == 0) return std::nullopt;  // empty label (leading dot or "..")
      wire_len += label_len + 1;
      label_len = 0;
    } else {
      if (!is_ldh_or_underscore(c)) return std::nullopt;
      if (++label_len > max_label) return std::nullopt;
    }
    out += lower(c);
  }
  if (label_len > 0) {
    wire_len += label_len + 1;
    out += '.';
  }
  if (wire_len > max_wire_name) return std::nullopt;
  return out;
}

bool is_dns_safe_label(std::string_view label) {
  if (label.empty() || label.size() > max_label) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (const char c : label) {
    if (!is_ldh_or_underscore(c) || c == '_') return false;
  }
  return true;
}

std::string device_owner(std::string_view zone_apex, std::string_view device_id) {
  std::string id(device_id);
  for (char& c : id) c = lower(c);
  return join(id + "._device", zone_apex);
}

std::string rootcert_owner(std::string_view zone_apex) { return join("_rootcert.device", zone_apex); }

}  // namespace iotreg::dns
