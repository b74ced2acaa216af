#pragma once

#include "config/settings.hpp"

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace iotreg::config {

/// A configuration problem. what() names the file, the line and the key, e.g.
/// "iotreg.toml:7: zone.name: not a valid DNS name: 'bad..name'".
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Environment variables that override the file (secrets stay out of config files).
using environment = std::map<std::string, std::string, std::less<>>;

/// The overrides read from the process environment: IOTREG_DATABASE_DSN.
environment process_environment();

/// Parses and validates TOML text. Unknown keys, wrong types and bad values are errors.
/// @param origin the name used in messages (usually the file path).
/// @throws config::error
settings parse(std::string_view toml_text, const std::string& origin, const environment& env = {});

/// Reads and parses a file. @throws config::error (also when the file cannot be read).
settings load_file(const std::filesystem::path& path, const environment& env = process_environment());

/// Parses "host:port" or "[v6]:port". @throws std::invalid_argument
endpoint parse_endpoint(std::string_view text);

}  // namespace iotreg::config
