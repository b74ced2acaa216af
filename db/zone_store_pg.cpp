#include "db/zone_store_pg.hpp"

#include "db/convert.hpp"
#include "db/log.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"

#include <pqxx/except>

#include <limits>

namespace iotreg::db {

using detail::str;

namespace {

/// A PostgreSQL bigint[] literal; safe to pass as a parameter because it holds only integers.
std::string bigint_array(std::span<const std::int64_t> ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(ids[i]);
  }
  out += '}';
  return out;
}

registry::zone_change::kind to_kind(const pqxx::field& f) {
  const auto s = f.as<std::string>();
  if (s == "add") return registry::zone_change::kind::add;
  if (s == "remove") return registry::zone_change::kind::remove;
  throw pqxx::conversion_error{"db: unknown zone change op " + s};
}

}  // namespace

std::vector<registry::device_tlsa> pg_zone_store::active_tlsa(std::string_view zone) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    std::vector<registry::device_tlsa> out;
    const auto rows = tx.exec_prepared(stmt::zone_active_tlsa, str(zone));
    out.reserve(rows.size());
    for (const auto& r : rows) {
      out.push_back({r[0].as<std::string>(), detail::read_tlsa(r, 1)});
    }
    return out;
  });
}

std::vector<registry::zone_change> pg_zone_store::pending_changes(std::string_view zone, std::size_t limit) {
  const auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  const auto sql_limit = static_cast<std::int64_t>(limit < max ? limit : max);
  return with_transaction(pool_, [&](pqxx::work& tx) {
    std::vector<registry::zone_change> out;
    const auto rows = tx.exec_prepared(stmt::zone_pending, str(zone), sql_limit);
    out.reserve(rows.size());
    for (const auto& r : rows) {
      registry::zone_change c;
      c.id = r[0].as<std::int64_t>();
      c.device_id = r[1].as<std::string>();
      c.op = to_kind(r[2]);
      c.tlsa = detail::read_tlsa(r, 3);
      out.push_back(std::move(c));
    }
    return out;
  });
}

std::optional<std::uint32_t> pg_zone_store::last_serial(std::string_view zone) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> std::optional<std::uint32_t> {
    const auto rows = tx.exec_prepared(stmt::zone_last_serial, str(zone));
    if (rows.empty()) return std::nullopt;
    return detail::to_u32(rows[0][0]);
  });
}

void pg_zone_store::mark_published(std::string_view zone, std::uint32_t serial,
                                   std::span<const std::int64_t> change_ids) {
  const auto marked = with_transaction(pool_, [&](pqxx::work& tx) {
    tx.exec_prepared0(stmt::zone_state_upsert, str(zone), std::int64_t{serial});
    if (change_ids.empty()) return std::size_t{0};
    const auto r =
        tx.exec_prepared(stmt::zone_changes_mark, str(zone), std::int64_t{serial}, bigint_array(change_ids));
    return static_cast<std::size_t>(r.affected_rows());
  });
  if (marked != change_ids.size()) {
    detail::log()->warn(
        "db: zone {} serial {}: marked {} of {} changes (others unknown or "
        "already published)",
        zone, serial, marked, change_ids.size());
  }
}

}  // namespace iotreg::db
