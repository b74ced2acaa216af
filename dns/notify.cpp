#include "dns/notify.hpp"

#include "dns/message_writer.hpp"
#include "dns/query_parser.hpp"
#include "dns/rr_types.hpp"
#include "dns/tsig.hpp"
#include "dns/zone_snapshot.hpp"

namespace iotreg::dns {

using namespace detail;

namespace {
constexpr std::uint16_t opcode_notify = 4;
constexpr std::size_t notify_limit = 512;  // fits any UDP path, TSIG included
}  // namespace

std::vector<std::uint8_t> make_notify(const zone_snapshot& zone, std::uint16_t id, const tsig_key* key,
                                      std::uint64_t now) {
  const auto& data = zone.data();
  message_writer w(notify_limit);
  w.set_id(id);
  w.set_flags(static_cast<std::uint16_t>(opcode_notify << 11 | dns_flag::aa));
  w.add_question(data.apex, rr_type::soa, rr_class::in);
  if (const rrset* soa = data.soa())
    w.add_rr(section::answer, data.apex, rr_type::soa, rr_class::in, soa->ttl, soa->rdata.front());
  auto msg = std::move(w).finish();
  if (key != nullptr) tsig_signer(*key, now).sign(msg);
  return msg;
}

bool is_notify_response(std::span<const std::uint8_t> msg, std::uint16_t id) noexcept {
  if (msg.size() < header_size) return false;
  const auto got_id = static_cast<std::uint16_t>(msg[0] << 8 | msg[1]);
  const auto flags = static_cast<std::uint16_t>(msg[2] << 8 | msg[3]);
  return got_id == id && (flags & dns_flag::qr) != 0 && ((flags >> 11) & 0x0f) == opcode_notify;
}

std::uint8_t response_rcode(std::span<const std::uint8_t> msg) noexcept {
  return msg.size() >= 4 ? static_cast<std::uint8_t>(msg[3] & 0x0f) : 0;
}

}  // namespace iotreg::dns
