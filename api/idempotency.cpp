#include "api/idempotency.hpp"

#include "api/log.hpp"
#include "api/problem.hpp"

#include <boost/beast/http/field.hpp>

#include <exception>

namespace iotreg::api {

std::optional<std::string> parse_idempotency_key(std::string_view field) {
  while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
  while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
  std::string key;
  if (!field.empty() && field.front() == '"') {
    // RFC 8941 §4.2.5: printable ASCII, '\' escapes only '"' and '\'; nothing after the quote.
    std::size_t i = 1;
    bool closed = false;
    for (; i < field.size(); ++i) {
      const char ch = field[i];
      if (ch == '\\') {
        if (++i == field.size() || (field[i] != '"' && field[i] != '\\')) return std::nullopt;
        key += field[i];
      } else if (ch == '"') {
        closed = true;
        break;
      } else if (ch < 0x20 || ch > 0x7e) {
        return std::nullopt;
      } else {
        key += ch;
      }
    }
    if (!closed || i + 1 != field.size()) return std::nullopt;
  } else {
    for (const char ch : field) {
      if (ch <= 0x20 || ch > 0x7e || ch == '"' || ch == '\\' || ch == ',' || ch == ';') return std::nullopt;
    }
    key = field;
  }
  if (key.empty() || key.size() > max_idempotency_key_length) return std::nullopt;
  return key;
}

idempotency_layer::idempotency_layer(registry::idempotency_store& store, hasher hash,
                                     std::chrono::seconds ttl, clock_fn now)
    : store_(store), hash_(std::move(hash)), ttl_(ttl), now_(std::move(now)) {}

namespace {

response from_stored(const registry::stored_response& s) {
  response res{static_cast<http::status>(s.status), 11};
  if (!s.content_type.empty()) res.set(http::field::content_type, s.content_type);
  for (const auto& [name, value] : s.headers) res.set(name, value);
  // Lets a client tell a replay from a fresh answer (a common convention, not in the draft).
  res.set("Idempotent-Replayed", "true");
  res.body() = s.body;
  return res;
}

}  // namespace

response idempotency_layer::handle(const request& req, const request_info& info, std::string_view scope,
                                   const std::function<response()>& next) {
  const auto fields = req.equal_range("Idempotency-Key");
  if (fields.first == fields.second) return next();
  if (std::next(fields.first) != fields.second)
    return make_problem(http::status::bad_request, "invalid-idempotency-key", "Invalid Idempotency-Key",
                        "send one Idempotency-Key field", info.request_id);
  const auto key = parse_idempotency_key(fields.first->value());
  if (!key)
    return make_problem(http::status::bad_request, "invalid-idempotency-key", "Invalid Idempotency-Key",
                        "Idempotency-Key must be a quoted string (RFC 8941) or a token of 1 to " +
                            std::to_string(max_idempotency_key_length) + " visible ASCII characters",
                        info.request_id);

  // The request's fingerprint: what must be equal for a retry to be "the same request".
  std::string material{req.method_string()};
  material += '\n';
  material += std::string_view{req.target()};
  material += '\n';
  material += req.body();
  const std::string hash = hash_(material);
  std::fill(material.begin(), material.end(), '\0');  // the body may hold a key password

  purge_now_and_then();
  const auto existing = store_.claim(scope, *key, hash, now_() + ttl_);
  if (existing) {
    using st = registry::idempotency_entry::state;
    if (existing->st == st::in_flight) {
      auto res = make_problem(http::status::conflict, "idempotency-key-in-use", "Idempotency-Key in use",
                              "a request with this Idempotency-Key is still being processed; retry later",
                              info.request_id);
      res.set(http::field::retry_after, "1");
      return res;
    }
    if (existing->st == st::not_replayable)
      return make_problem(http::status::conflict, "idempotency-key-not-replayable",
                          "Idempotency-Key not replayable",
                          "the first request with this Idempotency-Key succeeded, but its response held a "
                          "private key, which iotreg does not keep; read the device with GET, or rekey it",
                          info.request_id);
    if (existing->request_hash != hash)
      return make_problem(
          http::status::unprocessable_entity, "idempotency-key-mismatch", "Idempotency-Key reused",
          "this Idempotency-Key was used for a different request (method, path or body)", info.request_id);
    return from_stored(*existing->response);
  }

  response res;
  try {
    res = next();
  } catch (...) {
    store_.release(scope, *key);
    throw;
  }
  if (res.result() == http::status::internal_server_error) {
    store_.release(scope, *key);
  } else if (res.find(secret_body_field) != res.end()) {
    store_.complete_unreplayable(scope, *key, res.result_int());
  } else {
    registry::stored_response s;
    s.status = res.result_int();
    s.content_type = std::string(res[http::field::content_type]);
    if (auto loc = res.find(http::field::location); loc != res.end())
      s.headers.emplace_back("Location", std::string(loc->value()));
    if (auto ra = res.find(http::field::retry_after); ra != res.end())
      s.headers.emplace_back("Retry-After", std::string(ra->value()));
    s.body = res.body();
    try {
      store_.complete(scope, *key, s);
    } catch (const std::exception& e) {
      // The action is done and its answer goes out; a retry will run it again (the registry's
      // own constraints, e.g. device-exists, keep it from acting twice).
      logger()->error("request {}: cannot store the Idempotency-Key response: {}", info.request_id, e.what());
      try {
        store_.release(scope, *key);
      } catch (const std::exception&) {  // the in-flight row then ages out (see the store)
      }
    }
  }
  return res;
}

std::size_t idempotency_layer::purge() { return store_.purge_expired(now_()); }

void idempotency_layer::purge_now_and_then() noexcept {
  const auto now = now_().time_since_epoch().count();
  auto last = last_purge_.load();
  const auto hour = std::chrono::duration_cast<registry::time_point::duration>(std::chrono::hours(1)).count();
  if (now - last < hour || !last_purge_.compare_exchange_strong(last, now)) return;
  try {
    const auto n = purge();
    if (n != 0) logger()->info("purged {} expired Idempotency-Key records", n);
  } catch (const std::exception& e) {
    logger()->warn("purging expired Idempotency-Key records failed: {}", e.what());
  }
}

}  // namespace iotreg::api
