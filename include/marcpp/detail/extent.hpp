// SPDX-License-Identifier: MIT
#pragma once

// The bytes of one record as cut from the input: what the scanner gives the
// parser and the accountant.

#include <marcpp/config.hpp>

#include <cstddef>
#include <cstdint>

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// The bytes of one record as cut from the input by the scanner.
struct extent {
  const char* data = nullptr;
  std::size_t size = 0;        ///< bytes, including the record terminator if `terminated`
  std::uint64_t offset = 0;    ///< absolute offset of data[0] in the input
  std::uint64_t index = 0;     ///< 0-based record index in the input
  bool terminated = false;     ///< the last byte is the record terminator 0x1D
  /// The record was cut short: the scanner found the next record's leader
  /// inside its bytes and ended it there (so it is never `terminated`).
  bool cut_short = false;
};

}  // namespace detail
MARCPP_NAMESPACE_END
