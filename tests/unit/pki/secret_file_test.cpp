#include "pki/secret_file.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace iotreg::pki;
namespace fs = std::filesystem;

namespace {

void write_with_mode(const fs::path& p, const std::string& content, mode_t mode) {
  std::ofstream(p, std::ios::binary) << content;
  REQUIRE(::chmod(p.c_str(), mode) == 0);
}

/// The message of the secret_file_error `f` throws ("" when it throws nothing or something else).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const secret_file_error& e) {
    return e.what();
  } catch (...) {
  }
  return "";
}

}  // namespace

TEST_CASE("secret_file/one line without its final line break") {
  test::temp_dir dir;
  const fs::path p = dir.path() + "/pass";
  write_with_mode(p, "correct horse battery\n", 0600);
  CHECK(read_secret_line(p, "passphrase").view() == "correct horse battery");
  write_with_mode(p, "  spaces kept  \r\n", 0400);
  CHECK(read_secret_line(p, "passphrase").view() == "  spaces kept  ");
  write_with_mode(p, "no newline", 0600);
  CHECK(read_secret_line(p, "passphrase").view() == "no newline");
}

TEST_CASE("secret_file/refuses a file group or others can read, naming the file, not the secret") {
  test::temp_dir dir;
  const fs::path p = dir.path() + "/pin";
  write_with_mode(p, "s3cr3t-pin\n", 0640);
  const std::string msg = error_of([&] { read_secret_line(p, "PKCS#11 PIN"); });
  CHECK(msg.find("PKCS#11 PIN file " + p.string()) != std::string::npos);
  CHECK(msg.find("0640") != std::string::npos);
  CHECK(msg.find("s3cr3t") == std::string::npos);
  write_with_mode(p, "s3cr3t-pin\n", 0604);
  CHECK_FALSE(error_of([&] { read_secret_line(p, "PKCS#11 PIN"); }).empty());
  write_with_mode(p, "s3cr3t-pin\n", 0700);  // executable: not "0600 or stricter"
  CHECK_FALSE(error_of([&] { read_secret_line(p, "PKCS#11 PIN"); }).empty());
}

TEST_CASE("secret_file/missing, empty, short, too large, NUL and symbolic link are errors") {
  test::temp_dir dir;
  const fs::path p = dir.path() + "/s";
  CHECK(error_of([&] { read_secret_line(p, "x"); }).find("cannot open") != std::string::npos);
  write_with_mode(p, "\n", 0600);
  CHECK(error_of([&] { read_secret_line(p, "x"); }).find("is empty") != std::string::npos);
  write_with_mode(p, "short\n", 0600);
  const std::string short_msg = error_of([&] { read_secret_line(p, "x", 8); });
  CHECK(short_msg.find("too short") != std::string::npos);
  CHECK(short_msg.find("short\n") == std::string::npos);
  write_with_mode(p, std::string(5000, 'a'), 0600);
  CHECK(error_of([&] { read_secret_line(p, "x"); }).find("too large") != std::string::npos);
  write_with_mode(p, std::string("ab\0cd", 5), 0600);
  CHECK(error_of([&] { read_secret_line(p, "x"); }).find("NUL") != std::string::npos);
  write_with_mode(p, "good-secret", 0600);
  const fs::path link = dir.path() + "/link";
  fs::create_symlink(p, link);
  CHECK(error_of([&] { read_secret_line(link, "x"); }).find("cannot open") != std::string::npos);
}
