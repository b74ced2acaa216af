#include "dns/zone_file.hpp"

#include "dns/atomic_file.hpp"
#include "dns/ldns.hpp"
#include "dns/ldns_error.hpp"
#include "dns/rr_wire.hpp"
#include "dns/zone_snapshot.hpp"
#include "dns/zone_walk.hpp"

namespace iotreg::dns {

void write_zone_file(const zone_snapshot& z, const std::filesystem::path& path) {
  detail::atomic_file out(path, 0644);
  out.write("; zone " + z.apex() + " serial " + std::to_string(z.serial()) + " written by iotreg\n");
  detail::for_each_record(z.data(), [&](const detail::rr_ref& r) {
    const auto rr = detail::rr_to_ldns(r.owner, r.type, r.ttl, r.rdata);
    const detail::ldns_ptr<char> text(
        detail::check_ldns_ptr(ldns_rr2str_fmt(ldns_output_format_nocomments, rr.get()), "ldns_rr2str"));
    out.write(text.get());
  });
  out.commit();
}

}  // namespace iotreg::dns
