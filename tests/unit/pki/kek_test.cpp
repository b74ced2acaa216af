#include "pki/kek.hpp"

#include "pki/file_io.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

using namespace iotreg::pki;
namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

key_encryption_key kek_of(std::uint8_t fill) {
  std::vector<std::uint8_t> k(key_encryption_key::key_size, fill);
  return key_encryption_key::from_bytes(k);
}

void write_with_mode(const fs::path& p, const std::string& content, mode_t mode) {
  std::ofstream(p, std::ios::binary) << content;
  REQUIRE(::chmod(p.c_str(), mode) == 0);
}

/// The message of the kek_error `f` throws ("" when it throws nothing or something else).
template <class F>
std::string kek_error_of(F&& f) {
  try {
    f();
  } catch (const kek_error& e) {
    return e.what();
  } catch (...) {
  }
  return "";
}

const std::string secret_text = "Private-key-format: v1.2\nPrivateKey: c2VjcmV0IHNlY3JldCBzZWNyZXQ=\n";
const std::string aad = "iotregistry.test.|12345";

}  // namespace

TEST_CASE("kek/seal then open gives the plaintext back") {
  const auto kek = kek_of(7);
  const auto sealed = kek.seal(bytes(secret_text), aad);
  CHECK(sealed.size() == secret_text.size() + key_encryption_key::overhead);
  CHECK(sealed[0] == 1);
  // The plaintext does not appear in the sealed blob.
  CHECK(std::string(sealed.begin(), sealed.end()).find("PrivateKey") == std::string::npos);
  const auto opened = kek.open(sealed, aad, "key 12345");
  CHECK(opened.view() == secret_text);
}

TEST_CASE("kek/every seal uses a fresh nonce") {
  const auto kek = kek_of(7);
  const auto a = kek.seal(bytes(secret_text), aad);
  const auto b = kek.seal(bytes(secret_text), aad);
  REQUIRE(a.size() == b.size());
  CHECK(a != b);
  CHECK(std::vector<std::uint8_t>(a.begin() + 1, a.begin() + 13) !=
        std::vector<std::uint8_t>(b.begin() + 1, b.begin() + 13));
}

TEST_CASE("kek/tampering with any byte makes open fail") {
  const auto kek = kek_of(7);
  const auto sealed = kek.seal(bytes(secret_text), aad);
  // version byte, nonce, ciphertext, tag: each region is covered.
  for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{12}, std::size_t{13}, std::size_t{20},
                        sealed.size() - 16, sealed.size() - 1}) {
    auto bad = sealed;
    bad[i] ^= 0x01;
    INFO("byte " << i);
    const auto msg =
        kek_error_of([&] { (void)kek.open(bad, aad, "DNSSEC key 12345 of zone iotregistry.test."); });
    CHECK(msg.starts_with("cannot decrypt DNSSEC key 12345 of zone iotregistry.test.: "));
    CHECK(msg.find("PrivateKey") == std::string::npos);
  }
  SECTION("truncated") {
    std::vector<std::uint8_t> shortened(sealed.begin(), sealed.begin() + 20);
    CHECK_THROWS_AS(kek.open(shortened, aad, "k"), kek_error);
    CHECK_THROWS_AS(kek.open(std::vector<std::uint8_t>{}, aad, "k"), kek_error);
  }
}

TEST_CASE("kek/other associated data (row moved to another key) makes open fail") {
  const auto kek = kek_of(7);
  const auto sealed = kek.seal(bytes(secret_text), aad);
  CHECK_THROWS_AS(kek.open(sealed, "iotregistry.test.|12346", "k"), kek_error);
  CHECK_THROWS_AS(kek.open(sealed, "other.test.|12345", "k"), kek_error);
  CHECK_NOTHROW(kek.open(sealed, aad, "k"));
}

TEST_CASE("kek/a wrong KEK makes open fail with a clear message") {
  const auto sealed = kek_of(7).seal(bytes(secret_text), aad);
  const auto msg = kek_error_of([&] { (void)kek_of(8).open(sealed, aad, "DNSSEC key 12345"); });
  CHECK(msg.find("cannot decrypt DNSSEC key 12345") != std::string::npos);
  CHECK(msg.find("wrong key encryption key") != std::string::npos);
}

TEST_CASE("kek/from_bytes wants 32 bytes") {
  CHECK_THROWS_AS(key_encryption_key::from_bytes(std::vector<std::uint8_t>(31, 1)), kek_error);
  CHECK_THROWS_AS(key_encryption_key::from_bytes(std::vector<std::uint8_t>(33, 1)), kek_error);
}

TEST_CASE("kek/is_private_mode") {
  CHECK(is_private_mode(0600));
  CHECK(is_private_mode(0400));
  CHECK(is_private_mode(0200));
  CHECK(is_private_mode(0100600));  // with S_IFREG
  CHECK_FALSE(is_private_mode(0640));
  CHECK_FALSE(is_private_mode(0604));
  CHECK_FALSE(is_private_mode(0644));
  CHECK_FALSE(is_private_mode(0700));
  CHECK_FALSE(is_private_mode(0610));
}

TEST_CASE("kek/files") {
  test::temp_dir dir;
  const fs::path file = fs::path(dir.path()) / "kek";

  SECTION("create_file makes a 0600 file of 32 bytes, once") {
    REQUIRE(key_encryption_key::create_file(file));
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_size == 32);
    const auto before = read_file(file);
    CHECK_FALSE(key_encryption_key::create_file(file));  // never replaced
    CHECK(read_file(file) == before);
    const auto kek = key_encryption_key::load_file(file);
    const auto sealed = kek.seal(bytes(secret_text), aad);
    CHECK(key_encryption_key::load_file(file).open(sealed, aad, "k").view() == secret_text);
    // Two created files hold different keys.
    const fs::path other = fs::path(dir.path()) / "kek2";
    REQUIRE(key_encryption_key::create_file(other));
    CHECK(read_file(other) != before);
    CHECK_THROWS_AS(key_encryption_key::load_file(other).open(sealed, aad, "k"), kek_error);
  }

  SECTION("create_file racing with itself: one file, one winner, no temporary left") {
    std::vector<std::future<bool>> racers;
    for (int i = 0; i < 8; ++i) {
      racers.push_back(std::async(std::launch::async, [&] { return key_encryption_key::create_file(file); }));
    }
    int winners = 0;
    for (auto& r : racers) winners += r.get() ? 1 : 0;
    CHECK(winners == 1);
    CHECK(read_file(file).size() == 32);
    int entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
    CHECK(entries == 1);
  }

  SECTION("64 hex digits with a newline are accepted, as are 0400") {
    write_with_mode(file, std::string(64, 'a') + "\n", 0400);
    const auto hex_kek = key_encryption_key::load_file(file);
    const auto sealed = hex_kek.seal(bytes(secret_text), aad);
    CHECK(kek_of(0xaa).open(sealed, aad, "k").view() == secret_text);
  }

  SECTION("a group- or world-readable file is refused, naming the file and the mode") {
    for (mode_t mode : {0640, 0644, 0604, 0660, 0700}) {
      write_with_mode(file, std::string(32, 'x'), mode);
      const auto msg = kek_error_of([&] { (void)key_encryption_key::load_file(file); });
      INFO(msg);
      CHECK(msg.find(file.string()) != std::string::npos);
      CHECK(msg.find("must be 0600 or stricter") != std::string::npos);
    }
  }

  SECTION("missing, wrong size, bad hex, symlink, directory are refused") {
    auto msg = kek_error_of([&] { (void)key_encryption_key::load_file(file); });
    CHECK(msg.find(file.string()) != std::string::npos);
    CHECK(msg.find("iotregctl init") != std::string::npos);
    write_with_mode(file, std::string(31, 'x'), 0600);
    msg = kek_error_of([&] { (void)key_encryption_key::load_file(file); });
    CHECK(msg.find("expected 32 raw bytes or 64 hex digits") != std::string::npos);
    CHECK(msg.find("xxxx") == std::string::npos);  // never the content
    write_with_mode(file, std::string(63, 'a') + "g", 0600);
    CHECK_THROWS_AS(key_encryption_key::load_file(file), kek_error);
    write_with_mode(file, std::string(4096, 'a'), 0600);
    CHECK_THROWS_AS(key_encryption_key::load_file(file), kek_error);
    fs::remove(file);
    fs::create_directory(file);
    ::chmod(file.c_str(), 0700);
    CHECK_THROWS_AS(key_encryption_key::load_file(file), kek_error);
    fs::remove(file);
    const fs::path target = fs::path(dir.path()) / "target";
    write_with_mode(target, std::string(32, 'x'), 0600);
    fs::create_symlink(target, file);
    CHECK_THROWS_AS(key_encryption_key::load_file(file), kek_error);
  }
}
