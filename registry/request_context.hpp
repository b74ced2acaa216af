#pragma once
// Who asked for the change being made on this thread: the API request id and the credential.
// The audit rows of every change carry them (issue 5: who, what, when, request id). A
// thread-local scope rather than a parameter of every use case and store method: the router sets
// it around a handler, which runs synchronously on one work-pool thread, and the stores read it
// when they write an audit row.

#include <cstdint>
#include <optional>
#include <string>

namespace iotreg::registry {

struct request_context {
  std::string request_id;                  // "" outside an API request (CLI, timers)
  std::optional<std::int64_t> api_key_id;  // the authenticated credential, if any
};

/// The context of the request served on this thread; empty outside a request_scope.
/// @par Thread Safety: thread-local, no locking.
const request_context& current_request() noexcept;

/// Sets the current request for its lifetime, restoring the previous one after (scopes nest).
class request_scope {
 public:
  explicit request_scope(request_context ctx);
  ~request_scope();
  request_scope(const request_scope&) = delete;
  request_scope& operator=(const request_scope&) = delete;

 private:
  request_context previous_;
};

}  // namespace iotreg::registry
