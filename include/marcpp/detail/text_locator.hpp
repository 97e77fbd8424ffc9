// SPDX-License-Identifier: MIT
#pragma once

// Line and column of a byte offset in a text input (MARCXML, JSON, .mrk),
// computed only when a diagnostic needs them. The readers record byte
// offsets; this counts lines from the last point it reached, so reporting
// costs time proportional to the bytes since the previous report. A source
// that discards bytes (a stream) must let the locator pass over them first
// (`pass`); one that keeps every byte (memory, mapped file) never does.

#include <marcpp/config.hpp>
#include <marcpp/source.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// True for sources whose bytes all stay readable (memory, mapped file).
template <class Source>
inline constexpr bool keeps_all_bytes = requires(const Source& s) { s.bytes(); };

/// A 1-based line and column (columns count characters: UTF-8 continuation
/// bytes do not start a column).
struct text_point {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

class text_locator {
 public:
  /// Moves the counted point to `target`, reading the bytes [`base_offset`,
  /// `base_offset` + `size`) at `base`, which must cover the way from the
  /// counted point (or from the start of the target's line when going back).
  /// Returns {0, 0} when the bytes needed are no longer available.
  text_point locate(std::uint64_t target, const char* base, std::uint64_t base_offset, std::size_t size) noexcept {
    const std::uint64_t end = base_offset + size;
    if (target >= at_) {
      if (at_ < base_offset || target > end) return {};
      advance(base + (at_ - base_offset), static_cast<std::size_t>(target - at_));
      at_ = target;
      return {line_, column_};
    }
    // Going back (a fault reported before one reported later): count the
    // newlines in between, then the column from the previous newline, or,
    // when the bytes before the target's line are gone (a stream dropped
    // them), from the point where they were dropped.
    if (target < base_offset || at_ > end) return {};
    const char* p = base + (target - base_offset);
    const char* q = base + (at_ - base_offset);
    std::uint32_t lines = 0;
    for (const char* s = p; (s = static_cast<const char*>(std::memchr(s, '\n', static_cast<std::size_t>(q - s)))); ++s)
      ++lines;
    if (lines == 0) return {line_, column_ - count_columns(p, static_cast<std::size_t>(q - p))};
    const bool from_kept = kept_at_ >= base_offset && kept_at_ <= target;
    const char* floor = from_kept ? base + (kept_at_ - base_offset) : base;
    const char* line_start = p;
    while (line_start > floor && line_start[-1] != '\n') --line_start;
    if (line_start == floor && !(floor > base && floor[-1] == '\n')) {
      if (!from_kept) return {};
      return {line_ - lines, kept_column_ + count_columns(floor, static_cast<std::size_t>(p - floor))};
    }
    return {line_ - lines, 1 + count_columns(line_start, static_cast<std::size_t>(p - line_start))};
  }

  /// Counts over [at, `upto`) before the source drops those bytes, and keeps
  /// the line and column of `upto`: the first byte the source keeps.
  void pass(std::uint64_t upto, const char* base, std::uint64_t base_offset, std::size_t size) noexcept {
    if (upto == kept_at_) return;
    const text_point pt = locate(upto, base, base_offset, size);
    if (pt.line == 0) return;
    kept_at_ = upto;
    kept_column_ = pt.column;
  }

  [[nodiscard]] std::uint64_t counted() const noexcept { return at_; }

 private:
  static std::uint32_t count_columns(const char* p, std::size_t n) noexcept {
    std::uint32_t c = 0;
    for (std::size_t i = 0; i < n; ++i) c += (static_cast<unsigned char>(p[i]) & 0xC0) != 0x80;
    return c;
  }
  void advance(const char* p, std::size_t n) noexcept {
    const char* e = p + n;
    for (;;) {
      const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(e - p));
      if (!nl) break;
      ++line_;
      column_ = 1;
      p = static_cast<const char*>(nl) + 1;
    }
    column_ += count_columns(p, static_cast<std::size_t>(e - p));
  }

  std::uint64_t at_ = 0;
  std::uint32_t line_ = 1;
  std::uint32_t column_ = 1;
  // A point whose column is known and whose bytes may still be at hand: the
  // start of the input, then the first byte the source kept when it last
  // dropped bytes (columns of a line whose start is gone count from there).
  std::uint64_t kept_at_ = 0;
  std::uint32_t kept_column_ = 1;
};

/// Line and column of `offset` in the input of `src`: from all its bytes
/// when it keeps them, from its current window otherwise.
template <class Source>
[[nodiscard]] text_point locate_in(text_locator& loc, const Source& src, std::uint64_t offset) noexcept {
  if constexpr (keeps_all_bytes<Source>) {
    std::string_view b = src.bytes();
    return loc.locate(offset, b.data(), 0, b.size());
  } else {
    source_window w = src.window();
    return loc.locate(offset, w.data, w.offset, w.size);
  }
}

}  // namespace detail
MARCPP_NAMESPACE_END
