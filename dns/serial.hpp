#pragma once
// SOA serial arithmetic (RFC 1982).

#include <cstdint>

namespace iotreg::dns {

/// RFC 1982: true if serial `a` is before `b`. At distance exactly 2^31 the order is undefined and
/// this returns false both ways; never produce such a pair.
bool serial_lt(std::uint32_t a, std::uint32_t b) noexcept;

}  // namespace iotreg::dns
