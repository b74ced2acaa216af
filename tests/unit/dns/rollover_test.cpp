// Acceptance c (issue 3, item 5): a ZSK rollover and a KSK rollover run to completion in
// simulated time. At every step the zone is signed with the keys the timing says, written, and
// verified by ldns-verify-zone against the DS set the parent (played by the test) publishes at
// that time, and against the previous DS set while resolvers may still cache it.

#include "dns/key_timing.hpp"
#include "dns/rr_types.hpp"
#include "dns/signer.hpp"
#include "dns/zone_file.hpp"
#include "dns/zone_snapshot.hpp"
#include "dns/zone_walk.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <span>

using namespace iotreg::dns;
using namespace iotreg::dns::test;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::system_clock;
using std::chrono::year;
namespace d = iotreg::dns::detail;

namespace {

const time_point t0 = sys_days{year{2026} / std::chrono::March / 1} + hours(9);

std::string ldns_time(time_point t) {
  const std::time_t tt = system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
         b[at + 3];
}

/// RFC 4034 App. B key tag of DNSKEY RDATA.
std::uint16_t key_tag_of(std::span<const std::uint8_t> rdata) {
  std::uint32_t ac = 0;
  for (std::size_t i = 0; i < rdata.size(); ++i) ac += (i & 1) ? rdata[i] : std::uint32_t{rdata[i]} << 8;
  ac += (ac >> 16) & 0xFFFF;
  return static_cast<std::uint16_t>(ac & 0xFFFF);
}

/// What the published zone says about keys.
struct zone_view {
  std::set<std::uint16_t> dnskey, cds, cdnskey;
  std::set<std::uint16_t> dnskey_signers;              ///< RRSIGs over DNSKEY
  std::set<std::uint16_t> cds_signers;                 ///< RRSIGs over CDS and CDNSKEY
  std::set<std::uint16_t> other_signers;               ///< RRSIGs over everything else, NSEC3 included
  std::map<std::uint16_t, std::uint32_t> last_expiry;  ///< latest RRSIG expiration per key tag
  std::vector<std::uint16_t> apex_nsec3_types;
};

zone_view view_of(const zone_snapshot& z) {
  zone_view v;
  const auto& data = z.data();
  d::for_each_record(data, [&](const d::rr_ref& r) {
    if (r.type == d::rr_type::dnskey) v.dnskey.insert(key_tag_of(r.rdata));
    if (r.type == d::rr_type::cds) v.cds.insert(be16(r.rdata, 0));
    if (r.type == d::rr_type::cdnskey) v.cdnskey.insert(key_tag_of(r.rdata));
    if (r.type != d::rr_type::rrsig) return;
    const std::uint16_t covered = be16(r.rdata, 0);
    const std::uint16_t tag = be16(r.rdata, 16);
    auto& exp = v.last_expiry[tag];
    exp = std::max(exp, be32(r.rdata, 8));
    if (covered == d::rr_type::dnskey)
      v.dnskey_signers.insert(tag);
    else if (covered == d::rr_type::cds || covered == d::rr_type::cdnskey)
      v.cds_signers.insert(tag);
    else
      v.other_signers.insert(tag);
  });
  v.apex_nsec3_types = d::nsec3_types_of(data.nsec3.at(d::nsec3_hash_of(data.apex)).rdata);
  return v;
}

bool has(const std::vector<std::uint16_t>& v, std::uint16_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

/// Key material by tag, kept in files as the database would keep it: the signer gets freshly
/// loaded keys at every change (dnssec_key is move-only).
class key_store {
 public:
  std::uint16_t generate(std::uint8_t alg, key_role role) {
    for (;;) {
      auto k = dnssec_key::generate(alg, role, zone_apex);
      if (files_.contains(k.key_tag())) continue;  // a tag collision: the rollover needs distinct tags
      const auto path = dir_.path() / std::to_string(k.key_tag());
      k.save(path);
      files_[k.key_tag()] = path;
      return k.key_tag();
    }
  }
  dnssec_key load(std::uint16_t tag) const { return dnssec_key::load(files_.at(tag), zone_apex); }

 private:
  temp_dir dir_;
  std::map<std::uint16_t, std::filesystem::path> files_;
};

/// The zone's keys as the signer wants them, from the timelines.
std::vector<zone_key> zone_keys(const key_store& store, const std::vector<key_timeline>& keys) {
  std::vector<zone_key> out;
  for (const auto& k : keys) {
    const auto use = key_use_at(k);
    if (!use.publish) continue;
    out.push_back(zone_key{store.load(k.key_tag), use.publish, use.sign, use.cds});
  }
  return out;
}

/// Flags by key tag: a state to replay later.
using key_state = std::map<std::uint16_t, key_use>;

struct parent_zone {
  std::set<std::string> ds;        ///< DS RDATA text currently published
  std::set<std::string> previous;  ///< the set before the last change
  std::optional<time_point> changed_at;
};

std::string rdata_of_line(const std::string& line) {
  // owner TAB ttl TAB class TAB type TAB rdata
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) pos = line.find('\t', pos) + 1;
  return line.substr(pos);
}

void write_ds_file(const std::filesystem::path& p, const std::set<std::string>& ds) {
  std::ofstream out(p);
  for (const auto& rdata : ds) out << zone_apex << "\t86400\tIN\tDS\t" << rdata << "\n";
}

std::string verify(const std::filesystem::path& zone, const std::filesystem::path& ds_file, time_point t,
                   int& rc) {
  std::string out;
  rc = run("ldns-verify-zone -V 2 -k " + ds_file.string() + " -t " + ldns_time(t) + " " + zone.string(), out);
  return out;
}

}  // namespace

TEST_CASE("rollover/ZSK and KSK rollovers verify at every step (acceptance c)") {
  key_policy policy;
  policy.algorithm = 13;
  policy.zsk_lifetime = days(30);
  policy.ksk_lifetime = seconds::zero();  // the KSK rolls on request
  policy.dnskey_ttl = seconds(3600);
  policy.max_zone_ttl = seconds(3600);
  policy.zone_propagation_delay = seconds(300);
  policy.parent_ds_ttl = seconds(86400);
  policy.parent_propagation_delay = seconds(3600);
  policy.publish_safety = seconds(3600);
  policy.retire_safety = seconds(3600);
  policy.signature_validity = days(14);
  auto params = make_params();
  params.default_ttl = 3600;
  params.signature_validity = policy.signature_validity;
  const std::vector<device_record> devices = {make_device("dev-1", 1), make_device("dev-2", 2)};

  key_store store;
  std::vector<key_timeline> keys;
  std::map<key_role, std::vector<std::uint16_t>> by_role;  // tags in generation order
  const auto settle = [&](time_point t, rollover_request req) {
    bool changed = false;
    for (;;) {
      auto plan = key_step(policy, keys, t, req);
      keys = plan.keys;
      changed |= plan.changed;
      if (plan.generate.empty()) {
        plan.changed = changed;
        return plan;
      }
      for (const auto role : plan.generate) {
        key_timeline k;
        k.key_tag = store.generate(policy.algorithm, role);
        k.algorithm = policy.algorithm;
        k.role = role;
        k.generated = t;
        keys.push_back(k);
        by_role[role].push_back(k.key_tag);
      }
    }
  };
  const auto timeline = [&](std::uint16_t tag) -> key_timeline& {
    auto it = std::find_if(keys.begin(), keys.end(), [&](const key_timeline& k) { return k.key_tag == tag; });
    REQUIRE(it != keys.end());
    return *it;
  };

  // t0: the zone starts signed with its first KSK and ZSK; the parent holds the KSK's DS.
  auto plan = settle(t0, {});
  REQUIRE(by_role[key_role::ksk].size() == 1);
  REQUIRE(by_role[key_role::zsk].size() == 1);
  const std::uint16_t k1 = by_role[key_role::ksk][0], z1 = by_role[key_role::zsk][0];
  std::vector<dnssec_key> initial;
  initial.push_back(store.load(k1));
  initial.push_back(store.load(z1));
  parent_zone parent;
  parent.ds.insert(rdata_of_line(initial[0].ds_text()));
  const std::set<std::string> initial_ds = parent.ds;
  zone_signer signer(params, std::move(initial));
  std::uint32_t serial = 1;
  signer.build(devices, serial, t0);
  signer.set_keys(zone_keys(store, keys), ++serial, t0);
  time_point last_build = t0;

  temp_dir dir;
  const auto zone_file = dir.path() / "zone";
  const auto ds_file = dir.path() / "ds";
  const auto prev_ds_file = dir.path() / "ds.prev";

  std::map<std::string, key_state> replay;   // a few states for the real-time tools below
  std::optional<time_point> z1_last_signed;  ///< the last step whose zone had an RRSIG by Z1
  int steps = 0, verifications = 0;
  bool ksk_requested = false;
  time_point t = t0;
  std::optional<time_point> ksk_request_at;

  for (;; ++steps) {
    REQUIRE(steps < 200);
    INFO("step " << steps << " at " << ldns_time(t));
    // 1. The zone as the key timing says at t.
    if (steps > 0) {
      rollover_request req;
      if (ksk_request_at && !ksk_requested && t >= *ksk_request_at) {
        req.ksk = true;
        ksk_requested = true;
      }
      plan = settle(t, req);
      if (plan.changed) signer.set_keys(zone_keys(store, keys), ++serial, t);
      if (t - last_build >= days(4)) {  // signature refresh (another part of the signer's job)
        signer.build(devices, ++serial, t);
        last_build = t;
      }
    }
    const auto snap = signer.snapshot();
    write_zone_file(*snap, zone_file);
    const auto v = view_of(*snap);

    // 2. What the zone shows agrees with the timelines.
    std::set<std::uint16_t> want_dnskey, want_cds, want_ksk_sign, want_zsk_sign;
    key_state state;
    for (const auto& k : keys) {
      const auto use = key_use_at(k);
      state[k.key_tag] = use;
      if (use.publish) want_dnskey.insert(k.key_tag);
      if (use.cds) want_cds.insert(k.key_tag);
      if (use.sign) (k.role == key_role::ksk ? want_ksk_sign : want_zsk_sign).insert(k.key_tag);
    }
    CHECK(v.dnskey == want_dnskey);
    CHECK(v.cds == want_cds);
    CHECK(v.cdnskey == want_cds);
    CHECK(v.dnskey_signers == want_ksk_sign);
    CHECK(v.other_signers == want_zsk_sign);
    CHECK(want_zsk_sign.size() == 1);  // pre-publication: one ZSK signs at any time
    CHECK(std::includes(v.dnskey.begin(), v.dnskey.end(), v.cds.begin(), v.cds.end()));
    if (v.cds.empty()) {
      CHECK(v.cds_signers.empty());
      CHECK_FALSE(has(v.apex_nsec3_types, d::rr_type::cds));
      CHECK_FALSE(has(v.apex_nsec3_types, d::rr_type::cdnskey));
    } else {
      CHECK(v.cds_signers == want_ksk_sign);  // RFC 7344 §4.1: signed by the KSKs
      CHECK(has(v.apex_nsec3_types, d::rr_type::cds));
      CHECK(has(v.apex_nsec3_types, d::rr_type::cdnskey));
    }
    // Not earlier than the timing says: the old ZSK stays while its signatures may live, the
    // old KSK while a cached DS set may name only it; a new KSK's CDS waits for its DNSKEY to
    // propagate.
    const auto ipub = publication_interval(policy);
    if (const auto& Z1 = timeline(z1); Z1.retired && t < *Z1.retired + zsk_retire_interval(policy)) {
      CHECK(v.dnskey.contains(z1));
      CHECK_FALSE(v.other_signers.contains(z1));
    }
    if (by_role[key_role::ksk].size() == 2) {
      const auto& K2 = timeline(by_role[key_role::ksk][1]);
      if (!K2.ds_seen || t < *K2.ds_seen + policy.parent_ds_ttl) {
        CHECK(v.dnskey.contains(k1));
        CHECK(v.dnskey_signers.contains(k1));
      }
      if (t < *K2.published + ipub) CHECK_FALSE(v.cds.contains(K2.key_tag));
      if (!timeline(k1).retired) CHECK(v.cds.contains(k1));
    }
    if (v.last_expiry.contains(z1)) z1_last_signed = t;

    // 3. The parent: acts on a CDS RRset that differs from its DS set (RFC 7344 §4.1, RFC 8078),
    //    the operator reports the new KSK's DS as seen.
    {
      std::set<std::string> cds;
      std::ifstream in(zone_file);
      for (std::string line; std::getline(in, line);) {
        if (line.find("\tCDS\t") != std::string::npos) cds.insert(rdata_of_line(line));
      }
      if (!cds.empty() && cds != parent.ds) {
        parent.previous = parent.ds;
        parent.ds = cds;
        parent.changed_at = t;
        for (const auto tag : v.cds) {
          auto& k = timeline(tag);
          if (!k.ds_seen) k.ds_seen = t;
        }
        plan = settle(t, {});  // the next event may now be ds_seen + TTL
        CHECK_FALSE(plan.changed);
      }
    }

    // 4. Validation at time t with the parent's DS, and with the previous DS set while it may
    //    still be cached.
    write_ds_file(ds_file, parent.ds);
    int rc = 0;
    {
      const auto out = verify(zone_file, ds_file, t, rc);
      INFO("ldns-verify-zone with DS " << out);
      CHECK(rc == 0);
      ++verifications;
    }
    if (parent.changed_at && t < *parent.changed_at + policy.parent_ds_ttl) {
      write_ds_file(prev_ds_file, parent.previous);
      const auto out = verify(zone_file, prev_ds_file, t, rc);
      INFO("ldns-verify-zone with previous DS " << out);
      CHECK(rc == 0);
      ++verifications;
    }
    {
      std::string out;
      rc = run("kzonecheck -o " + zone_apex + " -d on -t " + std::to_string(system_clock::to_time_t(t)) +
                   " " + zone_file.string(),
               out);
      INFO("kzonecheck: " << out);
      CHECK(rc == 0);
    }

    // 5. Keep states for the real-time tools, and decide what comes next.
    const auto& zsks = by_role[key_role::zsk];
    const auto& ksks = by_role[key_role::ksk];
    if (zsks.size() == 2 && timeline(z1).retired && !timeline(z1).removed)
      replay.emplace("zsk-retired", state);
    if (ksks.size() == 2 && timeline(ksks[1]).ready && !timeline(ksks[1]).active)
      replay.emplace("ksk-double", state);
    if (ksks.size() == 2 && timeline(k1).retired && !timeline(k1).removed)
      replay.emplace("ksk-retired", state);

    if (ksks.size() == 2 && timeline(k1).removed) break;  // both rollovers done
    if (zsks.size() >= 2 && timeline(z1).removed && !ksk_request_at) ksk_request_at = t + days(1);

    std::optional<time_point> next = plan.next_event;
    if (ksk_request_at && !ksk_requested && (!next || *ksk_request_at < *next)) next = ksk_request_at;
    REQUIRE(next);
    REQUIRE(*next > t);
    // Also look just before each event (nothing may happen early) and at least every 3 days.
    if (*next - t > days(3))
      next = t + days(3);
    else if (*next - t > minutes(2))
      next = *next - minutes(1);
    t = *next;
  }

  // The timing: ZSK pre-publication.
  const auto& zsks = by_role[key_role::zsk];
  const auto& ksks = by_role[key_role::ksk];
  REQUIRE(zsks.size() == 2);
  REQUIRE(ksks.size() == 2);
  const std::uint16_t z2 = zsks[1], k2 = ksks[1];
  const auto ipub = publication_interval(policy);
  const key_timeline& Z1 = timeline(z1);
  const key_timeline& Z2 = timeline(z2);
  CHECK(Z2.published == *Z1.active + policy.zsk_lifetime - ipub);
  CHECK(Z2.active == *Z2.published + ipub);
  CHECK(Z1.retired == Z2.active);
  CHECK(Z1.removed == *Z1.retired + zsk_retire_interval(policy));
  // RFC 7583 §3.2.1: the old DNSKEY stays until every signature it made has left the zone
  // (at the switch: Dsgn = 0), reached every secondary and expired from every cache.
  REQUIRE(z1_last_signed);
  CHECK(*z1_last_signed < *Z1.retired);
  CHECK(*Z1.removed >= *Z1.retired + policy.zone_propagation_delay + policy.max_zone_ttl);

  // Double-KSK.
  const key_timeline& K1 = timeline(k1);
  const key_timeline& K2 = timeline(k2);
  REQUIRE(ksk_request_at);
  CHECK(K2.published == *ksk_request_at);
  CHECK(K2.ready == *K2.published + ipub);
  CHECK(K2.ds_submitted == K2.ready);
  CHECK(K2.ds_seen == K2.ready);  // our parent acts as soon as the CDS appears
  CHECK(K2.active == *K2.ds_seen + policy.parent_ds_ttl + policy.parent_propagation_delay);
  CHECK(K1.retired == K2.active);
  CHECK(K1.removed == *K1.retired + ksk_retire_interval(policy));
  CHECK(*K1.removed >= *K2.ds_seen + policy.parent_ds_ttl);
  CHECK_FALSE(K2.retired);
  CHECK_FALSE(Z2.retired);

  // Negative controls: the final zone does not validate under the DS set the parent had before
  // the rollover (so the checks above depend on the DS files), nor at a time after every
  // signature has expired.
  {
    write_zone_file(*signer.snapshot(), zone_file);
    write_ds_file(prev_ds_file, initial_ds);
    int rc = 0;
    const auto out = verify(zone_file, prev_ds_file, t, rc);
    INFO(out);
    CHECK(rc != 0);
    write_ds_file(ds_file, parent.ds);
    verify(zone_file, ds_file, t + days(15), rc);
    CHECK(rc != 0);
    verify(zone_file, ds_file, t, rc);
    CHECK(rc == 0);
  }

  // The end state: DS, CDS and CDNSKEY name the new KSK only.
  const auto end = view_of(*signer.snapshot());
  CHECK(end.dnskey == std::set<std::uint16_t>{k2, z2});
  CHECK(end.cds == std::set<std::uint16_t>{k2});
  CHECK(parent.ds.size() == 1);
  CHECK(steps > 20);
  WARN("rollover simulation: " << steps << " steps, " << verifications << " ldns-verify-zone runs");

  // A few of the states again, at the real time, through all three tools (dnssec-verify has no
  // option to set the validation time).
  REQUIRE(replay.size() == 3);
  for (const auto& [name, st] : replay) {
    INFO("state " << name);
    std::vector<zone_key> zk;
    for (const auto& [tag, use] : st) {
      if (use.publish) zk.push_back(zone_key{store.load(tag), use.publish, use.sign, use.cds});
    }
    std::vector<dnssec_key> any;
    any.push_back(store.load(k1));
    any.push_back(store.load(z1));
    zone_signer now_signer(params, std::move(any));
    const auto now = system_clock::now();
    now_signer.build(devices, 1, now);
    now_signer.set_keys(std::move(zk), 2, now);
    write_zone_file(*now_signer.snapshot(), zone_file);
    verify_with_real_tools(zone_file);
  }
}
