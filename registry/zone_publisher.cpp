#include "registry/zone_publisher.hpp"

#include "dns/names.hpp"
#include "dns/rr_types.hpp"
#include "dns/wire_name.hpp"
#include "dns/zone_file.hpp"
#include "dns/zone_snapshot.hpp"

#include "registry/log.hpp"

#include <algorithm>

namespace iotreg::registry {
namespace {

constexpr auto retention = std::chrono::minutes(2);  // how long waiters can still find a change
constexpr auto retry_after_failure = std::chrono::seconds(1);

dns::tlsa_rdata to_rdata(const tlsa_data& t) { return {t.usage, t.selector, t.matching, t.association}; }

/// The device's TLSA RRset as `zone` serves it (empty if the name has none).
std::vector<dns::tlsa_rdata> served_tlsa(const dns::zone_snapshot& zone, const std::string& device_id) {
  std::vector<dns::tlsa_rdata> out;
  const auto owner = dns::detail::name_from_text(dns::device_owner(zone.apex(), device_id));
  if (!owner) return out;
  const auto* node = zone.data().nodes.get(*owner);
  const auto* set = node != nullptr ? node->find(dns::detail::rr_type::tlsa) : nullptr;
  if (set == nullptr) return out;
  for (const auto& rd : set->rdata) {
    if (rd.size() < 3) continue;  // never built by the signer
    dns::tlsa_rdata t;
    t.usage = rd[0];
    t.selector = rd[1];
    t.matching = rd[2];
    t.data.assign(rd.begin() + 3, rd.end());
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

// The outbox speaks of single records (a device has several during a renewal overlap), the
// signer of whole RRsets: each change becomes an upsert of the device's resulting RRset, starting
// from what the current snapshot serves, or a removal of the name when nothing is left.
std::vector<dns::change> zone_publisher::to_dns_changes(const std::vector<zone_change>& changes) const {
  std::unordered_map<std::string, std::vector<dns::tlsa_rdata>> sets;
  const auto snap = signer_.snapshot();  // the signer's content: what the changes apply to
  std::vector<dns::change> out;
  out.reserve(changes.size());
  for (const auto& c : changes) {
    auto it = sets.find(c.device_id);
    if (it == sets.end()) it = sets.emplace(c.device_id, served_tlsa(*snap, c.device_id)).first;
    auto& set = it->second;
    const auto rdata = to_rdata(c.tlsa);
    const auto pos = std::find(set.begin(), set.end(), rdata);
    if (c.op == zone_change::kind::add) {
      if (pos == set.end()) set.push_back(rdata);
    } else if (pos != set.end()) {
      set.erase(pos);
    }
    dns::change d;
    d.device_id = c.device_id;
    d.op = set.empty() ? dns::change::kind::remove : dns::change::kind::upsert;
    d.tlsa = set;
    out.push_back(std::move(d));
  }
  return out;
}

zone_publisher::zone_publisher(publisher_settings settings, zone_store& store, dns::zone_signer signer,
                               clock_fn now)
    : settings_(std::move(settings)),
      store_(store),
      signer_(std::move(signer)),
      now_(std::move(now)),
      journal_(std::make_shared<const dns::journal>(
          dns::journal_limits{settings_.ixfr_history, settings_.ixfr_max_bytes})) {}

zone_publisher::~zone_publisher() { stop(); }

std::uint32_t zone_publisher::next_serial() {
  if (!serial_) {
    // First serial of this process: above whatever was published before (RFC 1982 increment),
    // or the current time for a zone never published, so that a re-created database does not
    // go backwards for secondaries that saw an earlier incarnation.
    if (auto last = store_.last_serial(settings_.zone)) {
      serial_ = *last;
    } else {
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(now_().time_since_epoch()).count();
      return *(serial_ = static_cast<std::uint32_t>(secs));
    }
  }
  return *serial_ = *serial_ + 1;  // wraps modulo 2^32 as RFC 1982 wants
}

void zone_publisher::rebuild() {
  auto devices = store_.active_tlsa(settings_.zone);
  // One record per (device, TLSA): a device with several live certificates gets one RRset.
  std::stable_sort(devices.begin(), devices.end(),
                   [](const device_tlsa& a, const device_tlsa& b) { return a.device_id < b.device_id; });
  std::vector<dns::device_record> records;
  records.reserve(devices.size());
  for (auto& d : devices) {
    if (records.empty() || records.back().device_id != d.device_id) records.push_back({d.device_id, {}});
    records.back().tlsa.push_back(
        {d.tlsa.usage, d.tlsa.selector, d.tlsa.matching, std::move(d.tlsa.association)});
  }
  std::uint32_t serial = next_serial();  // continues above a serial this process already used
  const time_point now = now_();
  std::optional<std::vector<dns::zone_key>> keys;
  if (keys_) {
    // The keys as the policy wants them now; after a failure the signer may hold keys that were
    // never published, so they are set again either way.
    keys = keys_->step(now, true);
    signer_.set_keys(std::move(*keys), serial, now);
  }
  signer_.build(records, serial, now);
  publish(signer_.snapshot(), serial, {}, true, nullptr);
  if (keys_) keys_->applied();
  logger()->info("zone {} built from the database: {} devices, serial {}", settings_.zone, records.size(),
                 serial);
}

void zone_publisher::apply_key_policy() {
  const time_point now = now_();
  auto keys = keys_->step(now);
  if (!keys) return;
  const std::size_t count = keys->size();
  std::uint32_t serial = next_serial();
  signer_.set_keys(std::move(*keys), serial, now);
  publish(signer_.snapshot(), serial, {}, false, signer_.last_diff());
  keys_->applied();
  logger()->info("zone {}: key set changed ({} keys in the zone), serial {}", settings_.zone, count, serial);
}

std::size_t zone_publisher::publish_pending() {
  auto changes = store_.pending_changes(settings_.zone, settings_.batch_max);
  const time_point now = now_();
  // Signatures due for refresh ride along with the batch, or make a serial of their own.
  if (changes.empty() && !signer_.refresh_due(now)) return 0;
  const std::vector<dns::change> dns_changes = to_dns_changes(changes);
  std::vector<std::int64_t> ids;
  ids.reserve(changes.size());
  for (const auto& c : changes) ids.push_back(c.id);
  std::uint32_t serial = next_serial();
  signer_.apply(dns_changes, serial, now);  // a new serial: also re-signs what is due
  publish(signer_.snapshot(), serial, ids, false, signer_.last_diff());
  return changes.size();
}

void zone_publisher::publish(std::shared_ptr<const dns::zone_snapshot> snap, std::uint32_t serial,
                             const std::vector<std::int64_t>& ids, bool full_build,
                             const dns::zone_diff* signer_diff) {
  // 1. The database, so that a restart continues above this serial and no serial is ever used
  // for two different zones (the IXFR diff to this serial goes in the same transaction); 2. the
  // file, for servers that load zone files (for big zones at most once per min_file_interval,
  // see publisher_settings); only then 3. DNS readers (journal first, so that a reader of the
  // new snapshot finds its diff) and 4. the requests waiting for their change.
  // `signer_diff` is the signer's record of this step, O(changes); nullptr after a full build,
  // where no older diff chains to the new zone and the journal starts over.
  std::shared_ptr<const dns::zone_diff> diff;
  if (!full_build && signer_diff != nullptr && settings_.ixfr_history > 0) {
    diff = std::make_shared<const dns::zone_diff>(*signer_diff);
  }
  if (diff) {
    const journal_entry entry{diff->from_serial, diff->to_serial, dns::encode_diff(*diff)};
    store_.mark_published(settings_.zone, serial, ids, &entry, settings_.ixfr_history);
  } else {
    store_.mark_published(settings_.zone, serial, ids, nullptr, settings_.ixfr_history);
  }
  const auto old_journal = journal_.load();
  journal_.store(diff ? old_journal->with_diff(diff)
                      : std::make_shared<const dns::journal>(old_journal->limits()));
  write_zone_file(snap, full_build);
  current_.store(std::move(snap));
  if (on_published_) on_published_(serial);

  std::lock_guard lock(published_mutex_);
  auto now = std::chrono::steady_clock::now();
  for (auto id : ids) published_.emplace(id, serial);
  history_.push_back({now, ids});
  while (!history_.empty() && now - history_.front().at > retention) {
    for (auto id : history_.front().ids) published_.erase(id);
    history_.pop_front();
  }
  published_cv_.notify_all();
}

void zone_publisher::write_zone_file(const std::shared_ptr<const dns::zone_snapshot>& snap, bool force) {
  if (settings_.zone_file.empty()) return;
  file_snapshot_ = snap;
  file_pending_ = true;
  const bool small = snap->name_count() < settings_.file_rate_limit_names;
  if (force || small || now_() - last_file_write_ >= settings_.min_file_interval) flush_zone_file();
}

void zone_publisher::flush_zone_file() {
  if (!file_pending_) return;
  dns::write_zone_file(*file_snapshot_, settings_.zone_file);
  last_file_write_ = now_();
  file_pending_ = false;
  file_snapshot_.reset();  // do not keep an old version of the zone alive for the file's sake
}

std::chrono::milliseconds zone_publisher::wake_delay() const {
  // Never sleep past a refresh: refresh() relies on being called at least every interval.
  auto delay = std::min(file_write_delay(),
                        std::chrono::duration_cast<std::chrono::milliseconds>(signer_.refresh_interval()));
  if (const auto next = signer_.next_refresh()) {
    const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now_());
    delay = std::min(delay, std::max(until, std::chrono::milliseconds::zero()));
  }
  if (keys_) {
    const auto now = now_();
    const auto due = keys_->next_due();
    delay = due <= now ? std::chrono::milliseconds::zero()
                       : std::min(delay, std::chrono::ceil<std::chrono::milliseconds>(due - now));
  }
  return delay;
}

std::chrono::milliseconds zone_publisher::file_write_delay() const {
  if (!file_pending_) return settings_.poll_interval;
  const auto due = last_file_write_ + settings_.min_file_interval - now_();
  return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(due),
                    std::chrono::milliseconds::zero(), settings_.poll_interval);
}

std::optional<std::uint32_t> zone_publisher::wait_published(std::int64_t change_id,
                                                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(published_mutex_);
  std::optional<std::uint32_t> serial;
  published_cv_.wait_for(lock, timeout, [&] {
    auto it = published_.find(change_id);
    if (it != published_.end()) serial = it->second;
    return serial.has_value();
  });
  return serial;
}

std::shared_ptr<const dns::zone_snapshot> zone_publisher::snapshot() const { return current_.load(); }

std::shared_ptr<const dns::journal> zone_publisher::journal() const { return journal_.load(); }

void zone_publisher::on_published(std::function<void(std::uint32_t)> f) { on_published_ = std::move(f); }

void zone_publisher::notify() {
  {
    std::lock_guard lock(wake_mutex_);
    wake_ = true;
  }
  wake_cv_.notify_one();
}

void zone_publisher::start() {
  std::lock_guard lock(wake_mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void zone_publisher::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  // The last batch of a burst may still wait for its file write: do it now rather than lose it.
  try {
    flush_zone_file();
  } catch (const std::exception& e) {
    logger()->error("zone {}: writing the zone file at stop failed: {}", settings_.zone, e.what());
  }
}

std::size_t zone_publisher::step() {
  // Drain: keep going while full batches come back, so a burst does not wait for wake-ups.
  if (keys_ && now_() >= keys_->next_due()) apply_key_policy();
  std::size_t total = 0;
  for (;;) {
    std::size_t n = publish_pending();
    total += n;
    if (n < settings_.batch_max) return total;
  }
}

void zone_publisher::run() {
  bool rebuild_needed = false;
  for (;;) {
    {
      std::unique_lock lock(wake_mutex_);
      // Wake up in time for a zone file write held back by the rate limit and for the next
      // signature refresh.
      wake_cv_.wait_for(lock, wake_delay(), [&] { return wake_ || stopping_; });
      if (stopping_) return;
      wake_ = false;
      // Let the changes arriving together share one serial.
      if (settings_.batch_window.count() > 0) {
        wake_cv_.wait_for(lock, settings_.batch_window, [&] { return stopping_; });
        if (stopping_) return;
      }
    }
    try {
      if (rebuild_needed) {
        // A failed apply may have left the in-memory zone half-changed: start again from the
        // database, which is the truth.
        rebuild();
        rebuild_needed = false;
      }
      step();
      if (file_pending_ && file_write_delay() == std::chrono::milliseconds::zero()) flush_zone_file();
    } catch (const std::exception& e) {
      logger()->error("zone {}: publication failed, retrying from the database: {}", settings_.zone,
                      e.what());
      rebuild_needed = true;
      std::unique_lock lock(wake_mutex_);
      wake_cv_.wait_for(lock, retry_after_failure, [&] { return stopping_; });
      if (stopping_) return;
      wake_ = true;
    }
  }
}

}  // namespace iotreg::registry
