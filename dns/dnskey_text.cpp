#include "dns/dnskey_text.hpp"

#include "dns/ldns.hpp"
#include "dns/ldns_error.hpp"
#include "dns/names.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <vector>

namespace iotreg::dns {

using detail::check_ldns;
using detail::check_ldns_ptr;
using detail::ldns_ptr;

namespace {

ldns_ptr<ldns_rr> dnskey_rr(std::string_view zone_apex, std::span<const std::uint8_t> rdata,
                            std::uint32_t ttl) {
  if (rdata.size() < 5) throw std::invalid_argument("DNSKEY rdata too short");
  const auto apex = normalize_zone_name(zone_apex);
  if (!apex) throw std::invalid_argument("invalid zone apex: " + std::string(zone_apex));
  const auto key = rdata.subspan(4);
  std::vector<unsigned char> b64(4 * ((key.size() + 2) / 3) + 1);
  const int n = EVP_EncodeBlock(b64.data(), key.data(), static_cast<int>(key.size()));
  if (n < 0) throw std::invalid_argument("DNSKEY public key cannot be encoded");
  const std::string text =
      *apex + " " + std::to_string(ttl) + " IN DNSKEY " + std::to_string(rdata[0] << 8 | rdata[1]) + " " +
      std::to_string(rdata[2]) + " " + std::to_string(rdata[3]) + " " +
      std::string(reinterpret_cast<const char*>(b64.data()), static_cast<std::size_t>(n));
  ldns_rr* rr = nullptr;
  check_ldns(ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr), "parse DNSKEY");
  return ldns_ptr<ldns_rr>(rr);
}

std::string rr_text(const ldns_rr* rr) {
  ldns_ptr<char> s(ldns_rr2str_fmt(ldns_output_format_nocomments, rr));
  check_ldns_ptr(s.get(), "ldns_rr2str");
  std::string out(s.get());
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\t')) out.pop_back();
  return out;
}

}  // namespace

std::string dnskey_text_from_rdata(std::string_view zone_apex, std::span<const std::uint8_t> rdata,
                                   std::uint32_t ttl) {
  return rr_text(dnskey_rr(zone_apex, rdata, ttl).get());
}

std::string ds_text_from_rdata(std::string_view zone_apex, std::span<const std::uint8_t> rdata,
                               std::uint8_t digest_type, std::uint32_t ttl) {
  ldns_hash h{};
  switch (digest_type) {
    case 2: h = LDNS_SHA256; break;
    case 4: h = LDNS_SHA384; break;
    default: throw std::invalid_argument("DS digest type must be 2 or 4");
  }
  const auto key = dnskey_rr(zone_apex, rdata, ttl);
  const ldns_ptr<ldns_rr> ds(check_ldns_ptr(ldns_key_rr2ds(key.get(), h), "ldns_key_rr2ds"));
  return rr_text(ds.get());
}

std::uint16_t key_tag_of_rdata(std::span<const std::uint8_t> rdata) noexcept {
  std::uint32_t ac = 0;
  for (std::size_t i = 0; i < rdata.size(); ++i)
    ac += (i & 1) ? rdata[i] : static_cast<std::uint32_t>(rdata[i]) << 8;
  ac += (ac >> 16) & 0xffff;
  return static_cast<std::uint16_t>(ac & 0xffff);
}

}  // namespace iotreg::dns
