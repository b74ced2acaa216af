#include "pki/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace iotreg::pki {
namespace {

[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& p) {
  throw std::system_error(errno, std::generic_category(), what + " " + p.string());
}

// Owns a file descriptor; closes it unless released.
class unique_fd {
 public:
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

void write_all(int fd, std::string_view data, const std::filesystem::path& p) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write", p);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

namespace {

/// A complete, durable, private temporary file with `data` in the directory of `path`, then
/// renamed over `path` (replace) or link()ed to it (no replace: fails with EEXIST if it exists).
/// @returns false only when !replace and `path` exists.
bool publish_file(const std::filesystem::path& path, std::string_view data, std::filesystem::perms mode,
                  bool replace) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');

  // mkstemp creates the file with mode 0600 and O_EXCL, so it is private from its first moment.
  unique_fd fd(::mkostemp(name.data(), O_CLOEXEC));
  if (fd.get() < 0) throw_errno("cannot create temporary file for", path);
  const std::filesystem::path tmp(name.data());
  try {
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) throw_errno("fchmod", tmp);
    write_all(fd.get(), data, tmp);
    if (::fsync(fd.get()) != 0) throw_errno("fsync", tmp);
    if (::close(fd.release()) != 0) throw_errno("close", tmp);
    if (replace) {
      if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename to", path);
    } else {
      // link() never replaces: of two creators at once, the first one wins.
      const bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
      const int link_errno = errno;
      ::unlink(tmp.c_str());
      if (!linked) {
        if (link_errno == EEXIST) return false;
        errno = link_errno;
        throw_errno("cannot create", path);
      }
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  // Make the new name itself durable.
  unique_fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0 || ::fsync(dfd.get()) != 0) throw_errno("fsync directory", dir);
  return true;
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view data,
                       std::filesystem::perms mode) {
  publish_file(path, data, mode, true);
}

bool create_file_exclusive(const std::filesystem::path& path, std::string_view data,
                           std::filesystem::perms mode) {
  return publish_file(path, data, mode, false);
}

std::string read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw_errno("cannot open", path);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read", path);
    }
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) throw std::length_error("file too large: " + path.string());
  }
}

}  // namespace iotreg::pki
