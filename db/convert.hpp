#pragma once
// Conversions between SQL values and the registry model (internal to db/).
// Times travel as microseconds since the Unix epoch, both ways exact to the microsecond (see the
// expressions in statements.cpp).

#include "registry/model.hpp"

#include <pqxx/binarystring>
#include <pqxx/field>
#include <pqxx/row>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::db::detail {

/// Microseconds since the epoch (sub-microsecond digits are dropped, towards the past).
std::int64_t to_epoch_us(registry::time_point t) noexcept;
/// Saturates at time_point::min/max where nanoseconds since 1970 overflow int64 (years beyond
/// 1677..2262, e.g. a notAfter of 9999-12-31).
registry::time_point from_epoch_us(std::int64_t us) noexcept;
std::optional<registry::time_point> opt_time(const pqxx::field& f);

/// A bytea parameter, sent in binary format (so any byte, 0x00 included, goes through as is).
pqxx::binarystring to_bytea(std::span<const std::uint8_t> bytes);
std::vector<std::uint8_t> from_bytea(const pqxx::field& f);

/// A smallint column that must hold 0..255. @throws pqxx::conversion_error otherwise.
std::uint8_t to_u8(const pqxx::field& f);

/// A bigint column that must hold 0..2^32-1 (an SOA serial). @throws pqxx::conversion_error.
std::uint32_t to_u32(const pqxx::field& f);

/// Reads tlsa usage, selector, matching, data from four consecutive columns starting at `first`.
registry::tlsa_data read_tlsa(const pqxx::row& r, pqxx::row::size_type first);

/// libpqxx 6.4 has no std::optional parameters: a nullable text parameter as a C string.
class nullable_param {
 public:
  explicit nullable_param(std::optional<std::int64_t> v)
      : text_(v ? std::to_string(*v) : std::string{}), null_(!v) {}
  const char* get() const noexcept { return null_ ? nullptr : text_.c_str(); }

 private:
  std::string text_;
  bool null_;
};

inline std::string str(std::string_view s) { return std::string{s}; }

}  // namespace iotreg::db::detail
