#pragma once
// Internal: the edge where ldns_status becomes dns::errc (STYLE.md §4.5).

#include "dns/errors.hpp"
#include "dns/ldns.hpp"

#include <string>
#include <string_view>

namespace iotreg::dns::detail {

/// Throws errc::ldns_failure with `what` and ldns's text for `st` unless st is LDNS_STATUS_OK.
inline void check_ldns(ldns_status st, std::string_view what) {
  if (st != LDNS_STATUS_OK) {
    std::string msg(what);
    msg += ": ";
    msg += ldns_get_errorstr_by_id(st);
    throw_error(errc::ldns_failure, msg);
  }
}

/// Throws errc::ldns_failure when an ldns constructor returned NULL.
template <class T>
T* check_ldns_ptr(T* p, std::string_view what) {
  if (p == nullptr) throw_error(errc::ldns_failure, what);
  return p;
}

}  // namespace iotreg::dns::detail
