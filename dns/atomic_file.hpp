#pragma once
// Internal: write a file so that readers see the old or the new content, never a mix, and the new
// content survives a crash once commit() returned: temp file in the same directory (mkstemp,
// created 0600), fsync, rename over the target, fsync the directory.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace iotreg::dns::detail {

class atomic_file {
 public:
  /// Creates the temp file next to `target`. @throw std::system_error on I/O errors.
  atomic_file(std::filesystem::path target, mode_t mode);
  /// Removes the temp file unless commit() succeeded.
  ~atomic_file();
  atomic_file(const atomic_file&) = delete;
  atomic_file& operator=(const atomic_file&) = delete;

  /// Appends (buffered). @throw std::system_error on I/O errors.
  void write(std::string_view data);
  /// Flushes, sets the mode, fsyncs, renames over the target and fsyncs the directory.
  /// @throw std::system_error on I/O errors (the target is then unchanged).
  void commit();

 private:
  void flush();

  std::filesystem::path target_;
  std::filesystem::path temp_;
  mode_t mode_;
  int fd_ = -1;
  bool committed_ = false;
  std::string buffer_;
};

}  // namespace iotreg::dns::detail
