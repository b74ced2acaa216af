#pragma once
// A registry_service over the in-memory store, with a fresh root and issuing CA and a zone signed
// with new algorithm 13 keys, published by a running zone_publisher: what the service tests share.

#include "dns/keys.hpp"
#include "dns/signer.hpp"
#include "memory_store.hpp"
#include "pki/ca.hpp"
#include "registry/registry_service.hpp"
#include "registry/zone_publisher.hpp"

#include <chrono>
#include <utility>
#include <vector>

namespace iotreg::registry::testing {

struct service_fixture {
  static constexpr const char* zone = "iotregistry.test.";

  memory_store store;
  pki::certificate_authority root = pki::create_root_ca("Test Root", std::chrono::days(3650), clock::now());
  pki::certificate_authority issuing =
      pki::create_issuing_ca(root, "Test Issuing", std::chrono::days(365), clock::now());
  zone_publisher publisher{
      {.zone = zone, .zone_file = {}, .batch_window = std::chrono::milliseconds(1), .batch_max = 100},
      store,
      make_signer()};
  registry_service service{{.zone = zone, .publish_timeout = std::chrono::milliseconds(5000)},
                           store,
                           publisher,
                           issuing,
                           root.cert};

  /// `start_signer` false: the zone is built but no batch is ever published (publication timeouts).
  explicit service_fixture(bool start_signer = true) {
    publisher.rebuild();
    if (start_signer) publisher.start();
  }

  dns::zone_signer make_signer() const {
    dns::zone_parameters p;
    p.apex = zone;
    p.soa_mname = "ns1.iotregistry.test.";
    p.soa_rname = "hostmaster.iotregistry.test.";
    p.ns = {"ns1.iotregistry.test."};
    p.root_ca_der = root.cert.der();
    std::vector<dns::dnssec_key> keys;
    keys.push_back(dns::dnssec_key::generate(13, dns::key_role::ksk, zone));
    keys.push_back(dns::dnssec_key::generate(13, dns::key_role::zsk, zone));
    return dns::zone_signer(p, std::move(keys));
  }
};

}  // namespace iotreg::registry::testing
