#include "dns/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <system_error>
#include <vector>

namespace iotreg::dns::detail {
namespace {

constexpr std::size_t flush_threshold = 64 * 1024;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

atomic_file::atomic_file(std::filesystem::path target, mode_t mode)
    : target_(std::move(target)), mode_(mode) {
  std::string pattern = target_.string() + ".tmp.XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  // mkstemp creates the file 0600 with O_EXCL: a private key is never readable by others,
  // not even for a moment.
  fd_ = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd_ < 0) throw_errno("create temp file for " + target_.string());
  temp_ = buf.data();
}

atomic_file::~atomic_file() {
  OPENSSL_cleanse(buffer_.data(), buffer_.size());
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void atomic_file::write(std::string_view data) {
  buffer_.append(data);
  if (buffer_.size() >= flush_threshold) flush();
}

void atomic_file::flush() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write " + temp_.string());
    }
    done += static_cast<std::size_t>(n);
  }
  // The buffer may have held a private key.
  OPENSSL_cleanse(buffer_.data(), buffer_.size());
  buffer_.clear();
}

void atomic_file::commit() {
  flush();
  if (::fchmod(fd_, mode_) != 0) throw_errno("chmod " + temp_.string());
  if (::fsync(fd_) != 0) throw_errno("fsync " + temp_.string());
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw_errno("close " + temp_.string());
  if (::rename(temp_.c_str(), target_.c_str()) != 0) throw_errno("rename to " + target_.string());
  committed_ = true;
  auto dir = target_.parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) throw_errno("open directory " + dir.string());
  const int rc = ::fsync(dfd);
  const int saved = errno;
  ::close(dfd);
  if (rc != 0) {
    errno = saved;
    throw_errno("fsync directory " + dir.string());
  }
}

}  // namespace iotreg::dns::detail
