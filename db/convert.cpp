#include "db/convert.hpp"

#include <pqxx/except>

#include <chrono>
#include <limits>

namespace iotreg::db::detail {

namespace {
using registry::time_point;
using std::chrono::microseconds;

constexpr std::int64_t max_us = std::chrono::duration_cast<microseconds>(time_point::duration::max()).count();
constexpr std::int64_t min_us = std::chrono::duration_cast<microseconds>(time_point::duration::min()).count();
}  // namespace

std::int64_t to_epoch_us(time_point t) noexcept {
  return std::chrono::floor<microseconds>(t.time_since_epoch()).count();
}

time_point from_epoch_us(std::int64_t us) noexcept {
  if (us >= max_us) return time_point::max();
  if (us <= min_us) return time_point::min();
  return time_point{std::chrono::duration_cast<time_point::duration>(microseconds{us})};
}

std::optional<time_point> opt_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return from_epoch_us(f.as<std::int64_t>());
}

pqxx::binarystring to_bytea(std::span<const std::uint8_t> bytes) {
  return pqxx::binarystring{bytes.data(), bytes.size()};
}

std::vector<std::uint8_t> from_bytea(const pqxx::field& f) {
  const pqxx::binarystring b{f};
  return {b.data(), b.data() + b.size()};
}

std::uint8_t to_u8(const pqxx::field& f) {
  const auto v = f.as<int>();
  if (v < 0 || v > 255) throw pqxx::conversion_error{"db: value out of 0..255: " + std::to_string(v)};
  return static_cast<std::uint8_t>(v);
}

std::uint32_t to_u32(const pqxx::field& f) {
  const auto v = f.as<std::int64_t>();
  if (v < 0 || v > std::int64_t{std::numeric_limits<std::uint32_t>::max()}) {
    throw pqxx::conversion_error{"db: serial out of range: " + std::to_string(v)};
  }
  return static_cast<std::uint32_t>(v);
}

registry::tlsa_data read_tlsa(const pqxx::row& r, pqxx::row::size_type first) {
  registry::tlsa_data t;
  t.usage = to_u8(r[first]);
  t.selector = to_u8(r[first + 1]);
  t.matching = to_u8(r[first + 2]);
  t.association = from_bytea(r[first + 3]);
  return t;
}

}  // namespace iotreg::db::detail
