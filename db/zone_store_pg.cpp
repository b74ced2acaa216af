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

/// The journal part of mark_published, in its transaction.
void update_journal(pqxx::work& tx, std::string_view zone, const registry::journal_entry* diff,
                    std::size_t history) {
  if (diff == nullptr || history == 0) {
    tx.exec_prepared0(stmt::zone_journal_clear, str(zone));
    return;
  }
  const auto newest = tx.exec_prepared(stmt::zone_journal_newest, str(zone));
  if (!newest.empty() && detail::to_u32(newest[0][0]) != diff->from_serial) {
    tx.exec_prepared0(stmt::zone_journal_clear, str(zone));
  }
  tx.exec_prepared0(stmt::zone_journal_insert, str(zone), std::int64_t{diff->from_serial},
                    std::int64_t{diff->to_serial}, detail::to_bytea(diff->diff));
  const auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  tx.exec_prepared0(stmt::zone_journal_prune, str(zone),
                    static_cast<std::int64_t>(history < max ? history : max));
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
                                   std::span<const std::int64_t> change_ids,
                                   const registry::journal_entry* diff, std::size_t history) {
  const auto marked = with_transaction(pool_, [&](pqxx::work& tx) {
    tx.exec_prepared0(stmt::zone_state_upsert, str(zone), std::int64_t{serial});
    update_journal(tx, zone, diff, history);
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

std::vector<registry::journal_entry> pg_zone_store::journal(std::string_view zone) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    std::vector<registry::journal_entry> out;
    const auto rows = tx.exec_prepared(stmt::zone_journal_load, str(zone));
    out.reserve(rows.size());
    for (const auto& r : rows) {
      out.push_back({detail::to_u32(r[0]), detail::to_u32(r[1]), detail::from_bytea(r[2])});
    }
    return out;
  });
}

}  // namespace iotreg::db
