#pragma once
// Internal: RR type and class numbers used by the module.

#include <cstdint>

namespace iotreg::dns::detail {

namespace rr_type {
inline constexpr std::uint16_t a = 1;
inline constexpr std::uint16_t ns = 2;
inline constexpr std::uint16_t soa = 6;
inline constexpr std::uint16_t aaaa = 28;
inline constexpr std::uint16_t opt = 41;
inline constexpr std::uint16_t ds = 43;
inline constexpr std::uint16_t rrsig = 46;
inline constexpr std::uint16_t nsec = 47;
inline constexpr std::uint16_t dnskey = 48;
inline constexpr std::uint16_t nsec3 = 50;
inline constexpr std::uint16_t nsec3param = 51;
inline constexpr std::uint16_t tlsa = 52;
inline constexpr std::uint16_t cds = 59;
inline constexpr std::uint16_t cdnskey = 60;
inline constexpr std::uint16_t tkey = 249;
inline constexpr std::uint16_t tsig = 250;
inline constexpr std::uint16_t ixfr = 251;
inline constexpr std::uint16_t axfr = 252;
inline constexpr std::uint16_t mailb = 253;
inline constexpr std::uint16_t maila = 254;
inline constexpr std::uint16_t any = 255;
}  // namespace rr_type

namespace rr_class {
inline constexpr std::uint16_t in = 1;
inline constexpr std::uint16_t any = 255;
}  // namespace rr_class

}  // namespace iotreg::dns::detail
