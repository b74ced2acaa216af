// bench_zone: full build, memory, incremental cost per change and zone file writing of the
// signer at 10k / 100k / 1M devices, side by side with ldns-signzone and kzonesign on the same
// zone. Each N runs in a fresh child process so that peak RSS figures do not mix.
//
// Usage: bench_zone [N ...]   (default: 10000 100000 1000000)
// BENCH_NO_PEERS=1 skips ldns-signzone and kzonesign; BENCH_KEEP=1 keeps the temp dirs;
// BENCH_BUILD_ONLY=1 stops after the full build (for profiling it: perf record -g bench_zone N).

#include "dns/keys.hpp"
#include "dns/signer.hpp"
#include "dns/tlsa.hpp"
#include "dns/zone_file.hpp"
#include "dns/zone_snapshot.hpp"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace iotreg::dns;
using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

const std::string apex = "iotregistry.test.";

double seconds_since(steady::time_point t0) {
  return std::chrono::duration<double>(steady::now() - t0).count();
}

/// User + system CPU time of this process so far (all threads).
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  const auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

/// Peak resident set of this process in KiB (VmHWM).
long vm_hwm_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

zone_parameters params() {
  zone_parameters p;
  p.apex = apex;
  p.soa_mname = "ns1." + apex;
  p.soa_rname = "hostmaster." + apex;
  p.ns = {"ns1." + apex};
  p.addresses = {{"ns1." + apex, "127.0.0.1"}};
  // BENCH_DENIAL=nsec: the NSEC chain instead of the default NSEC3.
  if (const char* d = std::getenv("BENCH_DENIAL"); d != nullptr && std::string_view(d) == "nsec") {
    p.denial = denial_mode::nsec;
  }
  return p;
}

std::string device_id(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "dev%09zu", i);
  return buf;
}

tlsa_rdata device_tlsa(std::size_t seed) {
  std::vector<std::uint8_t> spki(91);
  for (std::size_t i = 0; i < spki.size(); ++i)
    spki[i] = static_cast<std::uint8_t>(seed * 31 + i * 7 + seed / 251);
  return dane_ee_spki_sha256(spki);
}

/// Runs `cmd` through the shell; returns (wall seconds, child's peak RSS KiB), or -1 s on failure.
std::pair<double, long> run_timed(const std::string& cmd) {
  const auto t0 = steady::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  rusage ru{};
  ::wait4(pid, &status, 0, &ru);
  const double s = seconds_since(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return {-1.0, ru.ru_maxrss};
  return {s, ru.ru_maxrss};
}

/// Average seconds per change over batches of `k` changes: half upserts of new devices, half
/// removals of existing ones (a batch of 1 alternates between the two). Runs `batches` batches,
/// or fewer (at least 3) once 10 s have passed, so that an O(n) apply still finishes at 1M.
double incremental(zone_signer& signer, std::size_t& next_new, std::size_t& next_removed, std::size_t k,
                   std::size_t batches, time_point now) {
  std::uint32_t serial = signer.serial();
  const auto t0 = steady::now();
  std::size_t b = 0;
  for (; b < batches && (b < 3 || seconds_since(t0) < 10.0); ++b) {
    std::vector<change> cs;
    for (std::size_t j = 0; j < k; ++j) {
      if ((b * k + j) % 2 == 0) {
        const std::size_t i = next_new++;
        cs.push_back({change::kind::upsert, device_id(i), {device_tlsa(i)}});
      } else {
        cs.push_back({change::kind::remove, device_id(next_removed++), {}});
      }
    }
    signer.apply(cs, ++serial, now);
  }
  return seconds_since(t0) / static_cast<double>(b * k);
}

void write_unsigned_zone(const fs::path& file, std::size_t n) {
  std::ofstream out(file);
  out << apex << " 3600 IN SOA ns1." << apex << " hostmaster." << apex << " 1 3600 600 1209600 300\n";
  out << apex << " 3600 IN NS ns1." << apex << "\n";
  out << "ns1." << apex << " 3600 IN A 127.0.0.1\n";
  for (std::size_t i = 0; i < n; ++i)
    out << device_id(i) << "._device." << apex << " 300 IN TLSA " << device_tlsa(i).to_text() << "\n";
}

/// Everything for one N; runs in its own process.
void bench_one(std::size_t n) {
  std::vector<dnssec_key> keys;
  keys.push_back(dnssec_key::generate(13, key_role::ksk, apex));
  keys.push_back(dnssec_key::generate(13, key_role::zsk, apex));
  zone_signer signer(params(), std::move(keys));

  std::vector<device_record> devices;
  devices.reserve(n);
  for (std::size_t i = 0; i < n; ++i) devices.push_back({device_id(i), {device_tlsa(i)}});
  const long rss_before = vm_hwm_kib();
  const auto now = std::chrono::system_clock::now();
  auto t0 = steady::now();
  const double cpu0 = cpu_seconds();
  signer.build(devices, 1, now);
  const double build_s = seconds_since(t0);
  const double build_cpu = cpu_seconds() - cpu0;
  const long hwm = vm_hwm_kib();
  devices.clear();
  devices.shrink_to_fit();
  std::printf(
      "N=%zu full build: %.2f s wall, %.2f s CPU (%.1f µs/device), peak RSS %.1f MiB (%.0f B/device over the "
      "%.1f MiB "
      "before the build), records %zu\n",
      n, build_s, build_cpu, build_s * 1e6 / static_cast<double>(n), static_cast<double>(hwm) / 1024.0,
      static_cast<double>(hwm - rss_before) * 1024.0 / static_cast<double>(n),
      static_cast<double>(rss_before) / 1024.0, signer.snapshot()->record_count());
  std::fflush(stdout);
  if (std::getenv("BENCH_BUILD_ONLY") != nullptr) return;

  std::size_t next_new = n, next_removed = 0;
  incremental(signer, next_new, next_removed, 1, 5, now);  // warm-up
  const double per1 = incremental(signer, next_new, next_removed, 1, 2000, now);
  const double per100 = incremental(signer, next_new, next_removed, 100, 50, now);
  std::printf("N=%zu incremental per change: batch of 1 %.1f µs, batch of 100 %.1f µs\n", n, per1 * 1e6,
              per100 * 1e6);
  std::fflush(stdout);

  char tmpl[] = "/tmp/bench-zone-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  t0 = steady::now();
  write_zone_file(*signer.snapshot(), dir / "ours.zone");
  std::printf("N=%zu zone file write: %.2f s (%.1f MiB)\n", n, seconds_since(t0),
              static_cast<double>(fs::file_size(dir / "ours.zone")) / 1048576.0);
  std::fflush(stdout);

  if (std::getenv("BENCH_NO_PEERS") != nullptr) {  // our own figures only (e.g. an old build)
    std::printf("RESULT n=%zu build_s=%.3f hwm_kib=%ld per1_us=%.2f per100_us=%.2f\n", n, build_s, hwm,
                per1 * 1e6, per100 * 1e6);
    fs::remove_all(dir);
    return;
  }
  write_unsigned_zone(dir / "unsigned.zone", n);
  const std::string cd = "cd " + dir.string() + " && ";
  run_timed(cd + "ldns-keygen -a ECDSAP256SHA256 -k " + apex + " > ksk && ldns-keygen -a ECDSAP256SHA256 " +
            apex + " > zsk");
  const auto [ldns_s, ldns_kib] = run_timed(cd + "ldns-signzone -n -a 1 -t 0 -f ldns.signed -o " + apex +
                                            " unsigned.zone $(cat ksk) $(cat zsk)");
  std::printf(
      "N=%zu ldns-signzone -n -a 1 -t 0: %.2f s, peak RSS %.1f MiB; ours/ldns = %.2f (ours %.1fx faster)\n",
      n, ldns_s, static_cast<double>(ldns_kib) / 1024.0, build_s / ldns_s, ldns_s / build_s);
  std::fflush(stdout);

  // kzonesign: a Knot configuration with automatic key generation and NSEC3 1 0 0 -.
  {
    std::ofstream conf(dir / "knot.conf");
    conf << "server:\n  rundir: " << dir.string() << "\ndatabase:\n  storage: " << dir.string()
         << "\npolicy:\n  - id: p\n    algorithm: ecdsap256sha256\n    nsec3: on\n    nsec3-iterations: 0\n"
         << "    nsec3-salt-length: 0\n    zsk-lifetime: 0\n    ksk-lifetime: 0\n"
         << "zone:\n  - domain: " << apex << "\n    file: " << (dir / "unsigned.zone").string()
         << "\n    dnssec-signing: on\n    dnssec-policy: p\n";
  }
  const auto [knot_s, knot_kib] =
      run_timed(cd + "kzonesign -c knot.conf -o " + dir.string() + " " + apex + " > knot.log 2>&1");
  if (knot_s < 0) {
    std::printf("N=%zu kzonesign failed (see %s/knot.log)\n", n, dir.string().c_str());
  } else {
    std::printf("N=%zu kzonesign (NSEC3 1 0 0 -): %.2f s, peak RSS %.1f MiB; ours %.1fx faster\n", n, knot_s,
                static_cast<double>(knot_kib) / 1024.0, knot_s / build_s);
  }
  std::printf("RESULT n=%zu build_s=%.3f hwm_kib=%ld per1_us=%.2f per100_us=%.2f ldns_s=%.3f knot_s=%.3f\n",
              n, build_s, hwm, per1 * 1e6, per100 * 1e6, ldns_s, knot_s);
  std::fflush(stdout);
  if (std::getenv("BENCH_KEEP") == nullptr) fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::stoul(argv[i]));
  if (sizes.empty()) sizes = {10000, 100000, 1000000};
  std::printf("bench_zone: %u hardware threads\n", std::thread::hardware_concurrency());
  for (const std::size_t n : sizes) {
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid == 0) {
      bench_one(n);
      std::fflush(stdout);
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::printf("N=%zu: child failed\n", n);
  }
  return 0;
}
