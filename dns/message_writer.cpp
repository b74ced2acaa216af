#include "dns/message_writer.hpp"

#include "dns/rr_types.hpp"

#include <algorithm>

namespace iotreg::dns::detail {
namespace {

constexpr std::size_t max_pointer_target = 0x3fff;

void put16_at(std::vector<std::uint8_t>& b, std::size_t pos, std::uint16_t v) noexcept {
  b[pos] = static_cast<std::uint8_t>(v >> 8);
  b[pos + 1] = static_cast<std::uint8_t>(v);
}

void append16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

void append32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  append16(b, static_cast<std::uint16_t>(v >> 16));
  append16(b, static_cast<std::uint16_t>(v));
}

}  // namespace

message_writer::message_writer(std::size_t limit) : limit_(std::min<std::size_t>(limit, 65535)) {
  buf_.reserve(std::min<std::size_t>(limit_, 4096));
  buf_.assign(12, 0);
}

void message_writer::set_id(std::uint16_t id) noexcept { put16_at(buf_, 0, id); }
void message_writer::set_flags(std::uint16_t flags) noexcept { put16_at(buf_, 2, flags); }
std::uint16_t message_writer::flags() const noexcept {
  return static_cast<std::uint16_t>((buf_[2] << 8) | buf_[3]);
}

std::uint16_t message_writer::count(section s) const noexcept { return counts_[static_cast<int>(s) + 1]; }

void message_writer::write_name(name_view name) {
  // Try each suffix from the longest; point at the first one already in the message.
  name_view rest = name;
  while (!rest.empty() && rest[0] != 0) {
    const wire_name key = lowercase(rest);
    const auto hit =
        std::find_if(names_.begin(), names_.end(), [&](const auto& e) { return e.first == key; });
    if (hit != names_.end()) {
      append16(buf_, static_cast<std::uint16_t>(0xc000U | hit->second));
      return;
    }
    if (buf_.size() <= max_pointer_target) {
      names_.emplace_back(key, static_cast<std::uint16_t>(buf_.size()));
    }
    buf_.insert(buf_.end(), rest.begin(), rest.begin() + rest[0] + 1);
    rest = parent_of(rest);
  }
  buf_.push_back(0);
}

bool message_writer::add_question(name_view qname, std::uint16_t qtype, std::uint16_t qclass) {
  const std::size_t mark = buf_.size();
  const std::size_t names_mark = names_.size();
  write_name(qname);
  append16(buf_, qtype);
  append16(buf_, qclass);
  if (buf_.size() > limit_) {
    buf_.resize(mark);
    names_.resize(names_mark);
    return false;
  }
  ++counts_[0];
  return true;
}

bool message_writer::add_rr_within(std::size_t limit, section s, name_view owner, std::uint16_t type,
                                   std::uint16_t cls, std::uint32_t ttl,
                                   std::span<const std::uint8_t> rdata) {
  const std::size_t mark = buf_.size();
  const std::size_t names_mark = names_.size();
  write_name(owner);
  append16(buf_, type);
  append16(buf_, cls);
  append32(buf_, ttl);
  append16(buf_, static_cast<std::uint16_t>(rdata.size()));
  buf_.insert(buf_.end(), rdata.begin(), rdata.end());
  if (buf_.size() > limit || rdata.size() > 0xffff) {
    buf_.resize(mark);
    names_.resize(names_mark);
    return false;
  }
  ++counts_[static_cast<int>(s) + 1];
  return true;
}

bool message_writer::add_rr(section s, name_view owner, std::uint16_t type, std::uint16_t cls,
                            std::uint32_t ttl, std::span<const std::uint8_t> rdata) {
  const std::size_t limit = limit_ > reserved_ ? limit_ - reserved_ : 0;
  return add_rr_within(limit, s, owner, type, cls, ttl, rdata);
}

bool message_writer::add_opt(std::uint16_t udp_size, std::uint8_t ext_rcode, std::uint8_t version,
                             bool dnssec_ok) {
  static constexpr std::uint8_t root[] = {0};
  const std::uint32_t ttl = (static_cast<std::uint32_t>(ext_rcode) << 24) |
                            (static_cast<std::uint32_t>(version) << 16) | (dnssec_ok ? 0x8000U : 0U);
  return add_rr_within(limit_, section::additional, root, rr_type::opt, udp_size, ttl, {});
}

std::vector<std::uint8_t> message_writer::finish() && {
  for (int i = 0; i < 4; ++i) put16_at(buf_, 4 + 2 * static_cast<std::size_t>(i), counts_[i]);
  return std::move(buf_);
}

}  // namespace iotreg::dns::detail
