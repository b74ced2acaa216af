#pragma once
// The db module's logger (internal: spdlog is a private dependency of iotreg_db).

#include <spdlog/spdlog.h>

#include <memory>

namespace iotreg::db::detail {

/// The logger registered as "db" by the composition root, else spdlog's default logger.
inline std::shared_ptr<spdlog::logger> log() {
  auto l = spdlog::get("db");
  return l ? l : spdlog::default_logger();
}

}  // namespace iotreg::db::detail
