#pragma once
// The Idempotency-Key layer (draft-ietf-httpapi-idempotency-key-header) around a POST handler:
// the first request with a key runs and its response is stored; a retry with the same key and
// the same request gets the stored response without running again (so an enrollment is made
// once). The key is scoped by the credential, so two clients never see each other's answers.
//
//   same key, same request, first one finished      -> the stored status, headers and body
//   same key, different method, path or body        -> 422 idempotency-key-mismatch
//   same key while the first request still runs     -> 409 idempotency-key-in-use
//   field malformed (not an sf-string/token, > 255) -> 400 invalid-idempotency-key
//   first response carried a private key            -> 409 idempotency-key-not-replayable
//     (iotreg never stores private keys, so that answer cannot be replayed; the device exists:
//     GET /api/v1/devices/{id} gives its certificate, a rekey gives a new key)
// A first request that ends in 500 (an unexpected failure) is forgotten: a retry runs again.

#include "api/http.hpp"
#include "registry/idempotency_store.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace iotreg::api {

/// A handler marks a response whose body holds a secret (a private key) with this field; the
/// layer then does not store it, and the router removes the field before sending.
inline constexpr std::string_view secret_body_field = "X-Iotreg-Secret-Body";

/// Longest accepted key, in characters (the draft sets no limit; UUIDs need 36).
inline constexpr std::size_t max_idempotency_key_length = 255;

/// The key in an Idempotency-Key field value: an RFC 8941 sf-string (in double quotes, where a
/// backslash escapes a quote or a backslash), or, leniently, a bare token of visible ASCII without
/// quotes. nullopt when empty, malformed or longer than max_idempotency_key_length.
std::optional<std::string> parse_idempotency_key(std::string_view field);

class idempotency_layer {
 public:
  /// Lower-case hex SHA-256 of its argument (the api module has no crypto of its own).
  using hasher = std::function<std::string(std::string_view)>;
  using clock_fn = std::function<registry::time_point()>;

  /// `store` must outlive the layer. Keys are kept `ttl` after the first request.
  idempotency_layer(
      registry::idempotency_store& store, hasher hash, std::chrono::seconds ttl,
      clock_fn now = [] { return registry::clock::now(); });

  /// Answers `req` for credential `scope` through the layer: runs `next` at most once per
  /// (scope, key) within the ttl, however many nodes receive the retries. Requests without the
  /// field go straight to `next`. Blocking (the store). Rethrows what `next` or the store throw
  /// (a claimed key is then released).
  /// @par Thread Safety: may be called concurrently.
  response handle(const request& req, const request_info& info, std::string_view scope,
                  const std::function<response()>& next);

  /// Deletes expired keys. @returns how many. Blocking. handle() also calls it, at most once an
  /// hour per process, so expired keys go without a timer of their own.
  std::size_t purge();

 private:
  void purge_now_and_then() noexcept;

  registry::idempotency_store& store_;
  hasher hash_;
  std::chrono::seconds ttl_;
  clock_fn now_;
  std::atomic<registry::time_point::rep> last_purge_{0};
};

}  // namespace iotreg::api
