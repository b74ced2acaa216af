#include "dns/keys.hpp"

#include "dns/atomic_file.hpp"
#include "dns/ldns.hpp"
#include "dns/ldns_error.hpp"
#include "dns/names.hpp"

#include <openssl/crypto.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>

namespace iotreg::dns {

using detail::check_ldns;
using detail::check_ldns_ptr;
using detail::ldns_ptr;

namespace {

constexpr std::uint16_t flags_zsk = 256;
constexpr std::uint16_t flags_ksk = 257;

std::string normalized_apex(std::string_view zone_apex) {
  auto n = normalize_zone_name(zone_apex);
  if (!n) throw std::invalid_argument("invalid zone apex: " + std::string(zone_apex));
  return *n;
}

bool supported(std::uint8_t alg) noexcept { return alg == 8 || alg == 13 || alg == 15; }

std::string rr_text(const ldns_rr* rr) {
  ldns_ptr<char> s(ldns_rr2str_fmt(ldns_output_format_nocomments, rr));
  check_ldns_ptr(s.get(), "ldns_rr2str");
  std::string out(s.get());
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\t')) {
    out.pop_back();
  }
  return out;
}

/// A string that wipes itself: holds private key text.
struct secret_string {
  std::string value;
  ~secret_string() { OPENSSL_cleanse(value.data(), value.size()); }
};

}  // namespace

struct dnssec_key::impl {
  ldns_ptr<ldns_key> key;
  std::string apex;
  key_role role = key_role::zsk;
  std::uint16_t tag = 0;

  /// Sets flags and owner, then computes the key tag from the resulting DNSKEY (ldns signing
  /// reads the tag from the key, it does not compute it).
  void finish(key_role r, std::string apex_text) {
    role = r;
    apex = std::move(apex_text);
    ldns_key_set_flags(key.get(), r == key_role::ksk ? flags_ksk : flags_zsk);
    ldns_rdf* owner = nullptr;
    check_ldns(ldns_str2rdf_dname(&owner, apex.c_str()), "parse zone apex");
    ldns_key_set_pubkey_owner(key.get(), owner);  // the key takes ownership
    ldns_key_set_use(key.get(), true);
    const ldns_ptr<ldns_rr> rr(check_ldns_ptr(ldns_key2rr(key.get()), "ldns_key2rr"));
    tag = ldns_calc_keytag(rr.get());
    ldns_key_set_keytag(key.get(), tag);
  }

  ldns_ptr<ldns_rr> dnskey() const {
    return ldns_ptr<ldns_rr>(check_ldns_ptr(ldns_key2rr(key.get()), "ldns_key2rr"));
  }
};

dnssec_key::dnssec_key(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
dnssec_key::dnssec_key(dnssec_key&&) noexcept = default;
dnssec_key& dnssec_key::operator=(dnssec_key&&) noexcept = default;
dnssec_key::~dnssec_key() = default;

dnssec_key dnssec_key::generate(std::uint8_t algorithm, key_role role, std::string_view zone_apex) {
  auto apex = normalized_apex(zone_apex);
  ldns_signing_algorithm alg{};
  std::uint16_t bits = 0;
  switch (algorithm) {
    case 8:
      alg = LDNS_SIGN_RSASHA256;
      bits = 2048;
      break;
    case 13:
      alg = LDNS_SIGN_ECDSAP256SHA256;
      bits = 256;
      break;
    case 15:
      alg = LDNS_SIGN_ED25519;
      bits = 256;
      break;
    default:
      throw_error(errc::unsupported_algorithm,
                  "cannot generate DNSSEC algorithm " + std::to_string(algorithm));
  }
  auto p = std::make_unique<impl>();
  p->key.reset(check_ldns_ptr(ldns_key_new_frm_algorithm(alg, bits), "ldns_key_new_frm_algorithm"));
  p->finish(role, std::move(apex));
  return dnssec_key(std::move(p));
}

dnssec_key dnssec_key::load(const std::filesystem::path& private_file, std::string_view zone_apex) {
  secret_string text;
  {
    std::ifstream in(private_file, std::ios::binary);
    if (!in) throw_error(errc::bad_key_file, "cannot open " + private_file.string());
    text.value.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) throw_error(errc::bad_key_file, "cannot read " + private_file.string());
  }
  return from_private_text(text.value, zone_apex, private_file.string());
}

dnssec_key dnssec_key::from_private_text(std::string_view private_text, std::string_view zone_apex,
                                         std::string_view origin) {
  auto apex = normalized_apex(zone_apex);
  const std::string where(origin);
  // ldns reads from a FILE*; fmemopen needs a mutable buffer, wiped afterwards.
  secret_string text{std::string(private_text)};

  // The role is ours to record: BIND keeps flags in the public .key file, ldns ignores the line.
  std::optional<key_role> role;
  std::string_view rest = text.value;
  while (!rest.empty()) {
    const auto eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    if (!line.starts_with("Flags:")) continue;
    line.remove_prefix(6);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line == "257")
      role = key_role::ksk;
    else if (line == "256")
      role = key_role::zsk;
  }
  if (!role) throw_error(errc::bad_key_file, where + ": no valid Flags line");

  std::FILE* fp = ::fmemopen(text.value.data(), text.value.size(), "r");
  if (fp == nullptr) throw_error(errc::bad_key_file, "fmemopen failed");
  ldns_key* raw = nullptr;
  const ldns_status st = ldns_key_new_frm_fp(&raw, fp);
  std::fclose(fp);
  auto p = std::make_unique<impl>();
  p->key.reset(raw);
  if (st != LDNS_STATUS_OK || raw == nullptr) {
    throw_error(errc::bad_key_file, where + ": " + ldns_get_errorstr_by_id(st));
  }
  if (!supported(static_cast<std::uint8_t>(ldns_key_algorithm(raw)))) {
    throw_error(errc::unsupported_algorithm, where + ": unsupported algorithm");
  }
  p->finish(*role, std::move(apex));
  return dnssec_key(std::move(p));
}

std::string dnssec_key::private_text() const {
  const ldns_ptr<char> body(check_ldns_ptr(ldns_key2str(impl_->key.get()), "ldns_key2str"));
  const std::size_t length = std::strlen(body.get());
  std::string text;
  text.reserve(length + 16);  // no reallocation, which would leave an unwiped copy behind
  text.append(body.get(), length);
  OPENSSL_cleanse(body.get(), length);
  text += "Flags: ";
  text += impl_->role == key_role::ksk ? "257" : "256";
  text += '\n';
  return text;
}

void dnssec_key::save(const std::filesystem::path& private_file) const {
  secret_string text{private_text()};
  detail::atomic_file out(private_file, 0600);
  out.write(text.value);
  out.commit();
}

key_role dnssec_key::role() const noexcept { return impl_->role; }

std::uint8_t dnssec_key::algorithm() const noexcept {
  return static_cast<std::uint8_t>(ldns_key_algorithm(impl_->key.get()));
}

std::uint16_t dnssec_key::key_tag() const noexcept { return impl_->tag; }

const std::string& dnssec_key::zone_apex() const noexcept { return impl_->apex; }

std::string dnssec_key::dnskey_text() const { return rr_text(impl_->dnskey().get()); }

std::string dnssec_key::ds_text(std::uint8_t digest_type) const {
  ldns_hash h{};
  switch (digest_type) {
    case 2: h = LDNS_SHA256; break;
    case 4: h = LDNS_SHA384; break;
    default: throw std::invalid_argument("DS digest type must be 2 or 4");
  }
  const auto key = impl_->dnskey();
  const ldns_ptr<ldns_rr> ds(check_ldns_ptr(ldns_key_rr2ds(key.get(), h), "ldns_key_rr2ds"));
  return rr_text(ds.get());
}

std::vector<std::uint8_t> dnssec_key::dnskey_rdata() const {
  const auto rr = impl_->dnskey();
  const ldns_ptr<ldns_buffer> buf(check_ldns_ptr(ldns_buffer_new(512), "ldns_buffer_new"));
  check_ldns(ldns_rr_rdata2buffer_wire(buf.get(), rr.get()), "DNSKEY rdata to wire");
  const auto* data = ldns_buffer_begin(buf.get());
  return {data, data + ldns_buffer_position(buf.get())};
}

ldns_struct_key* dnssec_key::native_handle() const noexcept { return impl_->key.get(); }

}  // namespace iotreg::dns
