#include "dns/tsig.hpp"

#include "dns/query_parser.hpp"
#include "dns/rr_types.hpp"
#include "dns/wire_name.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace iotreg::dns {

using namespace detail;

namespace {

constexpr std::uint16_t fudge = 300;  // RFC 8945 §10: 300 s recommended
constexpr std::size_t mac_size = 32;  // SHA-256
// "hmac-sha256." in wire form (RFC 8945 §6).
constexpr std::uint8_t hmac_sha256_wire[] = {11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0};

std::uint16_t get16(std::span<const std::uint8_t> m, std::size_t p) {
  return static_cast<std::uint16_t>(m[p] << 8 | m[p + 1]);
}
void put16(bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put48(bytes& out, std::uint64_t v) {
  for (int shift = 40; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void append(bytes& out, std::span<const std::uint8_t> s) { out.insert(out.end(), s.begin(), s.end()); }

/// The TSIG variables of RFC 8945 §4.3.3 (all of them).
void put_variables(bytes& out, std::span<const std::uint8_t> key_name, std::uint64_t time_signed,
                   std::uint16_t error, std::span<const std::uint8_t> other) {
  append(out, lowercase(key_name));
  put16(out, rr_class::any);
  put16(out, 0);  // TTL, 32 bits
  put16(out, 0);
  append(out, hmac_sha256_wire);
  put48(out, time_signed);
  put16(out, fudge);
  put16(out, error);
  put16(out, static_cast<std::uint16_t>(other.size()));
  append(out, other);
}

bytes hmac(const tsig_key& key, std::span<const std::uint8_t> data) {
  bytes out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  if (HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()), data.data(), data.size(),
           out.data(), &len) == nullptr) {
    throw std::runtime_error("tsig: HMAC-SHA256 failed");
  }
  out.resize(len);
  return out;
}

/// The TSIG record: owner, type, class, TTL, RDATA (RFC 8945 §4.2). Increments ARCOUNT.
void append_record(bytes& msg, std::span<const std::uint8_t> key_name, std::uint64_t time_signed,
                   std::span<const std::uint8_t> mac, std::uint16_t error,
                   std::span<const std::uint8_t> other) {
  const std::uint16_t original_id = get16(msg, 0);
  append(msg, key_name);
  put16(msg, rr_type::tsig);
  put16(msg, rr_class::any);
  put16(msg, 0);
  put16(msg, 0);
  const std::size_t rdlen = sizeof hmac_sha256_wire + 6 + 2 + 2 + mac.size() + 2 + 2 + 2 + other.size();
  put16(msg, static_cast<std::uint16_t>(rdlen));
  append(msg, hmac_sha256_wire);
  put48(msg, time_signed);
  put16(msg, fudge);
  put16(msg, static_cast<std::uint16_t>(mac.size()));
  append(msg, mac);
  put16(msg, original_id);
  put16(msg, error);
  put16(msg, static_cast<std::uint16_t>(other.size()));
  append(msg, other);
  const std::uint16_t ar = static_cast<std::uint16_t>(get16(msg, 10) + 1);
  msg[10] = static_cast<std::uint8_t>(ar >> 8);
  msg[11] = static_cast<std::uint8_t>(ar);
}

bytes decode_base64(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) clean.push_back(c);
  }
  if (clean.empty() || clean.size() % 4 != 0) return {};
  bytes out(clean.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return {};
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (clean.ends_with("==")) {
    len -= 2;
  } else if (clean.ends_with("=")) {
    len -= 1;
  }
  out.resize(len);
  return out;
}

}  // namespace

tsig_key make_tsig_key(std::string_view name, std::string_view algorithm, std::string_view base64_secret) {
  auto wire = name_from_text(name);
  if (!wire) throw std::invalid_argument("tsig key '" + std::string(name) + "': not a valid DNS name");
  std::string alg(algorithm);
  std::transform(alg.begin(), alg.end(), alg.begin(), [](unsigned char c) { return std::tolower(c); });
  if (alg != "hmac-sha256" && alg != "hmac-sha256.") {
    throw std::invalid_argument("tsig key '" + std::string(name) + "': algorithm must be hmac-sha256, got '" +
                                std::string(algorithm) + "'");
  }
  tsig_key key;
  key.secret = decode_base64(base64_secret);
  if (key.secret.empty())
    throw std::invalid_argument("tsig key '" + std::string(name) + "': the secret is not valid base64");
  key.name = name_to_text(*wire);
  key.name_wire = std::move(*wire);
  return key;
}

tsig_key load_tsig_key_blocking(std::string_view name, std::string_view algorithm,
                                const std::filesystem::path& secret_file) {
  struct stat st {};
  if (::stat(secret_file.c_str(), &st) != 0)
    throw std::runtime_error("tsig secret file " + secret_file.string() + ": cannot be read");
  if ((st.st_mode & S_IROTH) != 0) {
    throw std::runtime_error("tsig secret file " + secret_file.string() +
                             " is world-readable: chmod o-rwx it (0600 or 0640)");
  }
  std::ifstream in(secret_file, std::ios::binary);
  if (!in) throw std::runtime_error("tsig secret file " + secret_file.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return make_tsig_key(name, algorithm, text.str());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("tsig secret file " + secret_file.string() + ": " + e.what());
  }
}

tsig_verdict verify_tsig_request(std::span<const std::uint8_t> msg, std::size_t tsig_offset,
                                 const tsig_key* key, std::uint64_t now) {
  tsig_verdict v;
  std::size_t pos = tsig_offset;
  wire_name owner, algorithm;
  if (tsig_offset < header_size || !read_name(msg, pos, &owner) || pos + 10 > msg.size()) {
    v.formerr = true;
    return v;
  }
  const std::size_t rdlen = get16(msg, pos + 8);
  pos += 10;
  const std::size_t end = pos + rdlen;
  if (end != msg.size() || !read_name(msg, pos, &algorithm) || pos + 10 > end) {
    v.formerr = true;
    return v;
  }
  v.key_name = owner;
  v.time_signed = static_cast<std::uint64_t>(get16(msg, pos)) << 32 |
                  static_cast<std::uint64_t>(get16(msg, pos + 2)) << 16 | get16(msg, pos + 4);
  const std::uint16_t their_fudge = get16(msg, pos + 6);
  const std::size_t size = get16(msg, pos + 8);
  pos += 10;
  if (pos + size + 6 > end) {
    v.formerr = true;
    return v;
  }
  v.mac.assign(msg.begin() + static_cast<std::ptrdiff_t>(pos),
               msg.begin() + static_cast<std::ptrdiff_t>(pos + size));
  pos += size;
  const std::uint16_t original_id = get16(msg, pos);
  const std::uint16_t error = get16(msg, pos + 2);
  const std::size_t other_len = get16(msg, pos + 4);
  pos += 6;
  if (pos + other_len != end) {
    v.formerr = true;
    return v;
  }
  const auto other = msg.subspan(pos, other_len);

  // RFC 8945 §5.2.1: the key first, then the MAC, then the time.
  if (key == nullptr || canonical_compare(owner, key->name_wire) != 0 ||
      canonical_compare(algorithm, hmac_sha256_wire) != 0) {
    v.error = tsig_error::badkey;
    v.mac.clear();
    return v;
  }
  if (size > mac_size) {
    v.formerr = true;
    return v;
  }
  if (size < mac_size / 2) {  // below max(10, output/2): RFC 8945 §5.2.2.1
    v.formerr = true;
    return v;
  }
  bytes input(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(tsig_offset));
  input[0] = static_cast<std::uint8_t>(original_id >> 8);
  input[1] = static_cast<std::uint8_t>(original_id);
  const std::uint16_t ar = static_cast<std::uint16_t>(get16(input, 10) - 1);
  input[10] = static_cast<std::uint8_t>(ar >> 8);
  input[11] = static_cast<std::uint8_t>(ar);
  std::vector<std::uint8_t> vars;
  // Variables as received (time, fudge, error, other), the key name canonical.
  append(vars, lowercase(owner));
  put16(vars, rr_class::any);
  put16(vars, 0);
  put16(vars, 0);
  append(vars, lowercase(algorithm));
  put48(vars, v.time_signed);
  put16(vars, their_fudge);
  put16(vars, error);
  put16(vars, static_cast<std::uint16_t>(other.size()));
  append(vars, other);
  append(input, vars);
  const bytes expected = hmac(*key, input);
  if (CRYPTO_memcmp(expected.data(), v.mac.data(), size) != 0) {
    v.error = tsig_error::badsig;
    v.mac.clear();
    return v;
  }
  if (size < mac_size) {  // we sign and expect full-length MACs
    v.error = tsig_error::badtrunc;
    return v;
  }
  const std::uint64_t diff = now > v.time_signed ? now - v.time_signed : v.time_signed - now;
  if (diff > their_fudge) v.error = tsig_error::badtime;
  return v;
}

tsig_signer::tsig_signer(const tsig_key& key, std::uint64_t now) : key_(key), now_(now), server_now_(now) {}

tsig_signer::tsig_signer(const tsig_key& key, const tsig_verdict& request, std::uint64_t now)
    : key_(key),
      prior_mac_(request.mac),
      now_(now),
      server_now_(now),
      error_(request.error),
      response_(true) {
  // BADTIME replies carry the request's time, so the client's own time check passes, and ours
  // as Other Data (RFC 8945 §5.2.3).
  if (error_ == tsig_error::badtime) now_ = request.time_signed;
}

std::size_t tsig_signer::record_size() const noexcept {
  return key_.name_wire.size() + 10 + sizeof hmac_sha256_wire + 16 + mac_size + 6;
}

void tsig_signer::sign(std::vector<std::uint8_t>& msg) {
  bytes other;
  if (error_ == tsig_error::badtime) put48(other, server_now_);
  bytes input;
  if (response_ || !first_) {
    put16(input, static_cast<std::uint16_t>(prior_mac_.size()));
    append(input, prior_mac_);
  }
  append(input, msg);
  if (first_) {
    put_variables(input, key_.name_wire, now_, error_, other);
  } else {
    put48(input, now_);  // timers only (RFC 8945 §5.3.1)
    put16(input, fudge);
  }
  prior_mac_ = hmac(key_, input);
  append_record(msg, key_.name_wire, now_, prior_mac_, error_, other);
  first_ = false;
}

void append_unsigned_tsig(std::vector<std::uint8_t>& msg, std::span<const std::uint8_t> key_name,
                          std::uint16_t error, std::uint64_t now) {
  append_record(msg, key_name, now, {}, error, {});
}

}  // namespace iotreg::dns
