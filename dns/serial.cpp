#include "dns/serial.hpp"

namespace iotreg::dns {

bool serial_lt(std::uint32_t a, std::uint32_t b) noexcept {
  constexpr std::uint32_t half = 0x80000000U;
  return (a < b && b - a < half) || (a > b && a - b > half);
}

}  // namespace iotreg::dns
