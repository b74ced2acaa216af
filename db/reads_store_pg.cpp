#include "db/reads_store_pg.hpp"
#include "db/tenant_store_pg.hpp"

#include "db/convert.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"

#include <array>
#include <charconv>

namespace iotreg::db {

using detail::nullable_param;
using detail::str;

namespace {

std::optional<std::int64_t> opt_us(const std::optional<registry::time_point>& t) {
  if (!t) return std::nullopt;
  return detail::to_epoch_us(*t);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// Column 8 of reads_devices: "u s m hex" records joined by ','; NULL or empty: none.
/// @throws pqxx::conversion_error for text the statement never writes.
std::vector<registry::tlsa_data> read_tlsa_list(const pqxx::field& f) {
  std::vector<registry::tlsa_data> out;
  if (f.is_null()) return out;
  const std::string text = f.as<std::string>();
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    // Four fields: three numbers and the hex of the association data.
    std::array<std::string_view, 4> fields{};
    std::string_view left = item;
    for (std::size_t i = 0; i < 3; ++i) {
      const auto space = left.find(' ');
      if (space == std::string_view::npos) throw pqxx::conversion_error{"db: malformed TLSA list"};
      fields[i] = left.substr(0, space);
      left = left.substr(space + 1);
    }
    fields[3] = left;
    std::array<std::uint8_t, 3> num{};
    for (std::size_t i = 0; i < 3; ++i) {
      const auto [p, ec] = std::from_chars(fields[i].data(), fields[i].data() + fields[i].size(), num[i]);
      if (ec != std::errc{} || p != fields[i].data() + fields[i].size())
        throw pqxx::conversion_error{"db: malformed TLSA list"};
    }
    const auto hex = fields[3];
    registry::tlsa_data t{num[0], num[1], num[2], {}};
    if (hex.size() % 2 != 0) throw pqxx::conversion_error{"db: malformed TLSA list"};
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
      if (hi < 0 || lo < 0) throw pqxx::conversion_error{"db: malformed TLSA list"};
      t.association.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

std::vector<registry::device_row> pg_reads_store::list_devices(std::string_view zone,
                                                               const registry::device_query& q) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const std::string status = q.filter.status ? std::string(registry::to_string(*q.filter.status)) : "";
    const nullable_param asp{q.filter.asp_tenant_id}, mno{q.filter.mno_tenant_id};
    const nullable_param since{opt_us(q.filter.updated_since)};
    const nullable_param after_us{q.after ? std::optional{detail::to_epoch_us(q.after->not_after)}
                                          : std::nullopt};
    const nullable_param after_id{q.after ? std::optional{q.after->row_id} : std::nullopt};
    const nullable_param only_asp{q.only_asp}, only_mno{q.only_mno};
    const auto rows =
        tx.exec_prepared(stmt::reads_devices, str(zone), q.filter.status ? status.c_str() : nullptr,
                         asp.get(), mno.get(), since.get(), after_us.get(), after_id.get(), only_asp.get(),
                         only_mno.get(), static_cast<std::int64_t>(q.limit) + 1);
    std::vector<registry::device_row> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      registry::device_row row;
      row.device = detail::read_ownership(r);
      row.pos = registry::page_cursor{row.device.updated_at, r[7].as<std::int64_t>()};
      row.tlsa = read_tlsa_list(r[8]);
      out.push_back(std::move(row));
    }
    return out;
  });
}

std::vector<registry::history_entry> pg_reads_store::history(std::string_view zone,
                                                             std::string_view device_id,
                                                             std::int64_t after_id, std::size_t limit) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const auto rows = tx.exec_prepared(stmt::reads_history, str(zone), str(device_id), after_id,
                                       static_cast<std::int64_t>(limit) + 1);
    std::vector<registry::history_entry> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      registry::history_entry h;
      h.id = r[0].as<std::int64_t>();
      h.action = r[1].as<std::string>();
      h.at = detail::from_epoch_us(r[2].as<std::int64_t>());
      h.api_key_id = detail::opt_id(r[3]);
      if (!r[4].is_null()) h.request_id = r[4].as<std::string>();
      h.detail_json = r[5].as<std::string>();
      out.push_back(std::move(h));
    }
    return out;
  });
}

registry::zone_counts pg_reads_store::counts(std::string_view zone) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const auto r = tx.exec_prepared1(stmt::reads_zone_counts, str(zone));
    registry::zone_counts c;
    if (!r[0].is_null()) c.serial = detail::to_u32(r[0]);
    c.published_at = detail::opt_time(r[1]);
    c.active_devices = r[2].as<std::int64_t>();
    c.tlsa_records = r[3].as<std::int64_t>();
    return c;
  });
}

}  // namespace iotreg::db
