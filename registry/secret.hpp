#pragma once
// Secret text that passes through the registry and the API (a password sent for server-side key
// generation, the key handed back): wiped when its owner lets go of it. Header-only, so that
// api/, which links no OpenSSL, can wipe its own buffers too.

#include <string.h>  // explicit_bzero (glibc): a memset the compiler may not elide

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::registry {

/// Overwrites `n` bytes at `p` with zeros; the compiler may not drop it as a dead store.
inline void wipe(void* p, std::size_t n) noexcept {
  if (p != nullptr && n != 0) ::explicit_bzero(p, n);
}

/// Wipes the characters of `s` (not its spare capacity) and empties it.
inline void wipe(std::string& s) noexcept {
  wipe(s.data(), s.size());
  s.clear();
}

/// Bytes that are wiped when destroyed, assigned over or cleared. Held in a vector, never in a
/// std::string, whose small-string buffer would keep a copy behind after a move. Copies are
/// independent and each wipes itself. A moved-from secret_text is empty.
/// @par Thread safety: as std::vector.
class secret_text {
 public:
  secret_text() = default;
  explicit secret_text(std::string_view text) : data_(text.begin(), text.end()) {}
  explicit secret_text(std::span<const std::uint8_t> bytes) : data_(bytes.begin(), bytes.end()) {}
  secret_text(const secret_text&) = default;
  secret_text(secret_text&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  secret_text& operator=(const secret_text& other) {
    if (this != &other) {
      clear();
      data_ = other.data_;
    }
    return *this;
  }
  secret_text& operator=(secret_text&& other) noexcept {
    if (this != &other) {
      clear();
      data_ = std::move(other.data_);
      other.data_.clear();
    }
    return *this;
  }
  ~secret_text() { wipe(data_.data(), data_.size()); }

  /// Wipes the content and empties it.
  void clear() noexcept {
    wipe(data_.data(), data_.size());
    data_.clear();
  }
  bool empty() const noexcept { return data_.empty(); }
  std::size_t size() const noexcept { return data_.size(); }
  std::string_view view() const noexcept { return {data_.data(), data_.size()}; }
  std::span<const std::uint8_t> bytes() const noexcept {
    return {reinterpret_cast<const std::uint8_t*>(data_.data()), data_.size()};
  }

 private:
  std::vector<char> data_;
};

}  // namespace iotreg::registry
