#include "registry/revocation_service.hpp"

#include "pki/crl.hpp"
#include "pki/digest.hpp"
#include "pki/ocsp.hpp"
#include "registry/log.hpp"

namespace iotreg::registry {
namespace {

/// A strong entity tag (RFC 9110 §8.8.3): the quoted SHA-256 of the bytes served.
std::string entity_tag(std::span<const std::uint8_t> der) {
  return '"' + pki::to_hex(pki::sha256(der)) + '"';
}

}  // namespace

revocation_service::revocation_service(revocation_settings settings, revocation_store& store,
                                       std::vector<const pki::certificate_authority*> cas, clock_fn now)
    : settings_(settings), store_(store), now_(std::move(now)) {
  for (const auto* ca : cas) {
    if (ca == nullptr) continue;
    const auto ski = ca->cert.subject_key_id();
    if (ski.empty()) {
      logger()->warn("CA {} has no subjectKeyIdentifier: no CRL or OCSP for it",
                     ca->cert.subject_common_name());
      continue;
    }
    issuers_.push_back({ca, pki::to_hex(ski), pki::key_id_text(ski)});
    cas_.push_back(ca);
  }
}

revocation_service::~revocation_service() { stop(); }

const pki::certificate_authority* revocation_service::find_ca(std::string_view key_id_text) const {
  for (const auto& i : issuers_) {
    if (i.key_id_text == key_id_text) return i.ca;
  }
  return nullptr;
}

stored_crl revocation_service::make_crl(const issuer& i, std::uint64_t number,
                                        const std::vector<revoked_certificate>& revoked) const {
  std::vector<pki::crl_entry> entries;
  entries.reserve(revoked.size());
  for (const auto& r : revoked) {
    // The database only holds valid codes (CHECK); anything else is listed without a reason.
    const auto reason =
        pki::revocation_reason_from_code(r.reason).value_or(pki::revocation_reason::unspecified);
    entries.push_back({r.serial_hex, r.revoked_at, reason});
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(now_());
  stored_crl out;
  out.number = number;
  out.der = pki::build_crl(*i.ca, entries,
                           {.number = number, .this_update = now, .validity = settings_.crl_validity});
  out.this_update = now;
  out.next_update = now + settings_.crl_validity;
  return out;
}

stored_crl revocation_service::regenerate(const issuer& i) {
  auto crl =
      store_.replace_crl(i.key_id_hex, [&](std::uint64_t number, const std::vector<revoked_certificate>& r) {
        return make_crl(i, number, r);
      });
  logger()->info("CRL {} of issuer {}: {} bytes, next update in {}s", crl.number, i.key_id_text,
                 crl.der.size(), settings_.crl_validity.count());
  return crl;
}

std::optional<std::vector<std::uint8_t>> revocation_service::crl(std::string_view key_id_text) {
  auto doc = crl_document(key_id_text);
  if (!doc) return std::nullopt;
  return std::move(doc->der);
}

std::optional<signed_document> revocation_service::crl_document(std::string_view key_id_text) {
  for (const auto& i : issuers_) {
    if (i.key_id_text != key_id_text) continue;
    auto stored = store_.current_crl(i.key_id_hex);
    if (!stored || stored->next_update <= now_()) stored = regenerate(i);
    signed_document out{std::move(stored->der), stored->this_update, stored->next_update, {}};
    out.etag = entity_tag(out.der);
    return out;
  }
  return std::nullopt;
}

void revocation_service::regenerate() {
  for (const auto& i : issuers_) regenerate(i);
}

std::size_t revocation_service::refresh() {
  std::size_t made = 0;
  for (const auto& i : issuers_) {
    try {
      const auto stored = store_.current_crl(i.key_id_hex);
      bool stale = !stored || stored->next_update - settings_.crl_refresh_before <= now_();
      // A revocation whose own regeneration failed (database hiccup after its commit) is caught here.
      if (!stale) stale = pki::read_crl_info(stored->der).entries != store_.revoked(i.key_id_hex).size();
      if (!stale) continue;
      regenerate(i);
      ++made;
    } catch (const std::exception& e) {
      logger()->error("CRL of issuer {}: cannot regenerate: {}", i.key_id_text, e.what());
    }
  }
  return made;
}

std::vector<std::uint8_t> revocation_service::ocsp(std::span<const std::uint8_t> request_der) {
  return ocsp_document(request_der).der;
}

signed_document revocation_service::ocsp_document(std::span<const std::uint8_t> request_der) {
  const pki::ocsp_lookup lookup = [this](const pki::certificate_authority& ca, const std::string& serial) {
    pki::ocsp_status out;  // unknown: never issued by this CA (as far as the registry knows)
    const auto state = store_.status(pki::to_hex(ca.cert.subject_key_id()), serial);
    if (!state) return out;
    if (!state->revoked_at) {
      out.status = pki::ocsp_status::kind::good;
      return out;
    }
    out.status = pki::ocsp_status::kind::revoked;
    out.revoked_at = *state->revoked_at;
    out.reason =
        pki::revocation_reason_from_code(state->reason).value_or(pki::revocation_reason::unspecified);
    return out;
  };

  std::string error;
  const auto now = std::chrono::floor<std::chrono::seconds>(now_());
  signed_document out;
  out.der =
      pki::ocsp_respond(request_der, cas_, lookup, {.now = now, .validity = settings_.ocsp_validity}, &error);
  if (!error.empty()) logger()->error("OCSP: internal error: {}", error);
  if (pki::ocsp_response_successful(out.der)) {
    // A strong tag of the bytes. Each response is signed afresh (thisUpdate = now), so the tag
    // rarely matches again; a tag naming only the statuses would let a cache revalidate a body
    // whose own nextUpdate has passed (RFC 5019 §6.2 wants the response valid while cached).
    out.etag = entity_tag(out.der);
    out.this_update = now;
    out.next_update = now + settings_.ocsp_validity;
  }
  return out;
}

void revocation_service::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!cv_.wait_for(lock, settings_.check_interval, [this] { return stopping_; })) {
      lock.unlock();
      refresh();
      lock.lock();
    }
  });
}

void revocation_service::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace iotreg::registry
