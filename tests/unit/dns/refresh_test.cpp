// Signature refresh (zone_signer::refresh) and the diffs (zone_signer::last_diff) that every new
// serial yields, on a simulated clock.

#include "dns/rr_types.hpp"
#include "dns/signer.hpp"
#include "dns/zone_file.hpp"
#include "dns/zone_snapshot.hpp"
#include "dns/zone_walk.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <map>
#include <random>
#include <set>

using namespace iotreg::dns;
using namespace iotreg::dns::test;
namespace d = iotreg::dns::detail;
using namespace std::chrono_literals;

namespace {

// A fixed simulated start, so that runs are reproducible (2030-01-01T00:00:00Z).
const time_point t0 = time_point(std::chrono::seconds(1893456000));

std::uint32_t u32_at(const std::vector<std::uint8_t>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
         b[at + 3];
}

struct rrsig_times {
  std::int64_t min_expiration_left = INT64_MAX;  // seconds
  std::int64_t max_inception_ahead = INT64_MIN;  // inception - now, seconds
  std::size_t count = 0;
};

rrsig_times check_rrsigs(const zone_snapshot& z, time_point now) {
  const std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  rrsig_times out;
  d::for_each_record(z.data(), [&](const d::rr_ref& r) {
    if (r.type != d::rr_type::rrsig) return;
    const std::vector<std::uint8_t> rd(r.rdata.begin(), r.rdata.end());
    out.min_expiration_left = std::min(out.min_expiration_left, std::int64_t{u32_at(rd, 8)} - t);
    out.max_inception_ahead = std::max(out.max_inception_ahead, std::int64_t{u32_at(rd, 12)} - t);
    ++out.count;
  });
  return out;
}

/// "YYYYMMDDhhmmss" in UTC, as ldns-verify-zone -t wants it.
std::string ldns_time(time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

/// Runs ldns-verify-zone at simulated time `now`, requiring `margin` left on every signature.
int ldns_verify_at(const zone_snapshot& z, const std::filesystem::path& file, time_point now,
                   std::chrono::seconds margin, std::string& out) {
  write_zone_file(z, file);
  return run("ldns-verify-zone -t " + ldns_time(now) + " -e PT" + std::to_string(margin.count()) + "S " +
                 file.string(),
             out);
}

}  // namespace

TEST_CASE("refresh/parameters are checked") {
  auto p = make_params();
  p.refresh_margin = 10 * 24h;
  p.refresh_jitter = 4 * 24h;  // 10 d + 1 h + 4 d >= 14 d
  CHECK_THROWS_AS(zone_signer(p, make_keys()), std::invalid_argument);
  p = make_params();
  p.refresh_interval = 0s;
  CHECK_THROWS_AS(zone_signer(p, make_keys()), std::invalid_argument);
  p = make_params();
  p.refresh_jitter = -1s;
  CHECK_THROWS_AS(zone_signer(p, make_keys()), std::invalid_argument);
}

TEST_CASE("refresh/nothing due, then due; needs a new serial") {
  zone_signer signer(make_params(), make_keys());
  CHECK_FALSE(signer.refresh_due(t0));
  CHECK_FALSE(signer.next_refresh());
  signer.build(std::vector<device_record>{make_device("a", 1)}, 10, t0);
  CHECK(signer.last_diff() == nullptr);  // a full build has no diff
  const auto built = signer.snapshot();
  // Signed at t0 for 14 d: due from 14 d - 7 d - 1 h - (up to 2 d of jitter) on.
  const auto next = signer.next_refresh();
  REQUIRE(next);
  CHECK(*next >= t0 + 5 * 24h - 1h);
  CHECK(*next <= t0 + 7 * 24h - 1h);
  CHECK_FALSE(signer.refresh(11, *next - 1s));
  CHECK(signer.snapshot() == built);
  CHECK(signer.refresh_due(*next));
  CHECK_THROWS_AS(signer.refresh(10, *next), std::invalid_argument);
  CHECK(signer.snapshot() == built);
  REQUIRE(signer.refresh(11, *next));
  CHECK(signer.serial() == 11);
  REQUIRE(signer.last_diff() != nullptr);
  CHECK(signer.last_diff()->from_serial == 10);
  CHECK(signer.last_diff()->to_serial == 11);
  CHECK(*signer.next_refresh() > *next);
  CHECK_FALSE(signer.refresh_due(*next));  // everything due was done
  // The old snapshot is untouched.
  CHECK(built->serial() == 10);
  CHECK(check_rrsigs(*built, t0).min_expiration_left == 14 * 24 * 3600);
}

TEST_CASE("refresh/the diff of one new device holds exactly what changed") {
  zone_signer signer(make_params(), make_keys());
  signer.build(std::vector<device_record>{make_device("dev-1", 1), make_device("dev-2", 2)}, 1, t0);
  const auto before = diffable_records(*signer.snapshot());
  signer.apply(std::vector<change>{upsert("dev-3", 3)}, 2, t0 + 1h);
  const zone_diff* diff = signer.last_diff();
  REQUIRE(diff != nullptr);
  const auto count = [](const std::vector<rr_record>& v, std::uint16_t type) {
    return std::count_if(v.begin(), v.end(), [&](const rr_record& r) { return r.type == type; });
  };
  // Removed: the SOA's RRSIG, the predecessor NSEC3 and its RRSIG.
  CHECK(diff->removed.size() == 3);
  CHECK(count(diff->removed, d::rr_type::nsec3) == 1);
  // Added: the SOA's RRSIG, the TLSA, the new and the predecessor's NSEC3, each with its RRSIG.
  CHECK(diff->added.size() == 7);
  CHECK(count(diff->added, d::rr_type::tlsa) == 1);
  CHECK(count(diff->added, d::rr_type::nsec3) == 2);
  CHECK(count(diff->added, d::rr_type::rrsig) == 4);
  auto replayed = before;
  replay_diff(replayed, *diff);
  CHECK(replayed == diffable_records(*signer.snapshot()));
}

TEST_CASE("refresh/diffs replay exactly, over random changes and refreshes") {
  // Short validity so that refreshes happen often among the changes.
  auto p = make_params();
  p.denial = GENERATE(denial_mode::nsec3, denial_mode::nsec);
  INFO("denial mode " << static_cast<int>(p.denial));
  p.signature_validity = 24h;
  p.refresh_margin = 6h;
  p.refresh_interval = 1h;
  p.refresh_jitter = 4h;
  zone_signer signer(p, make_keys());
  time_point now = t0;
  signer.build(std::vector<device_record>{make_device("d1", 1), make_device("d2", 2)}, 1, now);
  std::set<rr_record> records = diffable_records(*signer.snapshot());

  std::mt19937 rng(20261128);
  std::uint32_t serial = 1;
  std::size_t refreshes = 0, refreshed_records = 0;
  for (int step = 0; step < 120; ++step) {
    now += std::chrono::minutes(std::uniform_int_distribution<int>(0, 90)(rng));
    const auto before = signer.snapshot();
    const auto before_records = records;
    bool published = false;
    if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
      published = signer.refresh(serial + 1, now);
      if (published) ++refreshes;
    } else {
      std::vector<change> changes;
      const int n = std::uniform_int_distribution<int>(0, 4)(rng);
      for (int i = 0; i < n; ++i) {
        const std::string id = "d" + std::to_string(std::uniform_int_distribution<int>(0, 12)(rng));
        if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
          changes.push_back(removal(id));
        } else {
          changes.push_back(upsert(id, std::uniform_int_distribution<int>(0, 3)(rng)));
        }
      }
      signer.apply(changes, serial + 1, now);
      published = true;
    }
    if (!published) {
      CHECK(signer.snapshot() == before);
      continue;
    }
    ++serial;
    INFO("step " << step << " serial " << serial);
    CHECK_FALSE(signer.refresh_due(now));  // nothing due is left behind
    const zone_diff* diff = signer.last_diff();
    REQUIRE(diff != nullptr);
    CHECK(diff->from_serial == serial - 1);
    CHECK(diff->to_serial == serial);
    refreshed_records += diff->added.size();
    replay_diff(records, *diff);
    CHECK(records == diffable_records(*signer.snapshot()));
    CHECK(diffable_records(*before) == before_records);  // old snapshots never change
    const auto times = check_rrsigs(*signer.snapshot(), now);
    CHECK(times.min_expiration_left >= (p.refresh_margin + p.refresh_interval).count());
    CHECK(times.max_inception_ahead <= -p.inception_offset.count());
  }
  CHECK(refreshes > 5);
  CHECK(refreshed_records > 0);
  temp_dir dir;
  std::string out;
  const int rc = ldns_verify_at(*signer.snapshot(), dir.path() / "zone", now, p.refresh_margin, out);
  INFO(out);
  CHECK(rc == 0);
}

// Issue #3, acceptance b: 30 days without enrollments, one refresh per simulated hour; no RRSIG
// ever gets closer to expiry than the margin, and the re-signing is spread over time.
TEST_CASE("refresh/30 simulated days keep every signature fresh, with the work spread") {
  const auto p = make_params();
  const auto margin = p.refresh_margin;
  zone_signer signer(p, make_keys());
  std::vector<device_record> devices;
  for (int i = 0; i < 300; ++i) devices.push_back(make_device("dev-" + std::to_string(i), i));
  time_point now = t0;
  std::uint32_t serial = 2030010100;
  signer.build(devices, serial, now);
  const std::size_t rrsigs = check_rrsigs(*signer.snapshot(), now).count;
  REQUIRE(rrsigs > 600);  // 300 TLSA + 300 NSEC3 + ...

  temp_dir dir;
  const auto file = dir.path() / "zone";
  std::string out;
  {
    // -e is effective: the zone as built does not have 15 days left.
    CHECK(ldns_verify_at(*signer.snapshot(), file, now, 15 * 24h, out) != 0);
    CHECK(ldns_verify_at(*signer.snapshot(), file, now, 14 * 24h - 1min, out) == 0);
  }

  std::size_t total_resigned = 0, max_step_after_day1 = 0, steps_with_work = 0;
  std::set<int> verify_days{0, 7, 15, 30};
  for (int hour = 0; hour <= 30 * 24; ++hour) {
    now = t0 + std::chrono::hours(hour);
    if (signer.refresh(serial + 1, now)) {
      ++serial;
      ++steps_with_work;
      CHECK_FALSE(signer.refresh_due(now));
      const zone_diff* diff = signer.last_diff();
      REQUIRE(diff != nullptr);
      const auto resigned = static_cast<std::size_t>(
          std::count_if(diff->added.begin(), diff->added.end(),
                        [](const rr_record& r) { return r.type == d::rr_type::rrsig; }));
      total_resigned += resigned;
      if (hour >= 24) max_step_after_day1 = std::max(max_step_after_day1, resigned);
    }
    INFO("hour " << hour);
    const auto times = check_rrsigs(*signer.snapshot(), now);
    REQUIRE(times.count == rrsigs);
    CHECK(times.max_inception_ahead <= 0);
    // The margin holds now and until the next refresh, an hour later.
    CHECK(times.min_expiration_left >= (margin + p.refresh_interval).count());
    if (hour % 24 == 0 && verify_days.contains(hour / 24)) {
      const int rc = ldns_verify_at(*signer.snapshot(), file, now, margin, out);
      INFO("day " << hour / 24 << ": " << out);
      CHECK(rc == 0);
    }
  }
  // Signed at day 0, every RRset must have been re-signed by day 7 and again by about day 14,
  // 21 and 28: 4 to 5 rounds.
  CHECK(total_resigned >= 4 * rrsigs);
  CHECK(total_resigned <= 6 * rrsigs);
  // Spread: no hour re-signs more than 6% of the zone (one wave in one step would be 100%; the
  // first round is spread over the 48 hours of jitter, about 2% each) and most hours do some.
  INFO("30 days: " << rrsigs << " RRSIGs, " << total_resigned << " re-signed in " << steps_with_work
                   << " steps, at most " << max_step_after_day1 << " in one step after day 1");
  CHECK(max_step_after_day1 <= rrsigs * 6 / 100);
  CHECK(steps_with_work > 24 * 10);
}
