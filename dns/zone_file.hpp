#pragma once
// Publishing a snapshot as a zone file for file-loading servers (NSD, Knot, BIND).

#include <filesystem>

namespace iotreg::dns {

class zone_snapshot;

/// Writes `z` in presentation format: SOA first, then every record in canonical order (each
/// RRset followed by its RRSIGs, NSEC3 records in their place), one record per line with
/// absolute names. Atomic: temp file in the same directory, fsync, rename, fsync of the
/// directory; mode 0644. The result passes ldns-verify-zone, `kzonecheck -o <zone> -d on` and
/// `dnssec-verify -o <zone>`. Blocking.
/// @throw std::system_error on I/O errors (the old file is then untouched);
///        boost::system::system_error (errc::ldns_failure) if a record cannot be printed.
void write_zone_file(const zone_snapshot& z, const std::filesystem::path& path);

}  // namespace iotreg::dns
