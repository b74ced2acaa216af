#pragma once
// PostgreSQL errors that are expected failures become registry::errc, once, here (STYLE.md §4.5).

#include "registry/errors.hpp"

#include <pqxx/except>

#include <optional>

namespace iotreg::db {

/// For an error raised by the INSERT of a device row: 23505 (unique_violation) means the
/// (zone, device_id) pair is taken → errc::device_exists. @returns nullopt for anything else,
/// which the caller rethrows.
std::optional<registry::errc> device_insert_errc(const pqxx::sql_error& e) noexcept;

}  // namespace iotreg::db
