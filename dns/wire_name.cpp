#include "dns/wire_name.hpp"

#include "dns/names.hpp"

#include <algorithm>
#include <array>

namespace iotreg::dns::detail {
namespace {

constexpr std::size_t max_labels = 128;  // 255 octets allow at most 127 labels + root

std::uint8_t fold(std::uint8_t c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c - 'A' + 'a') : c;
}

/// Offsets of each label's length octet, left to right; returns the count (root excluded).
std::size_t label_offsets(name_view name, std::array<std::uint8_t, max_labels>& out) noexcept {
  std::size_t n = 0;
  std::size_t pos = 0;
  while (pos < name.size() && name[pos] != 0 && n < max_labels) {
    out[n++] = static_cast<std::uint8_t>(pos);
    pos += name[pos] + 1U;
  }
  return n;
}

}  // namespace

std::optional<wire_name> name_from_text(std::string_view text) {
  const auto norm = normalize_zone_name(text);
  if (!norm) return std::nullopt;
  wire_name out;
  out.reserve(norm->size() + 1);
  std::string_view rest = *norm;
  while (!rest.empty() && rest != ".") {
    const auto dot = rest.find('.');
    out.push_back(static_cast<std::uint8_t>(dot));
    out.insert(out.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(dot));
    rest.remove_prefix(dot + 1);
  }
  out.push_back(0);
  return out;
}

std::string name_to_text(name_view name) {
  std::string out;
  std::size_t pos = 0;
  while (pos < name.size() && name[pos] != 0) {
    const std::size_t len = name[pos];
    for (std::size_t i = pos + 1; i <= pos + len && i < name.size(); ++i) {
      const std::uint8_t c = name[i];
      if (c == '.' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < '!' || c > '~') {
        out += '\\';
        out += static_cast<char>('0' + c / 100);
        out += static_cast<char>('0' + (c / 10) % 10);
        out += static_cast<char>('0' + c % 10);
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '.';
    pos += len + 1;
  }
  if (out.empty()) out = ".";
  return out;
}

int canonical_compare(name_view a, name_view b) noexcept {
  std::array<std::uint8_t, max_labels> la{};
  std::array<std::uint8_t, max_labels> lb{};
  std::size_t na = label_offsets(a, la);
  std::size_t nb = label_offsets(b, lb);
  while (na > 0 && nb > 0) {
    --na;
    --nb;
    const std::size_t pa = la[na];
    const std::size_t pb = lb[nb];
    const std::size_t lena = a[pa];
    const std::size_t lenb = b[pb];
    const std::size_t common = std::min(lena, lenb);
    for (std::size_t i = 1; i <= common; ++i) {
      const std::uint8_t ca = fold(a[pa + i]);
      const std::uint8_t cb = fold(b[pb + i]);
      if (ca != cb) return ca < cb ? -1 : 1;
    }
    if (lena != lenb) return lena < lenb ? -1 : 1;
  }
  if (na == nb) return 0;
  return na < nb ? -1 : 1;
}

std::size_t label_count(name_view name) noexcept {
  std::size_t n = 0;
  std::size_t pos = 0;
  while (pos < name.size() && name[pos] != 0) {
    ++n;
    pos += name[pos] + 1U;
  }
  return n;
}

bool is_at_or_below(name_view name, name_view ancestor) noexcept {
  const std::size_t n = label_count(name);
  const std::size_t m = label_count(ancestor);
  if (n < m) return false;
  return canonical_compare(suffix_with_labels(name, m), ancestor) == 0;
}

name_view parent_of(name_view name) noexcept {
  if (name.empty() || name[0] == 0) return name;
  return name.subspan(name[0] + 1U);
}

name_view suffix_with_labels(name_view name, std::size_t labels) noexcept {
  std::size_t skip = label_count(name);
  skip = skip > labels ? skip - labels : 0;
  while (skip-- > 0) name = parent_of(name);
  return name;
}

wire_name prepend_label(std::span<const std::uint8_t> label, name_view name) {
  wire_name out;
  out.reserve(label.size() + 1 + name.size());
  out.push_back(static_cast<std::uint8_t>(label.size()));
  out.insert(out.end(), label.begin(), label.end());
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

wire_name prepend_label(std::string_view label, name_view name) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(label.data());
  return prepend_label(std::span<const std::uint8_t>(p, label.size()), name);
}

wire_name lowercase(name_view name) {
  wire_name out(name.begin(), name.end());
  // Length octets are < 64, never in 'A'..'Z' (65..90), so folding every byte is safe.
  for (auto& c : out) c = fold(c);
  return out;
}

}  // namespace iotreg::dns::detail
