// SPDX-License-Identifier: MIT
#pragma once

// What the writers of the text formats (MARCXML, MARC-in-JSON, MARCMaker)
// share: diagnostics naming the record, the gate where records meet the
// Unicode-only formats (and are converted to UTF-8 as `to_utf8` converts
// them), marcpp's original form for what a format cannot hold as it is, the
// escape loops, and the buffered stream.
//
// The escape loops look at 16 bytes at a time (SSE2) for the few bytes that
// need attention: markup characters, control characters and non-ASCII
// bytes (checked as UTF-8). Runs of ordinary bytes are appended whole.

#include <marcpp/charset.hpp>
#include <marcpp/config.hpp>
#include <marcpp/detail/simd.hpp>
#include <marcpp/error.hpp>
#include <marcpp/iso2709_writer.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/read_options.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if MARCPP_HAS_SSE2
#  include <emmintrin.h>
#endif

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// A writer's diagnostic about `rec` (and its field `field_index`, if >= 0).
template <class Record>
[[nodiscard]] diagnostic writer_diagnostic(const Record& rec, errc code, severity level, std::int64_t field_index,
                                           std::string message) {
  diagnostic d;
  d.code = code;
  d.level = level;
  d.record_index = rec.index();
  d.record_offset = rec.offset();
  if (field_index >= 0 && static_cast<std::size_t>(field_index) < rec.fields().size()) {
    d.field_index = static_cast<std::int32_t>(field_index);
    const auto& f = rec.fields()[static_cast<std::size_t>(field_index)];
    d.tag = f.tag();
    if (!d.tag.is_valid() && f.has_tag_chars()) d.original.assign(f.tag_chars().data(), 3);
  }
  d.control_number.assign(rec.control_number());
  d.message = std::move(message);
  return d;
}

/// True if every value of `rec` is text that MARC-8 and UTF-8 read alike:
/// no byte at or above 0x80, no escape (0x1B) and, when numeric character
/// references are decoded, no `&#`. Such a record needs no conversion.
template <class Record>
[[nodiscard]] bool plain_ascii_text(const Record& rec, bool numeric_references) {
  bool plain = true;
  for_each_text(rec, [&](std::string_view s, std::int32_t, marcpp::tag) {
    if (!plain) return;
    const char* p = s.data();
    const std::size_t n = s.size();
    std::size_t i = find_ascii_stop(p, n, '\x1B', '&');
    while (i < n) {
      if (p[i] != '&' || (numeric_references && i + 1 < n && p[i + 1] == '#')) {
        plain = false;
        return;
      }
      ++i;
      i += find_ascii_stop(p + i, n - i, '\x1B', '&');
    }
  });
  return plain;
}

/// True when a MARC-8 record can be decoded value by value as it is
/// written, with the outcome `to_utf8` would give when it reports nothing:
/// no normalisation, and the bytes read as MARC-8 (said so, or leader/09
/// blank and the bytes agree).
template <class Record>
[[nodiscard]] bool marc8_streamable(const Record& rec, const charset_options& charset) {
  if (charset.normalize || charset.from == source_encoding::utf8) return false;
  return charset.from == source_encoding::marc8 ||
         (rec.leader().coding_scheme() == ' ' && check_encoding(rec).agrees());
}

/// Decodes the values of a MARC-8 record as a text writer writes them.
struct marc8_values {
  marc8_decoder* dec;
  std::string* scratch;
  bool ncr;
  bool failed = false;
  /// Makes `v` its UTF-8 form (unchanged when it is plain ASCII); false, with
  /// `failed` set, at the first fault of any level.
  bool decode(std::string_view& v) {
    if (find_ascii_stop(v.data(), v.size(), '\x1B', '&') == v.size()) return true;
    scratch->clear();
    bool clean = true;
    if (!dec->convert(v, *scratch, true, ncr, [&](charset_fault&&) { clean = false; }) || !clean) {
      failed = true;
      return false;
    }
    v = *scratch;
    return true;
  }
};

/// How a writer of a Unicode-only format writes the record it is given
/// (see `write_unicode`).
struct unicode_write {
  /// Leader/09 as written, if not 0 (a MARC-8 record written in UTF-8).
  char flag = 0;
  /// Decodes every value from MARC-8 on the way.
  marc8_values* m8 = nullptr;
  /// Set, if not null, when the record turns out not to be the UTF-8 it is
  /// written as (bytes that are not UTF-8, or an escape that may begin
  /// MARC-8): the writer then stops, leaves the output as it was, and the
  /// record goes to `to_utf8`.
  bool* not_unicode = nullptr;
};

/// The one place where a record meets a format that holds only Unicode
/// (MARCXML, MARC-in-JSON): the record is written as `to_utf8(rec,
/// converted, charset)` makes it, with its leader/09 `a`, and what the
/// conversion reports (not the record's earlier diagnostics) is appended to
/// `warnings`. `write(r, how)` writes a record (`rec`, or its converted
/// copy) and returns its diagnostic. Three ways lead there:
///
/// - leader/09 `a` (unless `charset.from` says MARC-8): written as it is,
///   its values checked as UTF-8 on the way. Bytes that are not UTF-8, or
///   an escape (0x1B), stop the writing, and the record goes through
///   `to_utf8`, which tells MARC-8 by its bytes or repairs the bytes
///   (U+FFFD). A clean UTF-8 record is so written from its own bytes.
/// - leader/09 blank (or `charset.from` MARC-8): MARC-8 text is decoded value
///   by value as it is written, when the bytes agree and the decoder meets
///   no fault; plain ASCII text is written as it is with leader/09 `a`;
///   anything else goes through `to_utf8`.
/// - any other leader/09: through `to_utf8` (MARC-8 by default, unless the
///   bytes say UTF-8; either way an `encoding_mismatch` warning).
///
/// With `convert` false, nothing is converted: a record with leader/09
/// blank is refused (`marc8_needs_conversion`), any other is written as it
/// is, and bytes that are not UTF-8 refuse it.
template <class Record, class Write>
[[nodiscard]] diagnostic write_unicode(const Record& rec, std::string& out, std::string_view format_name, bool convert,
                                       const charset_options& charset, std::vector<diagnostic>* warnings,
                                       Write&& write) {
  const char flag = rec.leader().coding_scheme();
  if (!convert) {
    if (flag != ' ') return write(rec, unicode_write{});
    return writer_diagnostic(rec, errc::marc8_needs_conversion, severity::error, -1,
                             "leader/09 is blank: the record is in MARC-8 (or another 8-bit character set); " +
                                 std::string(format_name) +
                                 " holds only Unicode, and conversion to UTF-8 is turned off (convert_marc8); the "
                                 "record is not written");
  }
  if (MARCPP_LIKELY(flag == 'a' && charset.from != source_encoding::marc8)) {
    bool not_unicode = false;
    diagnostic d = write(rec, unicode_write{0, nullptr, &not_unicode});
    if (MARCPP_LIKELY(!not_unicode)) return d;
  } else if (flag == ' ' || charset.from == source_encoding::marc8) {
    if (marc8_streamable(rec, charset)) {
      // Decoded as it is written. A fault of the decoder (of any level)
      // sends the record the long way, through `to_utf8`, which reports it.
      const std::size_t old = out.size(), warned = warnings ? warnings->size() : 0;
      marc8_decoder dec;
      thread_local std::string scratch;
      marc8_values values{&dec, &scratch, charset.numeric_references};
      const diagnostic d = write(rec, unicode_write{'a', &values});
      if (!d && !values.failed) return {};
      out.resize(old);
      if (warnings) warnings->resize(warned);
    } else if (charset.from != source_encoding::detect || flag == ' ') {
      if (plain_ascii_text(rec, charset.numeric_references)) return write(rec, unicode_write{'a'});
    }
  }
  record converted;
  if (diagnostic err = to_utf8(rec, converted, charset)) return err;
  if (warnings) {
    const auto all = converted.diagnostics();
    for (std::size_t i = rec.diagnostics().size(); i < all.size(); ++i) warnings->push_back(all[i]);
  }
  return write(converted, unicode_write{});
}

// ---- marcpp's original form --------------------------------------------
//
// What a text format cannot hold as it is (data before a field's first
// delimiter, indicator, code and leader bytes that are no character, and in
// MARCXML what MARC21slim.xsd does not allow) is written twice: as a
// substitute the format holds, which every reader sees, and as the original
// bytes, which marcpp's readers put back: in MARCXML a `<?marcpp ...?>`
// processing instruction before the element, in MARC-in-JSON a `marcpp_*`
// member. docs/formats.md describes both.
//
// The original bytes are written as text: UTF-8 characters as they are,
// and "%XX" (two upper-case hexadecimal digits) for '%', '"', '>', every
// byte below 0x20 and DEL, U+FFFE and U+FFFF, and each byte that is not
// part of a UTF-8 character.

/// Appends `bytes` in the escaped form. A byte that is not part of a UTF-8
/// character is allowed only where `structure(offset)` is true (an
/// indicator, a code, the leader); returns the offset of the first other
/// such byte (and `out` is then incomplete), or `npos`.
template <class Structure>
[[nodiscard]] std::size_t append_escaped_bytes(std::string& out, std::string_view bytes, Structure&& structure) {
  static constexpr char hex[] = "0123456789ABCDEF";
  auto escape = [&](unsigned char c) {
    const char e[3] = {'%', hex[c >> 4], hex[c & 15]};
    out.append(e, 3);
  };
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F || c == '%' || c == '"' || c == '>')
        escape(c);
      else
        out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence(p + i, n - i);
    if (len == 0) {
      if (!structure(i)) return i;
      escape(c);
      ++i;
      continue;
    }
    if (len == 3 && c == 0xEF && p[i + 1] == 0xBF && p[i + 2] >= 0xBE) {
      for (std::size_t k = 0; k < 3; ++k) escape(p[i + k]);
    } else {
      out.append(bytes.data() + i, len);
    }
    i += len;
  }
  return npos;
}

/// Decodes the escaped form into `out`; false if a '%' is not followed by
/// two hexadecimal digits.
[[nodiscard]] inline bool unescape_bytes(std::string_view text, std::string& out) {
  out.clear();
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return false;
    const int hi = digit(text[i + 1]), lo = digit(text[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

/// Why a field's bytes cannot be put into the original form: none, or the
/// fault the ISO 2709 writer would report for the same field.
struct body_fault {
  errc code = errc::ok;
  std::string message;
  explicit operator bool() const noexcept { return code != errc::ok; }
};

/// A data field's bytes as ISO 2709 holds them after its tag: its two
/// indicators (always two, whatever leader/10 says), then data before the
/// first delimiter, then each delimiter with its code and value. `codes`
/// receives the offsets of the indicator and code bytes. A field ISO 2709
/// cannot hold unambiguously (a delimiter or terminator byte in its data,
/// unlabelled data that is not first, a codeless delimiter with a value
/// where codes are two bytes) is a fault, as for the ISO 2709 writer.
template <class Field>
[[nodiscard]] body_fault field_body(const Field& f, unsigned code_len, std::string& body,
                                    std::vector<std::size_t>& codes) {
  body.clear();
  codes.clear();
  const auto is = f.indicators();
  for (std::size_t k = 0; k < 2; ++k) {
    if (is[k] == '\x1D' || is[k] == '\x1E' || is[k] == '\x1F')
      return {errc::invalid_data_byte, "an indicator is a delimiter or terminator byte"};
    codes.push_back(body.size());
    body.push_back(is[k]);
  }
  std::size_t k = 0;
  for (const auto& s : f.subfields()) {
    std::string_view v = s.value();
    if (v.find_first_of(std::string_view("\x1D\x1E\x1F", 3)) != std::string_view::npos)
      return {errc::invalid_data_byte, "a value holds a delimiter or terminator byte (0x1D-0x1F)"};
    switch (s.shape()) {
      case subfield_shape::normal:
        if (s.code() == '\x1D' || s.code() == '\x1E' || s.code() == '\x1F')
          return {errc::invalid_data_byte, "a subfield code is a delimiter or terminator byte"};
        if (code_len == 1)
          return {errc::invalid_subfield_layout,
                  "a subfield has a code, but leader/11 declares codes of no character (1): the code would be read "
                  "back as data"};
        body.push_back('\x1F');
        codes.push_back(body.size());
        body.push_back(s.code());
        break;
      case subfield_shape::unlabelled:
        if (k != 0) return {errc::invalid_subfield_layout, "unlabelled data can only come first in a field"};
        break;
      case subfield_shape::no_code:
        if (!v.empty() && code_len >= 2)
          return {errc::invalid_subfield_layout,
                  "a subfield without a code holds a value, which would be read back as a code"};
        body.push_back('\x1F');
        break;
    }
    body.append(v);
    ++k;
  }
  return {};
}

/// The data field tagged `t` whose bytes after the tag are `body` (as
/// `field_body` makes them), split as the ISO 2709 reader splits a field
/// under a leader whose subfield code length is `code_len`.
[[nodiscard]] inline field field_from_body(marcpp::tag t, std::string_view body, unsigned code_len) {
  field f(t, marcpp::indicators(body.size() > 0 ? body[0] : ' ', body.size() > 1 ? body[1] : ' '));
  std::string_view rest = body.substr(std::min<std::size_t>(body.size(), 2));
  std::size_t d = rest.find('\x1F');
  if (d != 0 && !rest.empty()) f.subfields().push_back(subfield::unlabelled(std::string(rest.substr(0, d))));
  while (d != std::string_view::npos) {
    const std::size_t e = rest.find('\x1F', d + 1);
    std::string_view piece = rest.substr(d + 1, e == std::string_view::npos ? std::string_view::npos : e - d - 1);
    if (code_len >= 2 && !piece.empty())
      f.subfields().emplace_back(piece[0], std::string(piece.substr(1)));
    else
      f.subfields().push_back(subfield::without_code(std::string(piece)));
    d = e;
  }
  return f;
}

/// `v` with each byte that is not part of a UTF-8 character, and (with
/// `xml`) U+FFFE and U+FFFF, replaced by U+FFFD: a substitute's text.
[[nodiscard]] inline std::string sanitized_text(std::string_view v, bool xml) {
  std::string out;
  out.reserve(v.size());
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  std::size_t i = 0;
  while (i < v.size()) {
    if (p[i] < 0x80) {
      out.push_back(v[i++]);
      continue;
    }
    const std::size_t len = utf8_sequence(p + i, v.size() - i);
    if (len == 0 || (xml && len == 3 && p[i] == 0xEF && p[i + 1] == 0xBF && p[i + 2] >= 0xBE)) {
      out.append("\xEF\xBF\xBD");
      i += len ? len : 1;
      continue;
    }
    out.append(v.substr(i, len));
    i += len;
  }
  return out;
}

/// Gives `to` the tag of `from`: its `tag()`, or the three bytes it keeps
/// of a tag `tag` cannot hold (none, if it has neither).
inline void copy_tag(field& to, const field& from) noexcept {
  if (MARCPP_LIKELY(from.tag().is_valid()) || !from.has_tag_chars()) {
    to.set_tag(from.tag());
    return;
  }
  const auto c = from.tag_chars();
  (void)to.set_tag_chars(std::string_view(c.data(), 3));
}

/// An owning copy of a field of either flavour.
[[nodiscard]] inline field owned_field(const field& f) { return f; }
[[nodiscard]] inline field owned_field(const field_view& f) { return field(f); }

/// Writes the three characters of `t` at `w`.
MARCPP_ALWAYS_INLINE void put_tag(char* w, tag t) noexcept {
  const auto c = t.chars();
  std::memcpy(w, c.data(), 3);
}

/// The tag bytes of field `f` as a message shows them (`245`, `30-`, `\x1F12`).
template <class Field>
[[nodiscard]] std::string shown_tag(const Field& f) {
  const auto c = f.tag_chars();
  return printable(std::string_view(c.data(), 3));
}

/// True for a byte that goes into an XML attribute value as it is.
[[nodiscard]] constexpr bool plain_attribute_byte(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x7F && c != '"' && c != '&' && c != '<';
}

// ---- UTF-8 ---------------------------------------------------------------

// utf8_sequence: detail/simd.hpp.

/// Index of the first byte of [p, p+n) that is below 0x20, at or above 0x80,
/// or equal to `a`, `b` or `c`; `n` if there is none. Every read stays
/// within [p, p+n): a last part shorter than a block is read as a block
/// that overlaps bytes already known to be plain.
[[nodiscard]] MARCPP_ALWAYS_INLINE std::size_t find_special(const char* p, std::size_t n, char a, char b,
                                                            char c) noexcept {
  std::size_t i = 0;
#if MARCPP_HAS_SSE2
  if (n >= 16) {
    const __m128i lim = _mm_set1_epi8(0x20);
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
    // Signed compare: bytes >= 0x80 are negative, so "< 0x20" catches them too.
    auto bits = [&](const char* q) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      __m128i m = _mm_or_si128(_mm_cmplt_epi8(x, lim), _mm_or_si128(_mm_cmpeq_epi8(x, va),
                                                                    _mm_or_si128(_mm_cmpeq_epi8(x, vb), _mm_cmpeq_epi8(x, vc))));
      return static_cast<std::uint32_t>(_mm_movemask_epi8(m));
    };
    for (; i + 16 <= n; i += 16)
      if (std::uint32_t m = bits(p + i)) return i + count_trailing_zeros(m);
    if (i == n) return n;
    // The last block overlaps bytes found plain: its lowest hit is past them.
    const std::uint32_t m = bits(p + n - 16);
    return m ? n - 16 + count_trailing_zeros(m) : n;
  }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && (defined(__GNUC__) || defined(__clang__))
  // Eight bytes at a time: the lowest byte each test flags is a real hit
  // (a borrow only flags bytes above one), so the overlapping last eight
  // are read as they are.
  if (n >= 8) {
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const std::uint64_t wa = ones * static_cast<unsigned char>(a), wb = ones * static_cast<unsigned char>(b),
                        wc = ones * static_cast<unsigned char>(c);
    auto stop = [&](const char* q) {
      std::uint64_t w;
      std::memcpy(&w, q, 8);
      const std::uint64_t xa = w ^ wa, xb = w ^ wb, xc = w ^ wc;
      const std::uint64_t below = (w - ones * 0x20) & ~w;  // bytes < 0x20
      return (w | below | ((xa - ones) & ~xa) | ((xb - ones) & ~xb) | ((xc - ones) & ~xc)) & highs;
    };
    for (; i + 8 <= n; i += 8)
      if (std::uint64_t m = stop(p + i)) return i + static_cast<std::size_t>(__builtin_ctzll(m)) / 8;
    if (i == n) return n;
    const std::uint64_t m = stop(p + n - 8);
    return m ? n - 8 + static_cast<std::size_t>(__builtin_ctzll(m)) / 8 : n;
  }
#endif
  for (; i < n; ++i) {
    const char ch = p[i];
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x80 || ch == a || ch == b || ch == c)
      return i;
  }
  return n;
}

/// Copies a string known at compile time to `w`; returns the end.
template <std::size_t N>
MARCPP_ALWAYS_INLINE char* put_literal(char* w, const char (&s)[N]) noexcept {
  std::memcpy(w, s, N - 1);
  return w + N - 1;
}

/// Writes into a `std::string` through a pointer: `room(n)` makes room for
/// `n` more bytes and returns where they go; `set(w)` says how far the
/// writing got; `commit()` cuts the string to what was written, after
/// which it may be appended to as usual until `resume()`.
class string_cursor {
 public:
  explicit string_cursor(std::string& s) noexcept : s_(&s) { resume(); }
  MARCPP_ALWAYS_INLINE char* room(std::size_t n) {
    if (MARCPP_UNLIKELY(static_cast<std::size_t>(end_ - w_) < n)) grow(n);
    return w_;
  }
  MARCPP_ALWAYS_INLINE void set(char* w) noexcept { w_ = w; }
  std::string& commit() {
    s_->resize(static_cast<std::size_t>(w_ - s_->data()));
    end_ = w_;
    return *s_;
  }
  void resume() noexcept { w_ = end_ = s_->data() + s_->size(); }
  /// How far the writing got, from the start of the string.
  [[nodiscard]] std::size_t offset() const noexcept { return static_cast<std::size_t>(w_ - s_->data()); }
  /// Goes back to `offset` (at most `offset()`), dropping what was written after it.
  void rewind(std::size_t offset) noexcept { w_ = s_->data() + offset; }

 private:
  MARCPP_NOINLINE void grow(std::size_t n) {
    const auto used = static_cast<std::size_t>(w_ - s_->data());
    // Growing zero-fills the new bytes, so it is done in steps that most
    // records fill, not up to the whole capacity.
    s_->resize(used + std::max<std::size_t>(n, 4096));
    w_ = s_->data() + used;
    end_ = s_->data() + s_->size();
  }
  std::string* s_;
  char* w_ = nullptr;
  char* end_ = nullptr;
};

/// What an escape loop met in a value.
struct escape_result {
  enum kind : std::uint8_t {
    ok,
    invalid_utf8,     ///< bytes that are not UTF-8 (the value is not written)
    not_a_character,  ///< a character the format cannot hold (U+FFFE, U+FFFF in XML)
  };
  kind status = ok;
  std::size_t at = 0;            ///< offset in the value of the fault
  bool mapped_control = false;   ///< a control character was written as its Control Picture
  bool control_picture = false;  ///< the value holds a Control Picture of its own (U+2400-U+241F)
  bool escape = false;           ///< the value holds an escape (0x1B), which may begin MARC-8
};

/// The most bytes `put_xml_text` writes for a value of `n` bytes.
[[nodiscard]] constexpr std::size_t xml_text_bound(std::size_t n) noexcept { return 5 * n; }

/// Writes `v` at `w` as XML character data (at most `xml_text_bound(v.size())`
/// bytes) and returns the end. `<`, `>` and `&` become entities, CR becomes
/// `&#13;` (a literal CR would be read back as LF); the other control
/// characters XML 1.0 forbids become their Control Pictures (U+2400 +
/// code), which marcpp's MARCXML reader turns back into control
/// characters. Tab and LF are written as they are. What it met goes to `r`;
/// at a fault, what was written of the value is left for the caller to drop.
inline char* put_xml_text(char* w, std::string_view v, escape_result& r) {
  const char* p = v.data();
  const std::size_t n = v.size();
  std::size_t i = 0;
  while (i < n) {
    const std::size_t k = i + find_special(p + i, n - i, '<', '>', '&');
    w = copy_bytes(w, p + i, k - i);
    if (k == n) break;
    const auto c = static_cast<unsigned char>(p[k]);
    if (c >= 0x80) {
      const auto* s = reinterpret_cast<const unsigned char*>(p + k);
      const std::size_t len = utf8_sequence(s, n - k);
      if (len == 0) {
        r.status = escape_result::invalid_utf8;
        r.at = k;
        return w;
      }
      if (len == 3 && s[0] == 0xEF && s[1] == 0xBF && s[2] >= 0xBE) {
        r.status = escape_result::not_a_character;
        r.at = k;
        return w;
      }
      if (len == 3 && s[0] == 0xE2 && s[1] == 0x90 && s[2] <= 0x9F) r.control_picture = true;
      w = copy_bytes(w, p + k, len);
      i = k + len;
      continue;
    }
    switch (c) {
      case '<': w = put_literal(w, "&lt;"); break;
      case '>': w = put_literal(w, "&gt;"); break;
      case '&': w = put_literal(w, "&amp;"); break;
      case '\t':
      case '\n': *w++ = static_cast<char>(c); break;
      case '\r': w = put_literal(w, "&#13;"); break;
      default: {
        w[0] = '\xE2';
        w[1] = '\x90';
        w[2] = static_cast<char>(0x80 + c);
        w += 3;
        r.mapped_control = true;
        r.escape |= c == 0x1B;
      }
    }
    i = k + 1;
  }
  return w;
}

/// Appends one byte as (part of) an XML attribute value: `"`, `&`, `<`
/// become entities, tab, LF and CR character references (attribute values
/// are normalised otherwise), other control characters their Control
/// Pictures. A byte >= 0x80 is no character on its own: `not_a_character`.
inline escape_result append_xml_attribute_byte(std::string& out, char ch) {
  escape_result r;
  const auto c = static_cast<unsigned char>(ch);
  if (c >= 0x80) return {escape_result::not_a_character, 0, false, false, false};
  if (c >= 0x20) {
    switch (c) {
      case '"': out.append("&quot;", 6); break;
      case '&': out.append("&amp;", 5); break;
      case '<': out.append("&lt;", 4); break;
      default: out.push_back(ch);
    }
    return r;
  }
  switch (c) {
    case '\t': out.append("&#9;", 4); break;
    case '\n': out.append("&#10;", 5); break;
    case '\r': out.append("&#13;", 5); break;
    default: {
      const char pic[3] = {'\xE2', '\x90', static_cast<char>(0x80 + c)};
      out.append(pic, 3);
      r.mapped_control = true;
      r.escape = c == 0x1B;
    }
  }
  return r;
}

/// Appends `v` as (part of) an XML attribute value, each ASCII byte as
/// `append_xml_attribute_byte` writes it; a character of more than one byte
/// is checked as UTF-8 and copied (U+FFFE and U+FFFF: `not_a_character`).
/// At a fault, what was appended of `v` is left for the caller to drop.
inline escape_result append_xml_attribute_text(std::string& out, std::string_view v) {
  escape_result r;
  const std::size_t n = v.size();
  for (std::size_t i = 0; i < n;) {
    const auto* s = reinterpret_cast<const unsigned char*>(v.data() + i);
    if (s[0] < 0x80) {
      r.mapped_control |= append_xml_attribute_byte(out, v[i]).mapped_control;
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence(s, n - i);
    if (len == 0) return {escape_result::invalid_utf8, i, r.mapped_control, r.control_picture};
    if (len == 3 && s[0] == 0xEF && s[1] == 0xBF && s[2] >= 0xBE)
      return {escape_result::not_a_character, i, r.mapped_control, r.control_picture};
    if (len == 3 && s[0] == 0xE2 && s[1] == 0x90 && s[2] <= 0x9F) r.control_picture = true;
    out.append(v.data() + i, len);
    i += len;
  }
  return r;
}

/// Appends `v` as the inside of a JSON string: `"` and `\` escaped, every
/// control character escaped (`\n`, `\t`... or `\u00XX`), UTF-8 checked.
inline escape_result append_json_text(std::string& out, std::string_view v) {
  static constexpr char hex[] = "0123456789abcdef";
  escape_result r;
  const char* p = v.data();
  std::size_t n = v.size(), i = 0;
  while (i < n) {
    std::size_t k = i + find_special(p + i, n - i, '"', '\\', '"');
    out.append(p + i, k - i);
    if (k == n) break;
    const auto c = static_cast<unsigned char>(p[k]);
    if (c >= 0x80) {
      while (k < n && static_cast<unsigned char>(p[k]) >= 0x80) {
        std::size_t len = utf8_sequence(reinterpret_cast<const unsigned char*>(p + k), n - k);
        if (len == 0) return {escape_result::invalid_utf8, k, false, false, r.escape};
        out.append(p + k, len);
        k += len;
      }
      i = k;
      continue;
    }
    switch (c) {
      case '"': out.append("\\\"", 2); break;
      case '\\': out.append("\\\\", 2); break;
      case '\b': out.append("\\b", 2); break;
      case '\f': out.append("\\f", 2); break;
      case '\n': out.append("\\n", 2); break;
      case '\r': out.append("\\r", 2); break;
      case '\t': out.append("\\t", 2); break;
      default: {
        const char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        out.append(u, 6);
        r.escape |= c == 0x1B;
      }
    }
    i = k + 1;
  }
  return r;
}

/// The output end of the stream writers: a buffer flushed to a
/// `std::ostream` when it passes a limit, and the handler for the
/// writer's warnings.
class buffered_output {
 public:
  buffered_output(std::ostream& os, std::size_t limit) : os_(&os), limit_(limit) { buf_.reserve(limit + 65536); }
  buffered_output(const buffered_output&) = delete;
  buffered_output& operator=(const buffered_output&) = delete;

  std::string& buffer() noexcept { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= limit_) flush();
  }
  void flush() {
    if (!buf_.empty()) os_->write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
    os_->flush();
  }
  /// Appends `text`; a piece as large as the limit goes to the stream at
  /// once, after what the buffer holds, without a copy.
  void write(std::string_view text) {
    if (text.size() < limit_) {
      buf_.append(text);
      maybe_flush();
      return;
    }
    if (!buf_.empty()) os_->write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
    os_->write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  /// Passes the warnings a write collected to the handler, then forgets them.
  void report(std::vector<diagnostic>& warnings) {
    if (handler_)
      for (const auto& w : warnings) handler_(w, {});
    warnings.clear();
  }
  void set_handler(diagnostic_handler h) { handler_ = std::move(h); }

 private:
  std::ostream* os_;
  std::size_t limit_;
  std::string buf_;
  diagnostic_handler handler_;
};

}  // namespace detail
MARCPP_NAMESPACE_END
