// SPDX-License-Identifier: MIT
#pragma once

/// \file byte_range.hpp
/// Reading the records of one byte range of a file, so that several
/// processes or machines can share one huge file.

#include <marcpp/config.hpp>
#include <marcpp/detail/scanner.hpp>
#include <marcpp/source.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

MARCPP_NAMESPACE_BEGIN

namespace detail {

/// Whether the record terminator at `t` ends a record, so that a plausible
/// leader at `start` (after it and any filler) begins the next: the last
/// byte before the terminator (and any filler before it) is a field
/// terminator, as at the end of every sound record, or the leader's
/// declared length ends on a record terminator. A record terminator
/// inside a leader or a field, followed by digits, is neither.
[[nodiscard]] inline bool ends_record(std::string_view input, std::size_t t, std::size_t start) noexcept {
  const char* p = input.data();
  std::size_t b = t;
  while (b > 0 && is_filler(static_cast<unsigned char>(p[b - 1]))) --b;
  if (b > 0 && p[b - 1] == field_terminator) return true;
  const std::int64_t len = parse_digits(p + start, 5);
  return len >= 1 && static_cast<std::size_t>(len) <= input.size() - start &&
         p[start + static_cast<std::size_t>(len) - 1] == record_terminator;
}

}  // namespace detail

/// The first position in [pos, limit) where a record starts: 0, or a
/// position that follows a record terminator (and any filler after it),
/// holds a plausible leader (five digits of length and, when there are
/// enough bytes, five digits of base address), and either follows a field
/// terminator before the record terminator (and its filler) or holds a
/// length that ends on a record terminator. `limit` if there is none. Every
/// record boundary of a sound file is such a position; a record terminator
/// inside a leader or a field, followed by digits, does not make one.
[[nodiscard]] inline std::uint64_t next_record_start(std::string_view input, std::uint64_t pos,
                                                     std::uint64_t limit) noexcept {
  const std::size_t n = input.size();
  limit = std::min<std::uint64_t>(limit, n);
  if (pos >= limit) return limit;
  if (pos == 0) return 0;
  const char* p = input.data();
  auto skip_filler = [&](std::size_t i) {
    while (i < n && detail::is_filler(static_cast<unsigned char>(p[i]))) ++i;
    return i;
  };
  // A run of filler that ends a terminator may cross `pos`: the record
  // after it starts at or after `pos`.
  std::size_t j = static_cast<std::size_t>(pos);
  while (j > 0 && detail::is_filler(static_cast<unsigned char>(p[j - 1])) && p[j - 1] != '\x1D') --j;
  std::size_t from = j > 0 && p[j - 1] == '\x1D' ? j - 1 : static_cast<std::size_t>(pos);
  const auto lim = static_cast<std::size_t>(limit);
  while (from < lim) {
    // A terminator at or past `limit` cannot start a record before it.
    const void* q = std::memchr(p + from, '\x1D', lim - from);
    if (!q) return limit;
    const auto t = static_cast<std::size_t>(static_cast<const char*>(q) - p);
    const std::size_t start = skip_filler(t + 1);
    if (start >= lim) return limit;
    if (start >= pos && detail::plausible_leader(p + start, n - start) && detail::ends_record(input, t, start))
      return start;
    from = t + 1;
  }
  return limit;
}

/// The first position at or after `pos` where a record starts (see above);
/// `input.size()` if there is none.
[[nodiscard]] inline std::uint64_t next_record_start(std::string_view input, std::uint64_t pos) noexcept {
  return next_record_start(input, pos, input.size());
}

/// A source over the records of `input` whose first byte lies in
/// [start, end): from `next_record_start(input, start)` to
/// `next_record_start(input, end)`. Splitting a file into ranges that
/// cover it, and reading each, yields every record exactly once; on a sound
/// file, the same records the whole file yields. Offsets in diagnostics and
/// records are offsets in `input`; record indices count from the start of
/// the range. `input` must outlive the source and the records read from it.
///
///     marcpp::mmap_source file{"huge.mrc"};
///     auto size = file.bytes().size();
///     marcpp::reader r{marcpp::range_source(file.bytes(), k * size / n, (k + 1) * size / n)};
[[nodiscard]] inline memory_source range_source(std::string_view input, std::uint64_t start, std::uint64_t end) noexcept {
  std::uint64_t a = next_record_start(input, start);
  std::uint64_t b = std::max(a, next_record_start(input, std::max(start, end)));
  return memory_source(input.substr(static_cast<std::size_t>(a), static_cast<std::size_t>(b - a)), a);
}

MARCPP_NAMESPACE_END
