// SPDX-License-Identifier: MIT
#pragma once

/// \file read_options.hpp
/// What every reader shares: its options (`read_options`), its statistics
/// (`read_stats`) and the handler that receives its diagnostics. Here, apart
/// from the readers, so that each reader needs only its own format.

#include <marcpp/config.hpp>
#include <marcpp/error.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

MARCPP_NAMESPACE_BEGIN

/// How a reader reads.
struct read_options {
  /// What to do about structural faults (default: repair what can be repaired).
  error_policy policy = error_policy::lenient;
  /// Faults (repairs and errors, not warnings) tolerated before the reader
  /// stops with `too_many_errors`; `npos` for no limit.
  std::uint64_t max_errors = npos;
  /// A record without a terminator within this many bytes is skipped as
  /// `record_too_large`; also bounds the memory of the stream source.
  std::size_t max_record_size = std::size_t{16} << 20;
  /// Check that records whose leader/09 is `a` hold valid UTF-8.
  bool validate_utf8 = true;
};

/// What a reader has seen so far.
struct read_stats {
  std::uint64_t records = 0;   ///< records delivered
  std::uint64_t repaired = 0;  ///< of those, records with repairs
  std::uint64_t skipped = 0;   ///< records dropped (unreadable, or any fault under `skip`)
  std::uint64_t warnings = 0;  ///< warning diagnostics
  std::uint64_t faults = 0;    ///< repair and error diagnostics (what `max_errors` counts)
  friend bool operator==(const read_stats&, const read_stats&) = default;
};

/// Called for every diagnostic, in input order: warnings and repairs of
/// delivered records, the reasons records were skipped, filler between
/// records, and the error that stopped a reader. `raw` holds the bytes the
/// diagnostic is about (the whole record for a record's diagnostics), valid
/// during the call: write it to a quarantine file to keep skipped records.
using diagnostic_handler = std::function<void(const diagnostic& d, std::string_view raw)>;

MARCPP_NAMESPACE_END
