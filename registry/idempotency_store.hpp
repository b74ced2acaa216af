#pragma once
// The storage port of the API's Idempotency-Key layer (api/idempotency.hpp); db/ implements it
// with PostgreSQL so that every node sees the same keys. Blocking; may throw on environmental
// failure (database down).

#include "registry/model.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iotreg::registry {

/// A response as kept for replay. Never holds a private key: such responses are recorded as
/// not replayable (body and hash left empty).
struct stored_response {
  unsigned status = 0;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // the relevant ones (Location)
  std::string body;
};

/// What the store holds for a (scope, key) pair.
struct idempotency_entry {
  enum class state { in_flight, completed, not_replayable };
  state st = state::in_flight;
  std::string request_hash;                 // lower-case hex SHA-256 of method, path and body
  std::optional<stored_response> response;  // completed only
};

class idempotency_store {
 public:
  virtual ~idempotency_store() = default;

  /// Claims (scope, key) for a new request: drops the pair's row if it expired (expires_at <=
  /// now), then inserts an in-flight row, unless a row exists. Atomic across nodes (a unique
  /// constraint decides which of two concurrent claims wins).
  /// @returns nullopt when this call inserted the row (the caller runs the request, then calls
  /// complete or release), otherwise the existing entry.
  virtual std::optional<idempotency_entry> claim(std::string_view scope, std::string_view key,
                                                 std::string_view request_hash, time_point expires_at) = 0;

  /// Stores the response of the claimed row (state completed).
  virtual void complete(std::string_view scope, std::string_view key, const stored_response& r) = 0;

  /// Marks the claimed row not replayable: the response is not kept (it held a private key), nor
  /// the request hash (the body held the key's password). A retry with the key gets a problem.
  virtual void complete_unreplayable(std::string_view scope, std::string_view key, unsigned status) = 0;

  /// Drops the claimed row (the request failed unexpectedly: a retry runs it again).
  virtual void release(std::string_view scope, std::string_view key) = 0;

  /// Deletes every row that expired at `now`. @returns how many.
  virtual std::size_t purge_expired(time_point now) = 0;
};

}  // namespace iotreg::registry
