#include "api/dto/device_dto.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <new>
#include <span>

namespace iotreg::api::dto {
namespace {

decode_error bad_request(std::string detail) {
  return {decode_error::kind::invalid_request, std::move(detail)};
}

// Frees through operator delete after wiping the whole block, so JSON text that held a password
// or a key is not left behind in the heap. Boost.JSON 1.81 does not always pass the same
// alignment to deallocate as to allocate (object keys), so alignments up to the default one use
// the plain operators, which need none (ASan's new-delete-type-mismatch caught it).
class wiping_resource final : public boost::json::memory_resource {
  static bool over_aligned(std::size_t align) noexcept { return align > __STDCPP_DEFAULT_NEW_ALIGNMENT__; }

  void* do_allocate(std::size_t n, std::size_t align) override {
    return over_aligned(align) ? ::operator new(n, std::align_val_t(align)) : ::operator new(n);
  }
  void do_deallocate(void* p, std::size_t n, std::size_t align) override {
    registry::wipe(p, n);
    if (over_aligned(align))
      ::operator delete(p, std::align_val_t(align));
    else
      ::operator delete(p);
  }
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }
};

decode_error unknown_field(std::string_view key) {
  // The key is client text: quote it only when short, so problems stay small.
  std::string detail = "unknown field";
  if (key.size() <= 64) detail += " \"" + std::string(key) + "\"";
  return bad_request(std::move(detail));
}

decoded<server_keygen_body> decode_server_keygen(const boost::json::value& v) {
  const auto* obj = v.if_object();
  if (!obj) return bad_request("field \"server_keygen\" must be an object");
  server_keygen_body out;
  bool have_password = false;
  for (const auto& [key, value] : *obj) {
    // Not quoted, unlike top-level names: a misplaced password could be the name.
    if (key != "key_type" && key != "format" && key != "password")
      return bad_request("unknown field in \"server_keygen\" (allowed: key_type, format, password)");
    const auto* s = value.if_string();
    // Never the value in a detail: it may be the password.
    if (!s) return bad_request("field \"server_keygen." + std::string(key) + "\" must be a string");
    const std::string_view text(s->data(), s->size());
    if (key == "password") {
      out.password = registry::secret_text(text);
      have_password = true;
    } else if (key == "key_type") {
      out.key_type.assign(text);
    } else {
      out.format.assign(text);
    }
  }
  if (!have_password) return bad_request("missing field \"server_keygen.password\"");
  return out;
}

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 4648 base64 with padding, written straight into a string of storage `sp`.
boost::json::string base64(std::span<const std::uint8_t> in, const boost::json::storage_ptr& sp) {
  boost::json::string out(sp);
  out.resize((in.size() + 2) / 3 * 4);
  char* o = out.data();
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    *o++ = base64_alphabet[(n >> 18) & 63];
    *o++ = base64_alphabet[(n >> 12) & 63];
    *o++ = base64_alphabet[(n >> 6) & 63];
    *o++ = base64_alphabet[n & 63];
  }
  if (const std::size_t rest = in.size() - i; rest != 0) {
    std::uint32_t n = std::uint32_t{in[i]} << 16;
    if (rest == 2) n |= std::uint32_t{in[i + 1]} << 8;
    *o++ = base64_alphabet[(n >> 18) & 63];
    *o++ = base64_alphabet[(n >> 12) & 63];
    *o++ = rest == 2 ? base64_alphabet[(n >> 6) & 63] : '=';
    *o++ = '=';
  }
  return out;
}

}  // namespace

boost::json::storage_ptr wiping_storage() { return boost::json::make_shared_resource<wiping_resource>(); }

decoded<enroll_body> decode_enroll(std::string_view body) {
  // Temporary and result storage both wipe on free: the body may carry a password.
  const auto sp = wiping_storage();
  boost::json::parser parser(sp);
  parser.reset(sp);
  boost::system::error_code ec;
  parser.write(body, ec);
  if (ec) return decode_error{decode_error::kind::invalid_json, "request body is not valid JSON"};
  const boost::json::value v = parser.release();
  const auto* obj = v.if_object();
  if (!obj) return bad_request("request body must be a JSON object");

  enroll_body out;
  bool have_id = false;
  bool have_csr = false;
  for (const auto& [key, value] : *obj) {
    if (key == "device_id" || key == "csr") {
      const auto* s = value.if_string();
      if (!s) return bad_request("field \"" + std::string(key) + "\" must be a string");
      if (key == "device_id") {
        out.device_id.assign(s->data(), s->size());
        have_id = true;
      } else {
        out.csr.assign(s->data(), s->size());
        have_csr = true;
      }
    } else if (key == "server_keygen") {
      auto kg = decode_server_keygen(value);
      if (!kg) return kg.error();
      out.server_keygen = std::move(*kg);
    } else {
      return unknown_field(key);
    }
  }
  if (!have_id) return bad_request("missing field \"device_id\"");
  if (have_csr && out.server_keygen) return bad_request("send either \"csr\" or \"server_keygen\", not both");
  if (!have_csr && !out.server_keygen) return bad_request("missing field \"csr\" (or \"server_keygen\")");
  return out;
}

decoded<rekey_body> decode_rekey(std::string_view body) {
  // As decode_enroll, without the device id (it is in the path).
  const auto sp = wiping_storage();
  boost::json::parser parser(sp);
  parser.reset(sp);
  boost::system::error_code ec;
  parser.write(body, ec);
  if (ec) return decode_error{decode_error::kind::invalid_json, "request body is not valid JSON"};
  const boost::json::value v = parser.release();
  const auto* obj = v.if_object();
  if (!obj) return bad_request("request body must be a JSON object");

  rekey_body out;
  bool have_csr = false;
  for (const auto& [key, value] : *obj) {
    if (key == "csr") {
      const auto* s = value.if_string();
      if (!s) return bad_request("field \"csr\" must be a string");
      out.csr.assign(s->data(), s->size());
      have_csr = true;
    } else if (key == "server_keygen") {
      auto kg = decode_server_keygen(value);
      if (!kg) return kg.error();
      out.server_keygen = std::move(*kg);
    } else {
      return unknown_field(key);
    }
  }
  if (have_csr && out.server_keygen) return bad_request("send either \"csr\" or \"server_keygen\", not both");
  if (!have_csr && !out.server_keygen) return bad_request("missing field \"csr\" (or \"server_keygen\")");
  return out;
}

decoded<revoke_body> decode_revoke(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) return decode_error{decode_error::kind::invalid_json, "request body is not valid JSON"};
  const auto* obj = v.if_object();
  if (!obj) return bad_request("request body must be a JSON object");
  revoke_body out;
  for (const auto& [key, value] : *obj) {
    if (key != "reason") {
      std::string detail = "unknown field";
      if (key.size() <= 64) detail += " \"" + std::string(key) + "\"";
      return bad_request(std::move(detail));
    }
    const auto* s = value.if_string();
    if (!s) return bad_request("field \"reason\" must be a string");
    out.reason.assign(s->data(), s->size());
  }
  return out;
}

boost::json::object to_json(const registry::enrollment& e, bool with_status, boost::json::storage_ptr sp) {
  boost::json::object o(sp);
  o["device_id"] = e.device_id;
  o["dns_name"] = e.dns_name;
  o["certificate"] = e.certificate_pem;
  o["chain"] = e.chain_pem;
  o["tlsa"] = e.tlsa;
  if (e.zone_serial)
    o["zone_serial"] = *e.zone_serial;
  else
    o["zone_serial"] = nullptr;
  if (with_status) o["status"] = registry::to_string(e.status);
  if (e.private_key_format == registry::key_format::pkcs8) {
    o["private_key"] = boost::json::string(e.private_key.view(), sp);
  } else if (e.private_key_format == registry::key_format::pkcs12) {
    o["pkcs12"] = base64(e.private_key.bytes(), sp);
  }
  return o;
}

boost::json::object to_json(const registry::revocation& r) {
  boost::json::object o;
  o["device_id"] = r.device_id;
  o["status"] = registry::to_string(registry::device_status::revoked);
  o["reason"] = pki::to_name(r.reason);
  o["zone_serial"] = r.zone_serial;
  return o;
}

}  // namespace iotreg::api::dto
