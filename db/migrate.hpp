#pragma once
// Versioned schema migrations. The files db/migrations/NNN_name.sql are compiled into the library
// at build time (db/embed_migrations.cmake), so a deployed daemon needs no source tree.

#include <pqxx/connection>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iotreg::db {

/// One migration: db/migrations/<version as 3 digits>_<name>.sql.
struct migration {
  int version = 0;
  std::string_view name;
  std::string_view sql;
};

/// Applies, in version order, every embedded migration not yet recorded in `schema_migrations`,
/// each in its own transaction holding a transaction-scoped advisory lock, so that several nodes
/// starting at once apply each migration exactly once. Idempotent.
/// @throws pqxx::failure if a migration fails (that migration is rolled back, earlier ones stay);
///         std::runtime_error if the database records a version under another name than the
///         embedded one (an applied migration was renamed or replaced).
/// A database that already has versions newer than the binary knows is left alone (logged).
/// @par Thread safety: uses `c` only; `c` must not be in a transaction.
void migrate(pqxx::connection& c);

/// The recorded migrations as (version, name), in version order; empty when none was applied.
std::vector<std::pair<int, std::string>> applied_migrations(pqxx::connection& c);

/// The migrations compiled into this binary, in version order (generated file).
const std::vector<migration>& embedded_migrations();

}  // namespace iotreg::db
