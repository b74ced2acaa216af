#pragma once
// Failures of the dns module. Everything here is environmental or a broken precondition, so it is
// thrown (STYLE.md §4.1); ldns_status values are translated once, into errc::ldns_failure with the
// ldns text in the message (§4.5).

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string_view>
#include <type_traits>

namespace iotreg::dns {

enum class errc {
  ok = 0,
  ldns_failure,           ///< an ldns call returned an error status or NULL
  crypto_failure,         ///< an OpenSSL digest call failed
  unsupported_algorithm,  ///< DNSSEC algorithm not one of 8, 13, 15
  bad_key_file,           ///< private key file unreadable or not in the expected format
};

const boost::system::error_category& dns_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), dns_category()};
}

/// Throws boost::system::system_error{e, what}.
[[noreturn]] void throw_error(errc e, std::string_view what);

}  // namespace iotreg::dns

template <>
struct boost::system::is_error_code_enum<iotreg::dns::errc> : std::true_type {};
