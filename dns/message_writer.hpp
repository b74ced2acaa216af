#pragma once
// Internal: builds one DNS message with owner-name compression (RFC 1035 §4.1.4), refusing any
// record that would make it exceed its size limit.

#include "dns/wire_name.hpp"

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace iotreg::dns::detail {

enum class section { answer, authority, additional };

class message_writer {
 public:
  /// `limit`: maximum message size in octets (at most 65535).
  explicit message_writer(std::size_t limit);

  void set_id(std::uint16_t id) noexcept;
  void set_flags(std::uint16_t flags) noexcept;  ///< all 16 flag bits incl. opcode and rcode
  std::uint16_t flags() const noexcept;

  /// Keeps `n` octets free for a record added last (the OPT): add_rr() stops short of them.
  void reserve_tail(std::size_t n) noexcept { reserved_ = n; }

  /// Adds the question. Returns false if it does not fit.
  bool add_question(name_view qname, std::uint16_t qtype, std::uint16_t qclass);

  /// Adds a record to `s` (sections must be filled in order). The owner is compressed; RDATA is
  /// copied as is. Returns false, leaving the message unchanged, if it would not fit.
  bool add_rr(section s, name_view owner, std::uint16_t type, std::uint16_t cls, std::uint32_t ttl,
              std::span<const std::uint8_t> rdata);

  /// Adds an OPT record (uses the reserved tail). Returns false if it does not fit.
  bool add_opt(std::uint16_t udp_size, std::uint8_t ext_rcode, std::uint8_t version, bool dnssec_ok);

  std::size_t size() const noexcept { return buf_.size(); }
  std::uint16_t count(section s) const noexcept;

  /// The finished message.
  std::vector<std::uint8_t> finish() &&;

 private:
  void write_name(name_view name);
  bool add_rr_within(std::size_t limit, section s, name_view owner, std::uint16_t type, std::uint16_t cls,
                     std::uint32_t ttl, std::span<const std::uint8_t> rdata);

  std::vector<std::uint8_t> buf_;
  std::size_t limit_;
  std::size_t reserved_ = 0;
  std::uint16_t counts_[4] = {0, 0, 0, 0};                  // qd, an, ns, ar
  std::vector<std::pair<wire_name, std::uint16_t>> names_;  // lower-case suffix -> offset
};

}  // namespace iotreg::dns::detail
