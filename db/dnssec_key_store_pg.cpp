#include "db/dnssec_key_store_pg.hpp"

#include "db/convert.hpp"
#include "db/statements.hpp"
#include "db/transaction.hpp"

#include <pqxx/except>

#include <stdexcept>

namespace iotreg::db {

using detail::str;
using registry::dnssec_key_record;
using registry::dnssec_key_timeline;

namespace {

detail::nullable_param time_param(const std::optional<registry::time_point>& t) {
  return detail::nullable_param{t ? std::optional<std::int64_t>{detail::to_epoch_us(*t)} : std::nullopt};
}

dnssec_key_record read_key(const pqxx::row& r) {
  dnssec_key_record k;
  k.id = r[0].as<std::int64_t>();
  k.zone = r[1].as<std::string>();
  const auto tag = r[2].as<std::int64_t>();
  if (tag < 0 || tag > 65535)
    throw pqxx::conversion_error{"db: key tag out of range: " + std::to_string(tag)};
  k.key_tag = static_cast<std::uint16_t>(tag);
  k.algorithm = detail::to_u8(r[3]);
  const auto role = registry::dnssec_key_role_from_string(r[4].as<std::string>());
  if (!role) throw pqxx::conversion_error{"db: unknown DNSSEC key role " + r[4].as<std::string>()};
  k.role = *role;
  k.dnskey_rdata = detail::from_bytea(r[5]);
  k.sealed_private_key = detail::from_bytea(r[6]);
  auto& t = k.timeline;
  t.generated = detail::opt_time(r[7]);
  t.published = detail::opt_time(r[8]);
  t.ready = detail::opt_time(r[9]);
  t.active = detail::opt_time(r[10]);
  t.retired = detail::opt_time(r[11]);
  t.removed = detail::opt_time(r[12]);
  t.ds_submitted = detail::opt_time(r[13]);
  t.ds_seen = detail::opt_time(r[14]);
  k.rollover_requested = detail::opt_time(r[15]);
  return k;
}

/// Inserts one key in `tx`. @returns its id, or nullopt if the zone has a key with that tag.
std::optional<std::int64_t> insert_key(pqxx::work& tx, const dnssec_key_record& k) {
  const auto& t = k.timeline;
  const auto generated = time_param(t.generated), published = time_param(t.published),
             ready = time_param(t.ready), active = time_param(t.active), retired = time_param(t.retired),
             removed = time_param(t.removed), ds_submitted = time_param(t.ds_submitted),
             ds_seen = time_param(t.ds_seen), rollover = time_param(k.rollover_requested);
  const auto rows = tx.exec_prepared(stmt::dnssec_keys_insert, k.zone, int{k.key_tag}, int{k.algorithm},
                                     std::string{to_string(k.role)}, detail::to_bytea(k.dnskey_rdata),
                                     detail::to_bytea(k.sealed_private_key), generated.get(), published.get(),
                                     ready.get(), active.get(), retired.get(), removed.get(),
                                     ds_submitted.get(), ds_seen.get(), rollover.get());
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

}  // namespace

std::vector<dnssec_key_record> pg_dnssec_key_store::list(std::string_view zone) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    std::vector<dnssec_key_record> out;
    const auto rows = tx.exec_prepared(stmt::dnssec_keys_list, str(zone));
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(read_key(r));
    return out;
  });
}

std::optional<std::int64_t> pg_dnssec_key_store::insert(const dnssec_key_record& k) {
  return with_transaction(pool_, [&](pqxx::work& tx) { return insert_key(tx, k); });
}

bool pg_dnssec_key_store::insert_first_keys(std::string_view zone, std::span<const dnssec_key_record> keys) {
  for (const auto& k : keys) {
    if (k.zone != zone) throw std::invalid_argument("insert_first_keys: a key of another zone");
  }
  return with_transaction(pool_, [&](pqxx::work& tx) {
    tx.exec_prepared(stmt::dnssec_keys_lock_zone, str(zone));
    if (tx.exec_prepared1(stmt::dnssec_keys_count, str(zone))[0].as<std::int64_t>() != 0) return false;
    for (const auto& k : keys) {
      // The zone was empty and is locked: a conflict can only be two keys of `keys` sharing a tag.
      // Throwing rolls back the keys inserted before.
      if (!insert_key(tx, k))
        throw std::invalid_argument("insert_first_keys: two keys share key tag " + std::to_string(k.key_tag));
    }
    return true;
  });
}

bool pg_dnssec_key_store::update_timeline(std::int64_t id, const dnssec_key_timeline& t) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const auto generated = time_param(t.generated), published = time_param(t.published),
               ready = time_param(t.ready), active = time_param(t.active), retired = time_param(t.retired),
               removed = time_param(t.removed), ds_submitted = time_param(t.ds_submitted),
               ds_seen = time_param(t.ds_seen);
    const auto r =
        tx.exec_prepared(stmt::dnssec_keys_update_timeline, id, generated.get(), published.get(), ready.get(),
                         active.get(), retired.get(), removed.get(), ds_submitted.get(), ds_seen.get());
    return r.affected_rows() == 1;
  });
}

std::size_t pg_dnssec_key_store::request_rollover(std::string_view zone, registry::dnssec_key_role role,
                                                  registry::time_point at) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    const auto r = tx.exec_prepared(stmt::dnssec_keys_request_rollover, str(zone),
                                    std::string{to_string(role)}, detail::to_epoch_us(at));
    return static_cast<std::size_t>(r.affected_rows());
  });
}

bool pg_dnssec_key_store::clear_rollover_request(std::int64_t id) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    return tx.exec_prepared(stmt::dnssec_keys_clear_rollover, id).affected_rows() == 1;
  });
}

bool pg_dnssec_key_store::mark_ds_seen(std::string_view zone, std::uint16_t key_tag,
                                       registry::time_point at) {
  return with_transaction(pool_, [&](pqxx::work& tx) {
    return tx.exec_prepared(stmt::dnssec_keys_ds_seen, str(zone), int{key_tag}, detail::to_epoch_us(at))
               .affected_rows() == 1;
  });
}

bool pg_dnssec_key_store::with_zone_lock(std::string_view zone, const std::function<void()>& f) {
  if (pool_.size() < 2)
    throw std::logic_error("the DNSSEC key policy lock needs a database pool of at least 2 connections");
  return with_transaction(pool_, [&](pqxx::work& tx) {
    if (!tx.exec_prepared1(stmt::dnssec_keys_try_lock_zone, str(zone))[0].as<bool>()) return false;
    f();
    return true;
  });
}

}  // namespace iotreg::db
