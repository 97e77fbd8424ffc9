// SPDX-License-Identifier: MIT
#pragma once

/// \file mrk.hpp
/// MARCMaker / MarcBreaker mnemonic text (`.mrk`), as the Library of
/// Congress's MARCMaker defines it and MarcEdit writes it:
///
///     =LDR  00714cam a2200205 a 4500
///     =001  12883376
///     =008  020805s2002\\\\nyu\\\\j\\\\\\000\1\eng\d
///     =245  10$aSummerland /$cMichael Chabon.
///     (blank line)
///
/// Writing from either record flavour, and a streaming reader. The record's
/// own bytes are kept: `.mrk` holds MARC-8 and UTF-8 records alike, with
/// mnemonics (`{dollar}`, `{esc}`, `{acute}`...) where a byte needs one.
/// docs/formats.md gives the rules.

#include <marcpp/config.hpp>
#include <marcpp/detail/simd.hpp>
#include <marcpp/detail/text_locator.hpp>
#include <marcpp/detail/text_reader.hpp>
#include <marcpp/detail/text_writer.hpp>
#include <marcpp/error.hpp>
#include <marcpp/iso2709_writer.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/read_options.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/source.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

/// How `.mrk` text is written.
struct mrk_options {
  /// End lines with CR LF, as MarcEdit and LoC's MARCMaker do; false: LF.
  bool crlf = true;
};

namespace detail {

/// A MARCMaker character mnemonic: its name, its MARC-8 byte (ANSEL in G1
/// for bytes >= 0x80) and its Unicode character.
struct mnemonic {
  std::string_view name;
  unsigned char marc8;
  char32_t ucs;
  bool written;  ///< used when writing (the others are read only)
};

// The Library of Congress MARCMaker mnemonics for ASCII characters the
// format reserves, the MARC-8 control characters, and ANSEL (MARC-8's
// extended Latin set).
inline constexpr mnemonic mnemonics[] = {
    {"dollar", 0x24, 0x24, true}, {"lcub", 0x7B, 0x7B, true}, {"rcub", 0x7D, 0x7D, true},
    {"bsol", 0x5C, 0x5C, true}, {"esc", 0x1B, 0x1B, true},
    {"nsb", 0x88, 0x0098, true}, {"nse", 0x89, 0x009C, true}, {"joiner", 0x8D, 0x200D, true},
    {"nonjoin", 0x8E, 0x200C, true},
    {"Lstrok", 0xA1, 0x0141, true}, {"Ostrok", 0xA2, 0x00D8, true}, {"Dstrok", 0xA3, 0x0110, true},
    {"THORN", 0xA4, 0x00DE, true}, {"AElig", 0xA5, 0x00C6, true}, {"OElig", 0xA6, 0x0152, true},
    {"softsign", 0xA7, 0x02B9, true}, {"middot", 0xA8, 0x00B7, true}, {"flat", 0xA9, 0x266D, true},
    {"reg", 0xAA, 0x00AE, true}, {"plusmn", 0xAB, 0x00B1, true}, {"Ohorn", 0xAC, 0x01A0, true},
    {"Uhorn", 0xAD, 0x01AF, true}, {"mlrhring", 0xAE, 0x02BC, true}, {"mllhring", 0xB0, 0x02BB, true},
    {"lstrok", 0xB1, 0x0142, true}, {"ostrok", 0xB2, 0x00F8, true}, {"dstrok", 0xB3, 0x0111, true},
    {"thorn", 0xB4, 0x00FE, true}, {"aelig", 0xB5, 0x00E6, true}, {"oelig", 0xB6, 0x0153, true},
    {"hardsign", 0xB7, 0x02BA, true}, {"inodot", 0xB8, 0x0131, true}, {"pound", 0xB9, 0x00A3, true},
    {"eth", 0xBA, 0x00F0, true}, {"ohorn", 0xBC, 0x01A1, true}, {"uhorn", 0xBD, 0x01B0, true},
    {"deg", 0xC0, 0x00B0, true}, {"scriptl", 0xC1, 0x2113, true}, {"phono", 0xC2, 0x2117, true},
    {"copy", 0xC3, 0x00A9, true}, {"sharp", 0xC4, 0x266F, true}, {"iquest", 0xC5, 0x00BF, true},
    {"iexcl", 0xC6, 0x00A1, true}, {"eszett", 0xC7, 0x00DF, false}, {"esz", 0xC7, 0x00DF, false},
    {"euro", 0xC8, 0x20AC, false},
    {"hooka", 0xE0, 0x0309, true}, {"grave", 0xE1, 0x0300, true}, {"acute", 0xE2, 0x0301, true},
    {"circ", 0xE3, 0x0302, true}, {"tilde", 0xE4, 0x0303, true}, {"macr", 0xE5, 0x0304, true},
    {"breve", 0xE6, 0x0306, true}, {"dot", 0xE7, 0x0307, true}, {"uml", 0xE8, 0x0308, true},
    {"caron", 0xE9, 0x030C, true}, {"ring", 0xEA, 0x030A, true}, {"llig", 0xEB, 0xFE20, true},
    {"rlig", 0xEC, 0xFE21, true}, {"rcommaa", 0xED, 0x0315, true}, {"dblac", 0xEE, 0x030B, true},
    {"candra", 0xEF, 0x0310, true}, {"cedil", 0xF0, 0x0327, true}, {"ogon", 0xF1, 0x0328, true},
    {"dotb", 0xF2, 0x0323, true}, {"dbldotb", 0xF3, 0x0324, true}, {"ringb", 0xF4, 0x0325, true},
    {"dblunder", 0xF5, 0x0333, true}, {"under", 0xF6, 0x0332, true}, {"commab", 0xF7, 0x0326, true},
    {"rcedil", 0xF8, 0x031C, true}, {"breveb", 0xF9, 0x032E, true}, {"ldbltil", 0xFA, 0xFE22, true},
    {"rdbltil", 0xFB, 0xFE23, true}, {"commaa", 0xFE, 0x0313, true},
};

/// The name written for MARC-8 byte `c` (ANSEL in G1), or empty.
[[nodiscard]] inline std::string_view mnemonic_name(unsigned char c) noexcept {
  static const auto table = [] {
    std::array<std::string_view, 256> t{};
    for (const auto& m : mnemonics)
      if (m.written && t[m.marc8].empty()) t[m.marc8] = m.name;
    return t;
  }();
  return table[c];
}

[[nodiscard]] inline const mnemonic* find_mnemonic(std::string_view name) noexcept {
  for (const auto& m : mnemonics)
    if (m.name == name) return &m;
  return nullptr;
}

inline void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

/// Index of the first byte of [p, p+n) that .mrk text cannot show as it
/// is: `$ { }`, control and non-ASCII bytes, and (`blanks`: in control
/// fields and indicators) blanks and `\`.
[[nodiscard]] inline std::size_t find_mrk_special(const char* p, std::size_t n, bool blanks) noexcept {
  std::size_t i = 0;
#if MARCPP_HAS_SSE2
  const __m128i lim = _mm_set1_epi8(0x20);
  const __m128i d = _mm_set1_epi8('$'), l = _mm_set1_epi8('{'), r = _mm_set1_epi8('}'), b = _mm_set1_epi8(blanks ? '\\' : '$'),
                sp = _mm_set1_epi8(blanks ? ' ' : '$'), del = _mm_set1_epi8(0x7F);
  for (; i + 16 <= n; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(x, lim), _mm_cmpeq_epi8(x, d)),
                             _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, l), _mm_cmpeq_epi8(x, r)),
                                          _mm_or_si128(_mm_cmpeq_epi8(x, b),
                                                       _mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, del)))));
    auto bits = static_cast<std::uint32_t>(_mm_movemask_epi8(m));
    if (bits) return i + count_trailing_zeros(bits);
  }
#endif
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c >= 0x7F || c == '$' || c == '{' || c == '}' || (blanks && (c == ' ' || c == '\\'))) return i;
  }
  return n;
}

inline void append_hex_mnemonic(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789ABCDEF";
  const char m[4] = {'{', hex[c >> 4], hex[c & 15], '}'};
  out.append(m, 4);
}

/// Appends a value in mnemonic text. `blank_as_backslash`: in the leader's
/// neighbours (control fields, indicators) a blank is written `\`. `marc8`:
/// the record is MARC-8; `g1_ansel` tracks whether ANSEL is the G1 set
/// (escape sequences change it), so that only ANSEL bytes get their names.
inline void append_mrk(std::string& out, std::string_view v, bool blank_as_backslash, bool marc8, bool& g1_ansel) {
  const char* p = v.data();
  const std::size_t n = v.size();
  std::size_t i = 0;
  while (i < n) {
    std::size_t k = i + find_mrk_special(p + i, n - i, blank_as_backslash);
    out.append(p + i, k - i);
    if (k == n) break;
    const auto c = static_cast<unsigned char>(p[k]);
    i = k + 1;
    switch (c) {
      case '$': out.append("{dollar}", 8); continue;
      case '{': out.append("{lcub}", 6); continue;
      case '}': out.append("{rcub}", 6); continue;
      case '\\': out.append("{bsol}", 6); continue;
      case ' ': out.push_back('\\'); continue;
      case 0x1B: {
        out.append("{esc}", 5);
        // ESC ) F and ESC - F designate G1; ESC $ ) F and ESC $ - F a multibyte G1.
        if (k + 2 < n && (p[k + 1] == ')' || p[k + 1] == '-')) g1_ansel = p[k + 2] == 'E';
        if (k + 3 < n && p[k + 1] == '$' && (p[k + 2] == ')' || p[k + 2] == '-')) g1_ansel = false;
        continue;
      }
      default: break;
    }
    if (c < 0x20 || c == 0x7F) {
      append_hex_mnemonic(out, c);
      continue;
    }
    // c >= 0x80
    if (marc8) {
      std::string_view name = g1_ansel ? mnemonic_name(c) : std::string_view{};
      if (name.empty()) {
        append_hex_mnemonic(out, c);
      } else {
        out.push_back('{');
        out.append(name);
        out.push_back('}');
      }
      continue;
    }
    std::size_t len = utf8_sequence(reinterpret_cast<const unsigned char*>(p + k), n - k);
    if (len == 0) {
      append_hex_mnemonic(out, c);
      continue;
    }
    out.append(p + k, len);
    i = k + len;
  }
}

}  // namespace detail

/// Appends the mnemonic text of `rec` to `out`: a line per field after the
/// `=LDR` line, then a blank line. Blanks in the leader are written as they
/// are; in control fields and indicators as `\` (and `\` there as
/// `{bsol}`; in subfields it stays, as MarcEdit writes it). `$`, `{` and `}`
/// become `{dollar}`, `{lcub}` and `{rcub}`, ESC `{esc}`;
/// a MARC-8 record's ANSEL bytes their LoC names (`{acute}`); other control
/// bytes, and bytes of a UTF-8 record that are not UTF-8, `{XX}` in
/// hexadecimal. A tag `tag` cannot hold is written as the bytes the field
/// keeps, control bytes, bytes from 0x7F up and `{` as `{XX}`. Every record
/// can be written except one with a field with no tag at all
/// (`invalid_tag`) or a field tagged LDR (`value_not_representable`); `out`
/// is then unchanged.
template <class Record>
[[nodiscard]] diagnostic write_mrk(const Record& rec, std::string& out, const mrk_options& opts = {}) {
  const std::size_t old = out.size();
  const std::string_view eol = opts.crlf ? std::string_view("\r\n") : std::string_view("\n");
  const bool marc8 = !rec.leader().is_unicode();
  bool g1 = true;
  out.append("=LDR  ", 6);
  for (char c : rec.leader().str()) {
    if (c == ' ')
      out.push_back(' ');
    else
      detail::append_mrk(out, std::string_view(&c, 1), false, marc8, g1);
  }
  out.append(eol);
  const auto fields = rec.fields();
  const unsigned code_len = detail::effective_code_length(rec.leader());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& f = fields[i];
    if (!f.has_tag_chars() || f.tag() == marcpp::tag("LDR")) {
      out.resize(old);
      const bool ldr = f.tag().is_valid();
      return detail::writer_diagnostic(rec, ldr ? errc::value_not_representable : errc::invalid_tag, severity::error,
                                       static_cast<std::int64_t>(i),
                                       ldr ? "a field tagged LDR cannot be told from the leader in .mrk text; the "
                                             "record is not written"
                                           : "the field has no tag; .mrk text cannot write it");
    }
    out.push_back('=');
    if (MARCPP_LIKELY(f.tag().is_valid())) {
      auto t = f.tag().chars();
      out.append(t.data(), 3);
    } else {
      // A tag kept by its bytes: each as it is, but for those a line cannot
      // show (and `{`), which the reader reads back as `{XX}`.
      for (char c : f.tag_chars()) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7F || c == '{')
          detail::append_hex_mnemonic(out, u);
        else
          out.push_back(c);
      }
    }
    out.append("  ", 2);
    g1 = true;  // MARC-8 starts every field with ASCII in G0 and ANSEL in G1
    if (f.is_control()) {
      detail::append_mrk(out, f.data(), true, marc8, g1);
    } else {
      auto is = f.indicators();
      for (int k = 0; k < 2; ++k) {
        const char c = is[static_cast<std::size_t>(k)];
        if (c == ' ')
          out.push_back('\\');
        else
          detail::append_mrk(out, std::string_view(&c, 1), true, marc8, g1);
      }
      for (const auto& s : f.subfields()) {
        if (s.shape() != subfield_shape::unlabelled) out.push_back('$');
        if (s.shape() == subfield_shape::normal) {
          const char c = s.code();
          detail::append_mrk(out, std::string_view(&c, 1), false, marc8, g1);
        } else if (s.shape() == subfield_shape::no_code && code_len >= 2 && !s.value().empty()) {
          // Read back, the value's first byte would be taken for a code.
          out.resize(old);
          return detail::writer_diagnostic(rec, errc::invalid_subfield_layout, severity::error,
                                           static_cast<std::int64_t>(i),
                                           "a subfield without a code holds a value, which would be read back as a code");
        }
        detail::append_mrk(out, s.value(), false, marc8, g1);
      }
    }
    out.append(eol);
  }
  out.append(eol);
  return {};
}

/// The mnemonic text of `rec`; throws `marcpp::error` if it cannot be written.
template <class Record>
[[nodiscard]] std::string to_mrk(const Record& rec, const mrk_options& opts = {}) {
  std::string s;
  if (auto err = write_mrk(rec, s, opts)) throw_error(std::move(err));
  return s;
}

/// Writes `.mrk` text to a `std::ostream` through a buffer.
class mrk_writer {
 public:
  explicit mrk_writer(std::ostream& os, mrk_options opts = {}, std::size_t buffer = std::size_t{1} << 20)
      : out_(os, buffer), opts_(opts) {}
  mrk_writer(const mrk_writer&) = delete;
  mrk_writer& operator=(const mrk_writer&) = delete;
  ~mrk_writer() { finish(); }

  /// The writer has no warnings; the handler is accepted for symmetry.
  void on_diagnostic(diagnostic_handler h) { out_.set_handler(std::move(h)); }

  template <class Record>
  diagnostic write(const Record& rec) {
    diagnostic d = write_mrk(rec, out_.buffer(), opts_);
    if (!d) ++count_;
    out_.maybe_flush();
    return d;
  }
  void finish() { out_.flush(); }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  detail::buffered_output out_;
  mrk_options opts_;
  std::uint64_t count_ = 0;
};

/// Reads `.mrk` records from `Source`, holding one record's text at a
/// time. Lines may end in CR LF or LF; records are separated by blank lines
/// (or begin at the next `=LDR`); lines beginning with `#` are comments.
/// Mnemonics are decoded for the record's character set (leader/09): the
/// MARC-8 byte for a MARC-8 record, the UTF-8 character for a UTF-8 record;
/// `{XX}` gives the byte XX (hexadecimal). An unknown mnemonic is kept as it
/// is, with a warning. Records are delivered as owning `record`s.
template <class Source>
class mrk_reader : public detail::text_reader_base<mrk_reader<Source>> {
  using base = detail::text_reader_base<mrk_reader<Source>>;
  friend base;

 public:
  explicit mrk_reader(Source src, read_options opts = {}) : base(opts), src_(std::move(src)) {}

  /// Reads the next record into `out`; false at the end or on a stop.
  bool next(record& out) {
    if (this->done_) return false;
    release(pos_);
    for (;;) {
      line ln;
      // Between records: blank lines, comments, and anything that is not a field.
      for (;;) {
        if (!read_line(pos_, ln)) {
          this->done_ = true;
          return false;
        }
        if (is_blank(ln) || ln.text[0] == '#') {
          pos_ = ln.next;
          continue;
        }
        if (ln.text[0] == '=') break;
        if (!skip_garbage(ln)) return false;
      }
      const std::uint64_t start = ln.start;
      record rec;
      detail::record_access::set_position(rec, index_++, start);
      const bool parsed = read_record(rec, ln);
      std::string_view raw = oversize_ ? std::string_view{} : bytes(start, end_);
      if (this->settle(rec, parsed, raw, [&](diagnostic& d) { locate(d); })) {
        out = std::move(rec);
        last_raw_ = raw;
        return true;
      }
      if (this->done_) return false;
      release(pos_);
    }
  }

  /// The text of the last record delivered (valid until the next call).
  [[nodiscard]] std::string_view raw() const noexcept { return last_raw_; }
  /// Bytes of input read so far.
  [[nodiscard]] std::uint64_t position() const noexcept { return pos_; }
  [[nodiscard]] Source& source() noexcept { return src_; }

 private:
  static constexpr std::size_t chunk_size = std::size_t{1} << 16;
  struct line {
    std::uint64_t start = 0, next = 0;
    std::string_view text;  // without the line end
  };

  void release(std::uint64_t keep) {
    source_window w = src_.window();
    if (keep <= w.offset) return;
    keep = std::min<std::uint64_t>(keep, w.offset + w.size);
    if constexpr (!detail::keeps_all_bytes<Source>) loc_.pass(keep, w.data, w.offset, w.size);
    src_.consume(static_cast<std::size_t>(keep - w.offset));
  }
  [[nodiscard]] std::string_view bytes(std::uint64_t from, std::uint64_t to) const noexcept {
    source_window w = src_.window();
    if (from < w.offset) from = w.offset;
    to = std::min<std::uint64_t>(to, w.offset + w.size);
    if (to <= from) return {};
    return {w.data + (from - w.offset), static_cast<std::size_t>(to - from)};
  }
  void locate(diagnostic& d) {
    if (d.offset == npos || d.line) return;
    auto pt = detail::locate_in(loc_, src_, d.offset);
    d.line = pt.line;
    d.column = pt.column;
  }
  // The line at `at`; false at the end of the input. Line views stay valid
  // until the window moves: a record's lines are re-read from offsets.
  bool read_line(std::uint64_t at, line& out) {
    std::size_t searched = 0;
    for (;;) {
      source_window w = src_.window();
      if (at < w.offset) return false;
      const std::uint64_t end = w.offset + w.size;
      if (at + searched < end) {
        const char* p = w.data + (at - w.offset);
        const std::size_t n = static_cast<std::size_t>(end - at);
        const void* q = std::memchr(p + searched, '\n', n - searched);
        // With CR LF line ends, a lone LF inside a value is data, unless a
        // field or a blank line follows it.
        while (q && crlf_ && !ends_line(p, n, static_cast<std::size_t>(static_cast<const char*>(q) - p))) {
          const std::size_t k = static_cast<std::size_t>(static_cast<const char*>(q) - p) + 1;
          q = std::memchr(p + k, '\n', n - k);
        }
        if (q) {
          std::size_t len = static_cast<std::size_t>(static_cast<const char*>(q) - p);
          if (at == 0 && !crlf_known_) {
            crlf_known_ = true;
            crlf_ = len && p[len - 1] == '\r';
          }
          out.start = at;
          out.next = at + len + 1;
          if (len && p[len - 1] == '\r') --len;
          out.text = {p, len};
          strip_bom(out);
          return true;
        }
        searched = n;
      }
      if (!eof_ && !src_.fill(static_cast<std::size_t>(at - w.offset) + searched + chunk_size)) eof_ = true;
      std::string_view err = src_.error();
      if (!err.empty()) {
        this->stop(base::make(errc::io_error, severity::error, std::string(err)), {});
        return false;
      }
      w = src_.window();
      const std::uint64_t e = w.offset + w.size;
      if (e > end) continue;  // more bytes to search
      // The input ends without a line end.
      if (at >= e) return false;
      std::size_t len = static_cast<std::size_t>(e - at);
      const char* p = w.data + (at - w.offset);
      out.start = at;
      out.next = e;
      if (len && p[len - 1] == '\r') --len;
      out.text = {p, len};
      strip_bom(out);
      return true;
    }
  }
  // Whether the LF at p[k] ends a line: after a CR, or before a field, a
  // blank line or the end of the input. Only asked with CR LF line ends.
  static bool ends_line(const char* p, std::size_t n, std::size_t k) noexcept {
    if (k > 0 && p[k - 1] == '\r') return true;
    if (k + 1 >= n) return true;
    const char c = p[k + 1];
    if (c == '\r' || c == '\n') return false;  // a line break, then another inside the value
    if (c != '=') return false;
    return k + 5 < n && (std::string_view(p + k + 2, 3) == "LDR" || marcpp::tag::is_legal(p[k + 2], p[k + 3], p[k + 4]));
  }
  static void strip_bom(line& ln) {
    if (ln.start == 0 && ln.text.substr(0, 3) == "\xEF\xBB\xBF") ln.text.remove_prefix(3);
  }
  static bool is_blank(const line& ln) noexcept {
    return ln.text.find_first_not_of(" \t") == std::string_view::npos;
  }
  bool skip_garbage(line ln) {
    const std::uint64_t from = ln.start;
    std::uint64_t to = ln.next;
    pos_ = ln.next;
    while (read_line(pos_, ln) && !is_blank(ln) && ln.text[0] != '=' && ln.text[0] != '#') {
      to = ln.next;
      pos_ = ln.next;
    }
    diagnostic d = base::make(errc::mrk_syntax, severity::error,
                              "text that is not a field (it does not begin with '=') between records; it is skipped");
    d.offset = from;
    locate(d);
    return this->settle_loose(std::move(d), bytes(from, std::min(to, from + 256)));
  }

  void fault(record& rec, errc code, severity level, std::uint64_t at, std::string message, std::int64_t field = -1,
             std::string original = {}) {
    diagnostic d = base::make(code, level, std::move(message));
    d.record_index = rec.index();
    d.record_offset = rec.offset();
    d.offset = at;
    if (field >= 0) {
      d.field_index = static_cast<std::int32_t>(field);
      d.tag = rec.fields()[static_cast<std::size_t>(field)].tag();
    }
    d.original = std::move(original);
    detail::record_access::diagnostics(rec).push_back(std::move(d));
  }

  // Decodes mnemonic text: `{name}` and `{XX}`; with `backslash_blank`, `\` is a blank.
  void decode(std::string_view s, bool backslash_blank, bool unicode, std::string& out, record& rec, std::uint64_t at,
              std::int64_t fi) {
    out.clear();
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t k = s.find_first_of(backslash_blank ? std::string_view("{\\") : std::string_view("{"), i);
      if (k == std::string_view::npos) {
        out.append(s.substr(i));
        break;
      }
      out.append(s.substr(i, k - i));
      if (s[k] == '\\') {
        out.push_back(' ');
        i = k + 1;
        continue;
      }
      std::size_t e = s.find('}', k + 1);
      std::string_view name = e == std::string_view::npos ? std::string_view{} : s.substr(k + 1, e - k - 1);
      if (!name.empty() && name.size() <= 16) {
        if (name.size() == 2 && std::isxdigit(static_cast<unsigned char>(name[0])) &&
            std::isxdigit(static_cast<unsigned char>(name[1]))) {
          out.push_back(static_cast<char>(std::stoi(std::string(name), nullptr, 16)));
          i = e + 1;
          continue;
        }
        if (const detail::mnemonic* m = detail::find_mnemonic(name)) {
          if (unicode)
            detail::append_utf8(out, m->ucs);
          else
            out.push_back(static_cast<char>(m->marc8));
          i = e + 1;
          continue;
        }
      }
      if (!unknown_noted_) {
        unknown_noted_ = true;
        fault(rec, errc::mrk_syntax, severity::warning, at,
              "\"" + detail::printable(s.substr(k, e == std::string_view::npos ? 16 : e - k + 1)) +
                  "\" is no mnemonic marcpp knows; it is kept as it is",
              fi);
      }
      out.push_back('{');
      i = k + 1;
    }
  }
  // Splits one "unit" off the front: a character or a whole mnemonic.
  static std::string_view unit(std::string_view s) noexcept {
    if (s.empty()) return s;
    if (s[0] == '{') {
      std::size_t e = s.find('}');
      if (e != std::string_view::npos && e <= 17) return s.substr(0, e + 1);
    }
    std::size_t len = 1;
    if (static_cast<unsigned char>(s[0]) >= 0x80)
      if (std::size_t u = detail::utf8_sequence(reinterpret_cast<const unsigned char*>(s.data()), s.size())) len = u;
    return s.substr(0, len);
  }

  bool read_record(record& rec, line ln) {
    unknown_noted_ = false;
    oversize_ = false;
    const std::uint64_t start = ln.start;
    bool have_leader = false, first = true;
    std::string buf;
    for (;;) {
      if (ln.next - start > this->opts_.max_record_size && !oversize_) {
        oversize_ = true;
        fault(rec, errc::record_too_large, severity::error, start,
              "the record is longer than " + std::to_string(this->opts_.max_record_size) + " bytes; it is skipped");
      }
      if (oversize_) {
        release(ln.start);
      } else if (ln.text[0] == '#') {
        // a comment
      } else if (ln.text.substr(0, 4) == "=LDR") {
        if (!first) {
          // The next record, with no blank line before it.
          fault(rec, errc::mrk_syntax, severity::warning, ln.start,
                "no blank line between this record and the next; the next begins at its =LDR line");
          break;
        }
        have_leader = true;
        read_leader(rec, ln, buf);
      } else if (ln.text[0] != '=') {
        continuation(rec, ln);
      } else {
        if (first) {
          fault(rec, errc::mrk_syntax, severity::repair, ln.start,
                "the record has no =LDR line; a blank leader is used (\"00000     2200000   4500\")");
          rec.set_leader(leader{});
        }
        read_field(rec, ln, buf);
      }
      first = false;
      pos_ = end_ = ln.next;
      if (!read_line(pos_, ln)) break;
      if (is_blank(ln)) {
        // A record begins with =LDR: blank lines followed by another field
        // of a record that has its leader are blank lines inside it.
        line after = ln;
        while (is_blank(after) && read_line(after.next, after)) {
        }
        if (!have_leader || is_blank(after) || after.text[0] != '=' || after.text.substr(0, 4) == "=LDR") break;
        fault(rec, errc::mrk_syntax, severity::repair, ln.start,
              "blank lines inside the record (a field follows them, not an =LDR line) are left out");
        ln = after;
      }
    }
    if (oversize_) return false;
    if (this->opts_.validate_utf8 && rec.leader().is_unicode()) check_utf8(rec, start);
    return true;
  }

  void read_leader(record& rec, const line& ln, std::string& buf) {
    std::string_view text = ln.text.substr(std::min<std::size_t>(ln.text.size(), 4));
    text.remove_prefix(std::min(separator(text, rec, ln.start, -1), text.size()));
    decode(text, true, false, buf, rec, ln.start, -1);
    std::string repair;
    rec.set_leader(detail::leader_from_text(buf, repair));
    if (!repair.empty()) fault(rec, errc::bad_leader_length, severity::repair, ln.start, std::move(repair));
  }
  // The two blanks between the tag and the data; fewer is repaired.
  std::size_t separator(std::string_view after_tag, record& rec, std::uint64_t at, std::int64_t fi) {
    if (after_tag.substr(0, 2) == "  ") return 2;
    if (!after_tag.empty() && after_tag[0] == ' ') {
      fault(rec, errc::mrk_syntax, severity::repair, at,
            "one blank, not two, between the tag and the data; the data is taken to begin after it", fi);
      return 1;
    }
    if (!after_tag.empty())
      fault(rec, errc::mrk_syntax, severity::repair, at,
            "no blanks between the tag and the data; the data is taken to begin right after the tag", fi);
    return 0;
  }

  // The tag after the `=`: three bytes, each written as it is or, for one
  // the writer cannot show as it is (in a tag kept by its bytes), as `{XX}`
  // (hexadecimal). Returns where the tag ends.
  static std::size_t read_tag_text(std::string_view text, std::string& tag) {
    tag.clear();
    std::size_t pos = 1;
    while (tag.size() < 3 && pos < text.size()) {
      if (text[pos] == '{' && pos + 3 < text.size() && text[pos + 3] == '}' &&
          std::isxdigit(static_cast<unsigned char>(text[pos + 1])) &&
          std::isxdigit(static_cast<unsigned char>(text[pos + 2]))) {
        tag.push_back(static_cast<char>(std::stoi(std::string(text.substr(pos + 1, 2)), nullptr, 16)));
        pos += 4;
      } else {
        tag.push_back(text[pos++]);
      }
    }
    return pos;
  }

  void read_field(record& rec, const line& ln, std::string& buf) {
    std::string tag_text;
    std::string_view data = ln.text.substr(read_tag_text(ln.text, tag_text));
    auto t = marcpp::tag::parse(tag_text);
    const auto fi = static_cast<std::int64_t>(rec.size());
    const bool unicode = rec.leader().is_unicode();
    data.remove_prefix(std::min(separator(data, rec, ln.start, -1), data.size()));
    detail::tag_text tag_kind = detail::tag_text::held;
    // A 00X field is control data unless it begins with two indicators and a
    // delimiter (as the ISO 2709 reader decides).
    const bool control_tag = t ? t->is_control() : tag_text.substr(0, 2) == "00";
    std::string_view u1 = unit(data);
    std::string_view u2 = unit(data.substr(u1.size()));
    // As the ISO 2709 reader: a delimiter right after the indicators the
    // leader declares (leader/10).
    const auto declared = rec.leader().indicator_count();
    const std::size_t ind_declared = declared && *declared >= 1 && *declared <= 9 ? *declared : 2;
    std::size_t skip = 0;
    for (std::size_t k = 0; k < ind_declared && skip < data.size(); ++k) skip += unit(data.substr(skip)).size();
    const bool looks_data = data.size() > skip && data[skip] == '$';
    if (control_tag && !looks_data) {
      // The field is added before its value is decoded: a fault in the value
      // (an unknown mnemonic) names the field by its index.
      field& f = rec.add(field::control(marcpp::tag::invalid(), {}));
      tag_kind = detail::set_tag_text(f, tag_text);
      decode(data, true, unicode, buf, rec, ln.start, fi);
      rec[rec.size() - 1].set_data(buf);
    } else {
      field& f = rec.add(field(marcpp::tag::invalid(), {}));
      tag_kind = detail::set_tag_text(f, tag_text);
      char ind[2] = {' ', ' '};
      std::string_view us[2] = {u1, u2};
      std::string one;
      for (int k = 0; k < 2; ++k) {
        if (us[k].empty()) continue;
        decode(us[k], true, false, one, rec, ln.start, fi);
        if (one.size() == 1) ind[k] = one[0];
        else
          fault(rec, errc::mrk_syntax, severity::repair, ln.start,
                "the indicator \"" + detail::printable(us[k]) + "\" is not one byte; a blank is used", fi);
      }
      if (u2.empty())
        fault(rec, errc::missing_indicators, severity::repair, ln.start,
              "the field is too short for its two indicators; the missing ones are set blank", fi);
      f.set_indicators({ind[0], ind[1]});
      std::string_view rest = data.substr(u1.size() + u2.size());
      const unsigned code_len = detail::effective_code_length(rec.leader());
      std::size_t k = rest.find('$');
      if (k != 0) {
        std::string_view pre = rest.substr(0, k);
        if (!pre.empty()) {
          decode(pre, false, unicode, buf, rec, ln.start, fi);
          f.subfields().push_back(subfield::unlabelled(buf));
          if (ind_declared <= 2)
            fault(rec, errc::data_before_first_subfield, severity::warning, ln.start,
                "the field holds " + std::to_string(pre.size()) +
                    " bytes before its first '$'; they are kept as unlabelled data",
                fi);
        }
      }
      while (k != std::string_view::npos) {
        std::size_t e = rest.find('$', k + 1);
        std::string_view piece = rest.substr(k + 1, e == std::string_view::npos ? std::string_view::npos : e - k - 1);
        if (code_len >= 2 && !piece.empty()) {
          std::string_view cu = unit(piece);
          decode(cu, false, false, one, rec, ln.start, fi);
          decode(piece.substr(cu.size()), false, unicode, buf, rec, ln.start, fi);
          if (one.size() == 1) {
            f.subfields().emplace_back(one[0], buf);
          } else {
            f.subfields().push_back(subfield::without_code(std::string(cu) + buf));
            fault(rec, errc::mrk_syntax, severity::repair, ln.start,
                  "the subfield code \"" + detail::printable(cu) + "\" is not one byte; it is kept in the value", fi);
          }
        } else {
          decode(piece, false, unicode, buf, rec, ln.start, fi);
          f.subfields().push_back(subfield::without_code(buf));
          if (code_len >= 2)
            fault(rec, errc::missing_subfield_code, severity::warning, ln.start,
                  "a '$' is not followed by a code; it is kept as a delimiter without code", fi);
        }
        k = e;
      }
    }
    if (tag_kind == detail::tag_text::illegal || tag_kind == detail::tag_text::unusable)
      fault(rec, errc::invalid_tag, tag_kind == detail::tag_text::illegal ? severity::warning : severity::repair,
            ln.start, detail::tag_text_message(tag_kind, "the field", tag_text), fi, tag_text);
  }

  void continuation(record& rec, const line& ln) {
    if (rec.empty()) {
      fault(rec, errc::mrk_syntax, severity::repair, ln.start,
            "a line that does not begin with '=' before any field is left out (\"" +
                detail::printable(ln.text.substr(0, 32)) + "\")");
      return;
    }
    field& f = rec.fields().back();
    std::string buf;
    const auto fi = static_cast<std::int64_t>(rec.size()) - 1;
    decode(ln.text, f.is_control(), rec.leader().is_unicode(), buf, rec, ln.start, fi);
    if (f.is_control())
      f.set_data(std::string(f.data()) + buf);
    else if (f.subfields().empty())
      f.subfields().push_back(subfield::unlabelled(buf));
    else
      f.subfields().back().value_ref() += buf;
    fault(rec, errc::mrk_syntax, severity::repair, ln.start,
          "a line that does not begin with '=' is joined to the field before it", fi);
  }

  // Checks each field's bytes as ISO 2709 holds them (a code byte and the
  // value after it may together form one character), as the ISO 2709
  // reader does.
  void check_utf8(record& rec, std::uint64_t start) {
    std::string bytes;
    for (std::size_t i = 0; i < rec.size(); ++i) {
      const field& f = rec[i];
      bytes.clear();
      if (f.is_control()) {
        bytes = f.data();
      } else {
        bytes += f.ind1();
        bytes += f.ind2();
        for (const auto& s : f.subfields()) {
          if (s.shape() != subfield_shape::unlabelled) bytes += '\x1F';
          if (s.shape() == subfield_shape::normal) bytes += s.code();
          bytes += s.value();
        }
      }
      if (detail::find_invalid_utf8(bytes.data(), bytes.size()) != bytes.size())
        fault(rec, errc::invalid_utf8, severity::repair, start,
              "leader/09 says UTF-8, but the field holds bytes that are not UTF-8; they are kept as they are",
              static_cast<std::int64_t>(i));
    }
  }

  Source src_;
  detail::text_locator loc_;
  std::uint64_t pos_ = 0, end_ = 0, index_ = 0;
  bool eof_ = false, oversize_ = false, unknown_noted_ = false, crlf_ = false, crlf_known_ = false;
  std::string_view last_raw_;
};

template <class Source>
mrk_reader(Source, read_options) -> mrk_reader<Source>;
template <class Source>
mrk_reader(Source) -> mrk_reader<Source>;

MARCPP_NAMESPACE_END
