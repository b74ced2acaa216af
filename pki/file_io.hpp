#pragma once
// Blocking file I/O for key and certificate files. Callers on an io thread offload these
// (STYLE.md §5.3).

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace iotreg::pki {

/// Replaces `path` atomically with `data`: writes a temporary file in the same directory, created
/// with mode 0600 and then set to `mode` with fchmod (so the umask cannot widen or narrow it),
/// fsyncs it, renames it over `path` and fsyncs the directory. Readers see the old or the new
/// content, never a mix; the file is never more open than `mode` at any moment.
/// Throws std::system_error on any I/O failure (the temporary file is removed).
void write_file_atomic(const std::filesystem::path& path, std::string_view data, std::filesystem::perms mode);

/// Creates `path` with `data` like write_file_atomic, but never replaces an existing file (the
/// complete temporary file is link()ed to its name). @returns false, writing nothing, if `path`
/// exists (also when another process created it meanwhile). Throws std::system_error otherwise.
bool create_file_exclusive(const std::filesystem::path& path, std::string_view data,
                           std::filesystem::perms mode);

/// Reads a whole regular file. Throws std::system_error if it cannot be read, std::length_error if
/// it is larger than `max_bytes`.
std::string read_file(const std::filesystem::path& path, std::size_t max_bytes = 1024 * 1024);

}  // namespace iotreg::pki
