#include "db/robustness_store_pg.hpp"

#include "db/convert.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"

#include <span>

namespace iotreg::db {

using detail::str;
using registry::idempotency_entry;

namespace {

std::string headers_text(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) out += name + ": " + value + "\n";
  return out;
}

std::vector<std::pair<std::string, std::string>> headers_from_text(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const auto line = text.substr(0, eol);
    if (const auto colon = line.find(": "); colon != std::string_view::npos)
      out.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  return out;
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::optional<idempotency_entry> pg_idempotency_store::claim(std::string_view scope, std::string_view key,
                                                             std::string_view request_hash,
                                                             registry::time_point expires_at) {
  return with_transaction(pool_, [&](pqxx::work& tx) -> std::optional<idempotency_entry> {
    tx.exec_prepared0(stmt::idempotency_drop_expired, str(scope), str(key));
    const auto inserted = tx.exec_prepared(stmt::idempotency_insert, str(scope), str(key), str(request_hash),
                                           detail::to_epoch_us(expires_at));
    if (!inserted.empty()) return std::nullopt;
    const auto rows = tx.exec_prepared(stmt::idempotency_find, str(scope), str(key));
    // Inserted nothing yet no row: the winner released it between our two statements (read
    // committed). Report it as running; the client retries.
    if (rows.empty()) return idempotency_entry{};
    const auto& r = rows[0];
    idempotency_entry e;
    const auto state = r[0].as<std::string>();
    e.request_hash = r[1].as<std::string>();
    if (state == "completed") {
      e.st = idempotency_entry::state::completed;
      registry::stored_response res;
      res.status = r[2].as<unsigned>();
      res.content_type = r[3].is_null() ? std::string{} : r[3].as<std::string>();
      res.headers = headers_from_text(r[4].is_null() ? std::string{} : r[4].as<std::string>());
      if (!r[5].is_null()) {
        const auto body = detail::from_bytea(r[5]);
        res.body.assign(body.begin(), body.end());
      }
      e.response = std::move(res);
    } else if (state == "not_replayable") {
      e.st = idempotency_entry::state::not_replayable;
      registry::stored_response res;
      res.status = r[2].as<unsigned>();
      e.response = std::move(res);
    }
    return e;
  });
}

void pg_idempotency_store::complete(std::string_view scope, std::string_view key,
                                    const registry::stored_response& r) {
  with_transaction(pool_, [&](pqxx::work& tx) {
    tx.exec_prepared0(stmt::idempotency_complete, str(scope), str(key), static_cast<int>(r.status),
                      r.content_type, headers_text(r.headers), detail::to_bytea(bytes_of(r.body)));
    return 0;
  });
}

void pg_idempotency_store::complete_unreplayable(std::string_view scope, std::string_view key,
                                                 unsigned status) {
  with_transaction(pool_, [&](pqxx::work& tx) {
    tx.exec_prepared0(stmt::idempotency_unreplayable, str(scope), str(key), static_cast<int>(status));
    return 0;
  });
}

void pg_idempotency_store::release(std::string_view scope, std::string_view key) {
  with_transaction(pool_, [&](pqxx::work& tx) {
    tx.exec_prepared0(stmt::idempotency_release, str(scope), str(key));
    return 0;
  });
}

std::size_t pg_idempotency_store::purge_expired(registry::time_point now) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    return static_cast<std::size_t>(
        tx.exec_prepared0(stmt::idempotency_purge, detail::to_epoch_us(now)).affected_rows());
  });
}

std::vector<registry::audit_entry> pg_audit_log_reader::list(const registry::audit_query& q) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const auto rows = tx.exec_prepared(stmt::audit_list, q.after, static_cast<std::int64_t>(q.limit),
                                       q.device_id.value_or(std::string{}));
    std::vector<registry::audit_entry> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      registry::audit_entry e;
      e.id = r[0].as<std::int64_t>();
      e.at = detail::from_epoch_us(r[1].as<std::int64_t>());
      if (!r[2].is_null()) e.api_key_id = r[2].as<std::int64_t>();
      e.action = r[3].as<std::string>();
      e.zone = r[4].as<std::string>();
      e.device_id = r[5].as<std::string>();
      e.request_id = r[6].as<std::string>();
      e.detail_json = r[7].as<std::string>();
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace iotreg::db
