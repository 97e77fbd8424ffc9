// SPDX-License-Identifier: MIT
#pragma once

/// \file marcxml.hpp
/// MARCXML (the Library of Congress MARC21slim schema): writing from either
/// record flavour, and a streaming reader. docs/formats.md gives the rules.

#include <marcpp/charset.hpp>
#include <marcpp/config.hpp>
#include <marcpp/detail/text_locator.hpp>
#include <marcpp/detail/text_reader.hpp>
#include <marcpp/detail/text_writer.hpp>
#include <marcpp/detail/xml.hpp>
#include <marcpp/error.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/reader.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/source.hpp>

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

MARCPP_NAMESPACE_BEGIN

/// The MARCXML namespace.
inline constexpr std::string_view marcxml_namespace = "http://www.loc.gov/MARC21/slim";
/// What opens a MARCXML collection document as marcpp writes it: the XML
/// declaration and `<collection>` in the MARCXML namespace.
inline constexpr std::string_view marcxml_collection_open =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n";
/// What closes it.
inline constexpr std::string_view marcxml_collection_close = "</collection>\n";
static_assert(marcxml_collection_open.find(marcxml_namespace) != std::string_view::npos,
              "the collection opens in the MARCXML namespace");

/// How MARCXML is written.
struct marcxml_options {
  /// Refuse (with `schema_pattern`, an error) a record whose content the
  /// schema's patterns do not allow, instead of writing it with a warning.
  bool strict_schema = false;
  /// One element per line, indented as yaz-marcdump does; false: one record
  /// per line, no indentation.
  bool indent = true;
  /// Convert a MARC-8 record (leader/09 blank) to UTF-8 on the way, as
  /// `to_utf8(rec, converted, charset)` does, and write it with leader/09
  /// `a`; false: refuse it with `marc8_needs_conversion`.
  bool convert_marc8 = true;
  /// How MARC-8 records are converted: the error policy for MARC-8 faults
  /// (lenient repairs them, with a report in the writer's warnings; strict
  /// and skip refuse the record with the fault), where their encoding comes
  /// from, numeric character references, normalisation. Records whose
  /// leader/09 is not blank are written as they are.
  charset_options charset{};
};

namespace detail {

// ---- the schema's patterns (MARC21slim.xsd 1.2) ------------------------------

[[nodiscard]] constexpr bool xsd_digit(char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool xsd_alnum(char c) noexcept {
  return xsd_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
/// leaderDataType: [\d ]{5}[\dA-Za-z ]{1}[\dA-Za-z]{1}[\dA-Za-z ]{3}(2| )(2| )[\d ]{5}[\dA-Za-z ]{3}(4500|    )
[[nodiscard]] inline bool schema_leader(std::string_view l) noexcept {
  if (l.size() != 24) return false;
  for (std::size_t i = 0; i < 5; ++i)
    if (!xsd_digit(l[i]) && l[i] != ' ') return false;
  if (!xsd_alnum(l[5]) && l[5] != ' ') return false;
  if (!xsd_alnum(l[6])) return false;
  for (std::size_t i = 7; i < 10; ++i)
    if (!xsd_alnum(l[i]) && l[i] != ' ') return false;
  if ((l[10] != '2' && l[10] != ' ') || (l[11] != '2' && l[11] != ' ')) return false;
  for (std::size_t i = 12; i < 17; ++i)
    if (!xsd_digit(l[i]) && l[i] != ' ') return false;
  for (std::size_t i = 17; i < 20; ++i)
    if (!xsd_alnum(l[i]) && l[i] != ' ') return false;
  std::string_view m = l.substr(20);
  return m == "4500" || m == "    ";
}
/// controltagDataType: 00[1-9A-Za-z]
[[nodiscard]] constexpr bool schema_control_tag(std::array<char, 3> c) noexcept {
  return c[0] == '0' && c[1] == '0' && xsd_alnum(c[2]) && c[2] != '0';
}
/// tagDataType: 0[1-9A-Z][0-9A-Z], 0[1-9a-z][0-9a-z], [1-9A-Z][0-9A-Z]{2} or
/// [1-9a-z][0-9a-z]{2}: a MARC 21 tag (one case) other than 00X.
[[nodiscard]] constexpr bool schema_data_tag(std::array<char, 3> c) noexcept {
  return tag::is_legal(c[0], c[1], c[2]) && !(c[0] == '0' && c[1] == '0');
}
/// The same for a field's tag; a numeric tag is answered without its characters.
template <class Field>
[[nodiscard]] bool schema_control_tag(const Field& f) noexcept {
  const tag t = f.tag();
  return t.is_numeric() ? t.value() >= 1 && t.value() <= 9 : schema_control_tag(f.tag_chars());
}
template <class Field>
[[nodiscard]] bool schema_data_tag(const Field& f) noexcept {
  const tag t = f.tag();
  return t.is_numeric() ? t.value() >= 10 : schema_data_tag(f.tag_chars());
}
/// indicatorDataType: [\da-z ]
[[nodiscard]] constexpr bool schema_indicator(char c) noexcept {
  return xsd_digit(c) || (c >= 'a' && c <= 'z') || c == ' ';
}
/// subfieldcodeDataType: [\dA-Za-z!"#$%&'()*+,-./:;<=>?{}_^`~\[\]\\]
[[nodiscard]] constexpr bool schema_code(char c) noexcept {
  if (xsd_alnum(c)) return true;
  for (char s : std::string_view("!\"#$%&'()*+,-./:;<=>?{}_^`~[]\\"))
    if (c == s) return true;
  return false;
}

/// Shows a byte in a message.
[[nodiscard]] inline std::string shown(char c) {
  if (c == ' ') return "a blank";
  return "\"" + printable(std::string_view(&c, 1)) + "\"";
}

template <class Record>
class marcxml_record_writer {
 public:
  // `flag`: leader/09 as written, if not 0 (a MARC-8 record whose text needs no conversion).
  marcxml_record_writer(const Record& rec, std::string& out, const marcxml_options& o, std::vector<diagnostic>* warnings,
                        char flag = 0)
      : rec_(rec), out_(out), o_(o), warnings_(warnings), old_(out.size()), flag_(flag) {}

  /// Decodes every value from MARC-8 on the way (the record's leader/09 is
  /// blank and written as `a`): see `write_marc8_decoded`.
  void decode_marc8(marc8_values* m8) noexcept { m8_ = m8; }

  diagnostic run() {
    const auto fields = rec_.fields();
    const bool ind = o_.indent;
    // Markup is written through a pointer into room made for it beforehand;
    // the rare paths that append to the string commit the pointer first.
    char* w = cur_.room(32);
    w = ind ? put_literal(w, "<record>\n  <leader>") : put_literal(w, "<record><leader>");
    cur_.set(w);
    std::string_view l = rec_.leader().str();
    char flagged[24];
    if (flag_ && l.size() == sizeof flagged) {
      std::memcpy(flagged, l.data(), sizeof flagged);
      flagged[9] = flag_;
      l = std::string_view(flagged, sizeof flagged);
    }
    if (!schema_leader(l) && !schema(-1, "the leader does not match the schema's pattern (\"" + printable(l) + "\")"))
      return fail();
    if (!text(l, -1, "the leader")) return fail();
    w = cur_.room(16);
    cur_.set(ind ? put_literal(w, "</leader>\n") : put_literal(w, "</leader>"));
    // The opening of each element, indented; `skip` leaves the indentation out.
    static constexpr char control_open[] = "  <controlfield tag=\"", data_open[] = "  <datafield tag=\"",
                          ind1_open[] = "\" ind1=\"", ind2_open[] = "\" ind2=\"", sub_open[] = "    <subfield code=\"";
    const std::size_t skip = ind ? 0 : 2;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const auto& f = fields[i];
      const auto fi = static_cast<std::int64_t>(i);
      if (MARCPP_UNLIKELY(!f.has_tag_chars())) {
        error_ = writer_diagnostic(rec_, errc::invalid_tag, severity::error, fi,
                                   "the field has no tag; MARCXML cannot write it");
        return fail();
      }
      if (f.is_control()) {
        if (!schema_control_tag(f) &&
            !schema(fi, "a control field tagged \"" + shown_tag(f) +
                            "\": the schema allows control fields only as 001-009, 00A-00Z and 00a-00z"))
          return fail();
        if (MARCPP_UNLIKELY(seen_data_) &&
            !schema(fi, "a control field after a data field: the schema wants the control fields first"))
          return fail();
        w = cur_.room(32);
        w = put_markup(w, control_open, skip);
        if (MARCPP_LIKELY(f.tag().is_valid())) {
          put_tag(w, f.tag());
          w += 3;
        } else {
          cur_.set(w);
          if (!odd_tag(f, fi)) return fail();
          w = cur_.room(8);
        }
        w[0] = '"';
        w[1] = '>';
        cur_.set(w + 2);
        if (!value_text(f.data(), fi, "the control field")) return fail();
        w = cur_.room(24);
        cur_.set(ind ? put_literal(w, "</controlfield>\n") : put_literal(w, "</controlfield>"));
        continue;
      }
      seen_data_ = true;
      if (!schema_data_tag(f) &&
          !schema(fi, "a data field tagged \"" + shown_tag(f) +
                          (f.tag_chars()[0] == '0' && f.tag_chars()[1] == '0'
                               ? "\": the schema does not allow data fields tagged 00X"
                               : "\": the schema allows only tags of digits and letters of one case")))
        return fail();
      const auto is = f.indicators();
      for (std::size_t k = 0; k < 2; ++k)
        if (MARCPP_UNLIKELY(!schema_indicator(is[k])) &&
            !schema(fi, std::string(k == 0 ? "the first" : "the second") + " indicator is " + shown(is[k]) +
                            ", which the schema does not allow (0-9, a-z and a blank)"))
          return fail();
      w = cur_.room(64);
      w = put_markup(w, data_open, skip);
      if (MARCPP_LIKELY(f.tag().is_valid())) {
        put_tag(w, f.tag());
        w += 3;
      } else {
        cur_.set(w);
        if (!odd_tag(f, fi)) return fail();
        w = cur_.room(64);
      }
      if (MARCPP_LIKELY(plain_attribute_byte(is[0]) && plain_attribute_byte(is[1]))) {
        w = put_literal(w, ind1_open);
        *w++ = is[0];
        w = put_literal(w, ind2_open);
        *w++ = is[1];
        cur_.set(w);
      } else {
        cur_.set(w);
        std::string& out = cur_.commit();
        out.append(ind1_open, sizeof ind1_open - 1);
        const bool ok = attribute(is[0], fi, "the first indicator");
        if (ok) out.append(ind2_open, sizeof ind2_open - 1);
        const bool ok2 = ok && attribute(is[1], fi, "the second indicator");
        cur_.resume();
        if (!ok2) return fail();
      }
      w = cur_.room(8);
      cur_.set(ind ? put_literal(w, "\">\n") : put_literal(w, "\">"));
      const auto subs = f.subfields();
      if (MARCPP_UNLIKELY(subs.empty()) && !schema(fi, "the data field has no subfields; the schema asks for at least one"))
        return fail();
      for (const auto& s : subs) {
        const char c = s.code();
        if (MARCPP_LIKELY(s.shape() == subfield_shape::normal && plain_attribute_byte(c) && schema_code(c))) {
          w = cur_.room(32);
          w = put_markup(w, sub_open, 2 * skip);
          w[0] = c;
          w[1] = '"';
          w[2] = '>';
          cur_.set(w + 3);
        } else {
          switch (s.shape()) {
            case subfield_shape::normal:
              if (!schema_code(c) && !schema(fi, "the subfield code is " + shown(c) + ", which the schema does not allow"))
                return fail();
              break;
            case subfield_shape::no_code:
              if (!schema(fi, "a subfield delimiter without a code is written with an empty code attribute"))
                return fail();
              break;
            case subfield_shape::unlabelled:
              error_ = writer_diagnostic(rec_, errc::value_not_representable, severity::error, fi,
                                         "the field holds data before its first subfield delimiter; MARCXML has "
                                         "no place for it, so the record is not written");
              return fail();
          }
          w = cur_.room(32);
          cur_.set(put_markup(w, sub_open, 2 * skip));
          if (s.shape() == subfield_shape::normal) {
            cur_.commit();
            const bool ok = attribute(c, fi, "a subfield code");
            cur_.resume();
            if (!ok) return fail();
          }
          w = cur_.room(8);
          cur_.set(put_literal(w, "\">"));
        }
        if (!value_text(s.value(), fi, "a subfield")) return fail();
        w = cur_.room(16);
        cur_.set(ind ? put_literal(w, "</subfield>\n") : put_literal(w, "</subfield>"));
      }
      w = cur_.room(24);
      cur_.set(ind ? put_literal(w, "  </datafield>\n") : put_literal(w, "</datafield>"));
    }
    w = cur_.room(16);
    cur_.set(put_literal(w, "</record>\n"));
    cur_.commit();
    if (mapped_)
      warn(writer_diagnostic(rec_, errc::control_character_mapped, severity::warning, mapped_field_,
                             "control characters XML cannot hold are written as their Control Pictures "
                             "(U+2400 + code); marcpp's MARCXML reader turns them back"));
    if (picture_)
      warn(writer_diagnostic(rec_, errc::control_character_mapped, severity::warning, picture_field_,
                             "the record holds Control Picture characters (U+2400-U+241F) of its own; "
                             "marcpp's MARCXML reader will read them as control characters"));
    return {};
  }

 private:
  diagnostic fail() {
    out_.resize(old_);  // drops what the cursor wrote, too
    return std::move(error_);
  }
  void warn(diagnostic d) {
    if (warnings_) warnings_->push_back(std::move(d));
  }
  // A deviation from the schema's patterns: a warning, or the record's
  // error under `strict_schema`. Returns false if the record is refused.
  bool schema(std::int64_t fi, std::string message) {
    if (o_.strict_schema) {
      error_ = writer_diagnostic(rec_, errc::schema_pattern, severity::error, fi,
                                 message + "; the record is not written (strict schema)");
      return false;
    }
    if (warned_fields_ < 16 && (fi != last_warned_ || fi < 0)) {
      ++warned_fields_;
      last_warned_ = fi;
      warn(writer_diagnostic(rec_, errc::schema_pattern, severity::warning, fi, message + "; written as it is"));
    }
    return true;
  }
  // A control field's data or a subfield's value.
  MARCPP_ALWAYS_INLINE bool value_text(std::string_view v, std::int64_t fi, const char* what) {
    if (m8_ && !m8_->decode(v)) return false;
    return text(v, fi, what);
  }
  MARCPP_ALWAYS_INLINE bool text(std::string_view v, std::int64_t fi, const char* what) {
    escape_result r;
    cur_.set(put_xml_text(cur_.room(xml_text_bound(v.size())), v, r));
    if (MARCPP_LIKELY(r.status == escape_result::ok && !r.mapped_control && !r.control_picture)) return true;
    return check(r, v, fi, what);
  }
  // Writes `markup` (a literal) without its first `skip` bytes (indentation).
  template <std::size_t N>
  static MARCPP_ALWAYS_INLINE char* put_markup(char* w, const char (&markup)[N], std::size_t skip) noexcept {
    if (MARCPP_LIKELY(skip == 0)) return put_literal(w, markup);
    const std::size_t n = N - 1 - skip;
    std::memcpy(w, markup + skip, n);
    return w + n;
  }
  // The bytes of a tag `tag` cannot hold (the field keeps them), escaped as
  // an attribute value; the cursor is where they go, and is there again
  // after them.
  template <class Field>
  MARCPP_NOINLINE bool odd_tag(const Field& f, std::int64_t fi) {
    const auto c = f.tag_chars();
    const std::string_view v(c.data(), 3);
    std::string& out = cur_.commit();
    const bool ok = check(append_xml_attribute_text(out, v), v, fi, "the tag");
    cur_.resume();
    return ok;
  }
  bool attribute(char c, std::int64_t fi, const char* what) {
    return check(append_xml_attribute_byte(out_, c), std::string_view(&c, 1), fi, what);
  }
  MARCPP_NOINLINE bool check(const escape_result& r, std::string_view v, std::int64_t fi, const char* what) {
    if (r.mapped_control && !mapped_) {
      mapped_ = true;
      mapped_field_ = fi;
    }
    if (r.control_picture && !picture_) {
      picture_ = true;
      picture_field_ = fi;
    }
    if (r.status == escape_result::ok) return true;
    std::string bytes = printable(v.substr(r.at, 4));
    error_ = writer_diagnostic(
        rec_, errc::value_not_representable, severity::error, fi,
        r.status == escape_result::invalid_utf8
            ? std::string(what) + " holds bytes that are not UTF-8 (\"" + bytes +
                  "\"); MARCXML is Unicode text, so the record is not written"
            : std::string(what) + " holds \"" + bytes + "\", which is not a character XML can hold; the record is not written");
    return false;
  }

  const Record& rec_;
  std::string& out_;
  const marcxml_options& o_;
  std::vector<diagnostic>* warnings_;
  std::size_t old_;
  string_cursor cur_{out_};
  char flag_;
  diagnostic error_;
  std::int64_t last_warned_ = -2, mapped_field_ = -1, picture_field_ = -1;
  unsigned warned_fields_ = 0;
  bool mapped_ = false, picture_ = false, seen_data_ = false;
  marc8_values* m8_ = nullptr;
};

}  // namespace detail

namespace detail {
template <class Record>
MARCPP_NOINLINE diagnostic write_marcxml_marc8(const Record& rec, std::string& out, const marcxml_options& opts,
                                               std::vector<diagnostic>* warnings) {
  // The usual MARC-8 record (bytes that agree with leader/09, no
  // normalisation): decoded value by value as it is written. Anything the
  // decoder or the writer would report sends it the long way, through
  // `to_utf8`, which reports it.
  if (marc8_streamable(rec, opts.convert_marc8, opts.charset) &&
      write_marc8_decoded(out, warnings, opts.charset.numeric_references, [&](marc8_values& m8) {
        marcxml_record_writer<Record> w(rec, out, opts, warnings, 'a');
        w.decode_marc8(&m8);
        return w.run();
      }))
    return {};
  record converted;
  unicode_path path;
  if (auto d = unicode_gate(rec, "MARCXML", opts.convert_marc8, opts.charset, warnings, converted, path)) return d;
  if (path == unicode_path::converted) return marcxml_record_writer<record>(converted, out, opts, warnings).run();
  return marcxml_record_writer<Record>(rec, out, opts, warnings, 'a').run();
}
}  // namespace detail

/// Appends the MARCXML `<record>` element of `rec` to `out` (without a
/// namespace declaration: it belongs inside a `<collection>` that declares
/// `marcxml_namespace`, as `marcxml_writer` writes it). The output is always
/// well-formed XML. A MARC-8 record (leader/09 blank) is converted to UTF-8
/// on the way and written with leader/09 `a` (`opts.convert_marc8`,
/// `opts.charset`); what the conversion reports is appended to `warnings`.
/// A record MARCXML cannot hold leaves `out` unchanged and returns the
/// reason: a MARC-8 record whose conversion failed (its 9xx fault, under the
/// strict or skip charset policy) or that is not to be converted
/// (`marc8_needs_conversion`), bytes that are not UTF-8, a subfield code or
/// indicator that is no character, data before the first subfield
/// (`value_not_representable`), a field with no tag at all (`invalid_tag`;
/// a tag `tag` cannot hold is written as the bytes the field keeps, escaped
/// as an attribute value). Content the schema's patterns do not allow is
/// written as it is with a `schema_pattern` warning appended to `warnings`
/// (or refused, with `strict_schema`).
///
///     std::string xml;
///     if (auto err = marcpp::write_marcxml(rec, xml)) std::cerr << marcpp::to_string(err) << '\n';
template <class Record>
[[nodiscard]] diagnostic write_marcxml(const Record& rec, std::string& out, const marcxml_options& opts = {},
                                       std::vector<diagnostic>* warnings = nullptr) {
  if (rec.leader().coding_scheme() == ' ') return detail::write_marcxml_marc8(rec, out, opts, warnings);
  return detail::marcxml_record_writer<Record>(rec, out, opts, warnings).run();
}

/// A MARCXML document holding `rec` alone (`<record xmlns=...>` as the root);
/// throws `marcpp::error` if the record cannot be written.
template <class Record>
[[nodiscard]] std::string to_marcxml(const Record& rec, const marcxml_options& opts = {}) {
  std::string body;
  if (auto err = write_marcxml(rec, body, opts)) throw_error(std::move(err));
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<record xmlns=\"";
  s.append(marcxml_namespace);
  s += '"';
  s.append(body, 7, std::string::npos);  // after "<record"
  return s;
}

/// Writes a MARCXML `<collection>` to a `std::ostream`, through a buffer.
/// The collection is opened at once and closed by `finish()` (or the
/// destructor), so the output is a complete document even with no records.
///
///     marcpp::marcxml_writer w{std::cout};
///     for (const auto& rec : reader) if (auto err = w.write(rec)) report(err);
///     w.finish();
class marcxml_writer {
 public:
  explicit marcxml_writer(std::ostream& os, marcxml_options opts = {}, std::size_t buffer = std::size_t{1} << 20)
      : out_(os, buffer), opts_(opts) {
    out_.buffer().append(marcxml_collection_open);
  }
  marcxml_writer(const marcxml_writer&) = delete;
  marcxml_writer& operator=(const marcxml_writer&) = delete;
  ~marcxml_writer() { finish(); }

  /// Receives the writer's warnings (`schema_pattern`, `control_character_mapped`),
  /// and the warnings and repairs of converting MARC-8 records.
  void on_diagnostic(diagnostic_handler h) { out_.set_handler(std::move(h)); }

  /// Writes `rec`; a record MARCXML cannot hold is not written and the
  /// reason returned.
  template <class Record>
  diagnostic write(const Record& rec) {
    diagnostic d = write_marcxml(rec, out_.buffer(), opts_, &warnings_);
    out_.report(warnings_);
    if (!d) ++count_;
    out_.maybe_flush();
    return d;
  }
  /// Closes the collection and flushes; later calls do nothing.
  void finish() {
    if (finished_) return;
    finished_ = true;
    out_.buffer().append(marcxml_collection_close);
    out_.flush();
  }
  /// Records written.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  detail::buffered_output out_;
  marcxml_options opts_;
  std::vector<diagnostic> warnings_;
  std::uint64_t count_ = 0;
  bool finished_ = false;
};

namespace detail {

/// Namespaces whose `record` elements are MARC records: MARCXML, and
/// MarcXchange (ISO 25577), which has the same structure.
[[nodiscard]] inline bool is_marc_namespace(std::string_view uri) noexcept {
  return uri == marcxml_namespace || uri == "info:lc/xmlns/marcxchange-v1" || uri == "info:lc/xmlns/marcxchange-v2";
}

/// Turns the Control Pictures U+2400-U+241F back into the control
/// characters the writer replaced with them.
inline void unmap_control_pictures(std::string& s) {
  if (s.find("\xE2\x90") == std::string::npos) return;
  std::size_t w = 0;
  for (std::size_t r = 0; r < s.size();) {
    if (r + 2 < s.size() && s[r] == '\xE2' && s[r + 1] == '\x90' && static_cast<unsigned char>(s[r + 2]) >= 0x80 &&
        static_cast<unsigned char>(s[r + 2]) <= 0x9F) {
      s[w++] = static_cast<char>(static_cast<unsigned char>(s[r + 2]) - 0x80);
      r += 3;
    } else {
      s[w++] = s[r++];
    }
  }
  s.resize(w);
}

/// Offset of the next `<record` or `<prefix:record` start tag in [p, p+n),
/// or `n` if there is none.
[[nodiscard]] inline std::size_t find_record_start(const char* p, std::size_t n) noexcept {
  static constexpr std::string_view word = "record";
  std::size_t from = 0;
  while (from + word.size() + 2 <= n) {
    const void* q = std::memchr(p + from + 1, 'r', n - from - 1);
    if (!q) return n;
    std::size_t k = static_cast<std::size_t>(static_cast<const char*>(q) - p);
    from = k;
    if (k + word.size() >= n) return n;
    if (std::string_view(p + k, word.size()) != word) continue;
    const char after = p[k + word.size()];
    if (after != '>' && after != '/' && after != ' ' && after != '\t' && after != '\n' && after != '\r') continue;
    // Back over an optional "prefix:" to the '<'.
    std::size_t b = k;
    if (p[b - 1] == ':') {
      --b;
      while (b > 0 && p[b - 1] != '<' && p[b - 1] != ' ' && p[b - 1] != '>' && p[b - 1] != '\n' && k - b < 64) --b;
    }
    if (b > 0 && p[b - 1] == '<') return b - 1;
  }
  return n;
}

}  // namespace detail

/// Reads MARCXML records from `Source` in constant memory (the bytes of the
/// record being read, and a 64 KB chunk). It takes a `<collection>`, a bare
/// `<record>`, or records inside any other XML (an OAI-PMH or SRU
/// response), with the `marc:` prefix, a default namespace or none.
///
/// Records are delivered as owning `record`s (values are decoded from XML,
/// so they cannot view the input). Leader/09 is set to `a` when blank, since
/// the text is Unicode (`coding_scheme_set`, a warning). A record that is
/// not well-formed XML is reported with its index, line and column; under
/// the lenient and skip policies the reader goes on with the next record.
///
///     marcpp::marcxml_reader r{marcpp::mmap_source{"records.xml"}};
///     marcpp::record rec;
///     while (r.next(rec)) std::cout << rec.control_number() << '\n';
template <class Source>
class marcxml_reader : public detail::text_reader_base<marcxml_reader<Source>> {
  using base = detail::text_reader_base<marcxml_reader<Source>>;
  friend base;
  friend class detail::xml_parser<marcxml_reader>;

 public:
  explicit marcxml_reader(Source src, read_options opts = {}) : base(opts), src_(std::move(src)), xml_(*this) {}

  /// Reads the next record into `out`; false at the end or on a stop.
  bool next(record& out) {
    if (this->done_) return false;
    for (;;) {
      if (ready_) {
        ready_ = false;
        std::string_view raw = ready_raw();
        if (this->settle(building_, ready_parsed_, raw, [&](diagnostic& d) { locate(d); })) {
          out = std::move(building_);
          building_ = record{};
          last_raw_ = raw;
          return true;
        }
        building_ = record{};
        if (this->done_) return false;
        continue;
      }
      if (loose_pending_) {
        loose_pending_ = false;
        locate(loose_);
        if (!this->settle_loose(std::move(loose_), broken_raw_)) return false;
        continue;
      }
      if (suspended_) {
        suspended_ = false;
        handle(xml_.resume());
        continue;
      }
      if (finished_) {
        this->done_ = true;
        return false;
      }
      if (!feed_more()) return false;
    }
  }

  /// The bytes of the last record delivered, as they are in the input
  /// (valid until the next call to `next`).
  [[nodiscard]] std::string_view raw() const noexcept { return last_raw_; }
  /// Bytes of input handed to the XML parser so far.
  [[nodiscard]] std::uint64_t position() const noexcept { return fed_; }
  [[nodiscard]] Source& source() noexcept { return src_; }

 private:
  static constexpr std::size_t chunk_size = std::size_t{1} << 16;
  enum class element : std::uint8_t { none, leader, control, data, subfield };
  struct binding {
    std::string prefix;
    std::string uri;
    unsigned depth = 0;
    bool has_prefix = false;
  };

  // ---- input -------------------------------------------------------------
  std::uint64_t absolute(std::uint64_t parser_offset) const noexcept {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(parser_offset) + shift_);
  }
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
  std::string_view ready_raw() const noexcept {
    if (ready_raw_copied_) return broken_raw_;
    return bytes(ready_start_, ready_end_);
  }

  bool feed_more() {
    std::uint64_t keep = chunk_start_;
    if ((in_record_ || candidate_) && !oversize_) keep = std::min(keep, in_record_ ? rec_start_ : cand_start_);
    release(keep);
    source_window w = src_.window();
    std::uint64_t have = w.offset + w.size - fed_;
    if (have < chunk_size && !eof_) {
      if (!src_.fill(static_cast<std::size_t>(fed_ - w.offset) + chunk_size)) eof_ = true;
      std::string_view err = src_.error();
      if (!err.empty()) {
        diagnostic d = base::make(errc::io_error, severity::error, std::string(err));
        this->stop(std::move(d), {});
        return false;
      }
      w = src_.window();
      have = w.offset + w.size - fed_;
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(have, chunk_size));
    const bool last = eof_ && n == have;
    chunk_start_ = fed_;
    const char* p = w.data + (fed_ - w.offset);
    fed_ += n;
    last_fed_ = last;
    handle(xml_.feed(p, n, last));
    return true;
  }

  void handle(typename detail::xml_parser<marcxml_reader>::status s) {
    using st = typename detail::xml_parser<marcxml_reader>::status;
    if (s == st::suspended) {
      suspended_ = true;
      return;
    }
    if (s == st::error) {
      on_error();
      return;
    }
    if (last_fed_) finished_ = true;
  }

  // ---- errors and resumption ----------------------------------------------
  void on_error() {
    const std::uint64_t at = std::max(absolute(xml_.event_offset()), resumed_at_);
    const bool quiet = resumed_ && !in_record_ && !candidate_ && depth_ <= 1 &&
                       (xml_.error_is_tag_mismatch() || xml_.error_is_premature_end());
    // More than one document in the input (another XML declaration, a
    // collection or a record after the root): read in turn.
    bool another_root = false;
    if (!in_record_ && !candidate_ && depth_ == 0 && !resumed_ && xml_.error_is_after_root()) {
      std::string_view junk = bytes(at, at + 128);
      const std::size_t colon = junk.find(':');
      std::string_view name = junk.substr(1, junk.find_first_of(" \t\r\n>/") - 1);
      if (colon != std::string_view::npos && colon < name.size() + 1) name = name.substr(colon);
      another_root = junk.substr(0, 5) == "<?xml" || name == "collection" || name == "record";
    }
    const std::string why = xml_.error_message();
    const std::uint64_t anchor = in_record_ ? rec_start_ : at;
    // Lines and columns now, while the bytes are at hand.
    diagnostic d = base::make(errc::xml_not_well_formed, severity::error, "");
    d.offset = at;
    if (!quiet) {
      locate(d);
      if (in_record_)
        for (auto& e : detail::record_access::diagnostics(building_)) locate(e);
    }
    // Resume at the next record start from the error on (the error may be
    // that very start tag, after another document), but never at the point
    // resumed at before: every step moves on.
    const std::uint64_t from = resumed_ && at <= resumed_at_ ? resumed_at_ + 1 : at;
    const std::uint64_t next = find_next_record(from, anchor, !quiet && !another_root);
    if (another_root) {
      d.level = severity::warning;
      d.message = "the input holds more than one XML document or top-level element (" + why +
                  "); they are read one after another";
      broken_raw_.clear();
      loose_ = std::move(d);
      loose_pending_ = true;
    } else if (!quiet) {
      if (in_record_) {
        d.record_index = building_.index();
        d.record_offset = rec_start_;
        d.message = "the record is not well-formed XML (" + why + "); it is skipped";
        detail::record_access::diagnostics(building_).push_back(std::move(d));
        ready_ = true;
        ready_parsed_ = false;
        ready_start_ = rec_start_;
        ready_end_ = next == npos ? src_.window().offset + src_.window().size : next;
        if (!ready_raw_copied_ && ready_end_ - ready_start_ > this->opts_.max_record_size)
          ready_end_ = ready_start_ + this->opts_.max_record_size;
      } else {
        d.message = misdeclared_.empty() || at > 256
                        ? "the XML is not well-formed (" + why + ") outside any record"
                        : "the XML declaration says the document is in " + misdeclared_ +
                              ", but it is written in single bytes (" + why +
                              "); it is read as UTF-8 from the next record on";
        if (!ready_raw_copied_)
          broken_raw_.assign(bytes(at, std::min(next, at + 256)));
        else if (broken_raw_.size() > 256)
          broken_raw_.resize(256);
        ready_raw_copied_ = false;
        loose_ = std::move(d);
        loose_pending_ = true;
      }
    }
    restart(next);
  }

  // Finds the next record start tag at or after `from`, keeping the bytes
  // from `anchor` on (the broken record, for its report) as long as they
  // stay within the record size limit; beyond it they are copied first.
  std::uint64_t find_next_record(std::uint64_t from, std::uint64_t anchor, bool keep_raw) {
    ready_raw_copied_ = false;
    broken_raw_.clear();
    std::uint64_t pos = from;
    for (;;) {
      source_window w = src_.window();
      const std::uint64_t end = w.offset + w.size;
      if (pos < w.offset) pos = w.offset;
      if (pos < end) {
        std::size_t k = detail::find_record_start(w.data + (pos - w.offset), static_cast<std::size_t>(end - pos));
        if (k < end - pos) return pos + k;
        // Keep a little overlap: a start tag may straddle the window's end.
        pos = end > pos + 80 ? end - 80 : pos;
      }
      if (eof_ || !src_.fill(static_cast<std::size_t>(end - w.offset) + chunk_size)) {
        eof_ = true;
        source_window v = src_.window();
        if (v.offset + v.size == end) return npos;
        continue;
      }
      // Bound the memory held for the broken record's report.
      source_window v = src_.window();
      if (v.offset + v.size - anchor > this->opts_.max_record_size && !ready_raw_copied_ && keep_raw) {
        broken_raw_.assign(bytes(anchor, anchor + this->opts_.max_record_size));
        ready_raw_copied_ = true;
      }
      if (ready_raw_copied_ || !keep_raw) release(std::min(pos, v.offset + v.size));
    }
  }

  void restart(std::uint64_t next) {
    // The namespaces in scope around the records, declared again on a
    // wrapper element the rest of the input is parsed inside.
    const unsigned outer = in_record_ ? rec_depth_ : depth_ + 1;
    std::vector<binding> scope;
    for (const auto& b : bindings_)
      if (b.depth < outer) {
        auto it = std::find_if(scope.begin(), scope.end(),
                               [&](const binding& s) { return s.has_prefix == b.has_prefix && s.prefix == b.prefix; });
        if (it != scope.end())
          *it = b;
        else
          scope.push_back(b);
      }
    bindings_.clear();
    depth_ = 0;
    in_record_ = candidate_ = oversize_ = false;
    ignore_depth_ = 0;
    elem_ = element::none;
    if (next == npos) {
      finished_ = true;
      suspended_ = false;
      return;
    }
    std::string prologue = "<marcpp-resume";
    for (const auto& b : scope) {
      prologue += b.has_prefix ? " xmlns:" + b.prefix + "=\"" : std::string(" xmlns=\"");
      for (char c : b.uri) {
        if (c == '"') prologue += "&quot;";
        else if (c == '&') prologue += "&amp;";
        else if (c == '<') prologue += "&lt;";
        else prologue += c;
      }
      prologue += '"';
    }
    prologue += '>';
    xml_.reset(encoding_.empty() ? nullptr : encoding_.c_str());
    shift_ = static_cast<std::int64_t>(next) - static_cast<std::int64_t>(prologue.size());
    resumed_ = true;
    resumed_at_ = next;
    suspended_ = false;
    finished_ = false;
    last_fed_ = false;
    fed_ = chunk_start_ = next;
    handle(xml_.feed(prologue.data(), prologue.size(), false));
  }

  // ---- XML events ----------------------------------------------------------
  static void split(std::string_view name, std::string_view& uri, std::string_view& local) noexcept {
    auto k = name.find(detail::xml_namespace_separator);
    if (k == std::string_view::npos) {
      uri = {};
      local = name;
    } else {
      uri = name.substr(0, k);
      local = name.substr(k + 1);
    }
  }
  static const char* attribute(const char** atts, std::string_view name) noexcept {
    for (; atts && *atts; atts += 2)
      if (name == atts[0]) return atts[1];
    return nullptr;
  }

  void begin_record(std::uint64_t at, unsigned depth) {
    in_record_ = true;
    candidate_ = false;
    rec_depth_ = depth;
    rec_start_ = at;
    building_ = record{};
    detail::record_access::set_position(building_, index_++, at);
    have_leader_ = false;
    oversize_ = false;
    elem_ = element::none;
    noted_text_ = false;
  }
  void fault(errc code, severity level, std::uint64_t at, std::string message, std::int64_t field = -1,
             std::string original = {}) {
    diagnostic d = base::make(code, level, std::move(message));
    d.record_index = building_.index();
    d.record_offset = rec_start_;
    d.offset = at;
    if (field >= 0) {
      d.field_index = static_cast<std::int32_t>(field);
      d.tag = building_.fields()[static_cast<std::size_t>(field)].tag();
    }
    d.original = std::move(original);
    detail::record_access::diagnostics(building_).push_back(std::move(d));
  }
  // The tag attribute of an element, with Control Pictures turned back into
  // control characters as in values (the writer writes them so); false if
  // there is none.
  bool read_tag(const char** atts, std::string& text) {
    const char* v = attribute(atts, "tag");
    text = v ? v : "";
    detail::unmap_control_pictures(text);
    return v != nullptr;
  }
  // Gives the last field of the record the tag read by read_tag, reporting
  // a tag that is no MARC 21 tag or that cannot be kept.
  void apply_tag(bool have, const std::string& text, const char* element_name, std::uint64_t at) {
    field& f = building_.fields().back();
    const auto fi = static_cast<std::int64_t>(building_.fields().size()) - 1;
    if (!have) {
      f.set_tag(marcpp::tag::invalid());
      fault(errc::invalid_tag, severity::repair, at,
            std::string("the ") + element_name +
                " has no tag attribute; the field is kept without a tag, and no writer writes it until it is given one",
            fi);
      return;
    }
    const detail::tag_text k = detail::set_tag_text(f, text);
    if (k == detail::tag_text::illegal || k == detail::tag_text::unusable)
      fault(errc::invalid_tag, k == detail::tag_text::illegal ? severity::warning : severity::repair, at,
            detail::tag_text_message(k, std::string("the ") + element_name, text), fi, text);
  }
  // One byte from an attribute value (an indicator or a subfield code).
  bool one_byte(const char* v, char& out) {
    std::string s = v;
    detail::unmap_control_pictures(s);
    if (s.size() == 1) {
      out = s[0];
      return true;
    }
    if (!s.empty() && static_cast<unsigned char>(s[0]) < 0x80) out = s[0];
    return false;
  }
  char indicator(const char** atts, const char* name, std::uint64_t at) {
    const char* v = attribute(atts, name);
    char c = ' ';
    const auto fi = static_cast<std::int64_t>(building_.fields().size()) - 1;
    if (!v) {
      fault(errc::xml_not_marcxml, severity::repair, at,
            std::string("the datafield has no ") + name + " attribute; a blank is used", fi);
    } else if (!one_byte(v, c)) {
      fault(errc::xml_not_marcxml, severity::repair, at,
            std::string("the datafield's ") + name + " is \"" + detail::printable(v) + "\", not one character; " +
                (c == ' ' ? "a blank is used" : "its first character is kept"),
            fi);
    }
    return c;
  }

  void unknown_element(std::string_view local, std::uint64_t at) {
    fault(errc::xml_not_marcxml, severity::repair, at,
          "the element <" + detail::printable(local) + "> is not part of a MARCXML record; it and what it holds are left out");
    ignore_depth_ = depth_;
  }

  void check_size(std::uint64_t at) {
    if (oversize_ || at - rec_start_ <= this->opts_.max_record_size) return;
    oversize_ = true;
    fault(errc::record_too_large, severity::error, at,
          "the record is longer than " + std::to_string(this->opts_.max_record_size) + " bytes; it is skipped");
    text_.clear();
    text_.shrink_to_fit();
  }

  void xml_start(std::string_view name, const char** atts) {
    ++depth_;
    if (ignore_depth_) return;
    const std::uint64_t at = absolute(xml_.event_offset());
    std::string_view uri, local;
    split(name, uri, local);
    const bool marc = uri.empty() || detail::is_marc_namespace(uri);
    if (candidate_) {
      // The first child of a `record` in no namespace says what it is.
      if (uri.empty() && (local == "leader" || local == "controlfield" || local == "datafield")) {
        begin_record(cand_start_, cand_depth_);
      } else {
        candidate_ = false;
      }
    }
    if (!in_record_) {
      if (local == "record" && marc) {
        if (uri.empty()) {
          candidate_ = true;
          cand_depth_ = depth_;
          cand_start_ = at;
        } else {
          begin_record(at, depth_);
        }
        return;
      }
      if (!uri.empty() && marc &&
          (local == "leader" || local == "controlfield" || local == "datafield" || local == "subfield")) {
        diagnostic d = base::make(errc::xml_not_marcxml, severity::error,
                                  "a <" + std::string(local) + "> outside any <record>; it is left out");
        d.offset = at;
        broken_raw_.assign(bytes(at, at + 256));
        loose_ = std::move(d);
        loose_pending_ = true;
        ignore_depth_ = depth_;
        xml_.suspend();
      }
      return;
    }
    check_size(at);
    if (oversize_) return;
    const unsigned rel = depth_ - rec_depth_;
    if (!marc) return unknown_element(local, at);
    if (rel == 1) {
      text_.clear();
      elem_start_ = at;
      noted_text_ = false;
      if (local == "leader") {
        elem_ = element::leader;
      } else if (local == "controlfield") {
        elem_ = element::control;
        ctag_have_ = read_tag(atts, ctag_text_);
      } else if (local == "datafield") {
        elem_ = element::data;
        std::string tag_text;
        const bool have = read_tag(atts, tag_text);
        building_.add(field(marcpp::tag::invalid(), {}));
        apply_tag(have, tag_text, "datafield", at);
        char i1 = indicator(atts, "ind1", at);
        char i2 = indicator(atts, "ind2", at);
        building_.fields().back().set_indicators({i1, i2});
      } else {
        elem_ = element::none;
        unknown_element(local, at);
      }
      return;
    }
    if (rel == 2 && elem_ == element::data && local == "subfield") {
      elem_ = element::subfield;
      text_.clear();
      const char* v = attribute(atts, "code");
      const auto fi = static_cast<std::int64_t>(building_.fields().size()) - 1;
      sub_shape_ = subfield_shape::normal;
      sub_code_ = 0;
      if (!v) {
        sub_shape_ = subfield_shape::no_code;
        fault(errc::xml_not_marcxml, severity::repair, at,
              "a subfield has no code attribute; it is kept as a subfield without a code", fi);
      } else if (*v == 0) {
        sub_shape_ = subfield_shape::no_code;
        fault(errc::schema_pattern, severity::warning, at,
              "a subfield's code is empty; it is read as a subfield delimiter without a code", fi);
      } else if (!one_byte(v, sub_code_)) {
        const bool kept = sub_code_ != 0;
        if (!kept) sub_shape_ = subfield_shape::no_code;
        fault(errc::xml_not_marcxml, severity::repair, at,
              "a subfield's code is \"" + detail::printable(v) + "\", not one character; " +
                  (kept ? "its first character is kept" : "it is kept as a subfield without a code"),
              fi);
      }
      return;
    }
    unknown_element(local, at);
  }

  void xml_end(std::string_view) {
    const unsigned depth = depth_--;
    if (ignore_depth_) {
      if (depth == ignore_depth_) ignore_depth_ = 0;
      return;
    }
    if (candidate_ && depth == cand_depth_) {
      // A `record` in no namespace with no children: an empty record.
      begin_record(cand_start_, cand_depth_);
    }
    if (!in_record_) return;
    const unsigned rel = depth - rec_depth_;
    const std::uint64_t at = absolute(xml_.event_offset());
    if (rel == 0) return end_record(at + xml_.event_size());
    if (oversize_) return;
    if (rel == 1) {
      detail::unmap_control_pictures(text_);
      switch (elem_) {
        case element::leader: finish_leader(); break;
        case element::control: {
          building_.add(field::control(marcpp::tag::invalid(), std::move(text_)));
          apply_tag(ctag_have_, ctag_text_, "controlfield", elem_start_);
          break;
        }
        default: break;
      }
      elem_ = element::none;
      text_.clear();
      return;
    }
    if (rel == 2 && elem_ == element::subfield) {
      detail::unmap_control_pictures(text_);
      auto& subs = building_.fields().back().subfields();
      if (sub_shape_ == subfield_shape::normal)
        subs.emplace_back(sub_code_, std::move(text_));
      else
        subs.push_back(subfield::without_code(std::move(text_)));
      text_.clear();
      elem_ = element::data;
    }
  }

  void finish_leader() {
    if (have_leader_) {
      fault(errc::xml_not_marcxml, severity::repair, elem_start_,
            "the record has a second <leader> (\"" + detail::printable(text_) + "\"); it is left out");
      return;
    }
    have_leader_ = true;
    std::string repair;
    building_.set_leader(detail::leader_from_text(text_, repair));
    if (!repair.empty()) fault(errc::bad_leader_length, severity::repair, elem_start_, std::move(repair));
    set_coding_scheme(building_, elem_start_);
  }
  void set_coding_scheme(record& r, std::uint64_t at) {
    if (r.leader().coding_scheme() != ' ') return;
    r.leader().set_coding_scheme('a');
    fault(errc::coding_scheme_set, severity::warning, at,
          "leader/09 is blank (MARC-8), but MARCXML text is Unicode; leader/09 is set to 'a'");
  }

  void end_record(std::uint64_t end) {
    in_record_ = false;
    ready_ = true;
    ready_raw_copied_ = false;
    ready_start_ = rec_start_;
    ready_end_ = end;
    if (oversize_) {
      ready_parsed_ = false;
      ready_end_ = ready_start_;
    } else if (!have_leader_ && building_.empty()) {
      ready_parsed_ = false;
      fault(errc::xml_not_marcxml, severity::error, rec_start_, "the <record> holds no leader and no fields; it is skipped");
    } else {
      ready_parsed_ = true;
      if (!have_leader_) {
        fault(errc::xml_not_marcxml, severity::repair, rec_start_,
              "the record has no <leader>; a blank one is used (\"00000    a2200000   4500\")");
        leader l;
        l.set_coding_scheme('a');
        building_.set_leader(l);
      }
    }
    xml_.suspend();
  }

  void xml_text(const char* s, std::size_t n) {
    if (ignore_depth_ || !in_record_ || oversize_) return;
    if (elem_ == element::leader || elem_ == element::control || elem_ == element::subfield) {
      if (depth_ - rec_depth_ == (elem_ == element::subfield ? 2u : 1u)) {
        text_.append(s, n);
        if (text_.size() > this->opts_.max_record_size) check_size(rec_start_ + text_.size());
      }
      return;
    }
    if (noted_text_) return;
    for (std::size_t i = 0; i < n; ++i)
      if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
        noted_text_ = true;
        fault(errc::xml_not_marcxml, severity::repair, absolute(xml_.event_offset()),
              "text outside any subfield (\"" + detail::printable(std::string_view(s + i, std::min<std::size_t>(n - i, 32))) +
                  "\") is left out",
              elem_ == element::data ? static_cast<std::int64_t>(building_.fields().size()) - 1 : -1);
        return;
      }
  }

  void xml_namespace_start(const char* prefix, const char* uri) {
    binding b;
    b.has_prefix = prefix != nullptr;
    if (prefix) b.prefix = prefix;
    if (uri) b.uri = uri;
    b.depth = depth_ + 1;
    bindings_.push_back(std::move(b));
  }
  void xml_namespace_end(const char* prefix) {
    for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it)
      if (it->has_prefix == (prefix != nullptr) && (!prefix || it->prefix == prefix)) {
        bindings_.erase(std::next(it).base());
        return;
      }
  }
  void xml_declaration(const char* encoding) {
    if (!encoding || resumed_) return;
    encoding_ = encoding;
    // A declaration of a 16- or 32-bit encoding written in single bytes (no
    // byte order mark, no zero bytes: expat read it as 8-bit text) cannot be
    // true: the bytes after it would not read as the declared encoding
    // either. Such documents are UTF-8 whose declaration was copied from
    // elsewhere; resumption reads them as UTF-8, and the fault says so.
    if (wide_encoding_name(encoding_) && bytes(0, 5) == "<?xml") {
      misdeclared_ = encoding_;
      encoding_ = "UTF-8";
    }
  }
  static bool wide_encoding_name(std::string_view e) noexcept {
    auto starts = [&](std::string_view p) {
      if (e.size() < p.size()) return false;
      for (std::size_t i = 0; i < p.size(); ++i)
        if ((e[i] >= 'a' && e[i] <= 'z' ? static_cast<char>(e[i] - 32) : e[i]) != p[i]) return false;
      return true;
    };
    return starts("UTF-16") || starts("UTF-32") || starts("UCS-2") || starts("UCS-4") || starts("ISO-10646-UCS");
  }

  Source src_;
  detail::xml_parser<marcxml_reader> xml_;
  detail::text_locator loc_;
  std::uint64_t fed_ = 0, chunk_start_ = 0, resumed_at_ = 0;
  std::int64_t shift_ = 0;
  bool eof_ = false, last_fed_ = false, finished_ = false, suspended_ = false, resumed_ = false;
  std::string encoding_, misdeclared_;
  std::vector<binding> bindings_;
  unsigned depth_ = 0, ignore_depth_ = 0;
  // the record being built
  bool in_record_ = false, candidate_ = false, oversize_ = false, have_leader_ = false, noted_text_ = false;
  unsigned rec_depth_ = 0, cand_depth_ = 0;
  std::uint64_t rec_start_ = 0, cand_start_ = 0, elem_start_ = 0, index_ = 0;
  record building_;
  element elem_ = element::none;
  std::string text_;
  std::string ctag_text_;  // the controlfield's tag attribute (read_tag)
  bool ctag_have_ = false;
  char sub_code_ = 0;
  subfield_shape sub_shape_ = subfield_shape::normal;
  // what `next` hands on
  bool ready_ = false, ready_parsed_ = false, ready_raw_copied_ = false, loose_pending_ = false;
  std::uint64_t ready_start_ = 0, ready_end_ = 0;
  std::string broken_raw_;
  diagnostic loose_;
  std::string_view last_raw_;
};

template <class Source>
marcxml_reader(Source, read_options) -> marcxml_reader<Source>;
template <class Source>
marcxml_reader(Source) -> marcxml_reader<Source>;

MARCPP_NAMESPACE_END
