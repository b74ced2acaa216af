#include "pki/pkcs11_keygen.hpp"

#include "pki/digest.hpp"

#include <openssl/crypto.h>
#include <p11-kit/pkcs11.h>

#include <dlfcn.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace iotreg::pki {
namespace {

std::string rv_text(CK_RV rv) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "CKR 0x%08lx", static_cast<unsigned long>(rv));
  return buf;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// The path part of a PKCS#11 URI (after "pkcs11:", before '?'), split at ';'.
std::vector<std::string_view> path_attributes(std::string_view uri) {
  std::vector<std::string_view> out;
  if (uri.size() >= 7) uri.remove_prefix(7);
  uri = uri.substr(0, uri.find('?'));
  while (!uri.empty()) {
    const auto semi = uri.find(';');
    if (semi != 0) out.push_back(uri.substr(0, semi));
    if (semi == std::string_view::npos) break;
    uri.remove_prefix(semi + 1);
  }
  return out;
}

/// A DER length.
void der_length(std::vector<std::uint8_t>& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
    return;
  }
  std::vector<std::uint8_t> bytes;
  for (; n > 0; n >>= 8) bytes.insert(bytes.begin(), static_cast<std::uint8_t>(n & 0xff));
  out.push_back(static_cast<std::uint8_t>(0x80 | bytes.size()));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

/// DER INTEGER of an unsigned big-endian number.
std::vector<std::uint8_t> der_integer(std::vector<std::uint8_t> v) {
  while (v.size() > 1 && v[0] == 0 && (v[1] & 0x80) == 0) v.erase(v.begin());
  if (v.empty() || (v[0] & 0x80) != 0) v.insert(v.begin(), 0);
  std::vector<std::uint8_t> out{0x02};
  der_length(out, v.size());
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

/// One PKCS#11 session on the token, logged in; C_Finalize (when we initialised) at the end.
class session {
 public:
  session(const std::filesystem::path& module, std::string_view token_label, std::string_view pin)
      : module_(module), token_(token_label) {
    lib_ = ::dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib_ == nullptr) throw error("cannot load the module");
    auto* get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(lib_, "C_GetFunctionList"));
    if (get == nullptr || get(&f_) != CKR_OK || f_ == nullptr) throw error("no C_GetFunctionList");
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    const CK_RV rv = f_->C_Initialize(&args);
    // Already initialised by OpenSSL's engine in this process: share it, leave it initialised.
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) throw error("C_Initialize", rv);
    initialised_ = rv == CKR_OK;
    open(pin);
  }
  ~session() {
    if (session_ != CK_INVALID_HANDLE) f_->C_CloseSession(session_);
    if (initialised_) f_->C_Finalize(nullptr);
    if (lib_ != nullptr) ::dlclose(lib_);
  }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  CK_FUNCTION_LIST_PTR f() const { return f_; }
  CK_SESSION_HANDLE handle() const { return session_; }

  pkcs11_error error(const std::string& what, std::optional<CK_RV> rv = std::nullopt) const {
    std::string m = "PKCS#11 module " + module_.string() + ", token '" + token_ + "': " + what;
    if (rv) m += ": " + rv_text(*rv);
    if (lib_ == nullptr) m += std::string(": ") + ::dlerror();
    return pkcs11_error(m);
  }

 private:
  void open(std::string_view pin) {
    CK_ULONG n = 0;
    CK_RV rv = f_->C_GetSlotList(CK_TRUE, nullptr, &n);
    if (rv != CKR_OK) throw error("C_GetSlotList", rv);
    std::vector<CK_SLOT_ID> slots(n);
    rv = f_->C_GetSlotList(CK_TRUE, slots.data(), &n);
    if (rv != CKR_OK) throw error("C_GetSlotList", rv);
    slots.resize(n);
    std::optional<CK_SLOT_ID> found;
    for (const auto s : slots) {
      CK_TOKEN_INFO info{};
      if (f_->C_GetTokenInfo(s, &info) != CKR_OK) continue;
      std::string label(reinterpret_cast<const char*>(info.label), sizeof info.label);
      while (!label.empty() && label.back() == ' ') label.pop_back();  // blank-padded
      if (label == token_) {
        found = s;
        break;
      }
    }
    if (!found) throw error("no such token");
    rv = f_->C_OpenSession(*found, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session_);
    if (rv != CKR_OK) throw error("C_OpenSession", rv);
    std::string p(pin);
    rv = f_->C_Login(session_, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(p.data()), p.size());
    OPENSSL_cleanse(p.data(), p.size());
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) throw error("C_Login (is the PIN right?)", rv);
  }

  std::filesystem::path module_;
  std::string token_;
  void* lib_ = nullptr;
  CK_FUNCTION_LIST_PTR f_ = nullptr;
  bool initialised_ = false;
  CK_SESSION_HANDLE session_ = CK_INVALID_HANDLE;
};

std::vector<std::uint8_t> attribute(const session& s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  CK_RV rv = s.f()->C_GetAttributeValue(s.handle(), o, &a, 1);
  if (rv != CKR_OK) throw s.error("C_GetAttributeValue", rv);
  std::vector<std::uint8_t> out(a.ulValueLen);
  a.pValue = out.data();
  rv = s.f()->C_GetAttributeValue(s.handle(), o, &a, 1);
  if (rv != CKR_OK) throw s.error("C_GetAttributeValue", rv);
  out.resize(a.ulValueLen);
  return out;
}

/// The subjectPublicKey bits of the public key object: the EC point, or DER RSAPublicKey.
std::vector<std::uint8_t> public_key_bits(const session& s, CK_OBJECT_HANDLE pub, bool ec) {
  if (ec) {
    // CKA_EC_POINT is the DER OCTET STRING holding the point (PKCS#11 2.40 §2.3.3).
    auto point = attribute(s, pub, CKA_EC_POINT);
    if (point.size() < 2 || point[0] != 0x04) throw s.error("CKA_EC_POINT is not a DER OCTET STRING");
    std::size_t hdr = 2;
    if (point[1] & 0x80) hdr += point[1] & 0x7f;
    if (hdr >= point.size()) throw s.error("CKA_EC_POINT is truncated");
    return {point.begin() + static_cast<std::ptrdiff_t>(hdr), point.end()};
  }
  auto n = der_integer(attribute(s, pub, CKA_MODULUS));
  auto e = der_integer(attribute(s, pub, CKA_PUBLIC_EXPONENT));
  std::vector<std::uint8_t> out{0x30};
  der_length(out, n.size() + e.size());
  out.insert(out.end(), n.begin(), n.end());
  out.insert(out.end(), e.begin(), e.end());
  return out;
}

}  // namespace

std::optional<std::string> pkcs11_uri_attribute(std::string_view uri, std::string_view name) {
  for (const auto a : path_attributes(uri)) {
    const auto eq = a.find('=');
    if (eq != std::string_view::npos && a.substr(0, eq) == name) return percent_decode(a.substr(eq + 1));
  }
  return std::nullopt;
}

std::string pkcs11_key_uri_for_id(std::string_view uri, std::span<const std::uint8_t> id) {
  std::string out = "pkcs11:";
  for (const auto a : path_attributes(uri)) {
    const auto name = a.substr(0, a.find('='));
    if (name == "object" || name == "id" || name == "type") continue;
    out += std::string(a) + ';';
  }
  out += "id=";
  static constexpr char digits[] = "0123456789abcdef";
  for (const auto b : id) {
    out += '%';
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out + ";type=private";
}

std::vector<std::uint8_t> pkcs11_generate_key_pair(const std::filesystem::path& module,
                                                   std::string_view token_label, std::string_view pin,
                                                   key_type type, std::string_view label) {
  // DER OIDs of the named curves (CKA_EC_PARAMS); RSA sizes.
  static constexpr std::uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  static constexpr std::uint8_t p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
  std::span<const std::uint8_t> curve;
  CK_ULONG bits = 0;
  switch (type) {
    case key_type::ec_p256: curve = p256; break;
    case key_type::ec_p384: curve = p384; break;
    case key_type::rsa2048: bits = 2048; break;
    case key_type::rsa3072: bits = 3072; break;
    case key_type::rsa4096: bits = 4096; break;
    case key_type::ed25519:
      throw std::invalid_argument(
          "Ed25519 CA keys cannot be made in a PKCS#11 token here (OpenSSL's pkcs11 engine cannot sign "
          "with them): use ec-p256, ec-p384 or rsa* as [ca] key_type");
  }
  const bool ec = !curve.empty();
  const session s(module, token_label, pin);

  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  std::string lab(label);
  // A temporary CKA_ID until the key's own is known: random, so that no object is shadowed.
  auto tmp_id = random_bytes(20);
  CK_BYTE exponent[] = {0x01, 0x00, 0x01};
  std::vector<CK_ATTRIBUTE> pub{
      {CKA_TOKEN, &yes, sizeof yes},       {CKA_VERIFY, &yes, sizeof yes},
      {CKA_ENCRYPT, &no, sizeof no},       {CKA_WRAP, &no, sizeof no},
      {CKA_LABEL, lab.data(), lab.size()}, {CKA_ID, tmp_id.data(), tmp_id.size()},
  };
  if (ec) {
    pub.push_back({CKA_EC_PARAMS, const_cast<std::uint8_t*>(curve.data()), curve.size()});
  } else {
    pub.push_back({CKA_MODULUS_BITS, &bits, sizeof bits});
    pub.push_back({CKA_PUBLIC_EXPONENT, exponent, sizeof exponent});
  }
  std::vector<CK_ATTRIBUTE> priv{
      {CKA_TOKEN, &yes, sizeof yes},          {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},      {CKA_EXTRACTABLE, &no, sizeof no},
      {CKA_SIGN, &yes, sizeof yes},           {CKA_DECRYPT, &no, sizeof no},
      {CKA_UNWRAP, &no, sizeof no},           {CKA_LABEL, lab.data(), lab.size()},
      {CKA_ID, tmp_id.data(), tmp_id.size()},
  };
  CK_MECHANISM mech{ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pub_h = CK_INVALID_HANDLE, priv_h = CK_INVALID_HANDLE;
  CK_RV rv = s.f()->C_GenerateKeyPair(s.handle(), &mech, pub.data(), pub.size(), priv.data(), priv.size(),
                                      &pub_h, &priv_h);
  if (rv != CKR_OK) throw s.error("C_GenerateKeyPair", rv);
  try {
    const auto ski = sha1(public_key_bits(s, pub_h, ec));
    std::vector<std::uint8_t> id(ski.begin(), ski.end());
    CK_ATTRIBUTE set{CKA_ID, id.data(), id.size()};
    for (const auto h : {pub_h, priv_h}) {
      rv = s.f()->C_SetAttributeValue(s.handle(), h, &set, 1);
      if (rv != CKR_OK) throw s.error("C_SetAttributeValue(CKA_ID)", rv);
    }
    return id;
  } catch (...) {
    // No half-made key pair left behind under a random id.
    s.f()->C_DestroyObject(s.handle(), priv_h);
    s.f()->C_DestroyObject(s.handle(), pub_h);
    throw;
  }
}

}  // namespace iotreg::pki
