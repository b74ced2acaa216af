#include "db/reads_store_pg.hpp"
#include "db/tenant_store_pg.hpp"

#include "db/convert.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"

namespace iotreg::db {

using detail::nullable_param;
using detail::str;

namespace {

std::optional<std::int64_t> opt_us(const std::optional<registry::time_point>& t) {
  if (!t) return std::nullopt;
  return detail::to_epoch_us(*t);
}

}  // namespace

std::vector<std::pair<registry::device_ownership, registry::page_cursor>> pg_reads_store::list_devices(
    std::string_view zone, const registry::device_query& q) {
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
    std::vector<std::pair<registry::device_ownership, registry::page_cursor>> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      auto o = detail::read_ownership(r);
      registry::page_cursor pos{o.updated_at, r[7].as<std::int64_t>()};
      out.emplace_back(std::move(o), pos);
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
