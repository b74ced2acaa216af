#pragma once
// Internal: domain names in uncompressed wire form, and their canonical order (RFC 4034 §6.1).
// The zone keys its maps by these, lower-cased. Functions taking a name assume it is well formed
// (a sequence of length-prefixed labels ending with the root label), as produced by
// name_from_text() or by the message parser.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::dns::detail {

using bytes = std::vector<std::uint8_t>;
using wire_name = std::vector<std::uint8_t>;
using name_view = std::span<const std::uint8_t>;

/// Absolute presentation name (LDH and '_' only, trailing dot optional) to lower-case wire form.
std::optional<wire_name> name_from_text(std::string_view text);

/// Wire form to presentation form with a final dot; bytes outside [!-~] and the specials `.` `\`
/// are escaped as \DDD.
std::string name_to_text(name_view name);

/// RFC 4034 §6.1 canonical comparison: <0, 0, >0.
int canonical_compare(name_view a, name_view b) noexcept;

struct canonical_less {
  using is_transparent = void;
  bool operator()(name_view a, name_view b) const noexcept { return canonical_compare(a, b) < 0; }
  bool operator()(const wire_name& a, const wire_name& b) const noexcept {
    return canonical_compare(a, b) < 0;
  }
};

/// Number of labels, not counting the root ("a.b." = 2).
std::size_t label_count(name_view name) noexcept;

/// True if `name` equals `ancestor` or is below it (ASCII case-insensitive).
bool is_at_or_below(name_view name, name_view ancestor) noexcept;

/// `name` without its first label. Precondition: name is not the root.
name_view parent_of(name_view name) noexcept;

/// The last `labels` labels of `name` (its ancestor with that many labels).
name_view suffix_with_labels(name_view name, std::size_t labels) noexcept;

/// `label` + `name` (label of 1..63 octets).
wire_name prepend_label(std::span<const std::uint8_t> label, name_view name);
wire_name prepend_label(std::string_view label, name_view name);

/// ASCII lower-case copy.
wire_name lowercase(name_view name);

}  // namespace iotreg::dns::detail
