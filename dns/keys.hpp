#pragma once
// DNSSEC signing keys (KSK/ZSK) held by ldns. The header stays free of ldns: the key material
// sits behind a pointer to implementation.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct ldns_struct_key;  // ldns's ldns_key, for the signer's use only

namespace iotreg::dns {

enum class key_role { ksk, zsk };

/// One DNSSEC key pair for one zone. Movable, not copyable.
/// @par Thread safety: const members may be called concurrently, and the signer signs with one
/// key from several threads at once (the validity window is an argument of each signature, not
/// state of the native key).
class dnssec_key {
 public:
  /// Generates a new key. `algorithm` is 13 (ECDSAP256SHA256, recommended), 15 (ED25519) or
  /// 8 (RSASHA256, 2048 bits). KSK gets DNSKEY flags 257, ZSK 256. `zone_apex` is the owner.
  /// @throw boost::system::system_error errc::unsupported_algorithm, errc::ldns_failure;
  ///        std::invalid_argument if zone_apex is not a valid name.
  static dnssec_key generate(std::uint8_t algorithm, key_role role, std::string_view zone_apex);

  /// Reads a private key file written by save(): BIND "Private-key-format: v1.2" as written by
  /// ldns, plus an iotreg line "Flags: 256|257" that gives the role (ldns ignores it).
  /// @throw boost::system::system_error errc::bad_key_file if unreadable or malformed.
  static dnssec_key load(const std::filesystem::path& private_file, std::string_view zone_apex);

  /// Parses private key text as save() writes it (see load()); `origin` names the text in error
  /// messages (a file name, "DNSSEC key 12345 from the database"), the text itself never appears.
  /// @throw boost::system::system_error errc::bad_key_file, errc::unsupported_algorithm.
  static dnssec_key from_private_text(std::string_view text, std::string_view zone_apex,
                                      std::string_view origin);

  /// The private key as save() writes it. The string holds the secret: the caller wipes it
  /// (OPENSSL_cleanse) when done and never logs it.
  std::string private_text() const;

  /// Writes the private key atomically with mode 0600 (temp file + fsync + rename + fsync dir);
  /// the file is never readable by others, not even while being written.
  /// @throw std::system_error on I/O errors.
  void save(const std::filesystem::path& private_file) const;

  dnssec_key(dnssec_key&&) noexcept;
  dnssec_key& operator=(dnssec_key&&) noexcept;
  ~dnssec_key();

  key_role role() const noexcept;
  std::uint8_t algorithm() const noexcept;
  /// RFC 4034 App. B key tag of the DNSKEY (as ldns_calc_keytag computes it).
  std::uint16_t key_tag() const noexcept;
  /// Zone apex (owner of the DNSKEY), normalised: "iotregistry.test.".
  const std::string& zone_apex() const noexcept;

  /// Full DNSKEY RR in presentation form, TTL 3600, no comment, no trailing newline.
  std::string dnskey_text() const;
  /// Full DS RR for this key; digest_type 2 (SHA-256, default) or 4 (SHA-384).
  /// @throw std::invalid_argument for other digest types.
  std::string ds_text(std::uint8_t digest_type = 2) const;
  /// DNSKEY RDATA in wire form (flags, protocol, algorithm, public key).
  std::vector<std::uint8_t> dnskey_rdata() const;

  /// The ldns key, for the signer. Not part of the stable API.
  ldns_struct_key* native_handle() const noexcept;

 private:
  struct impl;
  explicit dnssec_key(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

}  // namespace iotreg::dns
