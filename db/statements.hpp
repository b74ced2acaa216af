#pragma once
// The names of db/'s prepared statements; their SQL is in statements.cpp, the only place with SQL
// besides the migrations. The pool registers all of them on every new connection.

#include <pqxx/connection>

namespace iotreg::db::stmt {

// devices, certificates (device_store)
inline constexpr const char* device_insert = "device_insert";
inline constexpr const char* certificate_insert = "certificate_insert";
inline constexpr const char* zone_change_add = "zone_change_add";
inline constexpr const char* audit_enroll = "audit_enroll";
inline constexpr const char* device_find = "device_find";
inline constexpr const char* device_lock = "device_lock";
inline constexpr const char* device_set_revoked = "device_set_revoked";
inline constexpr const char* certificates_revoke = "certificates_revoke";
inline constexpr const char* zone_change_remove = "zone_change_remove";
inline constexpr const char* audit_revoke = "audit_revoke";

// zones and the outbox (zone_store)
inline constexpr const char* zone_active_tlsa = "zone_active_tlsa";
inline constexpr const char* zone_pending = "zone_pending";
inline constexpr const char* zone_last_serial = "zone_last_serial";
inline constexpr const char* zone_state_upsert = "zone_state_upsert";
inline constexpr const char* zone_changes_mark = "zone_changes_mark";
inline constexpr const char* zone_journal_newest = "zone_journal_newest";
inline constexpr const char* zone_journal_insert = "zone_journal_insert";
inline constexpr const char* zone_journal_prune = "zone_journal_prune";
inline constexpr const char* zone_journal_clear = "zone_journal_clear";
inline constexpr const char* zone_journal_load = "zone_journal_load";

// api keys (api_key_store)
inline constexpr const char* api_key_find_active = "api_key_find_active";
inline constexpr const char* api_key_insert = "api_key_insert";
inline constexpr const char* api_key_count_active = "api_key_count_active";

// DNSSEC keys (dnssec_key_store); SQL in dnssec_key_statements.cpp
inline constexpr const char* dnssec_keys_list = "dnssec_keys_list";
inline constexpr const char* dnssec_keys_insert = "dnssec_keys_insert";
inline constexpr const char* dnssec_keys_lock_zone = "dnssec_keys_lock_zone";
inline constexpr const char* dnssec_keys_try_lock_zone = "dnssec_keys_try_lock_zone";
inline constexpr const char* dnssec_keys_count = "dnssec_keys_count";
inline constexpr const char* dnssec_keys_update_timeline = "dnssec_keys_update_timeline";
inline constexpr const char* dnssec_keys_request_rollover = "dnssec_keys_request_rollover";
inline constexpr const char* dnssec_keys_clear_rollover = "dnssec_keys_clear_rollover";
inline constexpr const char* dnssec_keys_ds_seen = "dnssec_keys_ds_seen";

// revocation (revocation_store); SQL in revocation_statements.cpp
inline constexpr const char* revocation_list = "revocation_list";
inline constexpr const char* revocation_status = "revocation_status";
inline constexpr const char* crl_find = "crl_find";
inline constexpr const char* crl_lock_issuer = "crl_lock_issuer";
inline constexpr const char* crl_upsert = "crl_upsert";

// idempotency keys (idempotency_store) and the audit log's read side (audit_log_reader); SQL in
// robustness_statements.cpp
inline constexpr const char* idempotency_drop_expired = "idempotency_drop_expired";
inline constexpr const char* idempotency_insert = "idempotency_insert";
inline constexpr const char* idempotency_find = "idempotency_find";
inline constexpr const char* idempotency_complete = "idempotency_complete";
inline constexpr const char* idempotency_unreplayable = "idempotency_unreplayable";
inline constexpr const char* idempotency_release = "idempotency_release";
inline constexpr const char* idempotency_purge = "idempotency_purge";
inline constexpr const char* audit_list = "audit_list";

/// Registers the idempotency and audit-read statements on `c` (called by prepare_all).
void prepare_robustness(pqxx::connection& c);

// several certificates per device (device_store: renewal, confirm, expiry); SQL in
// renewal_statements.cpp
inline constexpr const char* zone_change_add_if_new = "zone_change_add_if_new";
inline constexpr const char* audit_certificate = "audit_certificate";
inline constexpr const char* certificate_find_by_serial = "certificate_find_by_serial";
inline constexpr const char* certificate_confirm = "certificate_confirm";
inline constexpr const char* certificates_withdraw_before = "certificates_withdraw_before";
inline constexpr const char* certificates_withdraw_expired = "certificates_withdraw_expired";
inline constexpr const char* devices_lock_expired = "devices_lock_expired";
inline constexpr const char* certificates_expiring = "certificates_expiring";

/// Registers the renewal statements on `c` (called by prepare_all).
void prepare_renewal(pqxx::connection& c);
// tenants and lifecycle (tenant_store, lifecycle_store); SQL in tenant_statements.cpp
inline constexpr const char* tenant_insert = "tenant_insert";
inline constexpr const char* tenant_list = "tenant_list";
inline constexpr const char* tenant_find = "tenant_find";
inline constexpr const char* api_key_insert_tenant = "api_key_insert_tenant";
inline constexpr const char* api_key_revoke = "api_key_revoke";
inline constexpr const char* lifecycle_ownership = "lifecycle_ownership";
inline constexpr const char* lifecycle_lock = "lifecycle_lock";
inline constexpr const char* lifecycle_set_status = "lifecycle_set_status";
inline constexpr const char* lifecycle_set_asp = "lifecycle_set_asp";
inline constexpr const char* lifecycle_set_transfer_code = "lifecycle_set_transfer_code";
inline constexpr const char* zone_change_add_current = "zone_change_add_current";
inline constexpr const char* lifecycle_audit = "lifecycle_audit";
inline constexpr const char* lifecycle_register = "lifecycle_register";
inline constexpr const char* lifecycle_audit_register = "lifecycle_audit_register";

/// Registers the tenant and lifecycle statements on `c` (called by prepare_all).
void prepare_tenants(pqxx::connection& c);

/// Registers the revocation statements on `c` (called by prepare_all).
void prepare_revocation(pqxx::connection& c);

/// Registers the dnssec_keys statements on `c` (called by prepare_all).
void prepare_dnssec_keys(pqxx::connection& c);

// reads (issue 5 item 3: device list, history, zone status); SQL in reads_statements.cpp
inline constexpr const char* reads_devices = "reads_devices";
inline constexpr const char* reads_history = "reads_history";
inline constexpr const char* reads_zone_counts = "reads_zone_counts";

/// Registers the reads statements on `c` (called by prepare_all).
void prepare_reads(pqxx::connection& c);

// tenant disable/enable (tenant_store::set_disabled); SQL in tenant_statements.cpp
inline constexpr const char* tenant_lock = "tenant_lock";
inline constexpr const char* tenant_lock_admins = "tenant_lock_admins";
inline constexpr const char* tenant_set_disabled = "tenant_set_disabled";
inline constexpr const char* tenant_audit = "tenant_audit";
// IoT SAFE: the ASPs' service endpoints (migration 008); SQL in iotsafe_statements.cpp
inline constexpr const char* endpoint_find = "endpoint_find";
inline constexpr const char* endpoint_tlsa_list = "endpoint_tlsa_list";
inline constexpr const char* endpoint_upsert = "endpoint_upsert";
inline constexpr const char* endpoint_tlsa_clear = "endpoint_tlsa_clear";
inline constexpr const char* endpoint_tlsa_insert = "endpoint_tlsa_insert";
inline constexpr const char* endpoint_delete = "endpoint_delete";
inline constexpr const char* endpoint_audit = "endpoint_audit";

/// Registers the service endpoint statements on `c` (called by prepare_all).
void prepare_iotsafe(pqxx::connection& c);
// tenant client certificates (tenant_certificate_store, migration 009); SQL in
// tenant_certificate_statements.cpp
inline constexpr const char* tenant_certificate_insert = "tenant_certificate_insert";
inline constexpr const char* tenant_certificate_tenant_exists = "tenant_certificate_tenant_exists";
inline constexpr const char* tenant_certificate_list = "tenant_certificate_list";
inline constexpr const char* tenant_certificate_revoke = "tenant_certificate_revoke";
inline constexpr const char* tenant_certificate_find_active = "tenant_certificate_find_active";
inline constexpr const char* tenant_certificate_audit = "tenant_certificate_audit";

/// Registers the tenant certificate statements on `c` (called by prepare_all).
void prepare_tenant_certificates(pqxx::connection& c);

/// Registers every statement above on `c`. libpqxx prepares them on the server on first use, so
/// this works before the schema exists.
void prepare_all(pqxx::connection& c);

}  // namespace iotreg::db::stmt
