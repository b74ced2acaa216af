#include "api/dto/device_dto.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace iotreg::api::dto {
namespace {

decode_error bad_request(std::string detail) {
  return {decode_error::kind::invalid_request, std::move(detail)};
}

}  // namespace

decoded<enroll_body> decode_enroll(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) return decode_error{decode_error::kind::invalid_json, "request body is not valid JSON"};
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
    } else {
      // The key is client text: quote it only when short, so problems stay small.
      std::string detail = "unknown field";
      if (key.size() <= 64) detail += " \"" + std::string(key) + "\"";
      return bad_request(std::move(detail));
    }
  }
  if (!have_id) return bad_request("missing field \"device_id\"");
  if (!have_csr) return bad_request("missing field \"csr\"");
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

boost::json::object to_json(const registry::enrollment& e, bool with_status) {
  boost::json::object o;
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
