#include "dns/rr_wire.hpp"

#include "dns/ldns_error.hpp"
#include "dns/rr_types.hpp"

#include <arpa/inet.h>

#include <string>

namespace iotreg::dns::detail {

void put16(bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put32(bytes& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}

bytes soa_rdata(const soa_fields& f) {
  bytes out(f.mname.begin(), f.mname.end());
  out.insert(out.end(), f.rname.begin(), f.rname.end());
  put32(out, f.serial);
  put32(out, f.refresh);
  put32(out, f.retry);
  put32(out, f.expire);
  put32(out, f.minimum);
  return out;
}

std::optional<bytes> address_rdata(std::string_view text, std::uint16_t& type) {
  const std::string s(text);
  bytes out(16);
  if (::inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    out.resize(4);
    type = rr_type::a;
    return out;
  }
  if (::inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    type = rr_type::aaaa;
    return out;
  }
  return std::nullopt;
}

bytes rr_to_wire(name_view owner, std::uint16_t type, std::uint32_t ttl,
                 std::span<const std::uint8_t> rdata) {
  bytes out(owner.begin(), owner.end());
  put16(out, type);
  put16(out, rr_class::in);
  put32(out, ttl);
  put16(out, static_cast<std::uint16_t>(rdata.size()));
  out.insert(out.end(), rdata.begin(), rdata.end());
  return out;
}

ldns_ptr<ldns_rr> rr_to_ldns(name_view owner, std::uint16_t type, std::uint32_t ttl,
                             std::span<const std::uint8_t> rdata) {
  const bytes wire = rr_to_wire(owner, type, ttl, rdata);
  ldns_rr* rr = nullptr;
  std::size_t pos = 0;
  check_ldns(ldns_wire2rr(&rr, wire.data(), wire.size(), &pos, LDNS_SECTION_ANSWER), "wire to ldns_rr");
  return ldns_ptr<ldns_rr>(rr);
}

bytes ldns_rdata_wire(const ldns_rr* rr) {
  const ldns_ptr<ldns_buffer> buf(check_ldns_ptr(ldns_buffer_new(512), "ldns_buffer_new"));
  check_ldns(ldns_rr_rdata2buffer_wire(buf.get(), rr), "ldns_rr rdata to wire");
  const std::uint8_t* data = ldns_buffer_begin(buf.get());
  return {data, data + ldns_buffer_position(buf.get())};
}

}  // namespace iotreg::dns::detail
