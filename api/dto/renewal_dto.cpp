#include "api/dto/renewal_dto.hpp"

#include <boost/json/parse.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>

namespace iotreg::api::dto {
namespace {

decode_error bad_request(std::string detail) {
  return {decode_error::kind::invalid_request, std::move(detail)};
}

decoded<boost::json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) return decode_error{decode_error::kind::invalid_json, "request body is not valid JSON"};
  auto* obj = v.if_object();
  if (!obj) return bad_request("request body must be a JSON object");
  return std::move(*obj);
}

decode_error unknown_field(std::string_view key) {
  std::string detail = "unknown field";
  if (key.size() <= 64) detail += " \"" + std::string(key) + "\"";
  return bad_request(std::move(detail));
}

/// Exactly `n` decimal digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::string key_id_text(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (!out.empty()) out += '-';
    out.append(hex.substr(i, 2));
  }
  return out;
}

}  // namespace

decoded<renew_body> decode_renew(std::string_view body) {
  if (body.empty()) return renew_body{};
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  if (!obj->empty()) return unknown_field(obj->begin()->key());
  return renew_body{};
}

decoded<confirm_body> decode_confirm(std::string_view body) {
  auto obj = parse_object(body);
  if (!obj) return obj.error();
  confirm_body out;
  bool have_serial = false;
  for (const auto& [key, value] : *obj) {
    if (key != "serial") return unknown_field(key);
    const auto* s = value.if_string();
    if (!s) return bad_request("field \"serial\" must be a string");
    out.serial.assign(s->data(), s->size());
    have_serial = true;
  }
  if (!have_serial) return bad_request("missing field \"serial\"");
  return out;
}

std::optional<registry::time_point> parse_rfc3339(std::string_view s) {
  // date-time = full-date "T" partial-time time-offset (RFC 3339 §5.6); "t", "z" allowed too.
  if (s.size() < 20 || s.size() > 64) return std::nullopt;
  const auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  const auto h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(*y), std::chrono::month(static_cast<unsigned>(*mo)),
                                        std::chrono::day(static_cast<unsigned>(*d))};
  if (!ymd.ok() || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;  // 60: a leap second
  std::size_t pos = 19;
  std::chrono::microseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    std::int64_t us = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 6) us = us * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (std::size_t i = n; i < 6; ++i) us *= 10;
    frac = std::chrono::microseconds(us);
  }
  std::chrono::minutes offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const auto oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (!oh || !om || pos + 3 >= s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset = std::chrono::hours(*oh) + std::chrono::minutes(*om);
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const auto local = std::chrono::sys_days(ymd) + std::chrono::hours(*h) + std::chrono::minutes(*mi) +
                     std::chrono::seconds(std::min(*sec, 59)) + frac;
  const auto utc = local - offset;
  // system_clock counts nanoseconds: 1677..2262 only. Later (or earlier) times saturate, which
  // keeps "expiring before 2999" meaning "every certificate".
  using limits = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;
  const auto hi = std::chrono::time_point_cast<std::chrono::microseconds>(registry::time_point::max());
  const auto lo = std::chrono::time_point_cast<std::chrono::microseconds>(registry::time_point::min());
  if (limits(utc) >= hi) return registry::time_point::max();
  if (limits(utc) <= lo) return registry::time_point::min();
  return std::chrono::time_point_cast<registry::clock::duration>(utc);
}

std::string format_rfc3339(registry::time_point t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto days = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{secs - days};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string encode_cursor(const registry::expiring_cursor& c) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(c.not_after.time_since_epoch()).count();
  return std::to_string(us) + "." + std::to_string(c.row_id);
}

std::optional<registry::expiring_cursor> decode_cursor(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || text.size() > 48) return std::nullopt;
  std::int64_t us = 0;
  std::int64_t id = 0;
  const auto a = text.substr(0, dot), b = text.substr(dot + 1);
  auto r1 = std::from_chars(a.data(), a.data() + a.size(), us);
  auto r2 = std::from_chars(b.data(), b.data() + b.size(), id);
  if (a.empty() || b.empty() || r1.ec != std::errc{} || r1.ptr != a.data() + a.size() ||
      r2.ec != std::errc{} || r2.ptr != b.data() + b.size() || id < 0)
    return std::nullopt;
  return registry::expiring_cursor{registry::time_point(std::chrono::microseconds(us)), id};
}

boost::json::object to_json_renewed(const registry::enrollment& e, boost::json::storage_ptr sp) {
  auto o = to_json(e, true, std::move(sp));
  o["serial"] = e.serial_hex;
  return o;
}

boost::json::object to_json(const registry::confirmation& c) {
  boost::json::object o;
  o["device_id"] = c.device_id;
  o["serial"] = c.serial_hex;
  o["confirmed"] = true;
  o["removed_records"] = c.removed_records;
  o["zone_serial"] = c.zone_serial;
  return o;
}

boost::json::object to_json(const registry::expiring_page& p) {
  boost::json::array items;
  items.reserve(p.items.size());
  for (const auto& c : p.items) {
    boost::json::object o;
    o["device_id"] = c.device_id;
    o["serial"] = c.serial_hex;
    o["not_after"] = format_rfc3339(c.not_after);
    o["issuer"] = key_id_text(c.issuer_key_id_hex);
    items.push_back(std::move(o));
  }
  boost::json::object out;
  out["certificates"] = std::move(items);
  if (p.next)
    out["next"] = encode_cursor(*p.next);
  else
    out["next"] = nullptr;
  return out;
}

}  // namespace iotreg::api::dto
