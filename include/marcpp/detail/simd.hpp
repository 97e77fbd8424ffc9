// SPDX-License-Identifier: MIT
#pragma once

// Byte scanning kernels for the ISO 2709 hot path. SSE2 where available (it
// is part of x86-64), a portable word-at-a-time loop elsewhere.

#include <marcpp/config.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if MARCPP_HAS_SSE2
#  include <emmintrin.h>
#endif
#if MARCPP_AVX2_DISPATCH
#  include <immintrin.h>
#endif

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// True for the ISO 2709 structural bytes 0x1D, 0x1E, 0x1F (and 0x1C, which
/// the scanners report too because one mask finds all four).
[[nodiscard]] constexpr bool is_separator_class(unsigned char c) noexcept { return (c & 0xFC) == 0x1C; }

/// Bits set in `v`. The instruction where the target has it; otherwise the
/// bit-sliced sum, inline (the compiler's fallback is a library call).
[[nodiscard]] MARCPP_ALWAYS_INLINE unsigned popcount64(std::uint64_t v) noexcept {
#if defined(__POPCNT__) || defined(__aarch64__)
  return static_cast<unsigned>(__builtin_popcountll(v));
#else
  v = v - ((v >> 1) & 0x5555555555555555ull);
  v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
  v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return static_cast<unsigned>((v * 0x0101010101010101ull) >> 56);
#endif
}

inline unsigned count_trailing_zeros(std::uint32_t v) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return static_cast<unsigned>(__builtin_ctz(v));
#else
  unsigned n = 0;
  while (!(v & 1)) {
    v >>= 1;
    ++n;
  }
  return n;
#endif
}

/// What one pass over a record's data area found: how many field
/// terminators (0x1E) it holds, whether any byte is 0x80 or above, any
/// record terminator (0x1D), or a delimiter (0x1F) followed by a terminator
/// or another delimiter; and how many bytes the pass covered (the whole
/// area when it is 64 bytes or longer, none otherwise: the caller checks
/// the rest).
struct area_scan {
  std::size_t done = 0, terms = 0;
  bool high = false, bad = false, codeless = false;
};

// The area is read in blocks of 64 bytes; the last, when the area is not a
// multiple of 64, overlaps the one before, and `keep` masks off the bytes
// already counted. `dm` and `sm` are the block's delimiters and separators
// (delimiters and field terminators), a bit per byte; a delimiter in the
// last byte of a block (`carry`) pairs with the first byte of the next.
MARCPP_ALWAYS_INLINE void add_block(std::uint64_t dm, std::uint64_t sm, std::uint64_t keep, std::uint64_t& carry,
                                    std::uint64_t& lost, area_scan& r) noexcept {
  r.terms += popcount64(sm & ~dm & keep);
  lost |= ((dm << 1) | carry) & sm & keep;
  carry = dm >> 63;
}

// The walk over an area's blocks, shared by the SSE2 and AVX2 scans:
// `Block` reads one block (into the accumulators `hv`, `bv` and the masks),
// `Add` counts it.
template <auto Block, auto Add, class Vec>
MARCPP_ALWAYS_INLINE void walk_area(const char* a, std::size_t area, Vec& hv, Vec& bv, area_scan& r) noexcept {
  std::uint64_t carry = 0, lost = 0, dm, sm;
  std::size_t i = 0;
  for (; i + 64 <= area; i += 64) {
    Block(a + i, hv, bv, dm, sm);
    Add(dm, sm, ~std::uint64_t{0}, carry, lost, r);
  }
  if (i < area) {
    const std::size_t s = area - 64;
    carry = 0;  // the byte before the new bytes is in the block
    Block(a + s, hv, bv, dm, sm);
    Add(dm, sm, ~std::uint64_t{0} << (i - s), carry, lost, r);
  }
  r.done = area;
  r.codeless = lost != 0;
}

#if MARCPP_HAS_SSE2
MARCPP_ALWAYS_INLINE void sse2_block(const char* p, __m128i& hv, __m128i& bv, std::uint64_t& dm,
                                     std::uint64_t& sm) noexcept {
  const __m128i fe = _mm_set1_epi8(static_cast<char>(0xFE)), rs = _mm_set1_epi8(0x1E), us = _mm_set1_epi8(0x1F),
                gs = _mm_set1_epi8(0x1D);
  dm = sm = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    hv = _mm_or_si128(hv, x);
    bv = _mm_or_si128(bv, _mm_cmpeq_epi8(x, gs));
    dm |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, us)))) << (16 * k);
    sm |= static_cast<std::uint64_t>(
              static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(x, fe), rs))))
          << (16 * k);
  }
}

/// The area scan, 64 bytes at a time with SSE2.
inline area_scan scan_area_sse2(const char* a, std::size_t area) noexcept {
  area_scan r;
  if (area < 64) return r;
  __m128i hv = _mm_setzero_si128(), bv = _mm_setzero_si128();
  walk_area<sse2_block, add_block>(a, area, hv, bv, r);
  r.high = _mm_movemask_epi8(hv) != 0;
  r.bad = _mm_movemask_epi8(bv) != 0;
  return r;
}
#endif

#if MARCPP_AVX2_DISPATCH
__attribute__((target("avx2"))) inline std::uint64_t mask32(__m256i eq) noexcept {
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(eq)));
}

__attribute__((target("avx2"))) inline void avx2_block(const char* p, __m256i& hv, __m256i& bv, std::uint64_t& dm,
                                                        std::uint64_t& sm) noexcept {
  const __m256i fe = _mm256_set1_epi8(static_cast<char>(0xFE)), rs = _mm256_set1_epi8(0x1E),
                us = _mm256_set1_epi8(0x1F), gs = _mm256_set1_epi8(0x1D);
  const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  hv = _mm256_or_si256(hv, _mm256_or_si256(x0, x1));
  bv = _mm256_or_si256(bv, _mm256_or_si256(_mm256_cmpeq_epi8(x0, gs), _mm256_cmpeq_epi8(x1, gs)));
  dm = mask32(_mm256_cmpeq_epi8(x0, us)) | (mask32(_mm256_cmpeq_epi8(x1, us)) << 32);
  sm = mask32(_mm256_cmpeq_epi8(_mm256_and_si256(x0, fe), rs)) |
       (mask32(_mm256_cmpeq_epi8(_mm256_and_si256(x1, fe), rs)) << 32);
}

__attribute__((target("popcnt"))) inline void add_block_popcnt(std::uint64_t dm, std::uint64_t sm, std::uint64_t keep,
                                                                std::uint64_t& carry, std::uint64_t& lost,
                                                                area_scan& r) noexcept {
  r.terms += static_cast<std::size_t>(__builtin_popcountll(sm & ~dm & keep));
  lost |= ((dm << 1) | carry) & sm & keep;
  carry = dm >> 63;
}

/// The same scan with AVX2 (and POPCNT), for processors that have them.
__attribute__((target("avx2,popcnt"))) inline area_scan scan_area_avx2(const char* a, std::size_t area) noexcept {
  area_scan r;
  if (area < 64) return r;
  __m256i hv = _mm256_setzero_si256(), bv = _mm256_setzero_si256();
  walk_area<avx2_block, add_block_popcnt>(a, area, hv, bv, r);
  r.high = _mm256_movemask_epi8(hv) != 0;
  r.bad = !_mm256_testz_si256(bv, bv);
  return r;
}

/// A directory entry of the usual map (a 3-digit tag, a 4-digit length, a
/// 5-digit starting position) as numbers; the start is `start_hi + start_lo`
/// (its first three digits' worth and its last two digits).
struct entry_digits {
  std::uint32_t tag;
  std::uint32_t len;
  std::uint32_t start_hi;
  std::uint32_t start_lo;
};

/// Two directory entries' twelve digits each (at `p` and `p + 12`, one per
/// 128-bit lane), with '0' taken off and shuffled by `shuf`: above 9 for
/// any byte that is no digit (the shuffle's zeros are none).
__attribute__((target("avx2"))) MARCPP_ALWAYS_INLINE __m256i entry_pair_digits(const char* p, __m256i zero,
                                                                                __m256i shuf) noexcept {
  const __m256i v = _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 12)), 1);
  return _mm256_shuffle_epi8(_mm256_sub_epi8(v, zero), shuf);
}

/// Decodes the entries at `dir`, `dir + 12`, ... into `out`, two at a time,
/// while the 16-byte loads stay before `limit`, and returns how many entries
/// from the first are twelve digits and decoded; the caller reads the rest
/// another way.
///
/// Each entry's digits are moved by one shuffle into byte pairs that one
/// multiply-add per pair turns into 16-bit numbers (t0 t1 | t2 | l0 l1 |
/// l2 l3 | s0 | s1 s2 | s3 s4), and a second multiply-add per pair of those
/// into the four 32-bit numbers of `entry_digits`. Whether every byte was a
/// digit is checked once for the whole directory; only a directory with
/// some other byte is looked at again, pair by pair, to find the first.
__attribute__((target("avx2"))) inline std::size_t decode_entries_avx2(const char* dir, std::size_t n,
                                                                        const char* limit,
                                                                        entry_digits* out) noexcept {
  static_assert(sizeof(entry_digits) == 16);
  const __m256i zero = _mm256_set1_epi8('0');
  const __m256i nine = _mm256_set1_epi8(9);
  const __m256i shuf = _mm256_setr_epi8(0, 1, 2, -1, 3, 4, 5, 6, -1, 7, 8, 9, 10, 11, -1, -1,  //
                                        0, 1, 2, -1, 3, 4, 5, 6, -1, 7, 8, 9, 10, 11, -1, -1);
  const __m256i w8 = _mm256_setr_epi8(100, 10, 1, 0, 10, 1, 10, 1, 0, 1, 10, 1, 10, 1, 0, 0,  //
                                      100, 10, 1, 0, 10, 1, 10, 1, 0, 1, 10, 1, 10, 1, 0, 0);
  const __m256i w16 = _mm256_setr_epi16(1, 1, 100, 1, 10000, 100, 1, 0,  //
                                        1, 1, 100, 1, 10000, 100, 1, 0);
  // Pair k reads [dir + 24k, dir + 24k + 28).
  const auto room = static_cast<std::size_t>(limit - dir);
  const std::size_t pairs = room < 28 ? 0 : std::min(n / 2, (room - 28) / 24 + 1);
  __m256i over = _mm256_setzero_si256();
  const char* p = dir;
  for (std::size_t k = 0; k < pairs; ++k, p += 24) {
    const __m256i d = entry_pair_digits(p, zero, shuf);
    over = _mm256_or_si256(over, _mm256_subs_epu8(d, nine));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 2 * k), _mm256_madd_epi16(_mm256_maddubs_epi16(d, w8), w16));
  }
  if (_mm256_testz_si256(over, over)) return 2 * pairs;
  p = dir;
  for (std::size_t k = 0;; ++k, p += 24) {
    const auto ok = static_cast<std::uint32_t>(
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_subs_epu8(entry_pair_digits(p, zero, shuf), nine), _mm256_setzero_si256())));
    if (ok != 0xFFFFFFFFu) return 2 * k + ((ok & 0xFFFF) == 0xFFFF ? 1 : 0);
  }
}

/// Whether this processor runs the AVX2 kernels. False until static
/// initialisation has run, so a reader used before then takes SSE2.
inline const bool cpu_has_avx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}();
#endif

#if MARCPP_HAS_SSE2
/// The area scan with the widest vectors this processor has.
inline area_scan scan_area(const char* a, std::size_t area) noexcept {
#  if MARCPP_AVX2_DISPATCH
  if (cpu_has_avx2) return scan_area_avx2(a, area);
#  endif
  return scan_area_sse2(a, area);
}
#endif

/// The first subfield delimiter (0x1F) in [p, end), or `end`. Reads no byte
/// outside the range: 16 bytes at a time, and a last part shorter than that
/// as the range's last 16 bytes (or, in a range shorter than 16, its first
/// and last 8 or 4), which overlap bytes already known to hold no
/// delimiter, so the lowest hit among them is past those. Subfield values
/// are short: this costs less than a call to memchr.
inline const char* find_delimiter(const char* p, const char* end) noexcept {
  if (p >= end) return end;
  const auto n = static_cast<std::size_t>(end - p);
#if MARCPP_HAS_SSE2
  const __m128i us = _mm_set1_epi8(0x1F);
  auto hits = [us](__m128i x) noexcept {
    return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, us)));
  };
  if (n >= 16) {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16)
      if (const std::uint32_t m = hits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))))
        return p + i + count_trailing_zeros(m);
    if (i == n) return end;
    const std::uint32_t m = hits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(end - 16)));
    return m ? end - 16 + count_trailing_zeros(m) : end;
  }
  if (n >= 8) {
    // _mm_loadl_epi64 reads 8 bytes and zeroes the rest of the register,
    // so only the low 8 bits of the mask can be set.
    std::uint32_t m = hits(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))) & 0xFFu;
    if (m) return p + count_trailing_zeros(m);
    m = hits(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(end - 8))) & 0xFFu;
    return m ? end - 8 + count_trailing_zeros(m) : end;
  }
  if (n >= 4) {
    std::int32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, end - 4, 4);
    std::uint32_t m = hits(_mm_cvtsi32_si128(a)) & 0xFu;
    if (m) return p + count_trailing_zeros(m);
    m = hits(_mm_cvtsi32_si128(b)) & 0xFu;
    return m ? end - 4 + count_trailing_zeros(m) : end;
  }
  for (; p != end; ++p)
    if (*p == '\x1F') return p;
  return end;
#else
  const auto* r = static_cast<const char*>(std::memchr(p, 0x1F, n));
  return r ? r : end;
#endif
}

/// Calls `f(i)` for the index of every byte of [p, p+n) in 0x1C-0x1F, in
/// order, and returns true if any byte has its high bit set (non-ASCII).
/// `f` returns false to stop early.
template <class F>
MARCPP_ALWAYS_INLINE bool scan_separators(const char* p, std::size_t n, F&& f) {
  std::size_t i = 0;
  bool high = false;
#if MARCPP_HAS_SSE2
  const __m128i mask = _mm_set1_epi8(static_cast<char>(0xFC));
  const __m128i sep = _mm_set1_epi8(0x1C);
  __m128i hi = _mm_setzero_si128();
  for (; i + 16 <= n; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    hi = _mm_or_si128(hi, x);
    auto m = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(x, mask), sep)));
    while (m) {
      if (!f(i + count_trailing_zeros(m))) return high || _mm_movemask_epi8(hi) != 0;
      m &= m - 1;
    }
  }
  high = _mm_movemask_epi8(hi) != 0;
#endif
  for (; i < n; ++i) {
    auto c = static_cast<unsigned char>(p[i]);
    high |= c >= 0x80;
    if (is_separator_class(c) && !f(i)) return high;
  }
  return high;
}

/// Index of the first byte of [p, p+n) equal to `a`, `b` or `c`; `n` if none.
[[nodiscard]] MARCPP_ALWAYS_INLINE std::size_t find_any_of3(const char* p, std::size_t n, char a, char b, char c) noexcept {
  std::size_t i = 0;
#if MARCPP_HAS_SSE2
  const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
  for (; i + 16 <= n; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_or_si128(_mm_cmpeq_epi8(x, vb), _mm_cmpeq_epi8(x, vc)));
    auto bits = static_cast<std::uint32_t>(_mm_movemask_epi8(m));
    if (bits) return i + count_trailing_zeros(bits);
  }
#endif
  for (; i < n; ++i)
    if (p[i] == a || p[i] == b || p[i] == c) return i;
  return n;
}

/// True if [p, p+n) holds a delimiter or terminator byte (0x1D-0x1F).
[[nodiscard]] inline bool has_structural_byte(const char* p, std::size_t n) noexcept {
  std::size_t i = 0;
  bool candidate = false;
#if MARCPP_HAS_SSE2
  const __m128i mask = _mm_set1_epi8(static_cast<char>(0xFC));
  const __m128i sep = _mm_set1_epi8(0x1C);
  for (; i + 16 <= n && !candidate; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    candidate = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(x, mask), sep)) != 0;
  }
  if (candidate) i -= 16;
#endif
  for (; i < n; ++i)
    if (p[i] == '\x1D' || p[i] == '\x1E' || p[i] == '\x1F') return true;
  return false;
}

/// Copies `n` bytes (one to two words of type `Word`) as the first and the
/// last word, which overlap.
template <class Word>
MARCPP_ALWAYS_INLINE void copy_two_words(char* w, const char* p, std::size_t n) noexcept {
  Word x, y;
  std::memcpy(&x, p, sizeof x);
  std::memcpy(&y, p + n - sizeof y, sizeof y);
  std::memcpy(w, &x, sizeof x);
  std::memcpy(w + n - sizeof y, &y, sizeof y);
}

/// Copies the `n` bytes at `p` to `w` and returns `w + n`: whole blocks,
/// with overlapping loads and stores for the rest, so that nothing outside
/// [p, p+n) is read and nothing outside [w, w+n) is written.
MARCPP_ALWAYS_INLINE char* copy_bytes(char* w, const char* p, std::size_t n) noexcept {
  if (n >= 16) {
#if MARCPP_HAS_SSE2
    std::size_t i = 0;
    for (; i + 16 < n; i += 16)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(w + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(w + n - 16),
                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16)));
#else
    std::memcpy(w, p, n);
#endif
  } else if (n >= 8) {
    copy_two_words<std::uint64_t>(w, p, n);
  } else if (n >= 4) {
    copy_two_words<std::uint32_t>(w, p, n);
  } else if (n) {
    w[0] = p[0];
    w[n / 2] = p[n / 2];
    w[n - 1] = p[n - 1];
  }
  return w + n;
}

/// True if every byte of [p, p+n) is ASCII.
[[nodiscard]] inline bool is_ascii(const char* p, std::size_t n) noexcept {
  std::size_t i = 0;
  std::uint64_t acc = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  for (; i < n; ++i) acc |= static_cast<unsigned char>(p[i]);
  return (acc & 0x8080808080808080ull) == 0;
}

/// Index of the first byte of [p, p+n) that is not ASCII or equals `a` or
/// `b`, or `n` if there is none: the end of a run the character set
/// converters copy as it is. Inlined, so that `a` and `b` are constants.
MARCPP_ALWAYS_INLINE std::size_t find_ascii_stop(const char* p, std::size_t n, char a, char b) noexcept {
  std::size_t i = 0;
#if MARCPP_HAS_SSE2
  if (n >= 16) {
    const __m128i va = _mm_set1_epi8(a);
    const __m128i vb = _mm_set1_epi8(b);
    for (; i + 16 <= n; i += 16) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb));
      auto m = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(x, hit)));
      if (m) return i + count_trailing_zeros(m);
    }
  }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && (defined(__GNUC__) || defined(__clang__))
  // Most MARC values are shorter than 16 bytes: eight at a time (the lowest
  // byte the zero-byte test flags is always a real match), the last eight
  // overlapping the bytes already known to be plain.
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  const std::uint64_t wa = ones * static_cast<unsigned char>(a), wb = ones * static_cast<unsigned char>(b);
  auto stop = [&](const char* q) {
    std::uint64_t w;
    std::memcpy(&w, q, 8);
    const std::uint64_t xa = w ^ wa, xb = w ^ wb;
    return (w | ((xa - ones) & ~xa) | ((xb - ones) & ~xb)) & highs;
  };
  if (n >= 8) {
    for (; i + 8 <= n; i += 8)
      if (std::uint64_t m = stop(p + i)) return i + static_cast<std::size_t>(__builtin_ctzll(m)) / 8;
    if (i == n) return n;
    std::uint64_t m = stop(p + n - 8);
    return m ? n - 8 + static_cast<std::size_t>(__builtin_ctzll(m)) / 8 : n;
  }
#endif
  for (; i < n; ++i) {
    char c = p[i];
    if (static_cast<unsigned char>(c) >= 0x80 || c == a || c == b) return i;
  }
  return n;
}

/// Length of the valid UTF-8 sequence starting at p[0] (lead byte >= 0x80),
/// or 0 if it is not one (RFC 3629: no overlongs, surrogates, or values
/// above U+10FFFF).
[[nodiscard]] inline std::size_t utf8_sequence(const unsigned char* p, std::size_t avail) noexcept {
  const unsigned char c = p[0];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (avail < len || p[1] < lo || p[1] > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if ((p[k] & 0xC0) != 0x80) return 0;
  return len;
}

/// Index of the first byte of [p, p+n) that starts an invalid UTF-8
/// sequence, or `n` if the whole range is valid UTF-8 (RFC 3629: no
/// overlongs, no surrogates, nothing above U+10FFFF).
[[nodiscard]] inline std::size_t find_invalid_utf8(const char* p, std::size_t n) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(p);
  std::size_t i = 0;
  while (i < n) {
    if (s[i] < 0x80) {
      // Skip ASCII eight bytes at a time.
      while (i + 8 <= n) {
        std::uint64_t w;
        std::memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
      }
      while (i < n && s[i] < 0x80) ++i;
      continue;
    }
    const std::size_t len = utf8_sequence(s + i, n - i);
    if (len == 0) return i;
    i += len;
  }
  return n;
}

}  // namespace detail
MARCPP_NAMESPACE_END
