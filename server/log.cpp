#include "server/log.hpp"

#include <spdlog/spdlog.h>

namespace iotreg::server {

std::shared_ptr<spdlog::logger> logger() {
  // Looked up on every call (a map lookup under spdlog's mutex), so a logger the program
  // registers or replaces after start-up is honoured.
  if (auto l = spdlog::get("server")) return l;
  auto l = spdlog::default_logger()->clone("server");
  try {
    spdlog::register_logger(l);
  } catch (const spdlog::spdlog_ex&) {
    // Another thread registered it first: use that one.
    if (auto existing = spdlog::get("server")) return existing;
  }
  return l;
}

}  // namespace iotreg::server
