#include "db/sqlstate.hpp"

namespace iotreg::db {

namespace {
constexpr const char* unique_violation = "23505";
}  // namespace

std::optional<registry::errc> device_insert_errc(const pqxx::sql_error& e) noexcept {
  if (e.sqlstate() == unique_violation) return registry::errc::device_exists;
  return std::nullopt;
}

}  // namespace iotreg::db
