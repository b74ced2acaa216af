// iotregd: the composition root. Loads the configuration, opens the database, loads the CA and
// the zone keys, rebuilds the zone from PostgreSQL, then serves HTTPS and DNS until SIGTERM.
// No business rules live here.

#include "api/idempotency.hpp"
#include "api/rate_limiter.hpp"
#include "api/router.hpp"
#include "config/load.hpp"
#include "db/api_key_store_pg.hpp"
#include "db/device_store_pg.hpp"
#include "db/dnssec_key_store_pg.hpp"
#include "db/migrate.hpp"
#include "db/pool.hpp"
#include "db/reads_store_pg.hpp"
#include "db/revocation_store_pg.hpp"
#include "db/robustness_store_pg.hpp"
#include "db/service_endpoint_store_pg.hpp"
#include "db/tenant_certificate_store_pg.hpp"
#include "db/tenant_store_pg.hpp"
#include "db/zone_store_pg.hpp"
#include "dns/tsig.hpp"
#include "dns/zone_snapshot.hpp"
#include "pki/digest.hpp"
#include "registry/ca_certificates.hpp"
#include "registry/dnssec_keyring.hpp"
#include "registry/est_responder.hpp"
#include "registry/expiry_sweeper.hpp"
#include "registry/iotsafe_service.hpp"
#include "registry/key_manager.hpp"
#include "registry/registry_service.hpp"
#include "registry/revocation_service.hpp"
#include "registry/tenancy_service.hpp"
#include "registry/tenant_certificate_admin.hpp"
#include "registry/zone_publisher.hpp"
#include "server/daemon.hpp"
#include "server/notify_sender.hpp"
#include "tools/state/ca_keys.hpp"
#include "tools/state/ca_store.hpp"
#include "tools/state/dnssec_kek.hpp"
#include "tools/state/state_layout.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

using namespace iotreg;

namespace {

constexpr const char* usage_text = "usage: iotregd --config FILE\n";

int run(const config::settings& s) {
  auto log = spdlog::default_logger()->clone("server");
  spdlog::register_logger(log);
  for (const char* name : {"api", "registry", "db"})
    spdlog::register_logger(spdlog::default_logger()->clone(name));

  // TSIG secrets first: a world-readable or missing secret file stops the start at once.
  std::vector<dns::tsig_key> tsig_keys;
  for (const auto& k : s.tsig)
    tsig_keys.push_back(dns::load_tsig_key_blocking(k.name, k.algorithm, k.secret_file));
  const dns::tsig_key* transfer_key = nullptr;
  for (const auto& k : tsig_keys) {
    if (k.name == s.zone.transfer_tsig) transfer_key = &k;
  }

  db::pool pool(s.database.dsn, s.database.pool_size);
  {
    auto lease = pool.acquire();
    db::migrate(lease.conn());
  }

  tools::state_layout layout(s.paths.state_dir);
  // The key store first: a CA key in a PKCS#11 token signs through it until the key is freed.
  const tools::ca_key_store ca_keys(s);
  // Every issuing CA is loaded (retired ones keep signing CRLs and OCSP answers); the active one
  // signs new device certificates. `iotregctl ca create|rotate` takes effect at the next start.
  auto ca = tools::load_ca_material(layout, ca_keys);
  log->info("issuing CA {} active ({} issuing CA(s) loaded)",
            pki::key_id_text(ca.active_issuing().cert.subject_key_id()), ca.issuing.size());
  log->info("issuing CA key: {} (key_storage {})",
            tools::describe_issuing_key(layout, ca_keys, ca.active_issuing()), s.ca.key_storage);
  // The zone's keys come from the database, shared by every node, opened with this node's KEK.
  // The key manager then drives them by the key policy (rollovers), on the publisher's thread.
  std::vector<dns::dnssec_key> zone_keys;
  db::pg_dnssec_key_store key_store(pool);
  const auto kek = tools::load_kek(s);
  for (auto& k : registry::load_dnssec_keys(key_store, kek, s.zone.name, registry::clock::now())) {
    log->info("zone {}: DNSSEC key {} ({}, algorithm {}) loaded", s.zone.name, k.record.key_tag,
              to_string(k.record.role), int{k.record.algorithm});
    zone_keys.push_back(std::move(k.key));
  }
  dns::zone_signer signer(tools::make_zone_parameters(s, ca), std::move(zone_keys));
  registry::key_manager key_manager(
      {.zone = s.zone.name, .policy = tools::make_key_policy(s), .poll_interval = s.dnssec.policy_interval},
      key_store, kek);

  db::pg_zone_store zones(pool);
  db::pg_device_store devices(pool);
  db::pg_api_key_store keys(pool);

  registry::zone_publisher publisher({.zone = s.zone.name,
                                      .zone_file = s.zone.file,
                                      .batch_window = s.zone.batch_window,
                                      .batch_max = s.zone.batch_max,
                                      .ixfr_history = s.zone.ixfr_history},
                                     zones, std::move(signer));
  publisher.set_key_manager(&key_manager);
  publisher.rebuild();
  // Changes committed before a crash but never published are picked up at once.
  publisher.publish_pending();

  registry::registry_service service(
      {.zone = s.zone.name,
       .tlsa_ttl = s.zone.tlsa_ttl,
       .allow_label_ids = s.zone.allow_label_ids,
       .device_validity = s.ca.device_validity,
       .publish_timeout = s.server.publish_timeout,
       .csr = {.names =
                   s.ca.csr_names == "check" ? pki::csr_name_policy::check : pki::csr_name_policy::ignore},
       .urls = {.public_url = s.ca.public_url}},
      devices, publisher, ca.active_issuing(), ca.root);
  // CRLs and OCSP for every issuing CA of the state directory, active or retired, so that what a
  // rotated CA issued keeps its CRL and OCSP answers.
  std::vector<const pki::certificate_authority*> issuers;
  for (const auto& c : ca.issuing) issuers.push_back(&c);
  db::pg_revocation_store revocations(pool);
  registry::revocation_service revocation({.crl_validity = s.revocation.crl_validity,
                                           .crl_refresh_before = s.revocation.crl_refresh_before,
                                           .ocsp_validity = s.revocation.ocsp_validity,
                                           .check_interval = s.revocation.check_interval},
                                          revocations, issuers);
  // A CRL missing or close to its nextUpdate is made before serving (errors are logged: the
  // periodic check and the first GET retry).
  revocation.refresh();
  service.set_revocation_service(&revocation);
  // Expired certificates' TLSA leave the zone even when no successor was confirmed.
  registry::expiry_sweeper sweeper(service, s.ca.expiry_sweep_interval);
  registry::api_key_authenticator auth(keys);
  // CA discovery: the root and every issuing CA at /.well-known/ca/<ski>.pem.
  std::vector<pki::certificate> published{ca.root};
  for (const auto& c : ca.issuing) published.push_back(c.cert);
  const registry::ca_certificates ca_directory(published);
  // EST (RFC 7030) on the same listener; TLS client certificates are verified against every CA
  // iotreg published, so that devices of a retired issuing CA can still re-enroll.
  registry::est_responder est({.zone = s.zone.name}, service, revocations, ca.active_issuing().cert, ca.root);
  std::string client_ca_pem;
  for (const auto& c : published) client_ca_pem += c.pem();
  api::router router(service, auth, &ca_directory, &revocation, &est);
  // Issue 5 item 6: the audit log for the admin, Idempotency-Key on POST, per-credential limits.
  db::pg_audit_log_reader audit_reader(pool);
  router.add_audit(audit_reader);
  db::pg_idempotency_store idempotency_store(pool);
  api::idempotency_layer idempotency(
      idempotency_store,
      [](std::string_view material) {
        const auto digest =
            pki::sha256({reinterpret_cast<const std::uint8_t*>(material.data()), material.size()});
        static constexpr char hex[] = "0123456789abcdef";
        std::string out;
        for (const auto b : digest) {
          out += hex[b >> 4];
          out += hex[b & 0xf];
        }
        return out;
      },
      s.api.idempotency_ttl);
  router.set_idempotency(&idempotency);
  api::rate_limiter limiter(s.api.rate_limit_per_second, s.api.rate_limit_burst);
  if (limiter.enabled()) router.set_rate_limiter(&limiter);
  // Tenants and the device lifecycle (issue 5): every device call is authorized by its tenant.
  db::pg_lifecycle_store lifecycle_store(pool);
  db::pg_tenant_store tenant_store(pool);
  registry::device_lifecycle lifecycle({.zone = s.zone.name,
                                        .allow_label_ids = s.zone.allow_label_ids,
                                        .publish_timeout = s.server.publish_timeout},
                                       lifecycle_store, publisher);
  lifecycle.set_revocation_service(&revocation);
  est.set_lifecycle(&lifecycle);  // EST enrollment: the activation rules of POST /api/v1/devices
  registry::tenant_admin tenants(tenant_store);
  // Reads (issue 5 item 3): device list, history, zone status. Its own key store instance: the
  // stores lease a connection per call, so sharing would be safe too, but this one only reads.
  db::pg_reads_store reads_store(pool);
  db::pg_dnssec_key_store reads_key_store(pool);
  registry::registry_reads reads(s.zone.name, s.zone.tlsa_ttl, reads_store, reads_key_store, lifecycle);
  router.add_tenancy(lifecycle, tenants, &reads);
  // IoT SAFE (issue 5 item 5): the payload for the applet and the ASPs' service endpoints.
  db::pg_service_endpoint_store endpoint_store(pool);
  db::pg_dnssec_key_store iotsafe_key_store(pool);
  std::vector<pki::certificate> issuing_certs;
  for (const auto& c : ca.issuing) issuing_certs.push_back(c.cert);
  registry::registry_iotsafe iotsafe(
      {.zone = s.zone.name, .tlsa_ttl = s.zone.tlsa_ttl, .dnskey_ttl = s.zone.ttl}, lifecycle, service,
      tenant_store, endpoint_store, iotsafe_key_store, std::move(issuing_certs), ca.root);
  router.add_iotsafe(iotsafe);
  // Tenants' TLS client certificates, the second kind of credential (issue 5 item 1).
  db::pg_tenant_certificate_store certificate_store(pool);
  auth.set_certificate_store(&certificate_store);
  registry::tenant_certificate_admin certificates(tenant_store, certificate_store);
  router.add_tenant_certificates(certificates);

  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  server::daemon d(s.server.io_threads ? s.server.io_threads : cores, s.server.work_threads);
  d.add_https({.listen = {s.server.http_listen.host, s.server.http_listen.port},
               .cert_chain_file = layout.server_cert,
               .key_file = layout.server_key,
               .client_ca_pem = client_ca_pem,
               .max_body_bytes = s.server.max_body_bytes,
               .read_timeout = s.server.read_timeout,
               .handshake_timeout = s.server.handshake_timeout},
              router);
  d.add_dns(
      {.listen = {s.server.dns_listen.host, s.server.dns_listen.port},
       .transfer_allow = s.zone.transfer_allow,
       .transfer_key = transfer_key},
      [&publisher] { return publisher.snapshot(); }, [&publisher] { return publisher.journal(); });
  if (!s.zone.notify.empty()) {
    server::notify_options n{.targets = {}, .key = transfer_key};
    for (const auto& e : s.zone.notify) n.targets.push_back({e.host, e.port});
    auto& notifier = d.add_notify(n, [&publisher] { return publisher.snapshot(); });
    publisher.on_published([&notifier](std::uint32_t serial) { notifier.published(serial); });
    notifier.published(publisher.snapshot()->serial());  // a restart also brings a new serial
  }
  publisher.start();
  revocation.start();
  sweeper.start();
  log->info("iotregd serving zone {} (serial {}): https {}:{}, dns {}:{}", s.zone.name,
            publisher.snapshot()->serial(), s.server.http_listen.host, s.server.http_listen.port,
            s.server.dns_listen.host, s.server.dns_listen.port);
  d.run();
  sweeper.stop();
  revocation.stop();
  publisher.stop();
  log->info("iotregd stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> config_path;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      std::cerr << "iotregd: unexpected argument '" << arg << "'\n" << usage_text;
      return 2;
    }
  }
  if (!config_path) {
    std::cerr << usage_text;
    return 2;
  }
  try {
    return run(config::load_file(*config_path));
  } catch (const config::error& e) {
    std::cerr << "iotregd: configuration error: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    spdlog::critical("iotregd: {}", e.what());
    return 1;
  }
}
