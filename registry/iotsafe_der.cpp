#include "registry/iotsafe_der.hpp"

#include "registry/der_tlv.hpp"

#include <stdexcept>

namespace iotreg::registry {
namespace {

using bytes = std::vector<std::uint8_t>;

void append_certificate(bytes& out, const bytes& cert) {
  // Embedded as is: the certificate's own DER is one SEQUENCE TLV.
  der::reader r(cert);
  const auto t = r.next();
  if (!t || t->tag != der::tag_sequence || !r.at_end())
    throw std::invalid_argument("iotsafe payload: a certificate is not one DER SEQUENCE");
  out.insert(out.end(), cert.begin(), cert.end());
}

void append_records(bytes& out, const std::vector<payload_record>& records) {
  bytes list;
  for (const auto& rec : records) {
    bytes one;
    der::append_integer(one, rec.rr_type);
    der::append_tlv(one, der::tag_octet_string, rec.rdata);
    der::append_tlv(list, der::tag_sequence, one);
  }
  der::append_tlv(out, der::tag_sequence, list);
}

error malformed(std::string what) { return {errc::invalid_request, "iotsafe payload: " + std::move(what)}; }

std::optional<std::string> ascii(const std::optional<der::tlv>& t) {
  if (!t) return std::nullopt;
  std::string s;
  for (auto b : t->content) {
    if (b >= 0x80) return std::nullopt;
    s += static_cast<char>(b);
  }
  return s;
}

std::optional<std::vector<payload_record>> read_records(const std::optional<der::tlv>& list) {
  if (!list) return std::nullopt;
  std::vector<payload_record> out;
  der::reader r(list->content);
  while (!r.at_end()) {
    auto one = r.next_if(der::tag_sequence);
    if (!one) return std::nullopt;
    der::reader f(one->content);
    auto type = f.next_if(der::tag_integer);
    auto rdata = f.next_if(der::tag_octet_string);
    if (!type || !rdata || !f.at_end()) return std::nullopt;
    auto v = der::read_unsigned(type->content);
    if (!v || *v > 0xffff) return std::nullopt;
    out.push_back({static_cast<std::uint16_t>(*v), bytes(rdata->content.begin(), rdata->content.end()), {}});
  }
  return out;
}

}  // namespace

std::vector<std::uint8_t> encode_iotsafe_der(const iotsafe_payload& p) {
  bytes body;
  der::append_integer(body, p.version);
  der::append_string(body, der::tag_ia5_string, p.device_id);
  der::append_string(body, der::tag_ia5_string, p.dns_name);
  append_certificate(body, p.device_certificate);
  append_certificate(body, p.issuing_ca);
  if (p.root_ca) {
    bytes root;
    append_certificate(root, *p.root_ca);
    der::append_tlv(body, der::tag_context(0), root);
  }
  bytes anchor;
  der::append_string(anchor, der::tag_ia5_string, p.zone);
  append_records(anchor, p.ds);
  append_records(anchor, p.dnskey);
  der::append_tlv(body, der::tag_sequence, anchor);
  append_records(body, p.device_tlsa);
  if (p.service) {
    bytes ep;
    der::append_string(ep, der::tag_ia5_string, p.service->host);
    der::append_integer(ep, p.service->port);
    der::append_string(ep, der::tag_ia5_string, p.service->tlsa_name);
    append_records(ep, p.service->tlsa);
    bytes seq;
    der::append_tlv(seq, der::tag_sequence, ep);
    der::append_tlv(body, der::tag_context(1), seq);
  }
  bytes out;
  der::append_tlv(out, der::tag_sequence, body);
  return out;
}

result<iotsafe_payload> decode_iotsafe_der(std::span<const std::uint8_t> data) {
  der::reader top(data);
  auto outer = top.next_if(der::tag_sequence);
  if (!outer) return malformed("not a DER SEQUENCE (or truncated)");
  if (!top.at_end()) return malformed("bytes after the payload");
  der::reader r(outer->content);
  iotsafe_payload p;
  auto version = r.next_if(der::tag_integer);
  const auto v = version ? der::read_unsigned(version->content) : std::nullopt;
  if (!v) return malformed("version missing");
  if (*v != 1) return malformed("unsupported version " + std::to_string(*v));
  p.version = 1;
  auto id = ascii(r.next_if(der::tag_ia5_string));
  auto name = ascii(r.next_if(der::tag_ia5_string));
  if (!id || !name) return malformed("device id or name missing");
  p.device_id = *id;
  p.dns_name = *name;
  auto device = r.next_if(der::tag_sequence);
  auto issuing = r.next_if(der::tag_sequence);
  if (!device || !issuing) return malformed("certificates missing");
  p.device_certificate.assign(device->encoding.begin(), device->encoding.end());
  p.issuing_ca.assign(issuing->encoding.begin(), issuing->encoding.end());
  if (r.peek_tag() == der::tag_context(0)) {
    auto wrapped = r.next();
    if (!wrapped) return malformed("root CA truncated");
    der::reader w(wrapped->content);
    auto root = w.next_if(der::tag_sequence);
    if (!root || !w.at_end()) return malformed("root CA is not one certificate");
    p.root_ca = bytes(root->encoding.begin(), root->encoding.end());
  }
  auto anchor = r.next_if(der::tag_sequence);
  if (!anchor) return malformed("trust anchor missing");
  der::reader a(anchor->content);
  auto zone = ascii(a.next_if(der::tag_ia5_string));
  auto ds = read_records(a.next_if(der::tag_sequence));
  auto dnskey = read_records(a.next_if(der::tag_sequence));
  if (!zone || !ds || !dnskey || !a.at_end()) return malformed("trust anchor malformed");
  p.zone = *zone;
  p.ds = std::move(*ds);
  p.dnskey = std::move(*dnskey);
  auto tlsa = read_records(r.next_if(der::tag_sequence));
  if (!tlsa) return malformed("device TLSA malformed");
  p.device_tlsa = std::move(*tlsa);
  if (r.peek_tag() == der::tag_context(1)) {
    auto wrapped = r.next();
    if (!wrapped) return malformed("service endpoint truncated");
    der::reader w(wrapped->content);
    auto seq = w.next_if(der::tag_sequence);
    if (!seq || !w.at_end()) return malformed("service endpoint malformed");
    der::reader e(seq->content);
    auto host = ascii(e.next_if(der::tag_ia5_string));
    auto port_tlv = e.next_if(der::tag_integer);
    const std::uint64_t port = port_tlv ? der::read_unsigned(port_tlv->content).value_or(0) : 0;
    auto owner = ascii(e.next_if(der::tag_ia5_string));
    auto records = read_records(e.next_if(der::tag_sequence));
    if (!host || port < 1 || port > 65535 || !owner || !records || !e.at_end())
      return malformed("service endpoint malformed");
    p.service =
        iotsafe_payload::endpoint{*host, static_cast<std::uint16_t>(port), *owner, std::move(*records)};
  }
  if (!r.at_end()) return malformed("unexpected element after the last field");
  return p;
}

}  // namespace iotreg::registry
