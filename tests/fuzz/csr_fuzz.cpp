// libFuzzer target for CSR parsing and checking (issue 4, acceptance g): iotreg::pki::parse_csr_pem
// with the strict DER check, the key allow-list, proof of possession and the CA-request refusal;
// then check_csr_names under both policies and, for a request that passed, the issuance of a device
// certificate.
//
// The first input octet picks how the rest is used, so that mutations reach the DER decoder
// without having to keep base64 intact:
//   even: the rest is PEM text, given as is;
//   odd:  the rest is DER, wrapped in a "CERTIFICATE REQUEST" PEM block first.
// The seeds (run_fuzz.sh makes them with openssl at run time) come in both forms.
//
// Invariants (a violation aborts, which libFuzzer reports as a crash with the input saved):
//   - a refusal is a csr_errc value; nothing throws for bad input;
//   - an accepted request: its DER passes is_strict_der, re-parses to the same DER and is accepted
//     again; its key is one of the allowed types; its signature verifies; it asks for no CA;
//   - check_csr_names with "ignore" never refuses; with "check" it refuses only with
//     name_mismatch;
//   - the device certificate for an accepted request carries the request's key, is not a CA, and
//     verifies under the fixed issuing CA;
//   - the OpenSSL error queue is empty after every call.
// Built only with clang (-fsanitize=fuzzer); see run_fuzz.sh.

#include "pki/ca.hpp"
#include "pki/csr.hpp"
#include "pki/der_check.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace {

using namespace iotreg::pki;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "INVARIANT VIOLATED: %s\n", what);
    std::abort();
  }
}

const std::string device_id = "89049032000001000000012345678901";
const std::string device_name = device_id + "._device.iotregistry.test";

// One issuing CA for every input: keys are made once.
const certificate_authority& issuing() {
  static const certificate_authority ca = [] {
    const auto now = std::chrono::system_clock::now();
    const certificate_authority root = create_root_ca("fuzz root", std::chrono::days(3650), now);
    return create_issuing_ca(root, "fuzz issuing", std::chrono::days(365), now);
  }();
  return ca;
}

std::string wrap_pem(std::span<const std::uint8_t> der) {
  bio_ptr bio = make_write_bio();
  PEM_write_bio(bio.get(), "CERTIFICATE REQUEST", "", der.data(), static_cast<long>(der.size()));
  return bio_contents(bio.get());
}

bool allowed_description(const std::string& d) {
  return d == "EC P-256" || d == "EC P-384" || d == "Ed25519" || d.starts_with("RSA ");
}

void check_accepted(const csr& req) {
  const std::vector<std::uint8_t> der = req.der();
  require(is_strict_der(der), "accepted DER is strict DER");
  auto again = parse_csr_pem(wrap_pem(der));
  require(again.has_value(), "re-encoded request accepted again");
  require(again->der() == der, "re-encoding is stable");
  require(allowed_description(req.key_description()), "key type in the allow-list");
  require(X509_REQ_verify(req.native(), X509_REQ_get0_pubkey(req.native())) == 1, "signature verifies");
  ERR_clear_error();

  const csr_policy ignore{};
  const csr_policy check{16 * 1024, csr_name_policy::check};
  require(!check_csr_names(req, ignore, device_name, device_id), "ignore never refuses");
  const auto ec = check_csr_names(req, check, device_name, device_id);
  require(!ec || ec == csr_errc::name_mismatch, "check refuses only with name_mismatch");
  require(ERR_peek_error() == 0, "error queue empty after check_csr_names");

  const auto now = std::chrono::system_clock::now();
  const certificate c = issue_device_certificate(issuing(), req, device_name, std::chrono::days(1), now,
                                                 issuance_urls{"https://iotreg.example:8443"});
  require(c.spki_der() == req.spki_der(), "certificate carries the request's key");
  require(X509_check_ca(c.native()) == 0, "device certificate is not a CA");
  require(X509_verify(c.native(), X509_get0_pubkey(issuing().cert.native())) == 1, "signed by the issuer");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static_cast<void>(issuing());
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  std::string text;
  if ((data[0] & 1) != 0) {
    text = wrap_pem(rest);
  } else {
    text.assign(reinterpret_cast<const char*>(rest.data()), rest.size());
  }
  try {
    // A small size limit too, so that too_large is reached with short inputs.
    const auto small = parse_csr_pem(text, csr_policy{1024, csr_name_policy::ignore});
    require(ERR_peek_error() == 0, "error queue empty after a small-limit parse");
    if (text.size() > 1024) require(!small && small.error() == csr_errc::too_large, "size limit enforced");

    auto r = parse_csr_pem(text);
    require(ERR_peek_error() == 0, "error queue empty after parse_csr_pem");
    if (!r) {
      require(r.error().category() == csr_category(), "refusals are csr_errc values");
      return 0;
    }
    check_accepted(*r);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "INVARIANT VIOLATED: exception: %s\n", e.what());
    std::abort();
  }
  require(ERR_peek_error() == 0, "error queue empty at the end");
  return 0;
}
