#pragma once
// The zone's signer loop: takes committed changes from the outbox, applies them to the signed
// zone in batches (one new serial per batch), records the serial in the database, writes the
// zone file and then makes the new zone visible to DNS readers and to waiting requests.
//
// Ordering (why the 201 can promise what it promises): the serial is stored in PostgreSQL before
// the snapshot is swapped and before any waiter is woken, so after a crash the restarted daemon
// starts from a larger serial and rebuilds from the devices table, which holds every change that
// was ever acknowledged.

#include "dns/journal.hpp"
#include "dns/signer.hpp"
#include "registry/key_manager.hpp"
#include "registry/ports.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace iotreg::registry {

struct publisher_settings {
  std::string zone;                 // apex with the final dot
  std::filesystem::path zone_file;  // empty: do not write a file
  std::chrono::milliseconds batch_window{10};
  std::size_t batch_max = 1000;
  std::chrono::milliseconds poll_interval{1000};  // safety net for missed wake-ups
  // Rewriting a big zone file takes seconds (about 4 s at 100k devices), so for zones of at least
  // file_rate_limit_names owner names (NSEC3 owners included; 5,000 names is about 10k records)
  // the file is written at most once per min_file_interval. A write that is held back is not
  // lost: the signer thread does it once the interval has passed, and stop() does it at the end.
  // Smaller zones are written after every batch.
  std::chrono::milliseconds min_file_interval{5000};
  std::size_t file_rate_limit_names = 5000;
  // Signatures are refreshed per RRset by the signer (zone_signer::refresh, policy in
  // dns::zone_parameters): step() does it on the injected clock, and the thread wakes at least
  // every zone_signer::refresh_interval() for it.
  // IXFR (RFC 1995): how many diffs the journal keeps (in memory and in PostgreSQL), and at most
  // how many octets of records in memory. 0 diffs: no journal, secondaries always get AXFR.
  std::size_t ixfr_history = 200;
  std::size_t ixfr_max_bytes = 256U * 1024U * 1024U;
};

class zone_publisher {
 public:
  using clock_fn = std::function<time_point()>;

  zone_publisher(
      publisher_settings settings, zone_store& store, dns::zone_signer signer,
      clock_fn now = [] { return clock::now(); });
  ~zone_publisher();
  zone_publisher(const zone_publisher&) = delete;
  zone_publisher& operator=(const zone_publisher&) = delete;

  /// Lets `km` drive the zone's keys (RFC 7583 rollovers): rebuild() starts from the keys it
  /// gives, and step() runs it whenever km->next_due() has come, publishing a key change as a
  /// serial of its own (database, IXFR diff, zone file, snapshot, on_published) like any other.
  /// Without one, the keys stay those the signer was built with. `km` must outlive the
  /// publisher; it is used on the thread that publishes only. Call before rebuild().
  void set_key_manager(key_manager* km) noexcept { keys_ = km; }

  /// Builds the whole zone from the database with a serial above the last one published, and
  /// publishes it. Blocking; call before start(). @throws on database or signing failure.
  void rebuild();

  /// Starts the signer thread. stop() (or the destructor) ends it.
  void start();
  void stop();

  /// Tells the signer that a change was committed (cheap; wakes the thread).
  void notify();

  /// `f` is called with each new serial right after its snapshot becomes visible, on the thread
  /// that published it (the signer thread, or the caller of rebuild()/publish_pending()). It
  /// must be cheap and must not throw (post the work elsewhere). Set before start().
  void on_published(std::function<void(std::uint32_t serial)> f);

  /// Blocks until the outbox row `change_id` is published, or the timeout passes.
  /// @returns the first serial that contains the change.
  std::optional<std::uint32_t> wait_published(std::int64_t change_id, std::chrono::milliseconds timeout);

  /// The zone DNS readers should answer from (never null after rebuild()).
  std::shared_ptr<const dns::zone_snapshot> snapshot() const;

  /// The IXFR journal DNS readers should answer from (never null; empty after a full build).
  /// Swapped after the database has the diffs it holds, before the snapshot they lead to.
  /// Thread-safe (an atomic load).
  std::shared_ptr<const dns::journal> journal() const;

  /// Publishes pending changes once, synchronously (the thread's body; also for tests), together
  /// with the signatures due for refresh: a new serial if there is either.
  /// @returns the number of changes published.
  std::size_t publish_pending();

  /// Writes the zone file now if a write is pending (held back by min_file_interval).
  /// Blocking. @throws std::system_error on I/O failure (the write stays pending).
  void flush_zone_file();

  /// True if the newest snapshot has not been written to the zone file yet.
  bool zone_file_pending() const noexcept { return file_pending_; }

  /// One turn of the signer thread: runs the key policy if due (a key change is a serial of its
  /// own, published first), publishes every pending change and re-signs the RRsets whose
  /// signatures are due for refresh at now() (the first batch and the refresh share one serial;
  /// with no change pending, a refresh alone makes a new serial). @returns the changes published.
  std::size_t step();

 private:
  /// The outbox rows as signer changes: each one an upsert of the device's whole resulting TLSA
  /// RRset (from the served snapshot plus the earlier rows of the batch), or a removal of the name
  /// when no record is left. Called on the publishing thread.
  std::vector<dns::change> to_dns_changes(const std::vector<zone_change>& changes) const;
  void run();
  std::uint32_t next_serial();
  /// Runs the key manager at now() and publishes the zone with the keys it returns, if any.
  void apply_key_policy();
  /// `diff` leads from the previous serial to `serial` (IXFR); nullptr for a full build.
  void publish(std::shared_ptr<const dns::zone_snapshot> snap, std::uint32_t serial,
               const std::vector<std::int64_t>& ids, bool full_build, const dns::zone_diff* diff);
  /// How long the thread may sleep: until a zone file write, a signature refresh or a key policy
  /// step is due, at most
  /// poll_interval and the signer's refresh interval.
  std::chrono::milliseconds wake_delay() const;
  /// Writes `snap` to the zone file if due (or `force`); else leaves the write pending.
  void write_zone_file(const std::shared_ptr<const dns::zone_snapshot>& snap, bool force);
  /// How long until a pending write is due (zero if due now; poll_interval if none pending).
  std::chrono::milliseconds file_write_delay() const;

  publisher_settings settings_;
  zone_store& store_;
  dns::zone_signer signer_;
  clock_fn now_;
  key_manager* keys_ = nullptr;
  std::function<void(std::uint32_t)> on_published_;
  std::atomic<std::shared_ptr<const dns::zone_snapshot>> current_;
  std::atomic<std::shared_ptr<const dns::journal>> journal_;
  std::optional<std::uint32_t> serial_;
  // Zone file rate limit; touched only by the thread that publishes (and by stop() after it).
  std::shared_ptr<const dns::zone_snapshot> file_snapshot_;  // newest snapshot not yet written
  bool file_pending_ = false;
  time_point last_file_write_{};

  // Wake-ups for the signer thread.
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  bool stopping_ = false;
  std::thread thread_;

  // Recently published change ids, for waiters. Pruned by age so it stays small.
  struct batch {
    std::chrono::steady_clock::time_point at;
    std::vector<std::int64_t> ids;
  };
  std::mutex published_mutex_;
  std::condition_variable published_cv_;
  std::unordered_map<std::int64_t, std::uint32_t> published_;
  std::deque<batch> history_;
};

}  // namespace iotreg::registry
