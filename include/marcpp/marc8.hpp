// SPDX-License-Identifier: MIT
#pragma once

/// \file marc8.hpp
/// MARC-8 to UTF-8 and back, one string at a time.
///
///     std::string utf8;
///     if (auto err = marcpp::marc8::decode("Caf\xE2" "e", utf8)) report(err);   // "Café" (e + U+0301)
///     std::string m8 = marcpp::marc8::from_utf8("\u0417\u0438\u043C\u0430");      // "\x1B(NzIMA\x1B(B"
///
/// Decoding covers every LoC character set (Basic and Extended Latin,
/// Greek Symbols, Subscripts, Superscripts, Basic Hebrew, Basic and Extended
/// Cyrillic, Basic and Extended Arabic, Basic Greek, and the three-byte East
/// Asian set), the G0/G1 escape sequences, combining marks moved from before
/// their base character (MARC-8) to after it (Unicode), the double
/// diacritics, and LoC's numeric character references (`&#xXXXX;`).
/// Encoding is the inverse, choosing the escape sequences; characters
/// MARC-8 cannot hold become numeric character references, so that
/// UTF-8 -> MARC-8 -> UTF-8 gives back the same text (canonically
/// equivalent: precomposed letters come back decomposed). docs/charsets.md
/// tells the rules, and where other converters differ.
///
/// Every string starts with the default sets (G0 Basic Latin, G1 Extended
/// Latin) and the encoder ends every string with them, as MARC records do
/// per subfield.

#include <marcpp/config.hpp>
#include <marcpp/detail/marc8_tables.hpp>
#include <marcpp/detail/simd.hpp>
#include <marcpp/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

namespace marc8 {

/// A MARC-8 graphic character set, named by the final byte of the escape
/// sequence that designates it.
enum class charset : char {
  basic_latin = 'B',        ///< ASCII; the default G0 set
  ansel = 'E',              ///< Extended Latin (ANSEL); the default G1 set
  basic_hebrew = '2',
  basic_cyrillic = 'N',
  extended_cyrillic = 'Q',
  basic_arabic = '3',
  extended_arabic = '4',
  basic_greek = 'S',
  subscripts = 'b',         ///< designated by ESC b (LoC "technique 1")
  superscripts = 'p',       ///< designated by ESC p
  greek_symbols = 'g',      ///< designated by ESC g
  eacc = '1',               ///< East Asian Character Code, three bytes per character
};

/// How the decoder reads MARC-8.
struct decode_options {
  /// Bytes that map to nothing and bad escape sequences: `strict` (and
  /// `skip`) stop with an error naming the byte, its offset and the sets in
  /// use; `lenient` writes U+FFFD and reports a repair.
  error_policy policy = error_policy::lenient;
  /// Turn LoC's numeric character references (`&#xXXXX;`, written while
  /// G0 is Basic Latin) back into the characters they stand for.
  bool numeric_references = true;
};

/// How the encoder writes MARC-8.
struct encode_options {
  /// Invalid UTF-8 (and, without numeric references, characters MARC-8
  /// cannot hold): `strict` (and `skip`) stop with an error; `lenient`
  /// repairs and reports (U+FFFD, or `|` as in LoC's lossy conversion).
  error_policy policy = error_policy::lenient;
  /// Write characters MARC-8 cannot hold as LoC's lossless numeric character
  /// references (`&#xXXXX;`, reported as warnings). Off: they are faults.
  bool numeric_references = true;
};

}  // namespace marc8

namespace detail {

namespace m8t = marc8_tables;

/// Index of a set: 0-10 the single-byte sets in `marc8_tables` order, 11 EACC.
inline constexpr std::uint8_t eacc_index = 11;
inline constexpr std::uint8_t no_set = 0xFF;

[[nodiscard]] inline char set_final(std::uint8_t s) noexcept {
  return s == eacc_index ? '1' : m8t::single_sets[s].final_byte;
}
[[nodiscard]] inline std::string_view set_name(std::uint8_t s) noexcept {
  return s == eacc_index ? std::string_view(m8t::eacc_name) : std::string_view(m8t::single_sets[s].name);
}
[[nodiscard]] constexpr bool is_technique1(std::uint8_t s) noexcept {
  return s == m8t::subscripts || s == m8t::superscripts || s == m8t::greek_symbols;
}
/// The set designated by a single-byte ISO 2022 final byte, or `no_set`.
[[nodiscard]] inline std::uint8_t single_set_from_final(char f) noexcept {
  for (std::uint8_t s = 0; s < m8t::single_count; ++s)
    if (!is_technique1(s) && m8t::single_sets[s].final_byte == f) return s;
  return no_set;
}
[[nodiscard]] inline std::uint8_t set_from_charset(marc8::charset c) noexcept {
  if (c == marc8::charset::eacc) return eacc_index;
  for (std::uint8_t s = 0; s < m8t::single_count; ++s)
    if (m8t::single_sets[s].final_byte == static_cast<char>(c)) return s;
  return no_set;
}

/// Appends the UTF-8 form of `cp` (a Unicode scalar value) at `w`.
MARCPP_ALWAYS_INLINE char* put_utf8(char* w, std::uint32_t cp) noexcept {
  if (cp < 0x80) {
    *w++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *w++ = static_cast<char>(0xC0 | (cp >> 6));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *w++ = static_cast<char>(0xE0 | (cp >> 12));
    *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *w++ = static_cast<char>(0xF0 | (cp >> 18));
    *w++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *w++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *w++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return w;
}
inline void append_utf8(std::string& s, std::uint32_t cp) {
  char buf[4];
  s.append(buf, static_cast<std::size_t>(put_utf8(buf, cp) - buf));
}

/// Reads the UTF-8 sequence at `p` (n > 0 bytes): its code point and length,
/// or length 0 if it is not valid UTF-8 (RFC 3629).
[[nodiscard]] inline std::uint32_t read_utf8(const char* p, std::size_t n, std::size_t& len) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(p);
  unsigned char c = s[0];
  len = 0;
  if (c < 0x80) {
    len = 1;
    return c;
  }
  std::size_t k;
  std::uint32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    k = 2;
    cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    k = 3;
    cp = c & 0x0Fu;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    k = 4;
    cp = c & 0x07u;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < k || s[1] < lo || s[1] > hi) return 0;
  cp = (cp << 6) | (s[1] & 0x3Fu);
  for (std::size_t i = 2; i < k; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3Fu);
  }
  len = k;
  return cp;
}

/// If `p` starts a numeric character reference `&#x` + 1-6 hex digits + `;`
/// whose value is a Unicode scalar value, returns its length and sets `cp`;
/// otherwise 0. The decoder reads these, the encoder writes them, and a
/// literal `&` that would read as one is written as `&#x26;`.
[[nodiscard]] inline std::size_t parse_ncr(const char* p, std::size_t n, std::uint32_t& cp) noexcept {
  if (n < 5 || p[0] != '&' || p[1] != '#' || p[2] != 'x') return 0;
  std::uint32_t v = 0;
  std::size_t i = 3;
  for (; i < n && i < 10; ++i) {
    char c = p[i];
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else break;
    v = v * 16 + d;
  }
  if (i == 3 || i >= n || p[i] != ';') return 0;
  if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  cp = v;
  return i + 1;
}

/// Writes `&#xXXXX;` (at least four upper-case hex digits) for `cp`.
inline void append_ncr(std::string& s, std::uint32_t cp) {
  static constexpr char hex[] = "0123456789ABCDEF";
  char buf[12];
  int n = 0;
  char digits[8];
  int d = 0;
  do {
    digits[d++] = hex[cp & 15];
    cp >>= 4;
  } while (cp || d < 4);
  buf[n++] = '&';
  buf[n++] = '#';
  buf[n++] = 'x';
  while (d) buf[n++] = digits[--d];
  buf[n++] = ';';
  s.append(buf, static_cast<std::size_t>(n));
}

/// `U+0301` for messages.
inline std::string code_point_name(std::uint32_t cp) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string s = "U+";
  char digits[8];
  int d = 0;
  do {
    digits[d++] = hex[cp & 15];
    cp >>= 4;
  } while (cp || d < 4);
  while (d) s += digits[--d];
  return s;
}

/// `0xC9` or `0x21 0x7B 0x7E` for messages.
inline std::string byte_names(std::string_view bytes) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string s;
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (!s.empty()) s += ' ';
    s += "0x";
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}

/// The East Asian character of the three 7-bit bytes, or 0.
[[nodiscard]] inline std::uint32_t eacc_lookup(unsigned b1, unsigned b2, unsigned b3) noexcept {
  if (b1 - 0x21u > 93u || b2 - 0x21u > 93u) return 0;
  const unsigned k = (b1 - 0x21u) * 94u + (b2 - 0x21u);
  const std::uint8_t* first = m8t::eacc_third + m8t::eacc_offsets[k];
  const std::uint8_t* last = m8t::eacc_third + m8t::eacc_offsets[k + 1];
  const std::uint8_t* it = std::lower_bound(first, last, static_cast<std::uint8_t>(b3));
  if (it == last || *it != b3) return 0;
  return m8t::eacc_ucs[it - m8t::eacc_third];
}

/// The EACC code (three bytes in one integer) of entry `i` of the EACC tables.
[[nodiscard]] inline std::uint32_t eacc_code(std::size_t i) noexcept {
  const std::uint16_t* off = m8t::eacc_offsets;
  // The (b1, b2) bucket holding entry i: the last offset <= i.
  const std::uint16_t* b = std::upper_bound(off, off + 94 * 94 + 1, static_cast<std::uint16_t>(i)) - 1;
  const auto k = static_cast<std::uint32_t>(b - off);
  return ((k / 94 + 0x21) << 16) | ((k % 94 + 0x21) << 8) | m8t::eacc_third[i];
}

/// Index into the EACC tables of the code written for `cp`, or -1.
[[nodiscard]] inline long eacc_find(std::uint32_t cp) noexcept {
  const std::uint16_t* first = m8t::eacc_by_ucs;
  const std::uint16_t* last = first + m8t::eacc_encoding_count;
  const std::uint16_t* it =
      std::lower_bound(first, last, cp, [](std::uint16_t i, std::uint32_t v) { return m8t::eacc_ucs[i] < v; });
  if (it == last || m8t::eacc_ucs[*it] != cp) return -1;
  return *it;
}

/// The single-byte and C1 ways to write `cp`: [first, last) of `encodings`.
[[nodiscard]] inline std::pair<const m8t::encoding*, const m8t::encoding*> single_find(std::uint32_t cp) noexcept {
  return std::equal_range(m8t::encodings, m8t::encodings + m8t::encoding_count, m8t::encoding{cp, 0, 0, false},
                          [](const m8t::encoding& a, const m8t::encoding& b) { return a.cp < b.cp; });
}

/// The MARC-8 decomposition of precomposed `cp`: [first, last) of
/// `decomposition_parts`, empty if none.
[[nodiscard]] inline std::pair<const std::uint32_t*, const std::uint32_t*> decomposition_find(std::uint32_t cp) noexcept {
  const m8t::decomposition* first = m8t::decompositions;
  const m8t::decomposition* last = first + m8t::decomposition_count;
  const m8t::decomposition* it =
      std::lower_bound(first, last, cp, [](const m8t::decomposition& d, std::uint32_t v) { return d.cp < v; });
  if (it == last || it->cp != cp) return {nullptr, nullptr};
  return {m8t::decomposition_parts + it->first, m8t::decomposition_parts + it->first + it->count};
}

/// The index of the double diacritic whose second half is G1 byte `b`, or -1.
[[nodiscard]] inline int second_half_index(unsigned b) noexcept {
  for (int k = 0; k < static_cast<int>(std::size(m8t::doubles)); ++k)
    if (m8t::doubles[k][1] == b) return k;
  return -1;
}
/// The index of the double diacritic `cp` (first half), or -1.
[[nodiscard]] inline int double_index(std::uint32_t cp) noexcept {
  for (int k = 0; k < static_cast<int>(std::size(m8t::doubles)); ++k)
    if (m8t::doubles[k][2] == cp) return k;
  return -1;
}

/// "G0 Basic Latin (ASCII), G1 Extended Latin (ANSEL)".
inline std::string describe_sets(std::uint8_t g0, std::uint8_t g1) {
  std::string s = "G0 ";
  s += set_name(g0);
  s += ", G1 ";
  s += set_name(g1);
  return s;
}

/// A fault found by a converter: where in its input, what, and the bytes.
struct charset_fault {
  errc code = errc::ok;
  severity level = severity::repair;
  std::size_t pos = 0;
  std::string message;
  std::string_view original;
};

/// MARC-8 to UTF-8. Reusable: each call starts from the default sets.
class marc8_decoder {
 public:
  /// Appends the UTF-8 form of `in` to `out`; each fault goes to
  /// `sink(charset_fault&&)`. With `stop`, the first fault ends the call:
  /// it returns false and `out` is as it was.
  template <class Sink>
  bool convert(std::string_view in, std::string& out, bool stop, bool ncr, Sink&& sink) {
    g0_ = m8t::basic_latin;
    g1_ = m8t::ansel;
    const char* const p = in.data();
    const std::size_t n = in.size();
    const char amp = ncr ? '&' : '\x1B';
    const std::size_t old = out.size();
    // Nearly all MARC-8 text is plain ASCII: copied as it is, a block at a
    // time (still in the first-level cache when it is copied).
    std::size_t i = 0;
    for (;;) {
      const std::size_t block = std::min<std::size_t>(n - i, 4096);
      const std::size_t k = find_ascii_stop(p + i, block, '\x1B', amp);
      out.append(p + i, k);
      i += k;
      if (k < block || i == n) break;
    }
    if (i == n) return true;
    // The rest is written through `w`. No input byte yields more than three
    // output bytes (see docs/charsets.md), so room for three times the input
    // of a segment, plus the marks still waiting, is made before each one.
    char* w = out.data() + out.size();
    std::size_t segment_end = i;
    auto make_room = [&](std::size_t input) {
      const auto used = static_cast<std::size_t>(w - out.data());
      const std::size_t need = used + 3 * input + marks_.size() + 4;
      if (need > out.size()) out.resize(std::max(need, out.size() + out.size() / 2));
      w = out.data() + used;
    };
    marks_.clear();
    marks_at_ = 0;
    first_mark_ = 0;
    nmarks_ = 0;
    pending_doubles_ = expect_ = 0;
    auto base = [&](std::uint32_t cp) {
      w = put_utf8(w, cp);
      if (!marks_.empty()) {
        std::memcpy(w, marks_.data(), marks_.size());
        w += marks_.size();
        marks_.clear();
        nmarks_ = 0;
      }
      expect_ = pending_doubles_;
      pending_doubles_ = 0;
    };
    auto fail = [&](charset_fault&& f, const char* action = "; it is replaced by U+FFFD") {
      f.level = stop ? severity::error : severity::repair;
      if (!stop) f.message += action;
      sink(std::move(f));
      if (stop) out.resize(old);
      return !stop;
    };
    while (i < n) {
      if (i >= segment_end) {
        // The longest sequence (a numeric character reference) is 10 bytes.
        segment_end = std::min(n, i + 16384);
        make_room(segment_end - i + 10);
      }
      if (g0_ == m8t::basic_latin && marks_.empty()) {
        std::size_t k = find_ascii_stop(p + i, segment_end - i, '\x1B', amp);
        if (k) {
          std::memcpy(w, p + i, k);
          w += k;
          i += k;
          expect_ = 0;
          continue;
        }
      }
      const auto c = static_cast<unsigned char>(p[i]);
      if (c < 0x21 || c == 0x7F) {
        if (c != 0x1B) {  // C0 controls, space and DEL are the same in every set
          base(c);
          ++i;
          continue;
        }
        std::size_t len = escape(p + i, n - i);
        if (len) {
          i += len;
          continue;
        }
        charset_fault f;
        f.code = errc::bad_escape_sequence;
        f.pos = i;
        f.original = in.substr(i, std::min<std::size_t>(n - i, 4));
        f.message = describe_bad_escape(in.substr(i)) + " (" + describe_sets(g0_, g1_) + ")";
        if (!fail(std::move(f), "; the escape byte is replaced by U+FFFD and the bytes after it are read as text"))
          return false;
        base(0xFFFD);
        ++i;
        continue;
      }
      if (c >= 0x80 && c <= 0xA0) {
        std::uint32_t cp = 0;
        for (const auto& e : m8t::c1)
          if (e[0] == c) cp = e[1];
        if (cp) {
          base(cp);
          ++i;
          continue;
        }
        charset_fault f;
        f.code = errc::unmapped_marc8;
        f.pos = i;
        f.original = in.substr(i, 1);
        f.message = "the byte " + byte_names(in.substr(i, 1)) + " is no MARC-8 character (" + describe_sets(g0_, g1_) + ")";
        if (!fail(std::move(f))) return false;
        base(0xFFFD);
        ++i;
        continue;
      }
      if (c == 0xFF) {
        charset_fault f;
        f.code = errc::unmapped_marc8;
        f.pos = i;
        f.original = in.substr(i, 1);
        f.message = "the byte 0xFF is no MARC-8 character (" + describe_sets(g0_, g1_) + ")";
        if (!fail(std::move(f))) return false;
        base(0xFFFD);
        ++i;
        continue;
      }
      // A graphic character: 0x21-0x7E in G0, 0xA1-0xFE in G1.
      const bool high = c >= 0x80;
      const std::uint8_t set = high ? g1_ : g0_;
      if (set == eacc_index) {
        std::uint32_t cp = 0;
        if (i + 3 <= n) {
          const auto b2 = static_cast<unsigned char>(p[i + 1]), b3 = static_cast<unsigned char>(p[i + 2]);
          // All three bytes in the same half; the third may be a space.
          const bool same = high ? (b2 >= 0xA1 && b2 <= 0xFE && b3 >= 0xA0 && b3 <= 0xFE)
                                 : (b2 >= 0x21 && b2 <= 0x7E && b3 >= 0x20 && b3 <= 0x7E);
          if (same) cp = eacc_lookup(c & 0x7Fu, b2 & 0x7Fu, b3 & 0x7Fu);
        }
        if (cp) {
          base(cp);
          i += 3;
          continue;
        }
        charset_fault f;
        f.code = errc::unmapped_marc8;
        f.pos = i;
        f.original = in.substr(i, std::min<std::size_t>(3, n - i));
        f.message = (i + 3 > n ? "the text ends inside an East Asian character (" + byte_names(f.original) + ")"
                               : "the bytes " + byte_names(f.original) + " are no character of the East Asian set") +
                    " (" + describe_sets(g0_, g1_) + ")";
        if (!fail(std::move(f), "; the first byte is replaced by U+FFFD and the next one read as the start of a character"))
          return false;
        base(0xFFFD);
        ++i;
        continue;
      }
      const unsigned code = c & 0x7Fu;
      if (ncr && c == '&' && g0_ == m8t::basic_latin) {
        std::uint32_t cp;
        if (std::size_t len = parse_ncr(p + i, n - i, cp)) {
          base(cp);
          i += len;
          continue;
        }
        base('&');
        ++i;
        continue;
      }
      const std::uint32_t v = m8t::single[set][code];
      if (!v) {
        charset_fault f;
        f.code = errc::unmapped_marc8;
        f.pos = i;
        f.original = in.substr(i, 1);
        f.message = "the byte " + byte_names(f.original) + " is no character of " + std::string(set_name(set)) +
                    ", the set in " + (high ? "G1" : "G0") + " (" + describe_sets(g0_, g1_) + ")";
        if (!fail(std::move(f))) return false;
        base(0xFFFD);
        ++i;
        continue;
      }
      if (v & m8t::combining) {
        const std::uint32_t cp = v & ~m8t::combining;
        if (set == m8t::ansel) {
          int k = second_half_index(code | 0x80u);
          if (k >= 0 && (expect_ & (1u << k))) {
            // The second half of a double diacritic whose first half is
            // already written after the first character it spans.
            expect_ &= ~(1u << k);
            ++i;
            continue;
          }
          k = double_index(cp);
          if (k >= 0) pending_doubles_ |= 1u << k;
        }
        if (marks_.empty()) {
          marks_at_ = i;
          first_mark_ = cp;
        }
        ++nmarks_;
        append_utf8(marks_, cp);
        ++i;
        continue;
      }
      base(v);
      ++i;
    }
    if (!marks_.empty()) {
      charset_fault f;
      f.code = errc::dangling_combining_mark;
      f.pos = marks_at_;
      f.original = in.substr(marks_at_, i - marks_at_);
      f.level = stop ? severity::error : severity::repair;
      f.message = "the combining mark " + code_point_name(first_mark_) +
                  (nmarks_ > 1 ? " and " + std::to_string(nmarks_ - 1) + " more" : std::string()) +
                  " at the end of the text " + (nmarks_ > 1 ? "have no character after them" : "has no character after it") +
                  " to combine with";
      if (!stop) f.message += "; kept at the end";
      sink(std::move(f));
      if (stop) {
        out.resize(old);
        return false;
      }
      std::memcpy(w, marks_.data(), marks_.size());
      w += marks_.size();
      marks_.clear();
    }
    out.resize(static_cast<std::size_t>(w - out.data()));
    return true;
  }

  /// True if the last call ended with the default sets designated (a value
  /// that leaves G0 or G1 changed relies on the reset at the next subfield).
  [[nodiscard]] bool at_default() const noexcept { return g0_ == m8t::basic_latin && g1_ == m8t::ansel; }

 private:
  // The length of the escape sequence at `p` (p[0] is ESC) if it designates
  // a MARC-8 set, applying it; 0 otherwise.
  std::size_t escape(const char* p, std::size_t n) noexcept {
    if (n < 2) return 0;
    switch (p[1]) {
      case 's': g0_ = m8t::basic_latin; return 2;
      case 'g': g0_ = m8t::greek_symbols; return 2;
      case 'b': g0_ = m8t::subscripts; return 2;
      case 'p': g0_ = m8t::superscripts; return 2;
      default: break;
    }
    std::size_t i = 1;
    bool multi = false;
    if (p[i] == '$') {
      multi = true;
      ++i;
    }
    bool g1 = false;
    if (i < n && (p[i] == '(' || p[i] == ',')) {
      ++i;
    } else if (i < n && (p[i] == ')' || p[i] == '-')) {
      g1 = true;
      ++i;
    } else if (!multi) {
      return 0;
    }
    if (i < n && p[i] == '!') ++i;  // ESC ( ! E, ESC ) ! E: ANSEL written with an intermediate !
    if (i >= n) return 0;
    std::uint8_t s = multi ? (p[i] == '1' ? eacc_index : no_set) : single_set_from_final(p[i]);
    if (s == no_set) return 0;
    (g1 ? g1_ : g0_) = s;
    return i + 1;
  }

  // "an escape sequence (ESC ( X) that designates no MARC-8 character set".
  static std::string describe_bad_escape(std::string_view s) {
    if (s.size() < 2) return "the text ends with an escape byte (0x1B)";
    std::string shown = "ESC";
    std::size_t k = 1;
    for (; k < s.size() && static_cast<unsigned char>(s[k]) >= 0x20 && static_cast<unsigned char>(s[k]) <= 0x2F; ++k) {
      shown += ' ';
      shown += s[k];
    }
    if (k >= s.size()) return "the text ends inside an escape sequence (" + shown + ")";
    auto c = static_cast<unsigned char>(s[k]);
    shown += ' ';
    shown += c > 0x20 && c < 0x7F ? std::string(1, static_cast<char>(c)) : byte_names(s.substr(k, 1));
    return "an escape sequence (" + shown + ") that designates no MARC-8 character set";
  }

  std::string marks_;  // UTF-8 of the combining marks waiting for their base
  std::size_t marks_at_ = 0;
  std::uint32_t first_mark_ = 0;
  unsigned nmarks_ = 0;
  unsigned pending_doubles_ = 0;  // double diacritics among the waiting marks
  unsigned expect_ = 0;           // double diacritics whose second half may follow
  std::uint8_t g0_ = m8t::basic_latin;
  std::uint8_t g1_ = m8t::ansel;
};

/// UTF-8 to MARC-8. Reusable: each call starts from, and ends with, the
/// default sets.
class marc8_encoder {
 public:
  /// Appends the MARC-8 form of `in` to `out`; faults and warnings go to
  /// `sink(charset_fault&&)`. With `stop`, the first fault (not a warning)
  /// ends the call: it returns false and `out` is as it was.
  template <class Sink>
  bool convert(std::string_view in, std::string& out, bool stop, bool ncr, Sink&& sink) {
    g0_ = m8t::basic_latin;
    g1_ = m8t::ansel;
    const char* const p = in.data();
    const std::size_t n = in.size();
    std::size_t i = find_ascii_stop(p, n, '\x1B', '&');
    if (i == n) {
      out.append(p, n);
      return true;
    }
    const std::size_t old = out.size();
    out_ = &out;
    ok_ = true;
    stop_ = stop;
    ncr_ = ncr;
    has_base_ = false;
    marks_.clear();
    // The run before the first special byte: all but its last character are
    // written now (a combining mark may follow the last).
    if (i > 1) out.append(p, i - 1);
    if (i > 0) set_base(unit{static_cast<unsigned char>(p[i - 1]), i - 1, kind::ascii});
    auto fault = [&](charset_fault&& f) {
      if (f.level == severity::warning) {
        sink(std::move(f));
        return true;
      }
      f.level = stop ? severity::error : severity::repair;
      sink(std::move(f));
      if (stop) ok_ = false;
      return !stop;
    };
    while (i < n) {
      // A run of ASCII: all but its last character are written as they are
      // (a combining mark may follow the last) while G0 is Basic Latin.
      if (std::size_t k = find_ascii_stop(p + i, n - i, '\x1B', '&'); k > 1) {
        flush();
        if (g0_ == m8t::basic_latin) {
          out.append(p + i, k - 1);
          i += k - 1;
        }
      }
      std::size_t len;
      std::uint32_t cp = read_utf8(p + i, n - i, len);
      if (!len) {
        charset_fault f;
        f.code = errc::invalid_utf8;
        f.pos = i;
        f.original = in.substr(i, 1);
        f.message = "the byte " + byte_names(f.original) + " is not part of a UTF-8 character";
        if (!stop) f.message += ncr_ ? "; it is written as &#xFFFD; (U+FFFD)" : "; it is written as |";
        if (!fault(std::move(f))) break;
        // The replacement is a character, as a U+FFFD in the text is: marks
        // after it combine with it.
        flush();
        set_base(unit{0xFFFD, i, kind::none});
        ++i;
        continue;
      }
      if (cp == '&') {
        std::uint32_t dummy;
        add(unit{cp, i, parse_ncr(p + i, n - i, dummy) ? kind::amp : kind::ascii}, fault);
      } else if (cp < 0x80) {
        add(unit{cp, i, cp == 0x1B ? kind::none : kind::ascii}, fault);
      } else if (auto r = single_find(cp); r.first != r.second) {
        add(unit{cp, i, r.first->is_combining ? kind::mark : kind::single}, fault);
      } else if (eacc_find(cp) >= 0) {
        add(unit{cp, i, kind::eacc}, fault);
      } else if (auto d = decomposition_find(cp); d.first) {
        for (const std::uint32_t* q = d.first; q != d.second; ++q) {
          auto rr = single_find(*q);
          add(unit{*q, i, *q < 0x80                                        ? kind::ascii
                          : rr.first != rr.second && rr.first->is_combining ? kind::mark
                          : rr.first != rr.second                           ? kind::single
                                                                            : kind::eacc},
              fault);
        }
      } else {
        add(unit{cp, i, kind::none}, fault);
      }
      if (!ok_) break;
      i += len;
    }
    if (ok_) {
      flush();
      if (ok_) {
        designate(m8t::basic_latin);
        designate(m8t::ansel);
      }
    }
    if (!ok_) {
      out.resize(old);
      return false;
    }
    return true;
  }

 private:
  enum class kind : std::uint8_t {
    ascii,   // U+0000-U+007F but ESC: written as it is (graphic ones with G0 Basic Latin)
    amp,     // an & that would read as a numeric character reference: &#x26;
    single,  // a character of a single-byte set (or a C1 control)
    mark,    // a combining mark of a single-byte set
    eacc,    // an East Asian character
    none,    // no MARC-8 character: a numeric character reference
  };
  struct unit {
    std::uint32_t cp;
    std::size_t pos;
    kind k;
  };

  template <class Fault>
  void add(unit u, Fault& fault) {
    if (u.k == kind::mark) {
      if (has_base_) {
        marks_.push_back(u);
        return;
      }
      // A combining mark with nothing before it to combine with: in MARC-8
      // it would combine with the character after it.
      charset_fault f;
      f.code = errc::dangling_combining_mark;
      f.pos = u.pos;
      f.message = "the combining mark " + code_point_name(u.cp) + " has no character before it to combine with";
      if (ncr_) {
        f.level = severity::warning;
        f.message += "; it is written as a numeric character reference";
      } else if (!stop_) {
        f.message += "; it is written as |";
      }
      if (!fault(std::move(f))) return;
      write_unrepresentable(u.cp);
      return;
    }
    if (u.k == kind::none) {
      charset_fault f;
      f.code = errc::unrepresentable_character;
      f.pos = u.pos;
      if (ncr_) {
        f.level = severity::warning;
        f.message = code_point_name(u.cp) + " is no MARC-8 character; it is written as a numeric character reference";
      } else {
        f.message = code_point_name(u.cp) + " is no MARC-8 character";
        if (!stop_) f.message += "; it is written as |";
      }
      if (!fault(std::move(f))) return;
    }
    flush();
    set_base(u);
  }

  void set_base(unit u) {
    base_ = u;
    has_base_ = true;
  }

  // Writes the waiting character: its combining marks first, then itself,
  // then the second halves of its double diacritics.
  void flush() {
    if (!has_base_) return;
    has_base_ = false;
    unsigned doubles = 0;
    for (const unit& m : marks_) {
      write_single(m.cp);
      int k = double_index(m.cp);
      if (k >= 0) doubles |= 1u << k;
    }
    switch (base_.k) {
      case kind::ascii:
        if (base_.cp > 0x20 && base_.cp < 0x7F) {
          // Punctuation and digits stay in a designated script set that has
          // them (Hebrew, Cyrillic, Arabic...); letters go back to Basic Latin.
          if (g0_ == eacc_index || m8t::single[g0_][base_.cp] != base_.cp) designate(m8t::basic_latin);
        } else if (base_.cp == 0x20 && g0_ == eacc_index) {
          // A space between East Asian characters is written in Basic Latin,
          // as East Asian records do (readers that count EACC bytes in threes
          // stay aligned).
          designate(m8t::basic_latin);
        }
        out_->push_back(static_cast<char>(base_.cp));
        break;
      case kind::amp:
        designate(m8t::basic_latin);
        out_->append("&#x26;");
        break;
      case kind::single:
      case kind::mark:
        write_single(base_.cp);
        break;
      case kind::eacc: {
        designate(eacc_index);
        std::uint32_t code = eacc_code(static_cast<std::size_t>(eacc_find(base_.cp)));
        out_->push_back(static_cast<char>(code >> 16));
        out_->push_back(static_cast<char>((code >> 8) & 0xFF));
        out_->push_back(static_cast<char>(code & 0xFF));
        break;
      }
      case kind::none:
        write_unrepresentable(base_.cp);
        break;
    }
    for (int k = 0; doubles; ++k, doubles >>= 1)
      if (doubles & 1) {
        designate(m8t::ansel);
        out_->push_back(static_cast<char>(m8t::doubles[k][1]));
      }
    marks_.clear();
  }

  void write_unrepresentable(std::uint32_t cp) {
    designate(m8t::basic_latin);
    if (ncr_) append_ncr(*out_, cp);
    else out_->push_back('|');
  }

  // Writes a character of a single-byte set (or a C1 control), choosing a
  // set already designated when one holds it, the preferred set otherwise.
  void write_single(std::uint32_t cp) {
    auto [first, last] = single_find(cp);
    const m8t::encoding* e = first;
    for (const m8t::encoding* q = first; q != last; ++q)
      if (q->set == m8t::c1_set || q->set == g0_ || q->set == g1_) {
        e = q;
        break;
      }
    if (e->set == m8t::c1_set) {
      out_->push_back(static_cast<char>(e->code));
      return;
    }
    designate(e->set);
    out_->push_back(static_cast<char>(m8t::single_sets[e->set].g1 ? e->code | 0x80u : e->code));
  }

  // Designates set `s` into the register the encoder uses for it.
  void designate(std::uint8_t s) {
    if (s != eacc_index && m8t::single_sets[s].g1) {
      if (g1_ == s) return;
      g1_ = s;
      out_->append({'\x1B', ')', m8t::single_sets[s].final_byte});
      return;
    }
    if (g0_ == s) return;
    if (s == eacc_index) {
      out_->append("\x1B$1");
    } else if (s == m8t::basic_latin) {
      out_->append(is_technique1(g0_) ? "\x1Bs" : "\x1B(B");
    } else if (is_technique1(s)) {
      out_->append({'\x1B', m8t::single_sets[s].final_byte});
    } else {
      out_->append({'\x1B', '(', m8t::single_sets[s].final_byte});
    }
    g0_ = s;
  }

  std::string* out_ = nullptr;
  std::vector<unit> marks_;
  unit base_{};
  bool has_base_ = false;
  bool ok_ = true;
  bool stop_ = false;
  bool ncr_ = true;
  std::uint8_t g0_ = m8t::basic_latin;
  std::uint8_t g1_ = m8t::ansel;
};

}  // namespace detail

namespace marc8 {

/// The LoC name of a set, e.g. `"Extended Latin (ANSEL)"`.
[[nodiscard]] inline std::string_view to_string(charset c) noexcept {
  std::uint8_t s = detail::set_from_charset(c);
  return s == detail::no_set ? std::string_view("unknown") : detail::set_name(s);
}

namespace detail_api {
inline constexpr std::size_t max_per_kind = 16;
template <class Codec, class Options>
diagnostic run(Codec& codec, std::string_view in, std::string& out, const Options& opts,
               std::vector<diagnostic>* report) {
  const bool stop = opts.policy != error_policy::lenient;
  diagnostic error;
  std::size_t listed[8] = {};
  errc kinds[8] = {};
  std::size_t more[8] = {};
  severity more_level[8] = {};  // the highest level among the faults counted, not listed
  unsigned nkinds = 0;
  auto sink = [&](detail::charset_fault&& f) {
    diagnostic d;
    d.code = f.code;
    d.level = f.level;
    d.offset = f.pos;
    d.original.assign(f.original);
    d.message = std::move(f.message);
    if (d.level == severity::error) {
      error = std::move(d);
      return;
    }
    if (!report) return;
    unsigned k = 0;
    while (k < nkinds && kinds[k] != d.code) ++k;
    if (k == nkinds && nkinds < 8) kinds[nkinds++] = d.code;
    if (k < 8 && listed[k] >= max_per_kind) {
      ++more[k];
      more_level[k] = std::max(more_level[k], d.level);
      return;
    }
    if (k < 8) ++listed[k];
    report->push_back(std::move(d));
  };
  bool ok = codec.convert(in, out, stop, opts.numeric_references, sink);
  if (report)
    for (unsigned k = 0; k < nkinds; ++k)
      if (more[k]) {
        diagnostic d;
        d.code = kinds[k];
        d.level = more_level[k];  // a count of warnings is a warning
        d.message = std::to_string(more[k]) + " more " + std::string(marcpp::to_string(kinds[k])) +
                    " faults like the ones above are not listed one by one";
        report->push_back(std::move(d));
      }
  if (!ok) return error;
  return {};
}
}  // namespace detail_api

/// Appends the UTF-8 form of MARC-8 `in` to `out`. Returns an empty
/// diagnostic on success. Under `strict` (or `skip`) the first fault stops
/// the conversion: it is returned (with its offset in `in`, the bytes, and
/// the sets in use) and `out` is left as it was. Under `lenient`, faults are
/// repaired (U+FFFD) and, if `report` is given, appended to it (at most 16
/// of a kind, then a count).
[[nodiscard]] inline diagnostic decode(std::string_view in, std::string& out, const decode_options& opts = {},
                                       std::vector<diagnostic>* report = nullptr) {
  detail::marc8_decoder codec;
  return detail_api::run(codec, in, out, opts, report);
}

/// Appends the MARC-8 form of UTF-8 `in` to `out`, starting and ending with
/// the default sets. Returns as `decode` does; characters written as numeric
/// character references are reported as warnings.
[[nodiscard]] inline diagnostic encode(std::string_view in, std::string& out, const encode_options& opts = {},
                                       std::vector<diagnostic>* report = nullptr) {
  detail::marc8_encoder codec;
  return detail_api::run(codec, in, out, opts, report);
}

/// The UTF-8 form of MARC-8 `in`; throws `marcpp::error` if `decode` fails.
[[nodiscard]] inline std::string to_utf8(std::string_view in, const decode_options& opts = {}) {
  std::string s;
  if (auto err = decode(in, s, opts)) throw_error(std::move(err));
  return s;
}

/// The MARC-8 form of UTF-8 `in`; throws `marcpp::error` if `encode` fails.
[[nodiscard]] inline std::string from_utf8(std::string_view in, const encode_options& opts = {}) {
  std::string s;
  if (auto err = encode(in, s, opts)) throw_error(std::move(err));
  return s;
}

}  // namespace marc8

MARCPP_NAMESPACE_END
