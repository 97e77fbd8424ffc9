#include <marcpp/detail/simd.hpp>  // first: proves it is self-contained

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#  define MARCPP_TEST_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define MARCPP_TEST_ASAN 1
#  endif
#endif
#ifdef MARCPP_TEST_ASAN
#  include <sanitizer/asan_interface.h>
#endif

namespace {

// The data-area scan byte by byte: what every vector version must find.
marcpp::detail::area_scan reference_scan(const std::string& a, std::size_t done) {
  marcpp::detail::area_scan r;
  r.done = done;
  for (std::size_t i = 0; i < done; ++i) {
    const auto c = static_cast<unsigned char>(a[i]);
    r.high |= c >= 0x80;
    r.bad |= c == 0x1D;
    r.terms += c == 0x1E;
    r.codeless |= c == 0x1F && i + 1 < a.size() && (static_cast<unsigned char>(a[i + 1]) & 0xFE) == 0x1E;
  }
  return r;
}

void check_scan(const marcpp::detail::area_scan& got, const marcpp::detail::area_scan& want) {
  CHECK(got.done == want.done);
  CHECK(got.terms == want.terms);
  CHECK(got.high == want.high);
  CHECK(got.bad == want.bad);
  CHECK(got.codeless == want.codeless);
}

}  // namespace

#if MARCPP_HAS_SSE2
TEST_CASE("the data-area scan: every vector version finds what a byte-by-byte scan finds") {
  std::mt19937 rng(2709);
  const char alphabet[] = {'a', 'b', ' ', '0', '\x1E', '\x1F', '\x1D', '\x1C', '\x80', '\xC3'};
  for (int round = 0; round < 4000; ++round) {
    const std::size_t n = rng() % 300;
    std::string a(n, 'x');
    // Mostly plain bytes, with a few of the structural and high ones.
    for (auto& c : a) c = rng() % 8 == 0 ? alphabet[rng() % sizeof alphabet] : static_cast<char>('a' + rng() % 26);
    CAPTURE(a);
    const std::size_t done = n >= 64 ? n : 0;  // areas shorter than a block are left to the caller
    const auto want = reference_scan(a, done);
    check_scan(marcpp::detail::scan_area_sse2(a.data(), a.size()), want);
#  if MARCPP_AVX2_DISPATCH
    if (marcpp::detail::cpu_has_avx2) check_scan(marcpp::detail::scan_area_avx2(a.data(), a.size()), want);
#  endif
  }
  // A delimiter in the last byte of a block, before a terminator or a
  // delimiter in the next block, or the first byte after the blocks.
  for (std::size_t n : {std::size_t{65}, std::size_t{128}, std::size_t{129}, std::size_t{200}}) {
    for (char after : {'\x1E', '\x1F', 'a'}) {
      std::string a(n, 'a');
      a[63] = '\x1F';
      a[64] = after;
      CAPTURE(n);
      CAPTURE(static_cast<int>(after));
      const auto want = reference_scan(a, n);
      CHECK(marcpp::detail::scan_area_sse2(a.data(), a.size()).codeless == (after != 'a'));
      check_scan(marcpp::detail::scan_area_sse2(a.data(), a.size()), want);
#  if MARCPP_AVX2_DISPATCH
      if (marcpp::detail::cpu_has_avx2) check_scan(marcpp::detail::scan_area_avx2(a.data(), a.size()), want);
#  endif
    }
  }
}
#endif

// Every length up to 80 at every alignment, with the delimiter at every
// place or none, and delimiters just outside the range. Under
// AddressSanitizer (scripts/test) the bytes around the range are poisoned,
// so a read of any byte outside it fails the test.
TEST_CASE("find_delimiter: the first delimiter of the range, reading no byte outside it") {
  std::vector<char> buf(160, '\x1F');
  for (std::size_t off = 0; off < 16; ++off) {
    for (std::size_t n = 0; n <= 80; ++n) {
      char* const p = buf.data() + 32 + off;  // buf's storage is 16-byte aligned
      char* const end = p + n;
      std::fill(buf.begin(), buf.end(), '\x1F');
      std::fill(p, end, 'a');
#ifdef MARCPP_TEST_ASAN
      ASAN_POISON_MEMORY_REGION(buf.data(), static_cast<std::size_t>(p - buf.data()));
      ASAN_POISON_MEMORY_REGION(end, static_cast<std::size_t>(buf.data() + buf.size() - end));
#endif
      CAPTURE(off);
      CAPTURE(n);
      CHECK(marcpp::detail::find_delimiter(p, end) == end);
      for (std::size_t d = 0; d < n; ++d) {
        CAPTURE(d);
        p[d] = '\x1F';
        CHECK(marcpp::detail::find_delimiter(p, end) == p + d);
        if (d + 1 < n) {  // and another after it
          p[n - 1] = '\x1F';
          CHECK(marcpp::detail::find_delimiter(p, end) == p + d);
          CHECK(marcpp::detail::find_delimiter(p + d + 1, end) == end - 1);
          p[n - 1] = 'a';
        }
        p[d] = 'a';
      }
#ifdef MARCPP_TEST_ASAN
      ASAN_UNPOISON_MEMORY_REGION(buf.data(), buf.size());
#endif
    }
  }
}
