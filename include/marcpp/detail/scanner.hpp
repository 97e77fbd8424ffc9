// SPDX-License-Identifier: MIT
#pragma once

// The record-boundary scanner: cuts a source into record extents and the
// filler between them. It decides only where records begin and end; the
// parser judges what is inside.
//
// Rules, in order, at the current position:
//  1. Filler bytes (NUL, CR, LF, blank, 0x1A, a stray 0x1D) are skipped and
//     reported as one run.
//  2. If leader/00-04 is a number L and byte L-1 is the record terminator,
//     the record is those L bytes (the fast path for sound records).
//  3. If byte L-1 is a field terminator, no record terminator comes before
//     it, and what follows is the start of another record or the end of the
//     input, the record is those L bytes, missing its terminator.
//  4. If the record runs into the next record before its declared length
//     ends (it was cut short, without its terminator), the record ends
//     where the next one begins: at a leader whose declared length ends
//     exactly on the record terminator that comes next (or, with no
//     terminator left, on the end of the input) and whose base address
//     follows a field terminator (see next_leader).
//  5. Otherwise the record ends at the next record terminator.
//  6. With no terminator before the end of the input, the record is the rest
//     of the input (an input that failed there ends the scan instead); with
//     none within `max_record_size` bytes (at most `record_size_limit`),
//     those bytes are reported as an oversized record and skipped up to the
//     next terminator.
// Every step moves forward by at least one byte, so the scan always ends.

#include <marcpp/config.hpp>
#include <marcpp/detail/iso2709_parser.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/source.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

MARCPP_NAMESPACE_BEGIN
namespace detail {

[[nodiscard]] constexpr bool is_filler(unsigned char c) noexcept {
  return c == 0x00 || c == 0x0A || c == 0x0D || c == 0x20 || c == 0x1A || c == 0x1D;
}

/// True if the `n` bytes at `p` could start a record: five digits of record
/// length and, when visible, five digits of base address.
[[nodiscard]] inline bool plausible_leader(const char* p, std::size_t n) noexcept {
  if (n < 5 || parse_digits(p, 5) < 0) return false;
  return n < 17 || parse_digits(p + 12, 5) >= 0;
}

enum class chunk_kind : std::uint8_t { record, filler, oversized };

struct chunk {
  chunk_kind kind = chunk_kind::record;
  extent x;  // for filler and oversized chunks: the bytes concerned
};

template <class Source>
class scanner {
 public:
  static constexpr std::size_t max_filler_run = std::size_t{1} << 16;

  // A limit above `record_size_limit` is taken as that: the parser's
  // positions and a view's sizes are 32-bit, and a longer record would wrap
  // them.
  scanner(Source& src, std::size_t max_record_size) noexcept
      : src_(&src), max_(std::clamp<std::size_t>(max_record_size, 64, record_size_limit)) {}

  /// The next chunk, or false at the end of the input (or if it failed:
  /// see `Source::error()`). The chunk's bytes stay valid until the next call.
  bool next(chunk& c) {
    src_->consume(pending_);
    pending_ = 0;
    if (skipping_ && !skip_to_terminator()) return false;
    if (!src_->fill(1)) return false;

    // 1. filler
    std::size_t k = 0;
    for (;;) {
      source_window w = src_->window();
      while (k < w.size && k < max_filler_run && is_filler(static_cast<unsigned char>(w.data[k]))) ++k;
      if (k < w.size || k >= max_filler_run || !src_->fill(k + 1)) break;
    }
    if (k > 0) {
      source_window w = src_->window();
      c.kind = chunk_kind::filler;
      c.x = extent{w.data, k, w.offset, index_, false};
      pending_ = k;
      return true;
    }

    // 2. the declared length, when the terminator is where it says
    src_->fill(5);
    source_window w = src_->window();
    std::int64_t len = w.size >= 5 ? parse_digits(w.data, 5) : -1;
    if (len >= 1 && src_->fill(static_cast<std::size_t>(len))) {
      w = src_->window();
      if (w.data[len - 1] == record_terminator) return emit(c, static_cast<std::size_t>(len), true);
    }

    // 5/6. find the next record terminator within the limit
    std::size_t searched = 0, found = npos_;
    for (;;) {
      w = src_->window();
      std::size_t lim = std::min(w.size, max_);
      if (lim > searched) {
        const void* q = std::memchr(w.data + searched, record_terminator, lim - searched);
        if (q) {
          found = static_cast<std::size_t>(static_cast<const char*>(q) - w.data);
          break;
        }
        searched = lim;
      }
      if (searched >= max_) break;
      src_->fill(std::min(w.size + step_, max_));
      if (src_->window().size == w.size) break;  // the input has no more
    }
    w = src_->window();
    // An input that failed before a terminator came: the bytes read are no
    // record the input holds, and the reader reports the failure.
    if (found == npos_ && !src_->error().empty()) return false;

    // 3. a record that lost its terminator, followed by the next record: the
    // declared length may count the lost terminator or not.
    if (len >= 26) {
      const auto l = static_cast<std::size_t>(len);
      for (std::size_t body : {l - 1, l}) {
        if (found != npos_ && found < body) break;
        if (!src_->fill(body + 24) && src_->window().size < body) break;
        w = src_->window();
        if (w.data[body - 1] != field_terminator) continue;
        std::size_t after = w.size - body;
        if (after == 0 || plausible_leader(w.data + body, after)) return emit(c, body, false);
      }
      w = src_->window();
    }
    // 4. a record cut short, running into the next one: only bytes before
    // the terminator found (or the end of the input) are looked at, all in
    // the window already, so every reader cuts the same way.
    if (found != npos_ || w.size < max_) {
      const std::size_t end = found != npos_ ? found + 1 : w.size;
      const std::size_t limit = len >= 1 ? std::min(end, static_cast<std::size_t>(len)) : end;
      if (const std::size_t q = next_leader(w.data, limit, end, found == npos_)) return emit(c, q, false, true);
    }
    if (found != npos_) return emit(c, found + 1, true);
    if (w.size < max_) return emit(c, w.size, false);  // the rest of the input, unterminated

    c.kind = chunk_kind::oversized;
    c.x = extent{w.data, max_, w.offset, index_++, false};
    pending_ = max_;
    skipping_ = true;
    return true;
  }

  /// Records (and oversized chunks) seen so far.
  [[nodiscard]] std::uint64_t index() const noexcept { return index_; }
  /// Numbers the records from `first` on.
  void number_from(std::uint64_t first) noexcept { index_ = first; }
  [[nodiscard]] std::size_t max_record_size() const noexcept { return max_; }

 private:
  static constexpr std::size_t npos_ = static_cast<std::size_t>(-1);
  static constexpr std::size_t step_ = std::size_t{1} << 16;

  bool emit(chunk& c, std::size_t n, bool terminated, bool cut_short = false) {
    source_window w = src_->window();
    c.kind = chunk_kind::record;
    c.x = extent{w.data, n, w.offset, index_++, terminated, cut_short};
    pending_ = n;
    return true;
  }

  // The first position q in [1, limit) where another record begins inside
  // the `end` bytes at `p`: its leader's five digits of length reach from q
  // exactly to `end` (or, when `open`, the input ending there, to one byte
  // past it, the lost terminator), and its base address, five digits too,
  // lies past a field terminator within those bytes. 0 if there is none.
  // Called only for a record whose declared length does not end on its
  // terminator, so a sound record never pays for it.
  static std::size_t next_leader(const char* p, std::size_t limit, std::size_t end, bool open) noexcept {
    // A leader and a directory terminator take 25 bytes; a length has five digits.
    const std::size_t lo = end > 99999 ? end - 99999 - (open ? 1 : 0) : 1;
    for (std::size_t q = std::max<std::size_t>(lo, 1); q < limit && q + 25 <= end; ++q) {
      if (static_cast<unsigned char>(p[q]) - unsigned{'0'} > 9) continue;
      const std::int64_t l = parse_digits(p + q, 5);
      const auto rest = static_cast<std::int64_t>(end - q);
      if (l != rest && !(open && l == rest + 1)) continue;
      const std::int64_t b = parse_digits(p + q + 12, 5);
      if (b < 25 || b > rest || p[q + static_cast<std::size_t>(b) - 1] != field_terminator) continue;
      return q;
    }
    return 0;
  }

  // Discards bytes up to and including the next record terminator (the tail
  // of an oversized record), holding at most one window at a time.
  bool skip_to_terminator() {
    skipping_ = false;
    for (;;) {
      if (!src_->fill(1)) return false;
      source_window w = src_->window();
      const void* q = std::memchr(w.data, record_terminator, w.size);
      if (q) {
        src_->consume(static_cast<std::size_t>(static_cast<const char*>(q) - w.data) + 1);
        return true;
      }
      src_->consume(w.size);
    }
  }

  Source* src_;
  std::size_t max_;
  std::size_t pending_ = 0;
  std::uint64_t index_ = 0;
  bool skipping_ = false;
};

}  // namespace detail
MARCPP_NAMESPACE_END
