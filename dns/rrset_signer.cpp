#include "dns/rrset_signer.hpp"

#include "dns/ldns_error.hpp"
#include "dns/rr_types.hpp"
#include "dns/rr_wire.hpp"

namespace iotreg::dns::detail {

rrset_signer::rrset_signer(const std::vector<dnssec_key>& keys)
    : keys_(keys),
      ksks_(check_ldns_ptr(ldns_key_list_new(), "ldns_key_list_new")),
      zsks_(check_ldns_ptr(ldns_key_list_new(), "ldns_key_list_new")) {
  for (const auto& k : keys_) {
    ldns_key_list* list = k.role() == key_role::ksk ? ksks_.get() : zsks_.get();
    if (!ldns_key_list_push_key(list, k.native_handle())) {
      throw_error(errc::ldns_failure, "ldns_key_list_push_key");
    }
  }
}

void rrset_signer::set_validity(std::uint32_t inception, std::uint32_t expiration) {
  for (const auto& k : keys_) {
    ldns_key_set_inception(k.native_handle(), inception);
    ldns_key_set_expiration(k.native_handle(), expiration);
  }
}

std::vector<bytes> rrset_signer::sign(name_view owner, std::uint16_t type, std::uint32_t ttl,
                                      const std::vector<bytes>& rdata) const {
  const ldns_ptr<ldns_rr_list> set(check_ldns_ptr(ldns_rr_list_new(), "ldns_rr_list_new"));
  for (const auto& rd : rdata) {
    auto rr = rr_to_ldns(owner, type, ttl, rd);
    if (!ldns_rr_list_push_rr(set.get(), rr.get())) {
      throw_error(errc::ldns_failure, "ldns_rr_list_push_rr");
    }
    rr.release();  // now owned by the list
  }
  const bool by_ksk = type == rr_type::dnskey || type == rr_type::cds || type == rr_type::cdnskey;
  ldns_key_list* keys = by_ksk ? ksks_.get() : zsks_.get();
  const ldns_ptr<ldns_rr_list> sigs(check_ldns_ptr(ldns_sign_public(set.get(), keys), "ldns_sign_public"));
  std::vector<bytes> out;
  out.reserve(ldns_rr_list_rr_count(sigs.get()));
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(sigs.get()); ++i) {
    out.push_back(ldns_rdata_wire(ldns_rr_list_rr(sigs.get(), i)));
  }
  if (out.empty()) throw_error(errc::ldns_failure, "ldns_sign_public produced no signature");
  return out;
}

std::uint32_t rrsig_time(std::chrono::system_clock::time_point t) noexcept {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(s));
}

}  // namespace iotreg::dns::detail
