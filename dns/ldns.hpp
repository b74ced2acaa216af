#pragma once
// The one way into ldns (ARCHITECTURE.md "Things that bite"): <stdbool.h> must come first or
// ldns defines `true`/`false` as macros in C++. Marked as a system header so ldns's old-style
// casts do not trip -Werror. Never include this from a public header the server module sees
// (tlsa.hpp, names.hpp, message.hpp).
#pragma GCC system_header

#include <stdbool.h>

#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>

namespace iotreg::dns::detail {

/// One deleter for every ldns object kind we own; picks the right free function by type.
struct ldns_deleter {
  void operator()(ldns_rr* p) const noexcept { ldns_rr_free(p); }
  void operator()(ldns_rr_list* p) const noexcept { ldns_rr_list_deep_free(p); }
  void operator()(ldns_rdf* p) const noexcept { ldns_rdf_deep_free(p); }
  void operator()(ldns_key* p) const noexcept { ldns_key_deep_free(p); }
  void operator()(ldns_buffer* p) const noexcept { ldns_buffer_free(p); }
  void operator()(ldns_pkt* p) const noexcept { ldns_pkt_free(p); }
  void operator()(char* p) const noexcept { std::free(p); }
  void operator()(std::uint8_t* p) const noexcept { std::free(p); }
};

template <class T>
using ldns_ptr = std::unique_ptr<T, ldns_deleter>;

/// A key list that borrows its keys: ldns_key_list_free() would free them, so the deleter empties
/// the list first.
struct borrowed_key_list_deleter {
  void operator()(ldns_key_list* p) const noexcept {
    ldns_key_list_set_key_count(p, 0);
    ldns_key_list_free(p);
  }
};
using borrowed_key_list = std::unique_ptr<ldns_key_list, borrowed_key_list_deleter>;

}  // namespace iotreg::dns::detail
