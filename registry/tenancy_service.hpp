#pragma once
// The tenant use cases (registry/tenancy.hpp) on top of the stores and the zone publisher.

#include "registry/ports.hpp"
#include "registry/revocation_service.hpp"
#include "registry/tenancy.hpp"
#include "registry/zone_publisher.hpp"

#include <chrono>
#include <functional>

namespace iotreg::registry {

struct lifecycle_settings {
  std::string zone;  // apex with the final dot
  bool allow_label_ids = false;
  std::chrono::milliseconds publish_timeout{10000};
  std::chrono::seconds transfer_code_validity{std::chrono::hours(72)};
  std::size_t bulk_max_rows = 100000;
};

/// @par Thread safety: as safe as its stores and publisher (all of iotregd's are).
class device_lifecycle final : public lifecycle_service {
 public:
  using clock_fn = std::function<time_point()>;
  /// The stores and the publisher must outlive the service.
  device_lifecycle(
      lifecycle_settings settings, lifecycle_store& store, zone_publisher& publisher,
      clock_fn now = [] { return clock::now(); });

  /// After each revocation the CRLs are regenerated through `r` (null: none), as registry_service.
  void set_revocation_service(revocation_service* r) noexcept { revocation_ = r; }

  result<device_ownership> authorize_device(const api_key& caller, scope s,
                                            std::string_view device_id) override;
  result<std::optional<std::int64_t>> authorize_activation(const api_key& caller,
                                                           std::string_view device_id) override;
  result<device_ownership> register_device(const api_key& caller, std::string_view device_id) override;
  result<std::vector<bulk_row>> register_bulk(const api_key& caller,
                                              const std::vector<std::string>& device_ids) override;
  result<lifecycle_result> suspend(const api_key& caller, std::string_view device_id) override;
  result<lifecycle_result> resume(const api_key& caller, std::string_view device_id) override;
  result<lifecycle_result> remove(const api_key& caller, std::string_view device_id) override;
  result<revocation> revoke(const api_key& caller, std::string_view device_id,
                            pki::revocation_reason reason) override;
  result<transfer_code> create_transfer_code(const api_key& caller, std::string_view device_id) override;
  result<lifecycle_result> transfer(const api_key& caller, std::string_view device_id,
                                    std::string_view code) override;

 private:
  /// Extra decisions of one change, on top of authorization and the transition table.
  using refine_fn = std::function<std::optional<error>(const locked_device&, lifecycle_change&)>;
  /// Authorizes, runs the transition in the store, publishes and waits for the zone effect.
  result<lifecycle_result> apply(const api_key& caller, scope s, std::string_view device_id,
                                 lifecycle_event ev, const refine_fn& refine = {});
  /// (normalised id, or device_not_found).
  result<std::string> device_key(std::string_view device_id) const;

  lifecycle_settings settings_;
  lifecycle_store& store_;
  zone_publisher& publisher_;
  clock_fn now_;
  revocation_service* revocation_ = nullptr;
};

/// @par Thread safety: as safe as its store.
class tenant_admin final : public tenant_service {
 public:
  /// `store` must outlive the service.
  explicit tenant_admin(
      tenant_store& store, std::function<time_point()> now = [] { return clock::now(); })
      : store_(store), now_(std::move(now)) {}

  result<tenant> create_tenant(const api_key& caller, std::string_view name, std::string_view kind) override;
  result<std::vector<tenant>> list_tenants(const api_key& caller) override;
  result<issued_api_key> create_api_key(const api_key& caller, std::int64_t tenant_id, std::string_view name,
                                        std::optional<time_point> expires_at) override;
  result<std::int64_t> revoke_api_key(const api_key& caller, std::int64_t key_id) override;
  result<tenant> set_tenant_disabled(const api_key& caller, std::int64_t tenant_id, bool disabled) override;

 private:
  tenant_store& store_;
  std::function<time_point()> now_;
};

}  // namespace iotreg::registry
