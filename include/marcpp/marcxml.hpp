// SPDX-License-Identifier: MIT
#pragma once

/// \file marcxml.hpp
/// MARCXML (the Library of Congress MARC21slim schema): writing from either
/// record flavour, and a streaming reader. docs/formats.md gives the rules.

#include <marcpp/charset.hpp>
#include <marcpp/config.hpp>
#include <marcpp/text_options.hpp>
#include <marcpp/detail/text_locator.hpp>
#include <marcpp/detail/text_reader.hpp>
#include <marcpp/detail/text_writer.hpp>
#include <marcpp/detail/xml.hpp>
#include <marcpp/error.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/read_options.hpp>
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
#include <type_traits>
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
/// True if the tag of `f` comes back as it is from a `tag` attribute the
/// writer writes (control characters as Control Pictures, which marcpp's
/// reader turns back): a tag `tag` holds, or bytes that are ASCII or UTF-8
/// characters other than U+FFFE, U+FFFF and the Control Pictures.
template <class Field>
[[nodiscard]] bool xml_tag(const Field& f) noexcept {
  if (MARCPP_LIKELY(f.tag().is_valid())) return true;
  const auto c = f.tag_chars();
  const auto* p = reinterpret_cast<const unsigned char*>(c.data());
  for (std::size_t i = 0; i < 3;) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence(p + i, 3 - i);
    if (len == 0) return false;
    if (len == 3 && ((p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE) || (p[0] == 0xE2 && p[1] == 0x90 && p[2] <= 0x9F)))
      return false;
    i += len;
  }
  return true;
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

// ---- what the writer writes where MARCXML cannot hold the record as it is --
//
// The valid form (the default) writes, for anything MARC21slim.xsd or XML
// does not allow, a substitute that validates, and the original bytes in a
// `<?marcpp ...?>` instruction before it; the as-is form (`as_is`) writes
// what XML can hold as it is and uses the instruction only for the rest.
// marcpp's reader puts the original back when the element it finds is the
// substitute these functions make of it (so a document edited since is read
// as it now is).

/// The leader text the writer writes for leader `l` (before escaping).
/// Valid form: each byte the schema's pattern refuses at its position
/// becomes a blank where the pattern allows one, `0` in the numbers (00-04,
/// 12-16), `u` (unknown) at 06, `2` at 10 and 11, and 20-23 become `4500`
/// unless they are `4500` or blank. As-is form: bytes that are no
/// character become blanks.
[[nodiscard]] inline std::string marcxml_leader_text(std::string_view l, bool valid) {
  std::string t(l);
  if (!valid || t.size() != 24) {
    const auto* p = reinterpret_cast<const unsigned char*>(l.data());
    for (std::size_t i = 0; i < l.size();) {
      if (p[i] < 0x80) {
        ++i;
        continue;
      }
      const std::size_t len = utf8_sequence(p + i, l.size() - i);
      if (len == 0 || (len == 3 && p[i] == 0xEF && p[i + 1] == 0xBF && p[i + 2] >= 0xBE)) {
        for (std::size_t k = 0; k < (len ? len : 1); ++k) t[i + k] = ' ';
        i += len ? len : 1;
      } else {
        i += len;
      }
    }
    if (!valid) return t;
    t.resize(24, ' ');
  }
  for (std::size_t i = 0; i < 20; ++i) {
    const char c = t[i];
    const bool digits = i < 5 || (i >= 12 && i < 17);
    if (digits) {
      if (!xsd_digit(c) && c != ' ') t[i] = '0';
    } else if (i == 6) {
      if (!xsd_alnum(c)) t[i] = 'u';
    } else if (i == 10 || i == 11) {
      if (c != '2' && c != ' ') t[i] = '2';
    } else if (!xsd_alnum(c) && c != ' ') {
      t[i] = ' ';
    }
  }
  if (t.compare(20, 4, "4500") != 0 && t.compare(20, 4, "    ") != 0) t.replace(20, 4, "4500");
  return t;
}

/// What marcpp's reader reads from a leader `l` written without its
/// original: the leader text with its Control Pictures turned back.
[[nodiscard]] inline std::string marcxml_leader_as_read(std::string_view l, bool valid) {
  std::string t = marcxml_leader_text(l, valid);
  unmap_control_pictures(t);
  return t;
}

/// How a field appears in MARCXML.
enum class marcxml_element : std::uint8_t { control, data, none };

/// The element the writer writes for field `f` (its content before
/// escaping), and which element it is; `none`: no element, the field is in
/// its instruction alone. Valid form: a control field tagged other than
/// 001-009 has no element; a data field tagged 00X is written as a control
/// field holding its bytes (delimiters as Control Pictures; 000 has no
/// element); in a
/// data field, an indicator outside [0-9a-z ] becomes a blank, and data
/// before the first delimiter, codeless delimiters and subfields whose code
/// the schema refuses are left out (a field left with no subfield has no
/// element); a data field whose tag the schema refuses in both elements
/// (`30-`, `0 2`, `Ab1`) has no element. As-is form: a field whose tag an
/// attribute cannot give back (`xml_tag`) has no element; indicator bytes of
/// 0x80 and more become blanks; data before the first delimiter and
/// subfields with a code byte of 0x80 or more are left out. Text that is
/// not UTF-8, U+FFFE and U+FFFF become U+FFFD. The substitute keeps the tag
/// of `f`, bytes and all.
[[nodiscard]] inline field marcxml_substitute(const field& f, bool valid, marcxml_element& kind) {
  if (valid ? !schema_control_tag(f) && !schema_data_tag(f) : !xml_tag(f)) {
    kind = marcxml_element::none;
    return field{};
  }
  if (f.is_control()) {
    kind = valid && !schema_control_tag(f) ? marcxml_element::none : marcxml_element::control;
    field out = field::control(marcpp::tag::invalid(), sanitized_text(f.data(), true));
    copy_tag(out, f);
    return out;
  }
  if (valid && !schema_data_tag(f)) {
    kind = marcxml_element::control;
    std::string body;
    std::vector<std::size_t> codes;
    (void)field_body(f, 2, body, codes);
    field out = field::control(marcpp::tag::invalid(), sanitized_text(body, true));
    copy_tag(out, f);
    return out;
  }
  kind = marcxml_element::data;
  const auto is = f.indicators();
  auto ind = [&](char c) {
    if (valid) return schema_indicator(c) ? c : ' ';
    return static_cast<unsigned char>(c) < 0x80 ? c : ' ';
  };
  field out(marcpp::tag::invalid(), marcpp::indicators(ind(is[0]), ind(is[1])));
  copy_tag(out, f);
  for (const auto& s : f.subfields()) {
    if (s.shape() == subfield_shape::unlabelled) continue;
    if (s.shape() == subfield_shape::no_code) {
      if (!valid) out.subfields().push_back(subfield::without_code(sanitized_text(s.value(), true)));
      continue;
    }
    if (valid ? !schema_code(s.code()) : static_cast<unsigned char>(s.code()) >= 0x80) continue;
    out.subfields().emplace_back(s.code(), sanitized_text(s.value(), true));
  }
  if (valid && out.subfields().empty()) kind = marcxml_element::none;
  return out;
}

/// `f` with the Control Pictures of its text turned back, as marcpp's
/// reader reads it.
inline void marcxml_unmap(field& f) {
  if (f.is_control()) {
    std::string d(f.data());
    unmap_control_pictures(d);
    f.set_data(std::move(d));
    return;
  }
  for (auto& s : f.subfields()) unmap_control_pictures(s.value_ref());
}

/// What marcpp's reader reads from the element the writer writes for `f`
/// without its original.
[[nodiscard]] inline field marcxml_as_read(const field& f, bool valid, marcxml_element& kind) {
  field s = marcxml_substitute(f, valid, kind);
  marcxml_unmap(s);
  return s;
}

template <class Record>
class marcxml_record_writer {
  using field_type = std::remove_cvref_t<decltype(std::declval<const Record&>().fields()[0])>;

 public:
  marcxml_record_writer(const Record& rec, std::string& out, const marcxml_options& o, std::vector<diagnostic>* warnings,
                        const unicode_write& how = {})
      : rec_(rec), out_(out), o_(o), warnings_(warnings), old_(out.size()), how_(how),
        valid_(!o.as_is), code_len_(effective_code_length(rec.leader())), skip_(o.indent ? 0 : 2) {}

  diagnostic run() {
    const auto fields = rec_.fields();
    const bool ind = o_.indent;
    char* w = cur_.room(16);
    cur_.set(ind ? put_literal(w, "<record>\n") : put_literal(w, "<record>"));
    if (!leader()) return fail();
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const auto& f = fields[i];
      const auto fi = static_cast<std::int64_t>(i);
      if (MARCPP_UNLIKELY(!f.has_tag_chars())) {
        error_ = writer_diagnostic(rec_, errc::invalid_tag, severity::error, fi,
                                   "the field has no tag; MARCXML cannot write it");
        return fail();
      }
      if (!(f.is_control() ? control(f, fi) : data(f, fi))) return fail();
    }
    w = cur_.room(16);
    cur_.set(put_literal(w, "</record>\n"));
    cur_.commit();
    if (mapped_)
      warn(writer_diagnostic(rec_, errc::control_character_mapped, severity::warning, mapped_field_,
                             "control characters XML cannot hold are written as their Control Pictures "
                             "(U+2400 + code); marcpp's MARCXML reader turns them back"));
    return {};
  }

 private:
  static constexpr char control_open[] = "  <controlfield tag=\"", data_open[] = "  <datafield tag=\"",
                        ind1_open[] = "\" ind1=\"", ind2_open[] = "\" ind2=\"", sub_open[] = "    <subfield code=\"";

  // The first <datafield> (or its instruction) begins at `start`: in the
  // valid form, a <controlfield> after it goes before it.
  MARCPP_ALWAYS_INLINE void mark_data(std::size_t start) noexcept {
    if (seen_data_) return;
    seen_data_ = true;
    insert_at_ = start;
  }
  // In the valid form, a field written as a <controlfield> after the first
  // <datafield>: written before the data fields (after those moved so far),
  // its place in an instruction (the schema wants the control fields first).
  MARCPP_NOINLINE bool moved(const field_type& f, std::int64_t fi) {
    const std::size_t from = cur_.offset();
    if (!original(f, fi, true)) return false;
    std::string& out = cur_.commit();
    std::rotate(out.begin() + static_cast<std::ptrdiff_t>(insert_at_), out.begin() + static_cast<std::ptrdiff_t>(from),
                out.end());
    insert_at_ += out.size() - from;
    cur_.resume();
    return true;
  }

  diagnostic fail() {
    out_.resize(old_);  // drops what the cursor wrote, too
    return std::move(error_);
  }
  void warn(diagnostic d) {
    if (warnings_) warnings_->push_back(std::move(d));
  }
  // A report on field `fi`, one per field, sixteen per record: what other
  // readers see where the record could not be written as it is. Under
  // `strict_schema` it is the record's error instead. Returns false if the
  // record is refused.
  bool note(errc code, std::int64_t fi, std::string message) {
    if (o_.strict_schema) {
      error_ = writer_diagnostic(rec_, code, severity::error, fi, message + "; the record is not written (strict schema)");
      return false;
    }
    if (warned_fields_ < 16 && (fi != last_warned_ || fi < 0)) {
      ++warned_fields_;
      last_warned_ = fi;
      warn(writer_diagnostic(rec_, code, severity::warning, fi, std::move(message)));
    }
    return true;
  }
  // A deviation from the schema written as it is (the as-is form).
  bool schema(std::int64_t fi, const std::string& message) {
    return note(errc::schema_pattern, fi, message + "; written as it is");
  }

  // ---- the leader ------------------------------------------------------------
  bool leader() {
    std::string_view l = rec_.leader().str();
    char flagged[24];
    if (how_.flag && l.size() == sizeof flagged) {
      std::memcpy(flagged, l.data(), sizeof flagged);
      flagged[9] = how_.flag;
      l = std::string_view(flagged, sizeof flagged);
    }
    std::string t;
    std::string_view text_shown = l;
    bool reported = false;
    if (MARCPP_UNLIKELY(valid_ ? !schema_leader(l) : !plain_leader(l))) {
      t = marcxml_leader_text(l, valid_);
      std::string read = t;
      unmap_control_pictures(read);
      if (read != l) {
        if (!note(valid_ ? errc::schema_pattern : errc::value_not_representable, -1,
                  "the leader (\"" + printable(l) + "\") " +
                      (valid_ ? std::string("does not match the schema's pattern")
                              : std::string("holds bytes that are no character")) +
                      "; written as \"" + printable(t) +
                      "\", the original kept in a <?marcpp?> instruction, which marcpp's MARCXML reader puts back"))
          return false;
        std::string& out = cur_.commit();
        out.append(o_.indent ? "  <?marcpp leader=\"" : "<?marcpp leader=\"");
        (void)append_escaped_bytes(out, l, [](std::size_t) { return true; });
        out.append(o_.indent ? "\"?>\n" : "\"?>");
        cur_.resume();
        reported = true;
      }
      text_shown = t;
    }
    if (!valid_ && !reported && !schema_leader(text_shown) &&
        !schema(-1, "the leader does not match the schema's pattern (\"" + printable(text_shown) + "\")"))
      return false;
    char* w = cur_.room(16);
    cur_.set(o_.indent ? put_literal(w, "  <leader>") : put_literal(w, "<leader>"));
    plain_text(text_shown, -1);
    w = cur_.room(16);
    cur_.set(o_.indent ? put_literal(w, "</leader>\n") : put_literal(w, "</leader>"));
    return true;
  }
  // True if the leader can be written as it is in the as-is form: ASCII.
  static bool plain_leader(std::string_view l) noexcept {
    for (char c : l)
      if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
  }

  // ---- fields, the usual way ---------------------------------------------------
  // Writes a control field as it is; a field that cannot be goes to
  // `original`.
  MARCPP_ALWAYS_INLINE bool control(const field_type& f, std::int64_t fi) {
    const std::size_t start = cur_.offset();
    if (valid_) {
      if (MARCPP_UNLIKELY(!schema_control_tag(f))) return original(f, fi, false);
      if (MARCPP_UNLIKELY(seen_data_)) return moved(f, fi);
    } else {
      if (MARCPP_UNLIKELY(!xml_tag(f))) return original(f, fi, false);
      if (!schema_control_tag(f) &&
          !schema(fi, "a control field tagged \"" + shown_tag(f) +
                          "\": the schema allows control fields only as 001-009, 00A-00Z and 00a-00z"))
        return false;
      if (MARCPP_UNLIKELY(seen_data_) &&
          !schema(fi, "a control field after a data field: the schema wants the control fields first"))
        return false;
    }
    char* w = cur_.room(32);
    w = put_markup(w, control_open, skip_);
    w = tag_attribute(w, f, fi);
    w[0] = '"';
    w[1] = '>';
    cur_.set(w + 2);
    switch (value_text(f.data(), fi, "the control field")) {
      case fit::ok: break;
      case fit::original: return rewind(start) && original(f, fi, false);
      case fit::fail: return false;
    }
    w = cur_.room(24);
    cur_.set(o_.indent ? put_literal(w, "</controlfield>\n") : put_literal(w, "</controlfield>"));
    return true;
  }

  // Writes a data field as it is; a field that cannot be goes to `original`.
  MARCPP_ALWAYS_INLINE bool data(const field_type& f, std::int64_t fi) {
    // Locals: the compiler cannot keep members in registers across the
    // writes through `char*`, which may alias them.
    const bool valid = valid_, ind = o_.indent;
    const std::size_t start = cur_.offset();
    if (valid && !schema_data_tag(f))
      return seen_data_ && schema_control_tag(f) ? moved(f, fi) : original(f, fi, false);
    if (!valid) {
      if (MARCPP_UNLIKELY(!xml_tag(f))) return original(f, fi, false);
      if (!schema_data_tag(f) &&
          !schema(fi, "a data field tagged \"" + shown_tag(f) +
                          (f.tag_chars()[0] == '0' && f.tag_chars()[1] == '0'
                               ? "\": the schema does not allow data fields tagged 00X"
                               : "\": the schema allows only tags of digits and letters of one case")))
        return false;
    }
    const auto is = f.indicators();
    if (MARCPP_UNLIKELY(!good_indicator(is[0]) || !good_indicator(is[1]))) {
      if (valid || static_cast<unsigned char>(is[0]) >= 0x80 || static_cast<unsigned char>(is[1]) >= 0x80)
        return original(f, fi, false);
      for (std::size_t k = 0; k < 2; ++k)
        if (!schema_indicator(is[k]) &&
            !schema(fi, std::string(k == 0 ? "the first" : "the second") + " indicator is " + shown(is[k]) +
                            ", which the schema does not allow (0-9, a-z and a blank)"))
          return false;
    }
    mark_data(start);
    const std::size_t skip = skip_;
    char* w = cur_.room(64);
    w = put_markup(w, data_open, skip);
    w = tag_attribute(w, f, fi);
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
      note_controls(append_xml_attribute_byte(out, is[0]), fi);
      out.append(ind2_open, sizeof ind2_open - 1);
      note_controls(append_xml_attribute_byte(out, is[1]), fi);
      cur_.resume();
    }
    w = cur_.room(8);
    cur_.set(ind ? put_literal(w, "\">\n") : put_literal(w, "\">"));
    const auto subs = f.subfields();
    if (MARCPP_UNLIKELY(subs.empty())) {
      if (valid) return rewind(start) && original(f, fi, false);
      if (!schema(fi, "the data field has no subfields; the schema asks for at least one")) return false;
    }
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
        // In the valid form, everything else has its original; in the
        // as-is form, what XML can hold is written as it is.
        if (valid || s.shape() == subfield_shape::unlabelled ||
            (s.shape() == subfield_shape::normal && static_cast<unsigned char>(c) >= 0x80))
          return rewind(start) && original(f, fi, false);
        if (s.shape() == subfield_shape::no_code
                ? !schema(fi, "a subfield delimiter without a code is written with an empty code attribute")
                : !schema(fi, "the subfield code is " + shown(c) + ", which the schema does not allow"))
          return false;
        w = cur_.room(32);
        cur_.set(put_markup(w, sub_open, 2 * skip));
        if (s.shape() == subfield_shape::normal) {
          note_controls(append_xml_attribute_byte(cur_.commit(), c), fi);
          cur_.resume();
        }
        w = cur_.room(8);
        cur_.set(put_literal(w, "\">"));
      }
      switch (value_text(s.value(), fi, "a subfield")) {
        case fit::ok: break;
        case fit::original: return rewind(start) && original(f, fi, false);
        case fit::fail: return false;
      }
      w = cur_.room(16);
      cur_.set(ind ? put_literal(w, "</subfield>\n") : put_literal(w, "</subfield>"));
    }
    w = cur_.room(24);
    cur_.set(ind ? put_literal(w, "  </datafield>\n") : put_literal(w, "</datafield>"));
    return true;
  }
  bool good_indicator(char c) const noexcept {
    return valid_ ? schema_indicator(c) : plain_attribute_byte(c) && schema_indicator(c);
  }
  // Drops what was written from `start` on (a field that turned out to need
  // its original form).
  bool rewind(std::size_t start) {
    cur_.rewind(start);
    return true;
  }

  // ---- fields in their original form -----------------------------------------
  // Writes field `f` as its instruction and substitute. `moved`: a field
  // written as a <controlfield> after a data field, written before the data
  // fields (its instruction gives its place).
  MARCPP_NOINLINE bool original(const field_type& fv, std::int64_t fi, bool moved) {
    field f = owned_field(fv);
    if (how_.m8) {
      auto decode = [&](std::string& v) {
        std::string_view d = v;
        if (!how_.m8->decode(d)) return false;
        if (d.data() != v.data()) v.assign(d);
        return true;
      };
      if (f.is_control()) {
        std::string d(f.data());
        if (!decode(d)) return false;
        f.set_data(std::move(d));
      } else {
        for (auto& s : f.subfields())
          if (!decode(s.value_ref())) return false;
      }
    }
    marcxml_element kind;
    const field read = marcxml_as_read(f, valid_, kind);
    const bool same = kind != marcxml_element::none && read == f;
    std::string escaped;
    if (!same) {
      // The original bytes: a control field's data, or a data field's
      // bytes after its tag.
      std::string bytes;
      std::vector<std::size_t> codes;
      if (f.is_control()) {
        bytes.assign(f.data());
      } else if (body_fault bf = field_body(f, code_len_, bytes, codes)) {
        error_ = writer_diagnostic(rec_, bf.code, severity::error, fi,
                                   bf.message + "; the field cannot be written in MARCXML's original form");
        return false;
      }
      std::size_t k = 0;
      const std::size_t bad = append_escaped_bytes(escaped, bytes, [&](std::size_t at) {
        while (k < codes.size() && codes[k] < at) ++k;
        return k < codes.size() && codes[k] == at;
      });
      if (bad != npos) return not_utf8(std::string_view(bytes).substr(bad), fi, f.is_control() ? "the control field" : "a subfield");
      std::string message;
      if (const errc code = issues(f, kind, message); code != errc::ok && !note(code, fi, std::move(message)))
        return false;
    } else if (moved && !note(errc::schema_pattern, fi,
                              "a control field after a data field: the schema wants the control fields first; it is "
                              "written before the data fields, its place kept in a <?marcpp?> instruction, which "
                              "marcpp's MARCXML reader puts back")) {
      return false;
    }
    if (kind == marcxml_element::data) mark_data(cur_.offset());
    if (moved || !same) {
      std::string& out = cur_.commit();
      out.append(o_.indent ? "  <?marcpp" : "<?marcpp");
      if (moved) out.append(" at=\"" + std::to_string(fi) + "\"");
      if (kind == marcxml_element::none) {
        // The tag's bytes, whatever they are: the field has no element.
        const auto c = f.tag_chars();
        out.append(" tag=\"");
        (void)append_escaped_bytes(out, std::string_view(c.data(), 3), [](std::size_t) { return true; });
        out.push_back('"');
      }
      if (!same) {
        out.append(f.is_control() ? " control=\"" : " data=\"");
        out.append(escaped);
        out.push_back('"');
      }
      out.append(o_.indent ? "?>\n" : "?>");
      cur_.resume();
    }
    if (kind == marcxml_element::none) return true;
    marcxml_element k2;
    return substitute(marcxml_substitute(f, valid_, k2), fi);
  }
  // Writes a substitute element (its content fits by construction; its
  // control characters become Control Pictures, reported with the field).
  bool substitute(const field& s, std::int64_t fi) {
    char* w = cur_.room(64);
    if (s.is_control()) {
      w = put_markup(w, control_open, skip_);
      w = tag_attribute(w, s, fi);
      w[0] = '"';
      w[1] = '>';
      cur_.set(w + 2);
      plain_text(s.data(), fi, false);
      w = cur_.room(24);
      cur_.set(o_.indent ? put_literal(w, "</controlfield>\n") : put_literal(w, "</controlfield>"));
      return true;
    }
    w = put_markup(w, data_open, skip_);
    cur_.set(tag_attribute(w, s, fi));
    std::string& out = cur_.commit();
    out.append(ind1_open, sizeof ind1_open - 1);
    (void)append_xml_attribute_byte(out, s.ind1());
    out.append(ind2_open, sizeof ind2_open - 1);
    (void)append_xml_attribute_byte(out, s.ind2());
    out.append(o_.indent ? "\">\n" : "\">");
    for (const auto& sf : s.subfields()) {
      out.append(sub_open + 2 * skip_);
      if (sf.has_code()) (void)append_xml_attribute_byte(out, sf.code());
      out.append("\">");
      cur_.resume();
      plain_text(sf.value(), fi, false);
      cur_.commit();
      out.append(o_.indent ? "</subfield>\n" : "</subfield>");
    }
    out.append(o_.indent ? "  </datafield>\n" : "</datafield>");
    cur_.resume();
    return true;
  }
  // Text that fits by construction; `report`: its control characters are
  // reported (E709), not those of a substitute, whose field has its report.
  bool plain_text(std::string_view v, std::int64_t fi, bool report = true) {
    escape_result r;
    cur_.set(put_xml_text(cur_.room(xml_text_bound(v.size())), v, r));
    if (report) note_controls(r, fi);
    return true;
  }
  // What other readers see of field `f`, written in its original form as
  // the element `kind`: a report of kind `schema_pattern` for what only the
  // schema refuses, `value_not_representable` for what XML cannot hold
  // (data before the first delimiter, bytes that are no character, U+FFFE,
  // U+FFFF); none (`errc::ok`) when they see the field as it is (Control
  // Pictures of its own, kept in the instruction so that marcpp's reader
  // does not take them for control characters).
  errc issues(const field& f, marcxml_element kind, std::string& message) const {
    errc code = errc::ok;
    std::string what;
    auto add = [&](errc c, const std::string& s) {
      if (code != errc::value_not_representable) code = c;
      if (what.find(s) == std::string::npos) what += (what.empty() ? "" : ", ") + s;
    };
    auto no_char = [](char c) { return static_cast<unsigned char>(c) >= 0x80; };
    auto text = [&](std::string_view v) {
      if (sanitized_text(v, true) != v)
        add(errc::value_not_representable, "U+FFFE or U+FFFF, which XML cannot hold (written as U+FFFD)");
    };
    if (kind == marcxml_element::none && !valid_) {
      // The as-is form leaves out only an element whose tag XML cannot give back.
      add(errc::value_not_representable,
          "the tag \"" + shown_tag(f) + "\", which an XML attribute cannot hold (the field has no element)");
    } else if (f.is_control()) {
      if (kind == marcxml_element::none)
        add(errc::schema_pattern,
            "a control field tagged \"" + shown_tag(f) + "\", which the schema does not allow (it has no element)");
      text(f.data());
    } else if (valid_ && !schema_data_tag(f)) {
      add(errc::schema_pattern, "a data field tagged \"" + shown_tag(f) + "\", which the schema does not allow (" +
                                    (kind == marcxml_element::control ? "written as a control field holding its bytes"
                                                                      : "it has no element") +
                                    ")");
      for (const auto& s : f.subfields()) text(s.value());
    } else {
      const auto is = f.indicators();
      for (std::size_t k = 0; k < 2; ++k)
        if (no_char(is[k]) || (valid_ && !schema_indicator(is[k])))
          add(no_char(is[k]) ? errc::value_not_representable : errc::schema_pattern,
              std::string(k == 0 ? "the first" : "the second") + " indicator " + shown(is[k]) + " (written as a blank)");
      for (const auto& s : f.subfields()) {
        if (s.shape() == subfield_shape::unlabelled)
          add(errc::value_not_representable, "data before the first subfield delimiter (left out)");
        else if (s.shape() == subfield_shape::no_code && valid_)
          add(errc::schema_pattern, "a subfield delimiter without a code (left out)");
        else if (s.has_code() && (no_char(s.code()) || (valid_ && !schema_code(s.code()))))
          add(no_char(s.code()) ? errc::value_not_representable : errc::schema_pattern,
              "the subfield code " + shown(s.code()) + " (that subfield left out)");
        if (s.shape() != subfield_shape::unlabelled) text(s.value());
      }
      if (kind == marcxml_element::none) add(errc::schema_pattern, "no subfield the schema allows (the field has no element)");
    }
    if (code != errc::ok)
      message = "the field holds " + what +
                "; the original is kept in a <?marcpp?> instruction, which marcpp's MARCXML reader puts back";
    return code;
  }

  // ---- values ----------------------------------------------------------------
  enum class fit : std::uint8_t { ok, original, fail };
  // A control field's data or a subfield's value.
  MARCPP_ALWAYS_INLINE fit value_text(std::string_view v, std::int64_t fi, const char* what) {
    if (how_.m8 && !how_.m8->decode(v)) return fit::fail;
    escape_result r;
    cur_.set(put_xml_text(cur_.room(xml_text_bound(v.size())), v, r));
    if (MARCPP_LIKELY(r.status == escape_result::ok && !r.mapped_control && !r.control_picture)) return fit::ok;
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
  // Writes the tag of `f` as an attribute value at `w`, in room made for
  // it: a tag `tag` holds through `put_tag`, the bytes of one it cannot hold
  // (the field keeps them) escaped (only for a tag that comes back as it
  // is, `xml_tag`). Returns where the writing goes on, with room for 64
  // bytes after the tag.
  template <class Field>
  MARCPP_ALWAYS_INLINE char* tag_attribute(char* w, const Field& f, std::int64_t fi) {
    if (MARCPP_LIKELY(f.tag().is_valid())) {
      put_tag(w, f.tag());
      return w + 3;
    }
    cur_.set(w);
    odd_tag(f, fi);
    return cur_.room(64);
  }
  template <class Field>
  MARCPP_NOINLINE void odd_tag(const Field& f, std::int64_t fi) {
    const auto c = f.tag_chars();
    note_controls(append_xml_attribute_text(cur_.commit(), std::string_view(c.data(), 3)), fi);
    cur_.resume();
  }
  void note_controls(const escape_result& r, std::int64_t fi) {
    if (r.mapped_control && !mapped_) {
      mapped_ = true;
      mapped_field_ = fi;
    }
  }
  MARCPP_NOINLINE fit check(const escape_result& r, std::string_view v, std::int64_t fi, const char* what) {
    note_controls(r, fi);
    if (how_.not_unicode && (r.escape || r.status == escape_result::invalid_utf8)) {
      // Not the UTF-8 the record says: `to_utf8` tells what it is.
      *how_.not_unicode = true;
      return fit::fail;
    }
    if (r.status == escape_result::invalid_utf8) return not_utf8(v.substr(r.at), fi, what) ? fit::ok : fit::fail;
    if (r.status == escape_result::not_a_character || r.control_picture) return fit::original;
    return fit::ok;
  }
  bool not_utf8(std::string_view at, std::int64_t fi, const char* what) {
    if (how_.not_unicode) {
      *how_.not_unicode = true;
      return false;
    }
    error_ = writer_diagnostic(rec_, errc::value_not_representable, severity::error, fi,
                               std::string(what) + " holds bytes that are not UTF-8 (\"" + printable(at.substr(0, 4)) +
                                   "\"); MARCXML is Unicode text, so the record is not written");
    return false;
  }

  const Record& rec_;
  std::string& out_;
  const marcxml_options& o_;
  std::vector<diagnostic>* warnings_;
  std::size_t old_;
  string_cursor cur_{out_};
  unicode_write how_;
  bool valid_;
  unsigned code_len_;
  std::size_t skip_;  // indentation left out of the markup literals (none, or two bytes, a level)
  std::size_t insert_at_ = 0;
  diagnostic error_;
  std::int64_t last_warned_ = -2, mapped_field_ = -1;
  unsigned warned_fields_ = 0;
  bool mapped_ = false, seen_data_ = false;
};

}  // namespace detail

/// Appends the MARCXML `<record>` element of `rec` to `out` (without a
/// namespace declaration: it belongs inside a `<collection>` that declares
/// `marcxml_namespace`, as `marcxml_writer` writes it). The output is always
/// well-formed XML, and valid against MARC21slim.xsd unless `opts.as_is`.
/// The record is written as `to_utf8(rec, converted, opts.charset)` makes
/// it (`detail::write_unicode`): a MARC-8 record is decoded, whatever its
/// leader/09; a record flagged UTF-8 whose bytes are not UTF-8 is repaired;
/// what the conversion reports is appended to `warnings`. What the schema
/// (or XML) cannot hold is written as a substitute that validates, with the
/// original in a `<?marcpp ...?>` instruction that marcpp's reader puts
/// back, and a warning (`schema_pattern`, or `value_not_representable` for
/// what XML cannot hold at all); with `strict_schema` such a record is
/// refused instead. A record MARCXML cannot hold leaves `out` unchanged and
/// returns the reason: a conversion that failed (under the strict or skip
/// charset policy), conversion turned off (`marc8_needs_conversion`, or
/// `value_not_representable` for bytes that are not UTF-8), a field with
/// no tag at all (`invalid_tag`), a field ISO 2709 cannot hold either
/// (E603, E604). A tag `tag` cannot hold is written as the bytes the field
/// keeps (`field::tag_chars()`); one the schema refuses (`30-`) has its
/// field in the instruction alone.
///
///     std::string xml;
///     if (auto err = marcpp::write_marcxml(rec, xml)) std::cerr << marcpp::to_string(err) << '\n';
template <class Record>
[[nodiscard]] diagnostic write_marcxml(const Record& rec, std::string& out, const marcxml_options& opts = {},
                                       std::vector<diagnostic>* warnings = nullptr) {
  return detail::write_unicode(rec, out, "MARCXML", opts.convert_marc8, opts.charset, warnings,
                               [&](const auto& r, const detail::unicode_write& how) {
                                 using R = std::remove_cvref_t<decltype(r)>;
                                 return detail::marcxml_record_writer<R>(r, out, opts, warnings, how).run();
                               });
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
/// the text is Unicode (`coding_scheme_set`, a warning). marcpp's
/// `<?marcpp ...?>` instructions put back what the writer could not write
/// as it is (docs/formats.md, "marcpp's original forms"). A record that is
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
    pending_ = elem_note_ = original_note{};
    moved_.clear();
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
        // marcpp's instructions met before the first child, read now.
        std::vector<std::pair<std::string, std::uint64_t>> early = std::move(candidate_notes_);
        candidate_notes_.clear();
        --depth_;
        for (auto& [data, offset] : early) note(data.c_str(), offset);
        ++depth_;
      } else {
        candidate_ = false;
      }
      candidate_notes_.clear();
    }
    if (!in_record_) {
      if (local == "record" && marc) {
        if (uri.empty()) {
          candidate_ = true;
          candidate_notes_.clear();
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
      elem_note_ = std::move(pending_);
      pending_ = original_note{};
      if (elem_note_.given && local != "leader" && local != "controlfield" && local != "datafield") {
        unused_note(elem_note_);
        elem_note_ = original_note{};
      }
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
          apply_note(detail::marcxml_element::control);
          break;
        }
        case element::data: apply_note(detail::marcxml_element::data); break;
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
    if (elem_note_.given) {
      original_note note = std::move(elem_note_);
      elem_note_ = original_note{};
      if (!note.has_leader || note.has_data || note.has_control || note.has_at) {
        unused_note(note);
      } else if (note.leader.size() == 24 && (detail::marcxml_leader_as_read(note.leader, true) == text_ ||
                                              detail::marcxml_leader_as_read(note.leader, false) == text_)) {
        text_ = std::move(note.leader);
      } else {
        changed_note(note, "<leader>");
      }
    }
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
    if (pending_.given) unused_note(pending_);
    pending_ = original_note{};
    if (!moved_.empty()) place_moved();
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

  // ---- marcpp's original forms (`<?marcpp ...?>`, docs/formats.md) -----------
  // What an instruction says: the original leader, a data field's bytes
  // after its tag (`data`), a control field's data (`control`), the tag of
  // a field that has no element (`tag`), the place of a field written
  // before the data fields (`at`).
  struct original_note {
    bool given = false, has_leader = false, has_data = false, has_control = false, has_tag = false, has_at = false;
    std::string leader, data, control, text, tag;  // `tag`: three bytes, any
    std::size_t at = 0;
    std::uint64_t offset = 0;
  };

  void xml_pi(const char* target, const char* data) {
    if (ignore_depth_ || oversize_ || std::string_view(target) != "marcpp") return;
    const std::uint64_t at = absolute(xml_.event_offset());
    if (!in_record_) {
      // In a <record> in no namespace, not yet known to be a MARC record.
      if (candidate_ && depth_ == cand_depth_) candidate_notes_.emplace_back(data ? data : "", at);
      return;
    }
    note(data, at);
  }
  void note(const char* data, std::uint64_t at) {
    original_note n;
    n.given = true;
    n.offset = at;
    n.text = data ? data : "";
    if (depth_ != rec_depth_ || !parse_note(n.text, n)) {
      fault(errc::xml_not_marcxml, severity::repair, at,
            "a <?marcpp?> instruction marcpp cannot read (\"" + detail::printable(std::string_view(n.text).substr(0, 64)) +
                "\") is left out");
      return;
    }
    if (n.has_tag) {
      // A field that has no element; its tag as the other readers take a
      // tag's text (E306 for one that is no MARC 21 tag).
      field& f = building_.add(
          n.has_data ? detail::field_from_body(marcpp::tag::invalid(), n.data, detail::effective_code_length(building_.leader()))
                     : field::control(marcpp::tag::invalid(), std::move(n.control)));
      if (detail::set_tag_text(f, n.tag) == detail::tag_text::illegal)
        fault(errc::invalid_tag, severity::warning, at,
              detail::tag_text_message(detail::tag_text::illegal, "the field of a <?marcpp?> instruction", n.tag),
              static_cast<std::int64_t>(building_.fields().size()) - 1, n.tag);
      return;
    }
    if (pending_.given) unused_note(pending_);
    pending_ = std::move(n);
  }
  // Reads `name="value"` pairs; false if the text is not that, or a name or
  // a value is unknown.
  static bool parse_note(std::string_view t, original_note& n) {
    std::size_t i = 0;
    bool any = false;
    for (;;) {
      while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
      if (i == t.size()) break;
      const std::size_t eq = t.find('=', i);
      if (eq == std::string_view::npos || eq + 1 >= t.size() || t[eq + 1] != '"') return false;
      const std::string_view name = t.substr(i, eq - i);
      const std::size_t close = t.find('"', eq + 2);
      if (close == std::string_view::npos) return false;
      std::string value;
      if (!detail::unescape_bytes(t.substr(eq + 2, close - eq - 2), value)) return false;
      i = close + 1;
      any = true;
      if (name == "leader" && !n.has_leader) {
        n.has_leader = true;
        n.leader = std::move(value);
      } else if (name == "data" && !n.has_data) {
        n.has_data = true;
        n.data = std::move(value);
      } else if (name == "control" && !n.has_control) {
        n.has_control = true;
        n.control = std::move(value);
      } else if (name == "tag" && !n.has_tag) {
        if (value.size() != 3) return false;
        n.has_tag = true;
        n.tag = std::move(value);
      } else if (name == "at" && !n.has_at) {
        if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos) return false;
        n.has_at = true;
        n.at = std::stoul(value);
      } else {
        return false;
      }
    }
    if (!any || (n.has_data && n.has_control) || (n.has_leader && (n.has_data || n.has_control || n.has_tag || n.has_at)))
      return false;
    if (n.has_tag && (n.has_at || (!n.has_data && !n.has_control))) return false;
    return true;
  }
  void unused_note(const original_note& n) {
    fault(errc::xml_not_marcxml, severity::repair, n.offset,
          "a <?marcpp?> instruction (\"" + detail::printable(std::string_view(n.text).substr(0, 64)) +
              "\") is not followed by the element it is about; it is left out");
  }
  void changed_note(const original_note& n, const char* what) {
    fault(errc::xml_not_marcxml, severity::warning, n.offset,
          std::string("the ") + what + " after a <?marcpp?> instruction is not what marcpp wrote there (the "
                                          "document was changed since): the element is read as it is, the "
                                          "instruction left out",
          static_cast<std::int64_t>(building_.fields().size()) - 1);
  }
  // At the end of a <controlfield> or <datafield>: puts back the field its
  // instruction holds, when the element is the substitute marcpp wrote for it.
  void apply_note(detail::marcxml_element kind) {
    if (!elem_note_.given) return;
    original_note note = std::move(elem_note_);
    elem_note_ = original_note{};
    if (note.has_leader) return unused_note(note);
    field& got = building_.fields().back();
    if (note.has_data || note.has_control) {
      field orig = note.has_data ? detail::field_from_body(marcpp::tag::invalid(), note.data,
                                                           detail::effective_code_length(building_.leader()))
                                 : field::control(marcpp::tag::invalid(), note.control);
      detail::copy_tag(orig, got);
      bool same = false;
      for (const bool valid : {true, false}) {
        detail::marcxml_element k;
        const field read = detail::marcxml_as_read(orig, valid, k);
        same |= k == kind && read == got;
      }
      if (!same || !got.has_tag_chars())
        changed_note(note, kind == detail::marcxml_element::data ? "<datafield>" : "<controlfield>");
      else
        got = std::move(orig);
    }
    if (note.has_at) moved_.push_back({note.at, building_.fields().size() - 1});
  }
  // Fields written before the data fields go back to their places.
  void place_moved() {
    auto& fs = building_.fields();
    std::vector<std::pair<std::size_t, field>> taken;
    std::sort(moved_.begin(), moved_.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [to, from] : moved_) {
      if (from >= fs.size()) continue;
      taken.emplace_back(to, std::move(fs[from]));
      fs.erase(fs.begin() + static_cast<std::ptrdiff_t>(from));
    }
    std::sort(taken.begin(), taken.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [to, f] : taken) fs.insert(fs.begin() + static_cast<std::ptrdiff_t>(std::min(to, fs.size())), std::move(f));
    moved_.clear();
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
  original_note pending_, elem_note_;
  std::vector<std::pair<std::string, std::uint64_t>> candidate_notes_;
  std::vector<std::pair<std::size_t, std::size_t>> moved_;  // (place, index in building_)
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
