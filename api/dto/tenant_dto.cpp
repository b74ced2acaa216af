#include "api/dto/tenant_dto.hpp"

#include "api/problem.hpp"
#include "api/status_map.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <cstdio>
#include <ctime>

namespace iotreg::api::dto {

std::string to_rfc3339(registry::time_point t) {
  const std::time_t tt = registry::clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return {};
  return buf;
}

std::optional<registry::time_point> from_rfc3339(std::string_view s) {
  if (s.size() < 20 || s.size() > 40 || (s.back() != 'Z' && s.back() != 'z')) return std::nullopt;
  std::tm tm{};
  const std::string text(s);
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  // Optional fraction, dropped.
  std::size_t i = 19;
  if (i < text.size() - 1) {
    if (text[i] != '.') return std::nullopt;
    for (++i; i < text.size() - 1; ++i)
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t tt = timegm(&tm);
  if (tt == static_cast<std::time_t>(-1)) return std::nullopt;
  return registry::clock::from_time_t(tt);
}

boost::json::object to_json(const registry::tenant& t) {
  boost::json::object o;
  o["id"] = t.id;
  o["name"] = t.name;
  o["kind"] = t.kind;
  o["created_at"] = to_rfc3339(t.created_at);
  if (t.disabled_at) o["disabled_at"] = to_rfc3339(*t.disabled_at);
  return o;
}

boost::json::object to_json(const registry::issued_api_key& k) {
  boost::json::object o;
  o["id"] = k.id;
  o["tenant_id"] = k.tenant_id;
  o["role"] = k.role;
  o["key"] = k.key;
  if (k.expires_at) {
    o["expires_at"] = to_rfc3339(*k.expires_at);
  } else {
    o["expires_at"] = nullptr;
  }
  return o;
}

namespace {
boost::json::value opt_id(const std::optional<std::int64_t>& v) {
  if (v) return *v;
  return nullptr;
}
}  // namespace

boost::json::object to_json(const registry::device_ownership& d, std::optional<std::uint32_t> zone_serial) {
  boost::json::object o;
  o["device_id"] = d.id;
  o["status"] = registry::to_string(d.status);
  o["asp_tenant_id"] = opt_id(d.asp_tenant_id);
  o["mno_tenant_id"] = opt_id(d.mno_tenant_id);
  o["created_at"] = to_rfc3339(d.created_at);
  o["updated_at"] = to_rfc3339(d.updated_at);
  if (d.deleted_at) o["deleted_at"] = to_rfc3339(*d.deleted_at);
  if (zone_serial) o["zone_serial"] = *zone_serial;
  return o;
}

boost::json::object to_json(const registry::transfer_code& c) {
  boost::json::object o;
  o["device_id"] = c.device_id;
  o["code"] = c.code;
  o["expires_at"] = to_rfc3339(c.expires_at);
  return o;
}

boost::json::object to_json(const std::vector<registry::bulk_row>& rows) {
  boost::json::array results;
  results.reserve(rows.size());
  std::size_t ok = 0;
  for (const auto& r : rows) {
    boost::json::object o;
    o["row"] = r.row;
    o["device_id"] = r.device_id;
    o["status"] = r.registered ? "registered" : "rejected";
    if (r.registered) ++ok;
    if (r.problem) {
      const auto kind = problem_for(r.problem->code);
      o["error"] = boost::json::object{{"type", problem_type(kind.slug)}, {"detail", r.problem->detail}};
    }
    results.push_back(std::move(o));
  }
  boost::json::object out;
  out["registered"] = ok;
  out["rejected"] = rows.size() - ok;
  out["results"] = std::move(results);
  return out;
}

std::optional<std::vector<std::string>> decode_bulk_json(std::string_view body, std::string& error) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) {
    error = "the body is not JSON";
    return std::nullopt;
  }
  const auto* arr = v.if_array();
  if (arr == nullptr) {
    error = "the body must be a JSON array of device ids or of {\"device_id\": ...} objects";
    return std::nullopt;
  }
  std::vector<std::string> out;
  out.reserve(arr->size());
  for (const auto& e : *arr) {
    if (const auto* s = e.if_string()) {
      out.emplace_back(s->c_str(), s->size());
      continue;
    }
    const auto* o = e.if_object();
    const boost::json::value* id = o ? o->if_contains("device_id") : nullptr;
    if (id == nullptr || !id->is_string()) {
      // A malformed element is reported on its row, as an invalid id.
      out.emplace_back();
      continue;
    }
    out.emplace_back(id->get_string().c_str(), id->get_string().size());
  }
  return out;
}

std::vector<std::string> decode_bulk_csv(std::string_view body) {
  std::vector<std::string> out;
  bool first = true;
  while (!body.empty()) {
    auto nl = body.find('\n');
    auto line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto comma = line.find(',');
    auto field = line.substr(0, comma);
    while (!field.empty() && (field.front() == ' ' || field.front() == '"')) field.remove_prefix(1);
    while (!field.empty() && (field.back() == ' ' || field.back() == '"')) field.remove_suffix(1);
    const bool header = first && field == "device_id";
    first = false;
    if (header || line.empty()) continue;
    out.emplace_back(field);
  }
  return out;
}

}  // namespace iotreg::api::dto
