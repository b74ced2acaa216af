#pragma once
// TSIG (RFC 8945) with hmac-sha256: the key, verification of a signed request, and signing of
// responses (every message of a stream) and of our own requests (NOTIFY). HMAC is computed with
// OpenSSL over the RFC 8945 §4.3 MAC input directly: ldns's packet API re-encodes messages, which
// does not fit the byte-exact multi-message streams of a zone transfer. No ldns here: the server
// module includes this header.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotreg::dns {

namespace tsig_error {
inline constexpr std::uint16_t badsig = 16;
inline constexpr std::uint16_t badkey = 17;
inline constexpr std::uint16_t badtime = 18;
inline constexpr std::uint16_t badtrunc = 22;
}  // namespace tsig_error

/// One shared secret. Never log `secret`.
struct tsig_key {
  std::string name;                     ///< presentation form, final dot, lower case (for logs)
  std::vector<std::uint8_t> name_wire;  ///< canonical (lower-case) wire form
  std::vector<std::uint8_t> secret;
};

/// A key from its name, algorithm (only "hmac-sha256") and base64 secret.
/// @throws std::invalid_argument naming the key (never the secret) on a bad name, algorithm or secret.
tsig_key make_tsig_key(std::string_view name, std::string_view algorithm, std::string_view base64_secret);

/// Reads the base64 secret from `secret_file` and makes the key. Blocking (file I/O).
/// @throws std::runtime_error naming the file when it cannot be read, is world-readable, or
/// holds no valid base64 secret.
tsig_key load_tsig_key_blocking(std::string_view name, std::string_view algorithm,
                                const std::filesystem::path& secret_file);

/// The outcome of checking a request's TSIG (RFC 8945 §5.2).
struct tsig_verdict {
  bool formerr = false;                ///< the TSIG record itself is malformed
  std::uint16_t error = 0;             ///< 0, or tsig_error::badkey / badsig / badtime / badtrunc
  std::vector<std::uint8_t> key_name;  ///< wire form, as in the request
  std::vector<std::uint8_t> mac;       ///< the request's MAC (for signing the response)
  std::uint64_t time_signed = 0;
};

/// Checks the TSIG record that starts at `tsig_offset` in `msg` (it is the last record of the
/// additional section; `msg` is the whole message as received) against `key` (nullptr: no key
/// configured, so any TSIG is BADKEY) at Unix time `now`.
tsig_verdict verify_tsig_request(std::span<const std::uint8_t> msg, std::size_t tsig_offset,
                                 const tsig_key* key, std::uint64_t now);

/// Signs a sequence of messages with one key: a request (no prior MAC), or the responses to a
/// verified request (the first covers the request MAC and all TSIG variables, the following
/// ones the previous MAC and the timers only, RFC 8945 §5.3.1). Not thread-safe; one per stream.
class tsig_signer {
 public:
  /// For a request we send. `key` must outlive the signer.
  tsig_signer(const tsig_key& key, std::uint64_t now);
  /// For responses to a request whose TSIG gave `request` (error 0 or BADTIME).
  tsig_signer(const tsig_key& key, const tsig_verdict& request, std::uint64_t now);

  /// Appends a TSIG record to `msg` (a complete message without TSIG; ARCOUNT is incremented).
  /// With error BADTIME the record carries our time as Other Data.
  void sign(std::vector<std::uint8_t>& msg);

  /// The MAC of the last signed message.
  const std::vector<std::uint8_t>& last_mac() const noexcept { return prior_mac_; }

  /// Octets the TSIG record adds to a message.
  std::size_t record_size() const noexcept;

 private:
  const tsig_key& key_;
  std::vector<std::uint8_t> prior_mac_;
  std::uint64_t now_;         // Time Signed of our records
  std::uint64_t server_now_;  // our clock (Other Data of BADTIME)
  std::uint16_t error_ = 0;
  bool first_ = true;
  bool response_ = false;
};

/// Appends an unsigned TSIG record (MAC size 0) carrying `error` (BADKEY, BADSIG) for a key we
/// cannot or must not sign with (RFC 8945 §5.3.2). `key_name` in wire form.
void append_unsigned_tsig(std::vector<std::uint8_t>& msg, std::span<const std::uint8_t> key_name,
                          std::uint16_t error, std::uint64_t now);

}  // namespace iotreg::dns
