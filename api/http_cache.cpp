#include "api/http_cache.hpp"

#include <array>
#include <charconv>

namespace iotreg::api {
namespace {

constexpr std::array<std::string_view, 7> weekdays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void put2(std::string& out, unsigned v) {
  out += static_cast<char>('0' + v / 10 % 10);
  out += static_cast<char>('0' + v % 10);
}

/// Reads exactly `width` digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t width) {
  if (pos + width > s.size()) return std::nullopt;
  int v = 0;
  const auto* first = s.data() + pos;
  const auto [ptr, ec] = std::from_chars(first, first + width, v);
  if (ec != std::errc{} || ptr != first + width || *first == '-' || *first == '+') return std::nullopt;
  return v;
}

/// The entity tags of an If-None-Match list, weak prefix "W/" stripped (weak comparison, RFC
/// 9110 §13.1.2); true if one equals `tag` (also stripped) or the list is "*".
bool matches_tag(std::string_view list, std::string_view tag) {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  while (!list.empty()) {
    while (!list.empty() && (list.front() == ' ' || list.front() == '\t' || list.front() == ','))
      list.remove_prefix(1);
    if (list.empty()) break;
    if (list.front() == '*') return true;
    if (list.starts_with("W/")) list.remove_prefix(2);
    if (list.empty() || list.front() != '"') return false;  // malformed: no match
    const auto end = list.find('"', 1);
    if (end == std::string_view::npos) return false;
    if (!tag.empty() && list.substr(0, end + 1) == tag) return true;
    list.remove_prefix(end + 1);
  }
  return false;
}

}  // namespace

std::string format_http_date(registry::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  const weekday wd{day};
  std::string out;
  out.reserve(29);
  out += weekdays[wd.c_encoding()];
  out += ", ";
  put2(out, static_cast<unsigned>(ymd.day()));
  out += ' ';
  out += months[static_cast<unsigned>(ymd.month()) - 1];
  out += ' ';
  const int y = static_cast<int>(ymd.year());
  put2(out, static_cast<unsigned>(y / 100));
  put2(out, static_cast<unsigned>(y % 100));
  out += ' ';
  put2(out, static_cast<unsigned>(hms.hours().count()));
  out += ':';
  put2(out, static_cast<unsigned>(hms.minutes().count()));
  out += ':';
  put2(out, static_cast<unsigned>(hms.seconds().count()));
  out += " GMT";
  return out;
}

std::optional<registry::time_point> parse_http_date(std::string_view s) {
  using namespace std::chrono;
  // "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters, fixed positions.
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  unsigned month = 0;
  for (unsigned m = 0; m < months.size(); ++m)
    if (s.substr(8, 3) == months[m]) month = m + 1;
  const auto d = digits(s, 5, 2), y = digits(s, 12, 4), hh = digits(s, 17, 2), mm = digits(s, 20, 2),
             ss = digits(s, 23, 2);
  if (month == 0 || !d || !y || !hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 60) return std::nullopt;
  const year_month_day ymd{year{*y}, std::chrono::month{month}, day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return registry::time_point{sys_days{ymd} + hours{*hh} + minutes{*mm} + seconds{*ss}};
}

bool not_modified(const request& req, const cache_validators& v) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) return false;
  const auto inm = req.find(http::field::if_none_match);
  if (inm != req.end()) return matches_tag(inm->value(), v.etag);
  const auto ims = req.find(http::field::if_modified_since);
  if (ims == req.end() || !v.last_modified) return false;
  const auto since = parse_http_date(ims->value());
  return since && std::chrono::floor<std::chrono::seconds>(*v.last_modified) <= *since;
}

void set_document_cache_headers(response& res, const cache_validators& v, registry::time_point next_update,
                                registry::time_point now) {
  using namespace std::chrono;
  const auto left = std::max(seconds{0}, floor<seconds>(next_update) - ceil<seconds>(now));
  res.set(http::field::cache_control,
          "max-age=" + std::to_string(left.count()) + ", public, no-transform, must-revalidate");
  if (v.last_modified) res.set(http::field::last_modified, format_http_date(*v.last_modified));
  res.set(http::field::expires, format_http_date(next_update));
  if (!v.etag.empty()) res.set(http::field::etag, v.etag);
}

void set_static_cache_headers(response& res, const std::string& etag, std::chrono::seconds max_age) {
  res.set(http::field::cache_control, "max-age=" + std::to_string(max_age.count()) + ", public");
  if (!etag.empty()) res.set(http::field::etag, etag);
}

void make_not_modified(response& res) {
  res.result(http::status::not_modified);
  res.body().clear();
  // RFC 9110 §15.4.5: a 304 has no content; the representation's type is not repeated.
  res.erase(http::field::content_type);
}

}  // namespace iotreg::api
