#pragma once
// What iotregctl's command files share: the usage error and the progress line on stderr.

#include <iostream>
#include <stdexcept>
#include <string>

namespace iotreg::tools {

/// A bad command line: main prints the message and the usage text and exits 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A progress or result line for the operator, on stderr ("iotregctl: ..."): stdout carries only
/// what scripts read (keys, DS records, tables).
inline void say(const std::string& line) { std::cerr << "iotregctl: " << line << '\n'; }

}  // namespace iotreg::tools
