#include "pki/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace iotreg::pki {

namespace {

/// Closes the descriptor on every path out of read_secret_line.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

secret_bytes read_secret_line(const std::filesystem::path& file, std::string_view what,
                              std::size_t min_length, std::size_t max_bytes) {
  const std::string name = std::string(what) + " file " + file.string();
  auto fail = [&](const std::string& why) { return secret_file_error(name + ": " + why); };

  // O_NOFOLLOW: a symbolic link could point the check at one file and the read at another.
  const fd_guard f{::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (f.fd < 0) throw fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) throw fail("not a regular file");
  if (!is_private_mode(st.st_mode)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw fail(std::string("has mode ") + mode + ": it must be 0600 or stricter (chmod 0600 it)");
  }

  // One byte more than allowed tells "too large" from "exactly the limit".
  secret_bytes buf(max_bytes + 1);
  std::size_t used = 0;
  while (used < buf.size()) {
    const ssize_t n = ::read(f.fd, buf.data() + used, buf.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw fail(std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > max_bytes) throw fail("too large (at most " + std::to_string(max_bytes) + " bytes)");

  std::size_t len = used;
  while (len > 0 && (buf.data()[len - 1] == '\n' || buf.data()[len - 1] == '\r')) --len;
  if (std::memchr(buf.data(), '\0', len) != nullptr) throw fail("contains a NUL byte");
  if (len < min_length) {
    throw fail(len == 0 ? std::string("is empty")
                        : "too short (at least " + std::to_string(min_length) + " characters)");
  }
  secret_bytes out(len);
  std::memcpy(out.data(), buf.data(), len);
  return out;
}

}  // namespace iotreg::pki
