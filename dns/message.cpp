#include "dns/message.hpp"

#include "dns/answer.hpp"
#include "dns/journal.hpp"
#include "dns/message_writer.hpp"
#include "dns/query_parser.hpp"
#include "dns/rr_types.hpp"
#include "dns/serial.hpp"
#include "dns/tsig.hpp"
#include "dns/zone_snapshot.hpp"
#include "dns/zone_walk.hpp"

#include <algorithm>
#include <chrono>

namespace iotreg::dns {

using namespace detail;

namespace {

using messages = std::vector<std::vector<std::uint8_t>>;

constexpr std::uint16_t our_udp_size = 1232;  // DNS flag day 2020: no IP fragmentation
constexpr std::size_t classic_udp_size = 512;
constexpr std::size_t max_message = 65535;
constexpr std::size_t transfer_message_size = 16 * 1024;
constexpr std::size_t opt_size = 11;
constexpr std::uint16_t rcode_notauth = 9;  // RFC 8945 §5.3.2 (TSIG errors)

/// Response flags: QR, the query's opcode, RD and CD echoed, and the given bits and RCODE.
std::uint16_t reply_flags(std::uint16_t query_flags, std::uint16_t extra, std::uint16_t rc) {
  const std::uint16_t echoed = query_flags & (0x7800U | dns_flag::rd | dns_flag::cd);
  return static_cast<std::uint16_t>(dns_flag::qr | echoed | extra | (rc & 0x0fU));
}

class responder {
 public:
  responder(const parsed_query& q, const query_context& ctx, std::size_t tail = 0)
      : q_(q), ctx_(ctx), tail_(tail) {}

  /// A message with header and question (if the question parsed) and nothing else.
  messages error(std::uint16_t rc, bool with_question = true) const {
    message_writer w(max_message);
    w.set_id(q_.id);
    w.set_flags(reply_flags(q_.flags, 0, rc));
    if (with_question) w.add_question(q_.qname, q_.qtype, q_.qclass);
    if (q_.edns) w.add_opt(our_udp_size, static_cast<std::uint8_t>(rc >> 4), 0, q_.edns->dnssec_ok);
    return {std::move(w).finish()};
  }

  messages answer_query(const zone_snapshot& zone) const {
    const answer a = lookup(zone.data(), q_.qname, q_.qtype, dnssec());
    const std::size_t limit = ctx_.via == transport::udp ? udp_limit() : max_message;
    message_writer w(limit);
    start(w, dns_flag::aa, a.rcode);
    bool fits = w.add_question(q_.qname, q_.qtype, q_.qclass);
    for (const auto& r : a.answer_section) fits = fits && add(w, section::answer, r);
    for (const auto& r : a.authority_section) fits = fits && add(w, section::authority, r);
    if (fits && q_.edns) fits = w.add_opt(our_udp_size, 0, 0, dnssec());
    if (fits) return {std::move(w).finish()};
    return truncated(a.rcode);
  }

  /// AXFR, or IXFR answered as a full transfer: SOA, everything, SOA.
  messages transfer(const zone_snapshot& zone) const {
    return stream([&](const auto& emit) {
      for_each_record(zone.data(), emit);
      if (const rrset* soa = zone.data().soa())
        emit(rr_ref{zone.data().apex, soa->type, soa->ttl, soa->rdata.front()});
    });
  }

  /// IXFR from the journal (RFC 1995 §4): new SOA, per diff [old SOA, removed, new SOA, added],
  /// new SOA. Precondition: the zone has an SOA and `chain` is not empty.
  messages incremental(const zone_snapshot& zone, const std::vector<const zone_diff*>& chain) const {
    const zone_data& z = zone.data();
    const rrset& soa = *z.soa();
    const bytes& current = soa.rdata.front();
    return stream([&](const auto& emit) {
      const auto emit_soa = [&](std::span<const std::uint8_t> rdata) {
        emit(rr_ref{z.apex, rr_type::soa, soa.ttl, rdata});
      };
      const auto emit_all = [&](const std::vector<rr_record>& rs) {
        for (const auto& r : rs) emit(rr_ref{r.owner, r.type, r.ttl, r.rdata});
      };
      emit_soa(current);
      for (const zone_diff* d : chain) {
        emit_soa(soa_with_serial(current, d->from_serial));
        emit_all(d->removed);
        emit_soa(soa_with_serial(current, d->to_serial));
        emit_all(d->added);
      }
      emit_soa(current);
    });
  }

  /// IXFR answered with the current SOA only: over UDP it tells the client to use TCP (RFC 1995
  /// §2); over UDP or TCP it tells a client that is up to date that there is nothing to do.
  messages soa_only(const zone_snapshot& zone) const {
    message_writer w(ctx_.via == transport::udp ? udp_limit() : max_message);
    start(w, dns_flag::aa, rcode::noerror);
    w.add_question(q_.qname, q_.qtype, q_.qclass);
    if (const rrset* soa = zone.data().soa()) {
      w.add_rr(section::answer, zone.data().apex, soa->type, rr_class::in, soa->ttl, soa->rdata.front());
    }
    if (q_.edns) w.add_opt(our_udp_size, 0, 0, dnssec());
    return {std::move(w).finish()};
  }

 private:
  /// Records produced by `produce(emit)` as a zone transfer: answer sections of messages of at
  /// most 16 KiB (a larger record gets a message of its own), question in the first only.
  template <class Produce>
  messages stream(Produce&& produce) const {
    messages out;
    std::optional<message_writer> w;
    const auto open = [&](std::size_t limit) {
      w.emplace(limit);
      start(*w, dns_flag::aa, rcode::noerror);
      if (out.empty()) w->add_question(q_.qname, q_.qtype, q_.qclass);
    };
    const auto close = [&] {
      if (q_.edns) w->add_opt(our_udp_size, 0, 0, dnssec());
      out.push_back(std::move(*w).finish());
      w.reset();
    };
    const auto emit = [&](const rr_ref& r) {
      if (!w) open(transfer_message_size);
      if (add(*w, section::answer, r)) return;
      if (w->count(section::answer) > 0) {
        close();
        open(transfer_message_size);
        if (add(*w, section::answer, r)) return;
      }
      w.reset();
      open(max_message);
      add(*w, section::answer, r);
    };
    produce(emit);
    if (w) close();
    return out;
  }

  /// SOA RDATA (uncompressed, as the zone stores it) with the serial replaced.
  static bytes soa_with_serial(std::span<const std::uint8_t> rdata, std::uint32_t serial) {
    bytes out(rdata.begin(), rdata.end());
    std::size_t p = 0;
    for (int name = 0; name < 2; ++name) {
      while (p < out.size() && out[p] != 0) p += out[p] + 1U;
      ++p;  // the root label
    }
    if (p + 4 > out.size()) return out;  // cannot happen for an SOA the signer built
    for (int i = 0; i < 4; ++i)
      out[p + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(serial >> (24 - 8 * i));
    return out;
  }

  bool dnssec() const noexcept { return q_.edns && q_.edns->dnssec_ok; }

  std::size_t udp_limit() const noexcept {
    if (!q_.edns) return classic_udp_size;
    return std::clamp<std::size_t>(q_.edns->udp_size, classic_udp_size, our_udp_size);
  }

  void start(message_writer& w, std::uint16_t extra, std::uint16_t rc) const {
    w.set_id(q_.id);
    w.set_flags(reply_flags(q_.flags, extra, rc));
    // Room for the OPT and for the TSIG record appended after the message is finished.
    w.reserve_tail((q_.edns ? opt_size : 0) + tail_);
  }

  static bool add(message_writer& w, section s, const rr_ref& r) {
    return w.add_rr(s, r.owner, r.type, rr_class::in, r.ttl, r.rdata);
  }

  messages truncated(std::uint16_t rc) const {
    message_writer w(max_message);
    start(w, dns_flag::aa | dns_flag::tc, rc);
    w.add_question(q_.qname, q_.qtype, q_.qclass);
    if (q_.edns) w.add_opt(our_udp_size, 0, 0, dnssec());
    return {std::move(w).finish()};
  }

  const parsed_query& q_;
  const query_context& ctx_;
  std::size_t tail_;
};

bool is_transfer(std::uint16_t qtype) noexcept { return qtype == rr_type::axfr || qtype == rr_type::ixfr; }

/// IXFR once it is allowed; see handle_message.
messages ixfr(const zone_snapshot& zone, const parsed_query& q, const responder& r,
              const query_context& ctx) {
  const std::uint32_t ours = zone.serial();
  const auto& theirs = q.authority_soa_serial;
  if (theirs && (*theirs == ours || serial_lt(ours, *theirs))) return r.soa_only(zone);
  if (ctx.via == transport::udp) return r.soa_only(zone);
  if (theirs && ctx.ixfr_journal != nullptr && zone.data().soa() != nullptr) {
    if (auto chain = ctx.ixfr_journal->chain(*theirs, ours); chain && !chain->empty()) {
      return r.incremental(zone, *chain);
    }
  }
  return r.transfer(zone);
}

/// Everything after parsing and the TSIG check. `tsig_signed`: the message carried a valid TSIG.
messages respond(const zone_snapshot* zone, const parsed_query& q, const responder& r,
                 const query_context& ctx, bool tsig_signed) {
  if (q.opcode() != 0) return r.error(rcode::notimp, q.qdcount == 1);
  if (q.qdcount != 1) return r.error(rcode::formerr, false);
  if (q.edns && q.edns->version > 0) return r.error(rcode::badvers);
  if (q.qtype == rr_type::opt || q.qtype == rr_type::tsig || q.qtype == rr_type::tkey) {
    return r.error(rcode::formerr);
  }
  if (zone == nullptr) return r.error(rcode::servfail);
  if (q.qclass != rr_class::in && q.qclass != rr_class::any) return r.error(rcode::refused);
  const auto& apex = zone->data().apex;
  if (!is_at_or_below(q.qname, apex)) return r.error(rcode::refused);
  if (is_transfer(q.qtype)) {
    if (!ctx.transfer_allowed || canonical_compare(q.qname, apex) != 0) return r.error(rcode::refused);
    if (ctx.transfer_key != nullptr && !tsig_signed) return r.error(rcode_notauth);
    if (q.qtype == rr_type::ixfr) return ixfr(*zone, q, r, ctx);
    if (ctx.via == transport::tcp) return r.transfer(*zone);
    return r.error(rcode::refused);  // AXFR is TCP only (RFC 5936 §4.2)
  }
  if (q.qtype == rr_type::maila || q.qtype == rr_type::mailb) return r.error(rcode::notimp);
  return r.answer_query(*zone);
}

}  // namespace

std::vector<std::vector<std::uint8_t>> handle_message(const zone_snapshot* zone,
                                                      std::span<const std::uint8_t> query,
                                                      const query_context& ctx) {
  if (query.size() < header_size) return {};
  parsed_query q;
  // parse_query fills ID and flags first, even when it then fails; an oversized message is not
  // parsed beyond that.
  const bool ok =
      parse_query(query.first(std::min(query.size(), max_message)), q) && query.size() <= max_message;
  if ((q.flags & dns_flag::qr) != 0) return {};  // never answer a response: reflection loops
  if (!ok) {
    q.edns.reset();
    return responder(q, ctx).error(rcode::formerr, false);
  }
  if (q.tsig_offset == 0) return respond(zone, q, responder(q, ctx), ctx, false);

  const std::uint64_t now =
      ctx.now != 0 ? ctx.now
                   : static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                    std::chrono::system_clock::now().time_since_epoch())
                                                    .count());
  const tsig_verdict v = verify_tsig_request(query, q.tsig_offset, ctx.transfer_key, now);
  if (v.formerr) return responder(q, ctx).error(rcode::formerr);
  if (v.error != 0 && v.error != tsig_error::badtime) {
    // Unknown key, wrong MAC: we cannot sign, so the TSIG only carries the error.
    auto out = responder(q, ctx).error(rcode_notauth);
    append_unsigned_tsig(out.front(), v.key_name, v.error, now);
    return out;
  }
  tsig_signer signer(*ctx.transfer_key, v, now);
  const responder r(q, ctx, signer.record_size());
  auto out = v.error == tsig_error::badtime ? r.error(rcode_notauth) : respond(zone, q, r, ctx, true);
  for (auto& m : out) signer.sign(m);
  return out;
}

}  // namespace iotreg::dns
