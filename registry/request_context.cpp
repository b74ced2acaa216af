#include "registry/request_context.hpp"

#include <utility>

namespace iotreg::registry {

namespace {
thread_local request_context current;
}  // namespace

const request_context& current_request() noexcept { return current; }

request_scope::request_scope(request_context ctx) : previous_(std::exchange(current, std::move(ctx))) {}

request_scope::~request_scope() { current = std::move(previous_); }

}  // namespace iotreg::registry
