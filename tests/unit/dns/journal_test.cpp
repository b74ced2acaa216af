// The IXFR journal: bounds, chains, the database encoding and the reference snapshot diff.
#include "dns/journal.hpp"

#include "dns/rr_types.hpp"
#include "dns/signer.hpp"
#include "dns/zone_snapshot.hpp"
#include "dns/zone_walk.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

using namespace iotreg::dns;
using namespace iotreg::dns::test;

namespace {

using iotreg::dns::detail::bytes;

rr_record record(const std::string& owner, std::uint16_t type, std::uint32_t ttl, bytes rdata) {
  auto name = iotreg::dns::detail::name_from_text(owner);
  REQUIRE(name);
  return {*name, type, ttl, std::move(rdata)};
}

/// A diff from `from` to `to` with `n` added records of 100 octets of RDATA each.
std::shared_ptr<const zone_diff> diff(std::uint32_t from, std::uint32_t to, int n = 1) {
  auto d = std::make_shared<zone_diff>();
  d->from_serial = from;
  d->to_serial = to;
  for (int i = 0; i < n; ++i) {
    d->added.push_back(
        record("r" + std::to_string(i) + ".example.", 52, 300, bytes(100, static_cast<std::uint8_t>(i))));
  }
  d->removed.push_back(record("gone.example.", 1, 60, {192, 0, 2, 1}));
  return d;
}

std::vector<std::uint32_t> starts(const std::vector<const zone_diff*>& c) {
  std::vector<std::uint32_t> out;
  for (const auto* d : c) out.push_back(d->from_serial);
  return out;
}

}  // namespace

TEST_CASE("journal/chains of consecutive diffs") {
  auto j = std::make_shared<const journal>();
  CHECK(j->empty());
  CHECK_FALSE(j->chain(1, 2));
  CHECK(j->chain(5, 5) == std::vector<const zone_diff*>{});
  for (std::uint32_t s = 10; s < 15; ++s) j = j->with_diff(diff(s, s + 1));
  CHECK(j->size() == 5);
  CHECK(j->oldest_serial() == 10U);
  CHECK(j->newest_serial() == 15U);
  REQUIRE(j->chain(10, 15));
  CHECK(starts(*j->chain(10, 15)) == std::vector<std::uint32_t>{10, 11, 12, 13, 14});
  CHECK(starts(*j->chain(12, 14)) == std::vector<std::uint32_t>{12, 13});  // up to an older zone
  CHECK_FALSE(j->chain(9, 15));                                            // older than the journal
  CHECK_FALSE(j->chain(12, 16));                                           // newer than the journal
  CHECK_FALSE(j->chain(14, 12));

  SECTION("appending leaves the old journal as it was") {
    const auto next = j->with_diff(diff(15, 16));
    CHECK(j->size() == 5);
    CHECK(next->size() == 6);
    CHECK(next->chain(10, 16)->size() == 6);
  }
  SECTION("a diff that does not continue the journal starts it afresh") {
    const auto next = j->with_diff(diff(40, 41));
    CHECK(next->size() == 1);
    CHECK_FALSE(next->chain(10, 15));
    CHECK(next->chain(40, 41)->size() == 1);
  }
  SECTION("serials wrap around 2^32") {
    auto w = std::make_shared<const journal>();
    w = w->with_diff(diff(0xffffffffU, 0))->with_diff(diff(0, 1));
    CHECK(w->chain(0xffffffffU, 1)->size() == 2);
  }
}

TEST_CASE("journal/bounded by count and by bytes") {
  SECTION("count") {
    auto j = std::make_shared<const journal>(journal_limits{3, 1U << 30});
    for (std::uint32_t s = 1; s <= 10; ++s) j = j->with_diff(diff(s, s + 1));
    CHECK(j->size() == 3);
    CHECK(j->oldest_serial() == 8U);
    CHECK_FALSE(j->chain(7, 11));
    CHECK(j->chain(8, 11));
  }
  SECTION("bytes: the oldest go first, the newest always stays") {
    const std::size_t one = diff_wire_size(*diff(1, 2, 10));
    CHECK(one > 1000);
    auto j = std::make_shared<const journal>(journal_limits{100, 3 * one});
    for (std::uint32_t s = 1; s <= 10; ++s) j = j->with_diff(diff(s, s + 1, 10));
    CHECK(j->size() == 3);
    CHECK(j->bytes() == 3 * one);
    j = j->with_diff(diff(11, 12, 100));  // alone larger than the limit
    CHECK(j->size() == 1);
    CHECK(j->chain(11, 12));
  }
}

TEST_CASE("journal/encoding round-trips and rejects corrupt input") {
  zone_diff d = *diff(2025010100, 2025010101, 3);
  d.removed.push_back(record("x.example.", 46, 0xffffffffU, bytes(65535, 7)));  // the largest RDATA
  std::sort(d.removed.begin(), d.removed.end());
  const auto enc = encode_diff(d);
  std::string error;
  const auto back = decode_diff(enc, &error);
  REQUIRE(back);
  CHECK(back->from_serial == d.from_serial);
  CHECK(back->to_serial == d.to_serial);
  CHECK(back->removed == d.removed);
  CHECK(back->added == d.added);
  CHECK(decode_diff(encode_diff(zone_diff{})));

  SECTION("every truncation is an error") {
    const auto small = encode_diff(*diff(1, 2, 2));
    for (std::size_t n = 0; n < small.size(); ++n) {
      CHECK_FALSE(decode_diff(std::span(small).first(n), &error));
    }
    CHECK_THAT(error, Catch::Matchers::StartsWith("corrupt zone diff"));
  }
  SECTION("trailing octets, a wrong version, a huge count, a bad label") {
    auto e = encode_diff(*diff(1, 2));
    auto trailing = e;
    trailing.push_back(0);
    CHECK_FALSE(decode_diff(trailing, &error));
    CHECK(error == "corrupt zone diff: trailing octets");
    auto version = e;
    version[0] = 2;
    CHECK_FALSE(decode_diff(version, &error));
    CHECK(error == "corrupt zone diff: unknown encoding version");
    auto count = e;
    count[9] = count[10] = count[11] = count[12] = 0xff;  // removed count
    CHECK_FALSE(decode_diff(count, &error));
    CHECK(error == "corrupt zone diff: record count beyond the data");
    auto label = e;
    label[13] = 64;  // first label length of the first removed owner
    CHECK_FALSE(decode_diff(label, &error));
    CHECK(error == "corrupt zone diff: bad label in owner name");
  }
  SECTION("random corruption never crashes and never reads out of bounds") {
    const auto small = encode_diff(*diff(1, 2, 3));
    std::mt19937 rng(1995);
    for (int i = 0; i < 20000; ++i) {
      auto c = small;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) c[rng() % c.size()] = static_cast<std::uint8_t>(rng());
      if (rng() % 4 == 0) c.resize(rng() % c.size());
      const auto r = decode_diff(c);
      if (r) CHECK(encode_diff(*r) == c);  // what decodes is exactly what it encodes
    }
  }
}

TEST_CASE("journal/diff_snapshots turns one zone into the next") {
  zone_signer signer{make_params(), make_keys()};
  const auto now = std::chrono::system_clock::now();
  signer.build(std::vector<device_record>{make_device("dev-1", 1), make_device("dev-2", 2)}, 10, now);
  const auto a = signer.snapshot();
  signer.apply(std::vector<change>{upsert("dev-3", 3), removal("dev-1"), upsert("dev-2", 20)}, 11, now);
  const auto b = signer.snapshot();

  const auto d = diff_snapshots(*a, *b);
  CHECK(d.from_serial == 10);
  CHECK(d.to_serial == 11);
  CHECK(std::is_sorted(d.removed.begin(), d.removed.end()));
  CHECK(std::is_sorted(d.added.begin(), d.added.end()));
  const auto has = [](const std::vector<rr_record>& rs, std::uint16_t type) {
    return std::any_of(rs.begin(), rs.end(), [&](const rr_record& r) { return r.type == type; });
  };
  CHECK(has(d.removed, 52));  // dev-1's and dev-2's old TLSA
  CHECK(has(d.added, 52));
  CHECK(has(d.added, 46));  // new signatures, among them the SOA's
  CHECK(has(d.added, 50));  // dev-3's NSEC3
  CHECK_FALSE(has(d.removed, 6));
  CHECK_FALSE(has(d.added, 6));

  // old - removed + added == new, and removed/added are disjoint.
  auto records = diffable_records(*a);
  for (const auto& r : d.removed) CHECK(records.erase(r) == 1);
  for (const auto& r : d.added) CHECK(records.insert(r).second);
  CHECK(records == diffable_records(*b));
  CHECK(diff_snapshots(*b, *b).added.empty());
  CHECK(diff_snapshots(*b, *b).removed.empty());
}

TEST_CASE("journal/diff_snapshots on a zone spread over many map leaves") {
  zone_signer signer{make_params(), make_keys()};
  const auto now = std::chrono::system_clock::now();
  std::vector<device_record> devices;
  for (int i = 0; i < 500; ++i) devices.push_back(make_device("d" + std::to_string(i), i));
  signer.build(devices, 1, now);
  auto before = signer.snapshot();
  std::mt19937 rng(42);
  for (std::uint32_t serial = 2; serial < 6; ++serial) {
    std::vector<change> changes;
    for (int k = 0; k < 20; ++k) {
      const int i = static_cast<int>(rng() % 700);  // some new, some existing
      const auto id = "d" + std::to_string(i);
      changes.push_back(rng() % 3 == 0 ? removal(id) : upsert(id, static_cast<int>(rng() % 100000)));
    }
    signer.apply(changes, serial, now);
    const auto after = signer.snapshot();
    const auto d = diff_snapshots(*before, *after);
    CHECK(std::is_sorted(d.removed.begin(), d.removed.end()));
    CHECK(std::is_sorted(d.added.begin(), d.added.end()));
    auto records = diffable_records(*before);
    for (const auto& r : d.removed) CHECK(records.erase(r) == 1);
    for (const auto& r : d.added) CHECK(records.insert(r).second);
    CHECK(records == diffable_records(*after));
    // A change touches a handful of records, not the zone.
    CHECK(d.added.size() < 20 * 12);
    before = after;
  }
}
