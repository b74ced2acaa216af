#include "registry/log.hpp"

#include <spdlog/spdlog.h>

namespace iotreg::registry {

std::shared_ptr<spdlog::logger> logger() {
  if (auto l = spdlog::get("registry")) return l;
  return spdlog::default_logger()->clone("registry");
}

}  // namespace iotreg::registry
