#include "api/dto/iotsafe_dto.hpp"

#include "api/base64.hpp"

#include <boost/json/array.hpp>

#include <algorithm>

namespace iotreg::api::dto {
namespace {

using registry::errc;

std::string hex(std::span<const std::uint8_t> b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (auto x : b) {
    out += digits[x >> 4];
    out += digits[x & 15];
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    const int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

const char* type_name(std::uint16_t t) {
  switch (t) {
    case 43: return "DS";
    case 48: return "DNSKEY";
    case 52: return "TLSA";
    default: return "";
  }
}

boost::json::array records(const std::vector<registry::payload_record>& rs) {
  boost::json::array a;
  for (const auto& r : rs)
    a.push_back({{"type", type_name(r.rr_type)}, {"rdata", hex(r.rdata)}, {"text", r.text}});
  return a;
}

registry::error bad(std::string detail) { return {errc::invalid_service_endpoint, std::move(detail)}; }

bool only_members(const boost::json::object& o, std::initializer_list<std::string_view> allowed) {
  return std::all_of(o.begin(), o.end(), [&](const auto& kv) {
    return std::find(allowed.begin(), allowed.end(), std::string_view(kv.key())) != allowed.end();
  });
}

std::optional<std::int64_t> integer(const boost::json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= 0xffffffffu) return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

}  // namespace

std::string certificate_pem(std::span<const std::uint8_t> der) {
  std::string body = base64_lines(der);
  std::erase(body, '\r');
  return "-----BEGIN CERTIFICATE-----\n" + body + "-----END CERTIFICATE-----\n";
}

boost::json::object to_json(const registry::iotsafe_payload& p) {
  boost::json::object o{
      {"format_version", p.version},
      {"device_id", p.device_id},
      {"dns_name", p.dns_name},
      {"device_certificate", certificate_pem(p.device_certificate)},
      {"issuing_ca_certificate", certificate_pem(p.issuing_ca)},
      {"issuing_ca_is_root", !p.root_ca.has_value()},
  };
  if (p.root_ca) o["root_ca_certificate"] = certificate_pem(*p.root_ca);
  o["trust_anchor"] = {{"zone", p.zone}, {"ds", records(p.ds)}, {"dnskey", records(p.dnskey)}};
  o["device_tlsa"] = records(p.device_tlsa);
  if (p.service) {
    o["service_endpoint"] = {{"host", p.service->host},
                             {"port", p.service->port},
                             {"tlsa_name", p.service->tlsa_name},
                             {"tlsa", records(p.service->tlsa)}};
  }
  return o;
}

boost::json::object to_json(std::int64_t tenant_id, const registry::service_endpoint& e) {
  boost::json::array tlsa;
  for (const auto& t : e.tlsa) {
    tlsa.push_back({{"usage", t.usage},
                    {"selector", t.selector},
                    {"matching_type", t.matching},
                    {"data", hex(t.association)}});
  }
  return {{"tenant_id", tenant_id},
          {"host", e.host},
          {"port", e.port},
          {"tlsa_name", registry::tlsa_owner_of(e)},
          {"tlsa", std::move(tlsa)}};
}

registry::result<registry::service_endpoint_input> service_endpoint_from_json(const boost::json::object& o) {
  if (!only_members(o, {"host", "port", "tlsa"}))
    return bad("unknown member: the body has host, port and tlsa only");
  registry::service_endpoint_input in;
  const auto* host = o.if_contains("host");
  if (host == nullptr || !host->is_string()) return bad("host must be a string");
  in.host = std::string(host->get_string());
  const auto port = integer(o.if_contains("port"));
  if (!port) return bad("port must be an integer from 1 to 65535");
  in.port = *port;
  const auto* tlsa = o.if_contains("tlsa");
  if (tlsa == nullptr || tlsa->is_null()) return in;
  if (!tlsa->is_array()) return bad("tlsa must be an array");
  for (const auto& item : tlsa->get_array()) {
    const std::string at = "tlsa[" + std::to_string(in.tlsa.size()) + "]: ";
    if (!item.is_object()) return bad(at + "must be an object");
    const auto& r = item.get_object();
    if (!only_members(r, {"usage", "selector", "matching_type", "data"}))
      return bad(at + "members are usage, selector, matching_type and data");
    const auto usage = integer(r.if_contains("usage"));
    const auto selector = integer(r.if_contains("selector"));
    const auto matching = integer(r.if_contains("matching_type"));
    if (!usage || !selector || !matching || *usage < 0 || *usage > 255 || *selector < 0 || *selector > 255 ||
        *matching < 0 || *matching > 255)
      return bad(at + "usage, selector and matching_type must be small integers");
    const auto* data = r.if_contains("data");
    if (data == nullptr || !data->is_string()) return bad(at + "data must be a hex string");
    auto bytes = from_hex(data->get_string());
    if (!bytes) return bad(at + "data must be hex digits (an even number)");
    in.tlsa.push_back({static_cast<std::uint8_t>(*usage), static_cast<std::uint8_t>(*selector),
                       static_cast<std::uint8_t>(*matching), std::move(*bytes)});
  }
  return in;
}

}  // namespace iotreg::api::dto
