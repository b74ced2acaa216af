// Renewal, rekey, confirmation and expiry (issue 4 item 4). A device may hold several live
// certificates: after a rekey the zone carries the TLSA of the old and of the new key, so that a
// verifier accepts the device whichever certificate it presents, until the new certificate is
// confirmed or the old one expires. A renewal keeps the key and so the record: the zone does not
// change. The store writes each zone change with the certificate change that causes it.

#include "dns/tlsa.hpp"
#include "dns/zone_snapshot.hpp"
#include "pki/ca.hpp"
#include "pki/csr.hpp"
#include "pki/digest.hpp"
#include "registry/authorization.hpp"
#include "registry/device_id.hpp"
#include "registry/log.hpp"
#include "registry/registry_service.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <cctype>

namespace iotreg::registry {
namespace {

constexpr std::size_t sweep_devices_per_round = 500;
constexpr int sweep_max_rounds = 100;  // bounds one sweep; the next one continues

/// Lower-case hex without leading zeros (as certificate_record::serial_hex), or nullopt.
std::optional<std::string> normalize_serial(std::string_view s) {
  if (s.empty() || s.size() > 40) return std::nullopt;
  std::string out;
  for (char ch : s) {
    if (!std::isxdigit(static_cast<unsigned char>(ch))) return std::nullopt;
    if (out.empty() && ch == '0') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  if (out.empty()) return std::nullopt;  // serials are positive
  return out;
}

}  // namespace

result<device> registry_service::live_device(std::string_view device_id) {
  auto id = normalize_device_id(device_id, settings_.allow_label_ids);
  if (!id) return error{errc::device_not_found, "no such device"};
  auto d = devices_.find(settings_.zone, *id);
  if (!d) return error{errc::device_not_found, "no such device: " + *id};
  if (d->status != device_status::active) {
    return error{errc::device_already_revoked, "device " + *id + " is revoked"};
  }
  return *d;
}

result<device> registry_service::store_certificate(const device& d, const pki::certificate& cert,
                                                   std::optional<std::int64_t> api_key_id,
                                                   const char* action) {
  new_certificate row;
  row.zone = settings_.zone;
  row.device_id = d.id;
  row.tlsa = tlsa_of(cert);
  row.certificate = record_of(cert);
  row.api_key_id = api_key_id;
  row.action = action;
  auto change = devices_.insert_certificate(row);
  if (!change) return change.error();
  logger()->info("{} device {} in zone {}: certificate serial {}, {}", action, d.id, settings_.zone,
                 row.certificate.serial_hex,
                 *change ? "change " + std::to_string(**change) : "zone unchanged");

  device out = d;
  out.tlsa = row.tlsa;
  out.certificate = row.certificate;
  if (*change) {
    publisher_.notify();
    out.zone_serial = publisher_.wait_published(**change, settings_.publish_timeout);
  }
  // Otherwise the record was served already: the serial that first published it stands.
  return out;
}

result<enrollment> registry_service::renew(const renew_request& req) {
  auto d = live_device(req.device_id);
  if (!d) return d.error();
  const auto current = pki::certificate::from_pem(d->certificate.pem);
  const EVP_PKEY* key = X509_get0_pubkey(current.native());
  auto cert = pki::issue_device_certificate(issuing_, key, dns_name(d->id), settings_.device_validity, now_(),
                                            settings_.urls);
  auto stored = store_certificate(*d, cert, req.api_key_id, "renew");
  if (!stored) return stored.error();
  if (!stored->zone_serial) {
    return error{errc::publication_timeout,
                 "device " + d->id + " is renewed but its record is not yet in the served zone"};
  }
  return to_enrollment(*stored);
}

result<enrollment> registry_service::rekey(const rekey_request& req) {
  auto d = live_device(req.device_id);
  if (!d) return d.error();
  const char* action = "rekey";
  if (req.server_keygen) {
    return with_server_key(
        d->id, *req.server_keygen, [] { return std::optional<error>{}; },
        [&](const pki::certificate& cert) { return store_certificate(*d, cert, req.api_key_id, action); });
  }
  auto csr = pki::parse_csr_pem(req.csr_pem, settings_.csr);
  if (!csr) return detail::csr_error(csr.error());
  if (const auto ec = pki::check_csr_names(*csr, settings_.csr, dns_name(d->id), d->id))
    return detail::csr_error(ec);
  auto cert = pki::issue_device_certificate(issuing_, *csr, dns_name(d->id), settings_.device_validity,
                                            now_(), settings_.urls);
  auto stored = store_certificate(*d, cert, req.api_key_id, action);
  if (!stored) return stored.error();
  if (!stored->zone_serial) {
    return error{errc::publication_timeout,
                 "device " + d->id + " is rekeyed but its new record is not yet in the served zone"};
  }
  return to_enrollment(*stored);
}

result<confirmation> registry_service::confirm(std::string_view device_id, std::string_view serial_hex) {
  auto id = normalize_device_id(device_id, settings_.allow_label_ids);
  if (!id) return error{errc::device_not_found, "no such device"};
  auto serial = normalize_serial(serial_hex);
  if (!serial) return error{errc::invalid_request, "serial must be 1 to 40 hex digits, not zero"};
  auto changes = devices_.confirm_certificate(settings_.zone, *id, *serial);
  if (!changes) return changes.error();
  logger()->info("device {} in zone {} confirmed certificate {}: {} record(s) withdrawn", *id, settings_.zone,
                 *serial, changes->size());
  confirmation c{*id, *serial, changes->size(), 0};
  if (changes->empty()) {
    c.zone_serial = publisher_.snapshot()->serial();
    return c;
  }
  publisher_.notify();
  // Ids are assigned in commit order within the transaction: waiting for the newest suffices
  // only if the batch took the older ones too, so wait for each.
  std::optional<std::uint32_t> last;
  for (auto change : *changes) {
    last = publisher_.wait_published(change, settings_.publish_timeout);
    if (!last) {
      return error{errc::publication_timeout,
                   "device " + *id +
                       " has confirmed the certificate but the old record has not yet "
                       "left the served zone"};
    }
  }
  c.zone_serial = *last;
  return c;
}

result<expiring_page> registry_service::expiring(const api_key& caller, time_point before,
                                                 const std::optional<expiring_cursor>& after,
                                                 std::size_t limit) {
  if (auto refused = authorize(caller, scope::device_read)) return *refused;
  const auto only = visible_devices(caller);
  if (!only) return expiring_page{};
  // One more than asked tells whether a next page exists.
  auto rows = devices_.expiring(settings_.zone, before, after, limit + 1, *only);
  expiring_page page;
  const bool more = rows.size() > limit;
  if (more) rows.resize(limit);
  if (more && !rows.empty()) page.next = expiring_cursor{rows.back().not_after, rows.back().row_id};
  page.items.reserve(rows.size());
  for (auto& row : rows) {
    // The SQL restriction is the filter; the policy stays the one that decides (as the device
    // list, reads_service.cpp): a row it refuses is never returned.
    device_ownership owners;
    owners.id = row.device_id;
    owners.status = device_status::active;
    owners.asp_tenant_id = row.asp_tenant_id;
    owners.mno_tenant_id = row.mno_tenant_id;
    if (authorize(caller, scope::device_read, &owners)) continue;
    page.items.push_back(std::move(row));
  }
  return page;
}

std::size_t registry_service::sweep_expired() {
  std::size_t removed = 0;
  for (int round = 0; round < sweep_max_rounds; ++round) {
    const auto changes = devices_.withdraw_expired(settings_.zone, now_(), sweep_devices_per_round);
    if (changes.empty()) break;
    removed += changes.size();
    publisher_.notify();
  }
  if (removed != 0)
    logger()->info("expiry sweep of zone {}: {} record(s) withdrawn", settings_.zone, removed);
  return removed;
}

}  // namespace iotreg::registry
