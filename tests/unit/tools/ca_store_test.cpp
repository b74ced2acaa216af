// Several issuing CAs in the state directory (tools/state/ca_store.hpp): create, rotate, list,
// load after a restart, and the layout before several CAs, read as it is and migrated.

#include "tools/state/ca_store.hpp"

#include "pki/certificate.hpp"
#include "pki/file_io.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using namespace iotreg;
using tools::state_layout;

namespace {

class temp_state {
 public:
  temp_state() {
    std::string tmpl = (fs::temp_directory_path() / "iotreg-ca-store-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
  }
  ~temp_state() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  temp_state(const temp_state&) = delete;
  temp_state& operator=(const temp_state&) = delete;
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

const auto now = std::chrono::system_clock::now();

/// The key store of [ca] key_storage = "file" (the default): plain PKCS#8 files.
const tools::ca_key_store& file_keys() {
  static const config::settings settings;
  static const tools::ca_key_store keys(settings);
  return keys;
}

std::string id_of(const pki::certificate& c) { return pki::key_id_text(c.subject_key_id()); }

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

/// The root as `iotregctl init` makes it.
pki::certificate_authority make_root(const state_layout& l) {
  tools::ensure_directory(l.ca_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
  tools::ensure_directory(l.ca_key_dir, fs::perms::owner_all);
  auto root = pki::create_root_ca("test root", std::chrono::days(3650), now);
  root.key.save_pem_file(l.root_key);
  root.cert.save_pem_file(l.root_cert);
  return root;
}

/// A new issuing CA signed by the stored root, stored, not active. Returns its key id.
std::string create(const state_layout& l, const std::string& cn) {
  const auto root = tools::load_root_authority(l, file_keys());
  return tools::store_issuing_ca(l, file_keys(),
                                 pki::create_issuing_ca(root, cn, std::chrono::days(365), now));
}

/// The layout `iotregctl init` wrote before several issuing CAs: issuing.pem + private/issuing.key.
pki::certificate_authority make_legacy(const state_layout& l) {
  const auto root = make_root(l);
  auto issuing = pki::create_issuing_ca(root, "legacy issuing", std::chrono::days(365), now);
  issuing.key.save_pem_file(l.issuing_key);
  issuing.cert.save_pem_file(l.issuing_cert);
  return issuing;
}

}  // namespace

TEST_CASE("ca_store/create, rotate and load after a restart") {
  temp_state dir;
  const state_layout l(dir.path());
  const auto root = make_root(l);
  CHECK_THROWS_WITH(tools::load_ca_material(l, file_keys()), Catch::Contains("issuing.pem is missing"));

  // What init does: the first issuing CA, active.
  const std::string first = create(l, "issuing 1");
  tools::activate_issuing_ca(l, file_keys(), first);
  CHECK(mode_of(l.issuing_key_dir) == 0700);
  CHECK(mode_of(tools::issuing_key_file(l, first)) == 0600);
  CHECK(mode_of(tools::issuing_cert_file(l, first)) == 0644);
  CHECK(id_of(pki::certificate::load_pem_file(l.issuing_cert)) == first);
  auto m = tools::load_ca_material(l, file_keys());
  REQUIRE(m.issuing.size() == 1);
  CHECK(m.active == 0);
  CHECK(id_of(m.active_issuing().cert) == first);
  CHECK(m.root.der() == root.cert.der());

  // ca create: a second CA, not active.
  const std::string second = create(l, tools::next_issuing_name(m, "issuing 1"));
  CHECK(second != first);
  m = tools::load_ca_material(l, file_keys());
  REQUIRE(m.issuing.size() == 2);
  CHECK(id_of(m.active_issuing().cert) == first);
  REQUIRE(m.find_issuing(second) != nullptr);
  CHECK(m.find_issuing(second)->cert.subject_common_name() == "issuing 2");
  CHECK(m.find_issuing("00-11") == nullptr);

  // ca rotate: the second becomes active, the first stays loaded (retired).
  tools::activate_issuing_ca(l, file_keys(), second);
  const auto after = tools::load_ca_material(l, file_keys());  // what iotregd loads at its next start
  REQUIRE(after.issuing.size() == 2);
  CHECK(id_of(after.active_issuing().cert) == second);
  REQUIRE(after.find_issuing(first) != nullptr);
  for (const auto& c : after.issuing) {
    CHECK(X509_check_private_key(c.cert.native(), c.key.native()) == 1);
    CHECK(c.cert.authority_key_id() == root.cert.subject_key_id());
  }
  CHECK(id_of(pki::certificate::load_pem_file(l.issuing_cert)) == second);
  // Oldest first.
  CHECK(after.issuing[0].cert.not_before() <= after.issuing[1].cert.not_before());

  SECTION("the zone's apex carries the root and every issuing CA") {
    const auto p = tools::make_zone_parameters(config::settings{}, after);
    REQUIRE(p.apex_ca_der.size() == 3);
    CHECK(p.apex_ca_der[0] == root.cert.der());
    CHECK(p.root_ca_der == root.cert.der());
    CHECK(((p.apex_ca_der[1] == after.find_issuing(first)->cert.der() &&
            p.apex_ca_der[2] == after.find_issuing(second)->cert.der()) ||
           (p.apex_ca_der[2] == after.find_issuing(first)->cert.der() &&
            p.apex_ca_der[1] == after.find_issuing(second)->cert.der())));
  }
  SECTION("rotating back to the first works") {
    tools::activate_issuing_ca(l, file_keys(), first);
    CHECK(id_of(tools::load_ca_material(l, file_keys()).active_issuing().cert) == first);
  }
  SECTION("an unknown SKI is refused by name and changes nothing") {
    CHECK_THROWS_WITH(tools::activate_issuing_ca(l, file_keys(), "00-11-22"),
                      Catch::Contains("no issuing CA with SKI 00-11-22"));
    CHECK(id_of(pki::certificate::load_pem_file(l.issuing_cert)) == second);
  }
  SECTION("without the root key no CA can be created, but everything still loads") {
    fs::remove(l.root_key);
    CHECK_THROWS_WITH(create(l, "issuing 3"), Catch::Contains("root CA key unavailable"));
    CHECK(tools::load_ca_material(l, file_keys()).issuing.size() == 2);
  }
  SECTION("a missing issuing key is named") {
    fs::remove(tools::issuing_key_file(l, first));
    CHECK_THROWS_WITH(tools::load_ca_material(l, file_keys()),
                      Catch::Contains("private key of issuing CA " + first + " is missing"));
  }
  SECTION("a key that is not the CA's is refused") {
    fs::copy_file(tools::issuing_key_file(l, second), tools::issuing_key_file(l, first),
                  fs::copy_options::overwrite_existing);
    CHECK_THROWS_WITH(tools::load_ca_material(l, file_keys()), Catch::Contains("does not hold the key"));
  }
  SECTION("a certificate file not named after its SKI is refused") {
    fs::rename(tools::issuing_cert_file(l, first), l.issuing_dir / "renamed.pem");
    CHECK_THROWS_WITH(tools::load_ca_material(l, file_keys()),
                      Catch::Contains("rename it to " + first + ".pem"));
  }
  SECTION("an issuing CA of another root is refused") {
    const auto other_root = pki::create_root_ca("other root", std::chrono::days(10), now);
    const auto foreign = pki::create_issuing_ca(other_root, "foreign", std::chrono::days(10), now);
    tools::store_issuing_ca(l, file_keys(), foreign);
    CHECK_THROWS_WITH(tools::load_ca_material(l, file_keys()), Catch::Contains("is not signed by"));
  }
}

TEST_CASE("ca_store/the layout before several issuing CAs is read as it is, then migrated") {
  temp_state dir;
  const state_layout l(dir.path());
  const auto legacy = make_legacy(l);
  const std::string id = id_of(legacy.cert);

  // iotregd reads it without writing anything.
  auto m = tools::load_ca_material(l, file_keys());
  REQUIRE(m.issuing.size() == 1);
  CHECK(id_of(m.active_issuing().cert) == id);
  CHECK(X509_check_private_key(m.active_issuing().cert.native(), m.active_issuing().key.native()) == 1);
  CHECK_FALSE(fs::exists(l.issuing_dir));
  CHECK(fs::exists(l.issuing_key));

  SECTION("migration moves the key and copies the certificate; idempotent") {
    CHECK(tools::migrate_legacy_issuing(l, file_keys()));
    CHECK_FALSE(fs::exists(l.issuing_key));
    CHECK(fs::exists(tools::issuing_key_file(l, id)));
    CHECK(mode_of(tools::issuing_key_file(l, id)) == 0600);
    CHECK(pki::certificate::load_pem_file(tools::issuing_cert_file(l, id)).der() == legacy.cert.der());
    CHECK_FALSE(tools::migrate_legacy_issuing(l, file_keys()));
    m = tools::load_ca_material(l, file_keys());
    REQUIRE(m.issuing.size() == 1);
    CHECK(id_of(m.active_issuing().cert) == id);
  }
  SECTION("a crash between copying the certificate and moving the key still loads") {
    tools::ensure_directory(l.issuing_dir, fs::perms::owner_all);
    legacy.cert.save_pem_file(tools::issuing_cert_file(l, id));
    m = tools::load_ca_material(l, file_keys());
    REQUIRE(m.issuing.size() == 1);
    CHECK(id_of(m.active_issuing().cert) == id);
  }
  SECTION("rotating migrates first: the legacy CA stays, retired") {
    const std::string next = create(l, "issuing 2");
    tools::activate_issuing_ca(l, file_keys(), next);
    m = tools::load_ca_material(l, file_keys());
    REQUIRE(m.issuing.size() == 2);
    CHECK(id_of(m.active_issuing().cert) == next);
    REQUIRE(m.find_issuing(id) != nullptr);
    CHECK(m.find_issuing(id)->cert.der() == legacy.cert.der());
    CHECK_FALSE(fs::exists(l.issuing_key));
  }
}

TEST_CASE("ca_store/parse_key_id accepts the usual spellings of an SKI") {
  CHECK(tools::parse_key_id("0a-1b-ff") == "0a-1b-ff");
  CHECK(tools::parse_key_id("0A:1B:FF") == "0a-1b-ff");
  CHECK(tools::parse_key_id(" 0a1bff\n") == "0a-1b-ff");
  CHECK_FALSE(tools::parse_key_id("0a-1"));
  CHECK_FALSE(tools::parse_key_id(""));
  CHECK_FALSE(tools::parse_key_id("zz"));
  CHECK_FALSE(tools::parse_key_id("../etc"));
}

TEST_CASE("ca_store/next_issuing_name counts on and skips names in use") {
  temp_state dir;
  const state_layout l(dir.path());
  make_root(l);
  const auto a = create(l, "CA 1");
  tools::activate_issuing_ca(l, file_keys(), a);
  create(l, "CA 2");
  const auto m = tools::load_ca_material(l, file_keys());
  CHECK(tools::next_issuing_name(m, "CA 1") == "CA 3");
  CHECK(tools::next_issuing_name(m, "Issuing") == "Issuing 2");
  CHECK(tools::next_issuing_name(m, "CA") == "CA 3");
}

TEST_CASE("ca_store/encrypted-file: issuing keys stored encrypted, loaded decrypted, plain ones encrypted") {
  temp_state dir;
  const state_layout l(dir.path());
  make_root(l);
  const auto plain_id = create(l, "plain issuing");  // left by key_storage = "file"
  tools::activate_issuing_ca(l, file_keys(), plain_id);

  config::settings s;
  s.ca.key_storage = "encrypted-file";
  s.ca.key_type = "ec-p384";
  s.ca.key_passphrase_file = dir.path() / "ca.pass";
  { std::ofstream(s.ca.key_passphrase_file) << "a long enough passphrase\n"; }
  fs::permissions(s.ca.key_passphrase_file, fs::perms::owner_read | fs::perms::owner_write);
  const tools::ca_key_store keys(s);
  const auto first_line = [](const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    std::getline(in, line);
    return line;
  };

  // Before init encrypts it, the plain key file is refused.
  CHECK_THROWS_WITH(tools::load_ca_material(l, keys), Catch::Contains("is not encrypted"));
  const auto done = tools::encrypt_plain_ca_keys(l, keys);
  CHECK(done.size() == 2);  // root.key and the issuing key
  CHECK(first_line(l.root_key) == "-----BEGIN ENCRYPTED PRIVATE KEY-----");
  CHECK(first_line(tools::issuing_key_file(l, plain_id)) == "-----BEGIN ENCRYPTED PRIVATE KEY-----");
  CHECK(tools::encrypt_plain_ca_keys(l, keys).empty());

  const auto root = tools::load_root_authority(l, keys);
  auto ca = pki::create_issuing_ca(root, pki::ca_name{"encrypted issuing", {}}, tools::new_ca_key(s),
                                   std::chrono::days(365), now);
  const std::string id = tools::store_issuing_ca(l, keys, ca);
  CHECK(first_line(tools::issuing_key_file(l, id)) == "-----BEGIN ENCRYPTED PRIVATE KEY-----");
  CHECK(mode_of(tools::issuing_key_file(l, id)) == 0600);
  tools::activate_issuing_ca(l, keys, id);
  const auto m = tools::load_ca_material(l, keys);
  REQUIRE(m.issuing.size() == 2);
  CHECK(id_of(m.active_issuing().cert) == id);
  CHECK(m.active_issuing().key.description() == "EC P-384");
  CHECK(tools::describe_issuing_key(l, keys, m.active_issuing()) ==
        "encrypted file " + tools::issuing_key_file(l, id).string());
  // The plain store cannot read them any more, and says why.
  CHECK_THROWS_WITH(tools::load_ca_material(l, file_keys()), Catch::Contains("is encrypted"));
}
