#include "dns/journal.hpp"

#include "dns/rr_types.hpp"
#include "dns/zone_snapshot.hpp"

#include <algorithm>
#include <iterator>

namespace iotreg::dns {

using namespace detail;

namespace {

constexpr std::uint8_t encoding_version = 1;
constexpr std::size_t record_fixed = 10;  // type, class, TTL, RDLENGTH in a message

std::size_t record_size(const rr_record& r) noexcept {
  return r.owner.size() + record_fixed + r.rdata.size();
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}

void put_records(std::vector<std::uint8_t>& out, const std::vector<rr_record>& rs) {
  put32(out, static_cast<std::uint32_t>(rs.size()));
  for (const auto& r : rs) {
    out.insert(out.end(), r.owner.begin(), r.owner.end());
    put16(out, r.type);
    put32(out, r.ttl);
    put16(out, static_cast<std::uint16_t>(r.rdata.size()));
    out.insert(out.end(), r.rdata.begin(), r.rdata.end());
  }
}

/// Bounds-checked reader over the encoding; every failure is sticky and carries a reason.
class reader {
 public:
  explicit reader(std::span<const std::uint8_t> in) noexcept : in_(in) {}

  bool failed() const noexcept { return error_ != nullptr; }
  const char* error() const noexcept { return error_; }
  bool at_end() const noexcept { return pos_ == in_.size(); }
  std::size_t remaining() const noexcept { return in_.size() - pos_; }
  void fail(const char* why) noexcept {
    if (error_ == nullptr) error_ = why;
  }

  std::uint8_t u8() noexcept {
    if (!need(1)) return 0;
    return in_[pos_++];
  }
  std::uint16_t u16() noexcept {
    if (!need(2)) return 0;
    const auto v = static_cast<std::uint16_t>((in_[pos_] << 8) | in_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::uint32_t u32() noexcept {
    const std::uint32_t hi = u16();
    return (hi << 16) | u16();
  }
  void take(std::size_t n, bytes& out) {
    if (!need(n)) return;
    out.assign(in_.begin() + static_cast<std::ptrdiff_t>(pos_),
               in_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
  }
  /// An uncompressed wire name: labels of 1..63 octets ending with the root, at most 255 octets.
  void name(wire_name& out) {
    const std::size_t start = pos_;
    for (;;) {
      if (!need(1)) return;
      const std::uint8_t len = in_[pos_];
      if (len > 63) return fail("bad label in owner name");
      if (pos_ - start + 1U + len > 255) return fail("owner name longer than 255 octets");
      if (!need(1U + len)) return;
      pos_ += 1U + len;
      if (len == 0) break;
    }
    out.assign(in_.begin() + static_cast<std::ptrdiff_t>(start),
               in_.begin() + static_cast<std::ptrdiff_t>(pos_));
  }

 private:
  bool need(std::size_t n) noexcept {
    if (failed()) return false;
    if (remaining() < n) {
      fail("truncated");
      return false;
    }
    return true;
  }

  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  const char* error_ = nullptr;
};

void read_records(reader& in, std::vector<rr_record>& out) {
  const std::uint32_t count = in.u32();
  // Each record takes at least 1 + 8 octets: a count beyond that is corrupt, and checking it
  // first keeps a hostile count from reserving gigabytes.
  if (in.failed() || count > in.remaining() / 9) return in.fail("record count beyond the data");
  out.reserve(count);
  for (std::uint32_t i = 0; i < count && !in.failed(); ++i) {
    rr_record r;
    in.name(r.owner);
    r.type = in.u16();
    r.ttl = in.u32();
    const std::uint16_t len = in.u16();
    in.take(len, r.rdata);
    if (!in.failed()) out.push_back(std::move(r));
  }
}

rr_record to_record(name_view owner, std::uint16_t type, std::uint32_t ttl,
                    std::span<const std::uint8_t> rdata) {
  return {wire_name(owner.begin(), owner.end()), type, ttl, bytes(rdata.begin(), rdata.end())};
}

/// The records of one owner (the apex SOA left out; its RRSIGs stay).
void node_records(const wire_name& owner, const node& n, bool apex, std::vector<rr_record>& out) {
  for (const auto& set : n.rrsets) {
    if (!(apex && set.type == rr_type::soa)) {
      for (const auto& rd : set.rdata) out.push_back(to_record(owner, set.type, set.ttl, rd));
    }
    for (const auto& sig : set.rrsig) out.push_back(to_record(owner, rr_type::rrsig, set.ttl, sig));
  }
}

void nsec3_records(name_view owner, const nsec3_record& r, std::uint32_t ttl, std::vector<rr_record>& out) {
  out.push_back(to_record(owner, rr_type::nsec3, ttl, r.rdata));
  for (const auto& sig : r.rrsig) out.push_back(to_record(owner, rr_type::rrsig, ttl, sig));
}

bool same(const node& a, const node& b) {
  if (&a == &b) return true;  // shared by both snapshots (persistent_map): unchanged
  if (a.rrsets.size() != b.rrsets.size()) return false;
  for (std::size_t i = 0; i < a.rrsets.size(); ++i) {
    const rrset& x = a.rrsets[i];
    const rrset& y = b.rrsets[i];
    if (x.type != y.type || x.ttl != y.ttl || x.rdata != y.rdata || x.rrsig != y.rrsig) return false;
  }
  return true;
}

bool same(const nsec3_record& a, const nsec3_record& b) {
  return &a == &b || (a.rdata == b.rdata && a.rrsig == b.rrsig);
}

/// Adds to d.removed / d.added what differs between the records `before` and `after` (of one
/// owner).
void diff_records(std::vector<rr_record> before, std::vector<rr_record> after, zone_diff& d) {
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(d.removed));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(d.added));
}

/// Walks two sorted maps in step; `one(entry, side)` for an entry of one map only (side: the
/// list it goes to), `both(a, b)` for a key in both.
template <class Map, class Compare, class One, class Both>
void merge_walk(const Map& a, const Map& b, Compare compare, One one, Both both) {
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    const int c = ia == a.end() ? 1 : ib == b.end() ? -1 : compare(ia->first, ib->first);
    if (c < 0) {
      one(*ia, true);
      ++ia;
    } else if (c > 0) {
      one(*ib, false);
      ++ib;
    } else {
      both(*ia, *ib);
      ++ia;
      ++ib;
    }
  }
}

}  // namespace

std::shared_ptr<const journal> journal::with_diff(diff_ptr d) const {
  auto next = std::make_shared<journal>(limits_);
  const bool continues = !diffs_.empty() && diffs_.back()->to_serial == d->from_serial;
  if (continues) {
    next->diffs_ = diffs_;
    next->bytes_ = bytes_;
  }
  next->bytes_ += diff_wire_size(*d);
  next->diffs_.push_back(std::move(d));
  const std::size_t max_diffs = std::max<std::size_t>(limits_.max_diffs, 1);
  std::size_t drop = 0;
  while (next->diffs_.size() - drop > 1 &&
         (next->diffs_.size() - drop > max_diffs || next->bytes_ > limits_.max_bytes)) {
    next->bytes_ -= diff_wire_size(*next->diffs_[drop]);
    ++drop;
  }
  next->diffs_.erase(next->diffs_.begin(), next->diffs_.begin() + static_cast<std::ptrdiff_t>(drop));
  return next;
}

std::optional<std::vector<const zone_diff*>> journal::chain(std::uint32_t from, std::uint32_t to) const {
  std::vector<const zone_diff*> out;
  if (from == to) return out;
  // Serials are unique within the journal (each diff starts where the previous ended and a
  // publisher never reuses a serial), so the first diff starting at `from` is the only one.
  auto it =
      std::find_if(diffs_.begin(), diffs_.end(), [&](const diff_ptr& d) { return d->from_serial == from; });
  for (; it != diffs_.end(); ++it) {
    out.push_back(it->get());
    if ((*it)->to_serial == to) return out;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> journal::oldest_serial() const noexcept {
  if (diffs_.empty()) return std::nullopt;
  return diffs_.front()->from_serial;
}

std::optional<std::uint32_t> journal::newest_serial() const noexcept {
  if (diffs_.empty()) return std::nullopt;
  return diffs_.back()->to_serial;
}

std::size_t diff_wire_size(const zone_diff& d) noexcept {
  std::size_t n = 0;
  for (const auto& r : d.removed) n += record_size(r);
  for (const auto& r : d.added) n += record_size(r);
  return n;
}

std::vector<std::uint8_t> encode_diff(const zone_diff& d) {
  std::vector<std::uint8_t> out;
  out.reserve(1 + 16 + diff_wire_size(d));
  out.push_back(encoding_version);
  put32(out, d.from_serial);
  put32(out, d.to_serial);
  put_records(out, d.removed);
  put_records(out, d.added);
  return out;
}

std::optional<zone_diff> decode_diff(std::span<const std::uint8_t> encoded, std::string* error) {
  reader in(encoded);
  zone_diff d;
  if (in.u8() != encoding_version && !in.failed()) in.fail("unknown encoding version");
  d.from_serial = in.u32();
  d.to_serial = in.u32();
  read_records(in, d.removed);
  read_records(in, d.added);
  if (!in.failed() && !in.at_end()) in.fail("trailing octets");
  if (in.failed()) {
    if (error != nullptr) *error = std::string("corrupt zone diff: ") + in.error();
    return std::nullopt;
  }
  return d;
}

zone_diff diff_snapshots(const zone_snapshot& old, const zone_snapshot& next) {
  const zone_data& a = old.data();
  const zone_data& b = next.data();
  zone_diff d;
  d.from_serial = old.serial();
  d.to_serial = next.serial();
  // Owners in step (both maps are in canonical order); an owner in both is compared cheaply,
  // by address first: snapshots share every entry that did not change.
  merge_walk(
      a.nodes, b.nodes, [](const wire_name& x, const wire_name& y) { return canonical_compare(x, y); },
      [&](const auto& e, bool removed) {
        node_records(e.first, e.second, e.first == (removed ? a.apex : b.apex),
                     removed ? d.removed : d.added);
      },
      [&](const auto& x, const auto& y) {
        if (same(x.second, y.second)) return;
        std::vector<rr_record> before;
        std::vector<rr_record> after;
        node_records(x.first, x.second, x.first == a.apex, before);
        node_records(y.first, y.second, y.first == b.apex, after);
        diff_records(std::move(before), std::move(after), d);
      });
  const bool same_ttl = a.nsec3_ttl == b.nsec3_ttl;
  merge_walk(
      a.nsec3, b.nsec3, [](const nsec3_hash& x, const nsec3_hash& y) { return x < y   ? -1
                                                                              : y < x ? 1
                                                                                      : 0; },
      [&](const auto& e, bool removed) {
        nsec3_records(nsec3_owner(e.first, removed ? a.apex : b.apex), e.second,
                      removed ? a.nsec3_ttl : b.nsec3_ttl, removed ? d.removed : d.added);
      },
      [&](const auto& x, const auto& y) {
        if (same_ttl && same(x.second, y.second)) return;
        std::vector<rr_record> before;
        std::vector<rr_record> after;
        nsec3_records(nsec3_owner(x.first, a.apex), x.second, a.nsec3_ttl, before);
        nsec3_records(nsec3_owner(y.first, b.apex), y.second, b.nsec3_ttl, after);
        diff_records(std::move(before), std::move(after), d);
      });
  std::sort(d.removed.begin(), d.removed.end());
  std::sort(d.added.begin(), d.added.end());
  return d;
}

}  // namespace iotreg::dns
