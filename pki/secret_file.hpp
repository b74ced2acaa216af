#pragma once
// Small secrets kept in their own file: the passphrase of the CA key files, the PIN of a PKCS#11
// token. The file must be private (mode 0600 or stricter, like the KEK file); its content is
// read into wiped memory and never appears in an error message.

#include "pki/kek.hpp"

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace iotreg::pki {

/// A secret file that is missing, unreadable, too open, too large or empty. The message names the
/// file and what it is for; it never holds the content.
class secret_file_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reads a one-line secret from `file` (blocking): the whole content without its final line
/// break(s) ("\n" or "\r\n", as `echo` and editors leave them); other whitespace is kept.
/// The file must be a regular file (not a symbolic link) of mode 0600 or stricter, at most
/// `max_bytes` long, and the secret must hold at least `min_length` bytes and no NUL byte.
/// @param what names the secret in messages ("CA key passphrase", "PKCS#11 PIN").
/// @throws secret_file_error "<what> file <file>: <why>".
secret_bytes read_secret_line(const std::filesystem::path& file, std::string_view what,
                              std::size_t min_length = 1, std::size_t max_bytes = 4096);

}  // namespace iotreg::pki
