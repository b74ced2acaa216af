#pragma once
// The module's spdlog logger, "registry" (STYLE.md §8).

#include <spdlog/logger.h>

#include <memory>

namespace iotreg::registry {

/// The logger registered as "registry", or a clone of the default logger under that name if
/// the program registered none. Thread-safe.
std::shared_ptr<spdlog::logger> logger();

}  // namespace iotreg::registry
