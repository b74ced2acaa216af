#include "dns/rrset_signer.hpp"

#include "dns/ldns_error.hpp"
#include "dns/rr_types.hpp"
#include "dns/rr_wire.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <stdexcept>

namespace iotreg::dns::detail {
namespace {

constexpr std::uint16_t class_in = 1;
constexpr std::uint8_t algorithm_ecdsa_p256 = 13;  // ECDSAP256SHA256 (RFC 6605)

using rdata_view = std::span<const std::uint8_t>;

std::uint8_t lower(std::uint8_t c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c - 'A' + 'a') : c;
}

/// Lower-cases octets [from, to) of `in` into `out`. Used on whole uncompressed names: a label
/// length octet is at most 63, below 'A', so it is never changed.
void lower_range(rdata_view in, std::size_t from, std::size_t to, bytes& out) {
  out.assign(in.begin(), in.end());
  for (std::size_t i = from; i < to && i < out.size(); ++i) out[i] = lower(out[i]);
}

/// The part of an RDATA of `type` that is domain names to lower-case in canonical form (RFC 4034
/// §6.2 as amended by RFC 6840 §5.1), for the types this zone can hold; {0, 0} for the others.
std::pair<std::size_t, std::size_t> name_span(std::uint16_t type, std::size_t size) noexcept {
  switch (type) {
    case 2:   // NS
    case 5:   // CNAME
    case 12:  // PTR
      return {0, size};
    case 15:  // MX: preference, exchange
      return {2, size};
    case 6:  // SOA: MNAME, RNAME, then five 32-bit fields
      return {0, size >= 20 ? size - 20 : 0};
    default: return {0, 0};
  }
}

int label_field(name_view owner) noexcept {
  int labels = static_cast<int>(label_count(owner));
  if (owner.size() >= 2 && owner[0] == 1 && owner[1] == '*') --labels;  // RFC 4034 §3.1.3
  return labels;
}

void append(bytes& out, rdata_view v) { out.insert(out.end(), v.begin(), v.end()); }

/// Per-thread scratch space, so that signing allocates only the results.
struct scratch {
  ldns_ptr<ldns_buffer> buf{ldns_buffer_new(1024)};
  bytes owner;                 ///< lower-cased owner
  bytes head;                  ///< RRSIG RDATA without the signature
  bytes records;               ///< the RRs of the signed data, canonical form and order
  std::vector<bytes> lowered;  ///< RDATAs whose names were lower-cased
  bytes data;                  ///< the signed data (head + records), for the ECDSA path
};

scratch& thread_scratch() {
  thread_local scratch s;
  if (!s.buf) throw_error(errc::ldns_failure, "ldns_buffer_new");
  return s;
}

std::atomic<std::uint64_t> next_key_id{1};

struct pkey_ctx_free {
  void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_free>;

/// This thread's ECDSA signing contexts, by key id, newest first. A context holds a reference to
/// its EVP_PKEY, so an entry stays valid after the key's owner is gone; a few are kept (a zone
/// signs with one ZSK and one KSK, two of each during a rollover) and the oldest are dropped.
class ecdsa_contexts {
 public:
  EVP_PKEY_CTX* get(std::uint64_t key_id, ldns_key* key) {
    for (auto& [id, ctx] : entries_) {
      if (id == key_id) return ctx.get();
    }
    EVP_PKEY* pkey = ldns_key_evp_key(key);
    if (pkey == nullptr) throw_error(errc::ldns_failure, "ldns_key_evp_key");
    pkey_ctx_ptr ctx(EVP_PKEY_CTX_new(pkey, nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1) {
      throw_error(errc::ldns_failure, "EVP_PKEY_sign_init");
    }
    entries_.emplace_front(key_id, std::move(ctx));
    if (entries_.size() > max_entries) entries_.pop_back();
    return entries_.front().second.get();
  }

 private:
  static constexpr std::size_t max_entries = 8;
  std::deque<std::pair<std::uint64_t, pkey_ctx_ptr>> entries_;
};

/// The RRSIG signature field for `data` with ECDSA P-256/SHA-256 (RFC 6605: r||s, 64 octets).
ldns_ptr<ldns_rdf> sign_ecdsa_p256(std::uint64_t key_id, ldns_key* key, const bytes& data) {
  thread_local ecdsa_contexts contexts;
  EVP_PKEY_CTX* ctx = contexts.get(key_id, key);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if (SHA256(data.data(), data.size(), digest) == nullptr) throw_error(errc::ldns_failure, "SHA256");
  // A DER ECDSA-Sig-Value for P-256 is at most 72 octets.
  unsigned char der[80];
  std::size_t der_len = sizeof der;
  if (EVP_PKEY_sign(ctx, der, &der_len, digest, sizeof digest) != 1) {
    throw_error(errc::ldns_failure, "EVP_PKEY_sign");
  }
  const ldns_ptr<ldns_buffer> b(ldns_buffer_new(der_len));
  if (!b) throw_error(errc::ldns_failure, "ldns_buffer_new");
  ldns_buffer_write(b.get(), der, der_len);
  ldns_ptr<ldns_rdf> sig(ldns_convert_ecdsa_rrsig_asn1len2rdf(b.get(), static_cast<long>(der_len), 32));
  if (!sig) throw_error(errc::ldns_failure, "ldns_convert_ecdsa_rrsig_asn1len2rdf");
  return sig;
}

}  // namespace

rrset_signer::rrset_signer(const std::vector<dnssec_key>& keys) {
  for (const auto& k : keys) {
    auto signer = name_from_text(k.zone_apex());
    if (!signer) throw std::invalid_argument("key apex is not a valid name: " + k.zone_apex());
    signing_key s{k.native_handle(), k.algorithm(), k.key_tag(), std::move(*signer), next_key_id++};
    (k.role() == key_role::ksk ? ksks_ : zsks_).push_back(std::move(s));
  }
}

void rrset_signer::set_validity(std::uint32_t inception, std::uint32_t expiration) {
  validity_ = {inception, expiration};
}

std::vector<bytes> rrset_signer::sign(name_view owner, std::uint16_t type, std::uint32_t ttl,
                                      std::span<const bytes> rdata, rrsig_validity v) const {
  std::vector<rdata_view> views(rdata.begin(), rdata.end());
  return sign_records(owner, type, ttl, views, v);
}

std::vector<bytes> rrset_signer::sign_one(name_view owner, std::uint16_t type, std::uint32_t ttl,
                                          std::span<const std::uint8_t> rdata, rrsig_validity v) const {
  const rdata_view one[1] = {rdata};
  return sign_records(owner, type, ttl, one, v);
}

std::vector<bytes> rrset_signer::sign_records(name_view owner, std::uint16_t type, std::uint32_t ttl,
                                              std::span<const rdata_view> rdata, rrsig_validity v) const {
  if (rdata.empty()) throw std::invalid_argument("cannot sign an empty RRset");
  scratch& s = thread_scratch();

  // Canonical RDATAs (§6.2), then canonical order (§6.3): sorted as octet strings, once each.
  std::vector<rdata_view> sorted(rdata.begin(), rdata.end());
  if (const auto [from, to] = name_span(type, 0xFFFF); to > from) {
    s.lowered.resize(sorted.size());
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      const auto [f, t] = name_span(type, sorted[i].size());
      lower_range(sorted[i], f, t, s.lowered[i]);
      sorted[i] = s.lowered[i];
    }
  }
  const auto octet_less = [](rdata_view a, rdata_view b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  };
  if (!std::is_sorted(sorted.begin(), sorted.end(), octet_less)) {
    std::sort(sorted.begin(), sorted.end(), octet_less);
  }

  s.owner.assign(owner.begin(), owner.end());
  for (auto& c : s.owner) c = lower(c);

  // The RR part of the signed data is the same for every key: build it once.
  s.records.clear();
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const rdata_view rd = sorted[i];
    if (rd.size() > 0xFFFF) throw std::invalid_argument("RDATA longer than 65535 octets");
    if (i > 0 && std::equal(rd.begin(), rd.end(), sorted[i - 1].begin(), sorted[i - 1].end())) continue;
    append(s.records, s.owner);
    put16(s.records, type);
    put16(s.records, class_in);
    put32(s.records, ttl);
    put16(s.records, static_cast<std::uint16_t>(rd.size()));
    append(s.records, rd);
  }

  // RFC 7344 §4.1: CDS/CDNSKEY are signed by a key the parent's DS names, like DNSKEY.
  const bool by_ksk = type == rr_type::dnskey || type == rr_type::cds || type == rr_type::cdnskey;
  const auto& keys = by_ksk ? ksks_ : zsks_;
  std::vector<bytes> out;
  out.reserve(keys.size());
  const auto labels = static_cast<std::uint8_t>(label_field(s.owner));
  for (const auto& k : keys) {
    // RRSIG RDATA without the signature (§3.1), which also starts the signed data (§3.1.8.1).
    bytes& head = s.head;
    head.clear();
    put16(head, type);
    head.push_back(k.algorithm);
    head.push_back(labels);
    put32(head, ttl);
    put32(head, v.expiration);
    put32(head, v.inception);
    put16(head, k.tag);
    append(head, k.signer);

    ldns_ptr<ldns_rdf> sig;
    if (k.algorithm == algorithm_ecdsa_p256) {
      s.data.assign(head.begin(), head.end());
      append(s.data, s.records);
      sig = sign_ecdsa_p256(k.id, k.key, s.data);
    } else {
      ldns_buffer* buf = s.buf.get();
      ldns_buffer_clear(buf);
      if (!ldns_buffer_reserve(buf, head.size() + s.records.size())) {
        throw_error(errc::ldns_failure, "ldns_buffer_reserve");
      }
      ldns_buffer_write(buf, head.data(), head.size());
      ldns_buffer_write(buf, s.records.data(), s.records.size());
      sig.reset(ldns_sign_public_buffer(buf, k.key));
      if (!sig) throw_error(errc::ldns_failure, "ldns_sign_public_buffer");
    }
    // Sized exactly: a million of these stay in memory.
    bytes rrsig;
    rrsig.reserve(head.size() + ldns_rdf_size(sig.get()));
    append(rrsig, head);
    const auto* data = ldns_rdf_data(sig.get());
    rrsig.insert(rrsig.end(), data, data + ldns_rdf_size(sig.get()));
    out.push_back(std::move(rrsig));
  }
  if (out.empty()) throw_error(errc::ldns_failure, "no key to sign with");
  return out;
}

std::uint32_t rrsig_time(std::chrono::system_clock::time_point t) noexcept {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(s));
}

}  // namespace iotreg::dns::detail
