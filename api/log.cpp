#include "api/log.hpp"

#include <spdlog/spdlog.h>

namespace iotreg::api {

std::shared_ptr<spdlog::logger> logger() {
  // Looked up on every call (a map lookup under spdlog's mutex), so a logger the program
  // registers or replaces after start-up is honoured.
  if (auto l = spdlog::get("api")) return l;
  auto l = spdlog::default_logger()->clone("api");
  try {
    spdlog::register_logger(l);
  } catch (const spdlog::spdlog_ex&) {
    // Another thread registered it first: use that one.
    if (auto existing = spdlog::get("api")) return existing;
  }
  return l;
}

}  // namespace iotreg::api
