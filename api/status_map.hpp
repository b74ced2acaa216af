#pragma once
// The one table from registry::errc to HTTP (STYLE.md §4.2).

#include "api/http.hpp"
#include "registry/errors.hpp"

#include <string_view>

namespace iotreg::api {

struct problem_kind {
  http::status status;
  std::string_view slug;   // stable: part of the API contract (urn:iotreg:problem:<slug>)
  std::string_view title;  // short, constant per slug
};

/// The problem an expected registry failure becomes. errc::ok and unknown values map to
/// 500 "internal" (a bug: a success carries no error).
problem_kind problem_for(registry::errc e) noexcept;

}  // namespace iotreg::api
