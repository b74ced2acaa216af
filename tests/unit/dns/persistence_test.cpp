// Persistent zone structure: the map against std::map, old snapshots unchanged by apply(), and
// readers on another thread while the signer applies changes.

#include "dns/answer.hpp"
#include "dns/persistent_map.hpp"
#include "dns/rr_types.hpp"
#include "dns/signer.hpp"
#include "dns/zone_snapshot.hpp"
#include "dns/zone_walk.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace iotreg::dns;
using namespace iotreg::dns::test;
namespace d = iotreg::dns::detail;

namespace {

using int_map = d::persistent_map<int, std::string, std::less<>>;

/// The map's entries in order, walked forwards and (checked equal) backwards.
std::vector<std::pair<int, std::string>> entries(const int_map& m) {
  std::vector<std::pair<int, std::string>> fwd(m.begin(), m.end());
  std::vector<std::pair<int, std::string>> back;
  for (auto it = m.end(); it != m.begin();) back.push_back(*--it);
  std::reverse(back.begin(), back.end());
  CHECK(fwd == back);
  return fwd;
}

std::vector<std::pair<int, std::string>> entries(const std::map<int, std::string>& m) {
  return {m.begin(), m.end()};
}

/// Every record of a snapshot as text, signatures included: equal output means equal data.
std::vector<std::string> dump(const zone_snapshot& z) {
  std::vector<std::string> out;
  d::for_each_record(z.data(), [&](const d::rr_ref& r) {
    out.push_back(d::name_to_text(r.owner) + " " + std::to_string(r.type) + " " +
                  std::string(r.rdata.begin(), r.rdata.end()));
  });
  return out;
}

}  // namespace

TEST_CASE("persistent_map/behaves like std::map, and copies never see later edits") {
  const int seed = GENERATE(1, 2, 3);
  std::mt19937 rng(static_cast<unsigned>(seed));
  int_map m;
  std::map<int, std::string> model;
  std::vector<std::pair<int_map, std::map<int, std::string>>> versions;
  for (int step = 0; step < 6000; ++step) {
    const int k = static_cast<int>(rng() % 2000);
    switch (rng() % 4) {
      case 0:
      case 1:
        m.set(k, std::to_string(step));
        model[k] = std::to_string(step);
        break;
      case 2: CHECK(m.erase(k) == (model.erase(k) == 1)); break;
      default: m.update(k, [](std::string& v) { v += "+"; }); model[k] += "+";
    }
    if (step % 500 == 0) versions.emplace_back(m, model);
  }
  CHECK(m.size() == model.size());
  CHECK(entries(m) == entries(model));
  for (int k = -1; k <= 2001; k += 7) {
    const auto it = m.lower_bound(k);
    const auto mit = model.lower_bound(k);
    REQUIRE((it == m.end()) == (mit == model.end()));
    if (mit != model.end()) CHECK(it->first == mit->first);
    CHECK(m.contains(k) == model.contains(k));
  }
  for (const auto& [snap, snap_model] : versions) CHECK(entries(snap) == entries(snap_model));
  // Emptied completely, then refilled: the tree shrinks and grows back.
  for (const auto& [k, v] : model) CHECK(m.erase(k));
  CHECK(m.empty());
  CHECK(m.begin() == m.end());
  m.set(5, "five");
  CHECK(m.at(5) == "five");
  CHECK_THROWS_AS(m.at(6), std::out_of_range);
}

TEST_CASE("persistent_map/from_sorted and from_leaves") {
  for (const int n : {0, 1, 23, 24, 25, 1000, 20000}) {
    std::vector<int_map::value_type> v;
    for (int i = 0; i < n; ++i) v.emplace_back(i * 2, std::to_string(i));
    const int_map m = int_map::from_sorted(std::vector<int_map::value_type>(v));
    CHECK(m.size() == static_cast<std::size_t>(n));
    CHECK(std::vector<int_map::value_type>(m.begin(), m.end()) == v);
    if (n > 0) CHECK(m.lower_bound(n * 2 - 3)->first == n * 2 - 2);
    CHECK(m.lower_bound(n * 2) == m.end());
  }
}

TEST_CASE("signer/apply leaves older snapshots exactly as they were") {
  zone_signer signer(make_params(), make_keys());
  std::vector<device_record> devices;
  for (int i = 0; i < 300; ++i) devices.push_back(make_device("dev-" + std::to_string(i), i));
  const auto now = std::chrono::system_clock::now();
  signer.build(devices, 1, now);
  const auto first = signer.snapshot();
  const auto first_dump = dump(*first);
  std::vector<change> batch;
  for (int i = 0; i < 50; ++i) batch.push_back(removal("dev-" + std::to_string(i * 3)));
  for (int i = 0; i < 50; ++i) batch.push_back(upsert("new-" + std::to_string(i), 1000 + i));
  batch.push_back(upsert("dev-7", 4242));
  signer.apply(batch, 2, now);
  const auto second = signer.snapshot();
  const auto second_dump = dump(*second);
  signer.apply(std::vector<change>{removal("dev-1")}, 3, now);
  CHECK(dump(*first) == first_dump);
  CHECK(dump(*second) == second_dump);
  CHECK(first->serial() == 1);
  CHECK(second->serial() == 2);
  CHECK(first_dump != second_dump);
}

TEST_CASE("signer/readers on another thread while changes are applied") {
  zone_signer signer(make_params(), make_keys());
  std::vector<device_record> devices;
  for (int i = 0; i < 200; ++i) devices.push_back(make_device("dev-" + std::to_string(i), i));
  const auto now = std::chrono::system_clock::now();
  signer.build(devices, 1, now);

  std::atomic<std::shared_ptr<const zone_snapshot>> published(signer.snapshot());
  std::atomic<bool> done = false;
  std::atomic<long> lookups = 0;
  std::thread reader([&] {
    while (!done.load()) {
      const auto z = published.load();
      // dev-0 is never touched: always there, with its signature.
      const auto owner = *d::name_from_text("dev-0._device." + zone_apex);
      const auto a = d::lookup(z->data(), owner, d::rr_type::tlsa, true);
      CHECK(a.answer_section.size() == 2);
      const auto missing = *d::name_from_text("nope._device." + zone_apex);
      CHECK(d::lookup(z->data(), missing, d::rr_type::tlsa, true).rcode == d::rcode::nxdomain);
      ++lookups;
    }
  });
  std::uint32_t serial = 1;
  for (int round = 0; round < 40; ++round) {
    std::vector<change> batch;
    for (int i = 0; i < 5; ++i) {
      const int id = 1 + (round * 5 + i) % 199;
      batch.push_back(round % 2 == 0 ? removal("dev-" + std::to_string(id))
                                     : upsert("dev-" + std::to_string(id), round));
    }
    signer.apply(batch, ++serial, now);
    published.store(signer.snapshot());
  }
  done = true;
  reader.join();
  CHECK(lookups.load() > 0);
}
