// SPDX-License-Identifier: MIT
#pragma once

/// \file json.hpp
/// MARC-in-JSON (`{"leader": ..., "fields": [...]}`, the layout pymarc,
/// MARC4J, YAZ and ruby-marc share): writing from either record flavour, as
/// JSON Lines or a JSON array, and a streaming reader. docs/formats.md gives
/// the rules.

#include <marcpp/charset.hpp>
#include <marcpp/config.hpp>
#include <marcpp/text_options.hpp>
#include <marcpp/detail/json.hpp>
#include <marcpp/detail/simd.hpp>
#include <marcpp/detail/text_locator.hpp>
#include <marcpp/detail/text_reader.hpp>
#include <marcpp/detail/text_writer.hpp>
#include <marcpp/error.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/read_options.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/source.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

/// How a stream of MARC-in-JSON records is laid out.
enum class json_layout : std::uint8_t {
  lines,  ///< JSON Lines: one record object per line
  array,  ///< one JSON array of record objects, one per line
};

namespace detail {

// The frame of a JSON array of records: one record per line.
inline constexpr std::string_view json_array_open = "[";
inline constexpr std::string_view json_array_close = "\n]\n";
// What goes before the record numbered `n` (from 0) in the array.
[[nodiscard]] constexpr std::string_view json_array_separator(std::uint64_t n) noexcept { return n ? ",\n" : "\n"; }

/// The data field the MARC-in-JSON writer writes for `f` where the layout
/// cannot hold it as it is (see `json_record_writer`): indicator bytes of
/// 0x80 and more become blanks; data before the first delimiter and
/// subfields with a code byte of 0x80 or more are left out; text that is not
/// UTF-8 becomes U+FFFD.
[[nodiscard]] inline field json_substitute(const field& f) {
  auto ind = [](char c) { return static_cast<unsigned char>(c) < 0x80 ? c : ' '; };
  field out(marcpp::tag::invalid(), marcpp::indicators(ind(f.ind1()), ind(f.ind2())));
  copy_tag(out, f);
  for (const auto& s : f.subfields()) {
    if (s.shape() == subfield_shape::unlabelled) continue;
    if (s.shape() == subfield_shape::no_code) {
      out.subfields().push_back(subfield::without_code(sanitized_text(s.value(), false)));
      continue;
    }
    if (static_cast<unsigned char>(s.code()) >= 0x80) continue;
    out.subfields().emplace_back(s.code(), sanitized_text(s.value(), false));
  }
  return out;
}

/// The leader text the MARC-in-JSON writer writes for leader `l`: bytes
/// that are no character become blanks.
[[nodiscard]] inline std::string json_leader_text(std::string_view l) {
  std::string t(l);
  const auto* p = reinterpret_cast<const unsigned char*>(l.data());
  for (std::size_t i = 0; i < l.size();) {
    const std::size_t len = p[i] < 0x80 ? 1 : utf8_sequence(p + i, l.size() - i);
    if (len == 0) t[i++] = ' ';
    else i += len;
  }
  return t;
}

template <class Record>
class json_record_writer {
 public:
  json_record_writer(const Record& rec, std::string& out, std::vector<diagnostic>* warnings, const unicode_write& how = {})
      : rec_(rec), out_(out), warnings_(warnings), old_(out.size()), how_(how),
        code_len_(effective_code_length(rec.leader())) {}

  diagnostic run() {
    const auto fields = rec_.fields();
    out_.append("{\"leader\":\"", 11);
    std::string_view l = rec_.leader().str();
    char flagged[24];
    if (how_.flag && l.size() == sizeof flagged) {
      std::memcpy(flagged, l.data(), sizeof flagged);
      flagged[9] = how_.flag;
      l = std::string_view(flagged, sizeof flagged);
    }
    if (MARCPP_LIKELY(find_invalid_utf8(l.data(), l.size()) == l.size())) {
      (void)append_json_text(out_, l);
      out_.push_back('"');
    } else {
      // A leader that is not UTF-8: blanks for the bytes that are no
      // character, and the original in "marcpp_leader".
      const std::string t = json_leader_text(l);
      (void)append_json_text(out_, t);
      out_.append("\",\"marcpp_leader\":\"");
      std::string escaped;
      (void)append_escaped_bytes(escaped, l, [](std::size_t) { return true; });
      (void)append_json_text(out_, escaped);
      out_.push_back('"');
      note(-1, "the leader (\"" + printable(l) + "\") holds bytes that are no character; written as \"" + printable(t) +
                   "\", the original kept in \"marcpp_leader\", which marcpp's JSON reader puts back");
    }
    out_.append(",\"fields\":[", 11);
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const auto& f = fields[i];
      const auto fi = static_cast<std::int64_t>(i);
      if (!f.has_tag_chars()) {
        error_ = writer_diagnostic(rec_, errc::invalid_tag, severity::error, fi,
                                   "the field has no tag; MARC-in-JSON cannot write it");
        return fail();
      }
      out_.append(i ? ",{\"" : "{\"", i ? 3 : 2);
      if (MARCPP_LIKELY(f.tag().is_valid())) {
        auto t = f.tag().chars();
        out_.append(t.data(), 3);
      } else if (!odd_tag(f, fi)) {
        return fail();
      }
      if (f.is_control()) {
        out_.append("\":\"", 3);
        if (!value_text(f.data(), fi, "the control field")) return fail();
        out_.append("\"}", 2);
        continue;
      }
      const std::size_t start = out_.size();
      switch (data(f, fi)) {
        case fit::ok: break;
        case fit::original:
          out_.resize(start);
          if (!original(f, fi)) return fail();
          break;
        case fit::fail: return fail();
      }
    }
    out_.append("]}", 2);
    return {};
  }

 private:
  enum class fit : std::uint8_t { ok, original, fail };

  // The inside of a data field's object as it is; `original` where the
  // layout cannot hold it.
  template <class Field>
  fit data(const Field& f, std::int64_t fi) {
    auto is = f.indicators();
    if (MARCPP_UNLIKELY(static_cast<unsigned char>(is[0]) >= 0x80 || static_cast<unsigned char>(is[1]) >= 0x80))
      return fit::original;
    out_.append("\":{\"ind1\":\"", 11);
    (void)append_json_text(out_, std::string_view(&is.str()[0], 1));
    out_.append("\",\"ind2\":\"", 10);
    (void)append_json_text(out_, std::string_view(&is.str()[1], 1));
    out_.append("\",\"subfields\":[", 15);
    bool first = true;
    for (const auto& s : f.subfields()) {
      switch (s.shape()) {
        case subfield_shape::normal: {
          const char c = s.code();
          if (MARCPP_UNLIKELY(static_cast<unsigned char>(c) >= 0x80)) return fit::original;
          out_.append(first ? "{\"" : ",{\"", first ? 2 : 3);
          (void)append_json_text(out_, std::string_view(&c, 1));
          break;
        }
        case subfield_shape::no_code:
          out_.append(first ? "{\"" : ",{\"", first ? 2 : 3);
          no_code(fi);
          break;
        case subfield_shape::unlabelled: return fit::original;
      }
      first = false;
      out_.append("\":\"", 3);
      if (!value_text(s.value(), fi, "a subfield")) return fit::fail;
      out_.append("\"}", 2);
    }
    out_.append("]}}", 3);
    return fit::ok;
  }
  void no_code(std::int64_t fi) {
    if (warnings_ && fi != warned_no_code_)
      warnings_->push_back(writer_diagnostic(rec_, errc::schema_pattern, severity::warning, fi,
                                             "a subfield delimiter without a code is written with an empty key"));
    warned_no_code_ = fi;
  }

  // A data field the layout cannot hold as it is: the substitute, and the
  // field's bytes after its tag in "marcpp_data".
  template <class Field>
  MARCPP_NOINLINE bool original(const Field& fv, std::int64_t fi) {
    field f = owned_field(fv);
    if (how_.m8)
      for (auto& s : f.subfields()) {
        std::string_view d = s.value();
        if (!how_.m8->decode(d)) return false;
        if (d.data() != s.value().data()) s.value_ref().assign(d);
      }
    std::string bytes;
    std::vector<std::size_t> codes;
    if (body_fault bf = field_body(f, code_len_, bytes, codes)) {
      error_ = writer_diagnostic(rec_, bf.code, severity::error, fi,
                                 bf.message + "; the field cannot be written in MARC-in-JSON's original form");
      return false;
    }
    std::string escaped;
    std::size_t k = 0;
    const std::size_t bad = append_escaped_bytes(escaped, bytes, [&](std::size_t at) {
      while (k < codes.size() && codes[k] < at) ++k;
      return k < codes.size() && codes[k] == at;
    });
    if (bad != npos) return not_utf8(std::string_view(bytes).substr(bad), fi, "a subfield");
    // The substitute's values are decoded already.
    const field sub = json_substitute(f);
    marc8_values* const m8 = std::exchange(how_.m8, nullptr);
    const fit written = data(sub, fi);
    how_.m8 = m8;
    if (written != fit::ok) return false;
    out_.resize(out_.size() - 2);  // reopen the field's object
    out_.append(",\"marcpp_data\":\"");
    (void)append_json_text(out_, escaped);
    out_.append("\"}}");
    std::string what;
    auto add = [&](std::string s) {
      if (what.find(s) == std::string::npos) what += (what.empty() ? "" : ", ") + s;
    };
    for (std::size_t n = 0; n < 2; ++n)
      if (static_cast<unsigned char>(f.indicators()[n]) >= 0x80)
        add(std::string(n == 0 ? "the first" : "the second") + " indicator \"" +
            printable(std::string_view(&f.indicators().str()[n], 1)) + "\" (written as a blank)");
    for (const auto& s : f.subfields()) {
      if (s.shape() == subfield_shape::unlabelled) add("data before the first subfield delimiter (left out)");
      else if (const char c = s.code(); s.has_code() && static_cast<unsigned char>(c) >= 0x80)
        add("the subfield code \"" + printable(std::string_view(&c, 1)) + "\" (that subfield left out)");
    }
    note(fi, "the field holds " + what + ", which MARC-in-JSON cannot hold as it is; the original is kept in "
             "\"marcpp_data\", which marcpp's JSON reader puts back");
    return true;
  }
  void note(std::int64_t fi, std::string message) {
    if (warnings_ && warned_ < 16) {
      ++warned_;
      warnings_->push_back(writer_diagnostic(rec_, errc::value_not_representable, severity::warning, fi, std::move(message)));
    }
  }

  diagnostic fail() {
    out_.resize(old_);
    return std::move(error_);
  }
  // The bytes of a tag `tag` cannot hold (the field keeps them), escaped as
  // JSON text. They are structure, not text to convert: bytes that are not
  // UTF-8 refuse the record.
  template <class Field>
  MARCPP_NOINLINE bool odd_tag(const Field& f, std::int64_t fi) {
    const auto c = f.tag_chars();
    const std::string_view t(c.data(), 3);
    if (append_json_text(out_, t).status == escape_result::ok) return true;
    error_ = writer_diagnostic(rec_, errc::value_not_representable, severity::error, fi,
                               "the tag \"" + printable(t) +
                                   "\" holds bytes that are not UTF-8; a JSON key is Unicode text, so the record is "
                                   "not written");
    return false;
  }
  // A control field's data or a subfield's value.
  bool value_text(std::string_view v, std::int64_t fi, const char* what) {
    if (how_.m8 && !how_.m8->decode(v)) return false;
    escape_result r = append_json_text(out_, v);
    if (MARCPP_LIKELY(r.status == escape_result::ok && !(r.escape && how_.not_unicode))) return true;
    return not_utf8(v.substr(r.at), fi, what);
  }
  bool not_utf8(std::string_view at, std::int64_t fi, const char* what) {
    if (how_.not_unicode) {
      // Not the UTF-8 the record says: `to_utf8` tells what it is.
      *how_.not_unicode = true;
      return false;
    }
    error_ = writer_diagnostic(rec_, errc::value_not_representable, severity::error, fi,
                               std::string(what) + " holds bytes that are not UTF-8 (\"" + printable(at.substr(0, 4)) +
                                   "\"); JSON text is Unicode, so the record is not written");
    return false;
  }

  const Record& rec_;
  std::string& out_;
  std::vector<diagnostic>* warnings_;
  std::size_t old_;
  unicode_write how_;
  unsigned code_len_;
  diagnostic error_;
  std::int64_t warned_no_code_ = -2;
  unsigned warned_ = 0;
};

}  // namespace detail

/// Appends `rec` to `out` as one MARC-in-JSON object on one line (no
/// newline after it). Every control character is escaped, so the line is
/// valid JSON. The record is written as `to_utf8(rec, converted,
/// opts.charset)` makes it (`detail::write_unicode`): a MARC-8 record is
/// decoded, whatever its leader/09; a record flagged UTF-8 whose bytes are
/// not UTF-8 is repaired; what the conversion reports is appended to
/// `warnings`. What the layout cannot hold as it is (data before the first
/// delimiter, indicator or code bytes that are no character, a leader that
/// is not UTF-8) is written as a substitute with the original in a
/// `marcpp_data` (or `marcpp_leader`) member that marcpp's reader puts back,
/// and a `value_not_representable` warning. A subfield delimiter without a
/// code is written with an empty key and a `schema_pattern` warning. A
/// record the format cannot hold leaves `out` unchanged and returns the
/// reason: a conversion that failed (under the strict or skip charset
/// policy), conversion turned off (`marc8_needs_conversion`, or
/// `value_not_representable` for bytes that are not UTF-8), a field with
/// no tag at all (`invalid_tag`), a field ISO 2709 cannot hold either (E603,
/// E604). A tag `tag` cannot hold is written as the bytes the field keeps
/// (`field::tag_chars()`), the key; bytes that are not UTF-8 there refuse
/// the record (`value_not_representable`).
///
///     std::string line;
///     if (!marcpp::write_json(rec, line)) std::cout << line << '\n';
template <class Record>
[[nodiscard]] diagnostic write_json(const Record& rec, std::string& out, const json_options& opts,
                                    std::vector<diagnostic>* warnings = nullptr) {
  return detail::write_unicode(rec, out, "MARC-in-JSON", opts.convert_marc8, opts.charset, warnings,
                               [&](const auto& r, const detail::unicode_write& how) {
                                 using R = std::remove_cvref_t<decltype(r)>;
                                 return detail::json_record_writer<R>(r, out, warnings, how).run();
                               });
}

/// `write_json` with the default options.
template <class Record>
[[nodiscard]] diagnostic write_json(const Record& rec, std::string& out, std::vector<diagnostic>* warnings = nullptr) {
  return write_json(rec, out, json_options{}, warnings);
}

/// The MARC-in-JSON object of `rec`; throws `marcpp::error` if the record
/// cannot be written.
template <class Record>
[[nodiscard]] std::string to_json(const Record& rec, const json_options& opts = {}) {
  std::string s;
  if (auto err = write_json(rec, s, opts)) throw_error(std::move(err));
  return s;
}

/// Writes MARC-in-JSON records to a `std::ostream` through a buffer, as
/// JSON Lines or as one JSON array (closed by `finish()` or the destructor).
///
///     marcpp::json_writer w{std::cout, marcpp::json_layout::lines};
///     for (const auto& rec : reader) if (auto err = w.write(rec)) report(err);
class json_writer {
 public:
  explicit json_writer(std::ostream& os, json_layout layout = json_layout::lines,
                       std::size_t buffer = std::size_t{1} << 20)
      : json_writer(os, layout, json_options{}, buffer) {}
  json_writer(std::ostream& os, json_layout layout, json_options opts, std::size_t buffer = std::size_t{1} << 20)
      : out_(os, buffer), layout_(layout), opts_(opts) {
    if (layout_ == json_layout::array) out_.buffer().append(detail::json_array_open);
  }
  json_writer(const json_writer&) = delete;
  json_writer& operator=(const json_writer&) = delete;
  ~json_writer() { finish(); }

  /// Receives the writer's warnings (`schema_pattern`), and the warnings
  /// and repairs of converting MARC-8 records.
  void on_diagnostic(diagnostic_handler h) { out_.set_handler(std::move(h)); }

  /// Writes `rec`; a record the format cannot hold is not written and the
  /// reason returned.
  template <class Record>
  diagnostic write(const Record& rec) {
    std::string& b = out_.buffer();
    const std::size_t mark = b.size();
    if (layout_ == json_layout::array) b.append(detail::json_array_separator(count_));
    diagnostic d = write_json(rec, b, opts_, &warnings_);
    out_.report(warnings_);
    if (d) {
      b.resize(mark);
      return d;
    }
    if (layout_ == json_layout::lines) b.push_back('\n');
    ++count_;
    out_.maybe_flush();
    return d;
  }
  /// Closes the array (if any) and flushes; later calls do nothing.
  void finish() {
    if (finished_) return;
    finished_ = true;
    if (layout_ == json_layout::array) out_.buffer().append(detail::json_array_close);
    out_.flush();
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  detail::buffered_output out_;
  json_layout layout_;
  json_options opts_;
  std::vector<diagnostic> warnings_;
  std::uint64_t count_ = 0;
  bool finished_ = false;
};

/// Reads MARC-in-JSON records from `Source`, in constant memory (the record
/// being read and a read-ahead chunk): JSON Lines, a JSON array of records,
/// or records one after the other in any layout (as yaz-marcdump writes
/// them). Each record is parsed with simdjson.
///
/// Records are delivered as owning `record`s; leader/09 is set to `a` when
/// blank, since JSON text is Unicode (`coding_scheme_set`, a warning). The
/// `marcpp_data` and `marcpp_leader` members put back what the writer could
/// not write as it is. A
/// record that is not valid JSON (`json_syntax`) or not a MARC-in-JSON
/// record (`json_not_marc`) is reported with its index, line and column;
/// under the lenient and skip policies the reader goes on with the next one.
template <class Source>
class json_reader : public detail::text_reader_base<json_reader<Source>> {
  using base = detail::text_reader_base<json_reader<Source>>;
  friend base;

 public:
  explicit json_reader(Source src, read_options opts = {}) : base(opts), src_(std::move(src)) {}

  /// Reads the next record into `out`; false at the end or on a stop.
  bool next(record& out) {
    if (this->done_) return false;
    release(pos_);
    for (;;) {
      if (!skip_between()) {
        if (!this->done_) finish_input();
        return false;
      }
      if (this->done_) return false;
      framed f = frame(pos_);
      if (f.kind == framed::io) return false;
      const std::uint64_t start = pos_;
      record rec;
      detail::record_access::set_position(rec, index_++, start);
      bool parsed = false;
      std::string_view raw;
      switch (f.kind) {
        case framed::complete:
          raw = bytes(start, f.end);
          parsed = build(raw, rec, start);
          pos_ = f.end;
          indent_ = -1;
          break;
        case framed::newline_in_string:
        case framed::unclosed:
        case framed::cut_short: {
          raw = bytes(start, f.end);
          fault(rec, errc::json_syntax, severity::error, f.kind == framed::cut_short ? f.end : f.end - 1,
                f.kind == framed::cut_short ? "the input ends inside the record: its JSON is cut short; it is skipped"
                : f.kind == framed::unclosed
                    ? "the record is not closed before the next one begins; it is skipped"
                    : "a string runs past the end of its line (JSON strings hold no line breaks); the record is skipped");
          if (f.kind == framed::newline_in_string) {
            // Resume at a line that opens a record, indented less than this
            // record's members (or, for a record on one line, as this one).
            resync_at_ = indent_;
            const std::size_t nl = raw.find('\n');
            if (nl != std::string_view::npos && nl + 1 < raw.size()) {
              const std::size_t first = raw.find_first_not_of(" \t", nl + 1);
              if (first != std::string_view::npos) resync_at_ = static_cast<long>(first - nl - 1) - 1;
            }
          }
          pos_ = f.end;
          indent_ = 0;
          break;
        }
        case framed::too_large:
          fault(rec, errc::record_too_large, severity::error, start,
                "the record is longer than " + std::to_string(this->opts_.max_record_size) + " bytes; it is skipped");
          pos_ = f.end;
          break;
        case framed::io: break;
      }
      if (this->settle(rec, parsed, raw, [&](diagnostic& d) { locate(d); })) {
        out = std::move(rec);
        last_raw_ = raw;
        return true;
      }
      if (this->done_) return false;
    }
  }

  /// The bytes of the last record delivered (valid until the next call).
  [[nodiscard]] std::string_view raw() const noexcept { return last_raw_; }
  /// Bytes of input read so far.
  [[nodiscard]] std::uint64_t position() const noexcept { return pos_; }
  [[nodiscard]] Source& source() noexcept { return src_; }

 private:
  static constexpr std::size_t chunk_size = std::size_t{1} << 16;
  struct framed {
    enum kind_t : std::uint8_t { complete, cut_short, newline_in_string, unclosed, too_large, io } kind = complete;
    std::uint64_t end = 0;  // one past the record's last byte (or where scanning stopped)
  };

  // ---- input -------------------------------------------------------------
  void release(std::uint64_t keep) {
    source_window w = src_.window();
    if (keep <= w.offset) return;
    keep = std::min<std::uint64_t>(keep, w.offset + w.size);
    if constexpr (!detail::keeps_all_bytes<Source>) loc_.pass(keep, w.data, w.offset, w.size);
    src_.consume(static_cast<std::size_t>(keep - w.offset));
  }
  // Makes the byte at absolute offset `at` available; false at the end.
  bool ensure(std::uint64_t at) {
    source_window w = src_.window();
    if (at < w.offset + w.size) return true;
    if (eof_) return false;
    if (!src_.fill(static_cast<std::size_t>(at - w.offset) + chunk_size)) eof_ = true;
    std::string_view err = src_.error();
    if (!err.empty() && !this->done_) this->stop(base::make(errc::io_error, severity::error, std::string(err)), {});
    w = src_.window();
    return at < w.offset + w.size;
  }
  [[nodiscard]] std::string_view bytes(std::uint64_t from, std::uint64_t to) const noexcept {
    source_window w = src_.window();
    if (from < w.offset) from = w.offset;
    to = std::min<std::uint64_t>(to, w.offset + w.size);
    if (to <= from) return {};
    return {w.data + (from - w.offset), static_cast<std::size_t>(to - from)};
  }
  char at(std::uint64_t off) const noexcept {
    source_window w = src_.window();
    return w.data[off - w.offset];
  }
  void locate(diagnostic& d) {
    if (d.offset == npos || d.line) return;
    auto pt = detail::locate_in(loc_, src_, d.offset);
    d.line = pt.line;
    d.column = pt.column;
  }

  // Moves `pos_` to the next record's opening brace, past white space,
  // array brackets and commas; reports anything else and skips it. False
  // at the end of the input.
  bool skip_between() {
    bool comma = false;
    for (;;) {
      if (resync_at_ != -2) {
        if (!resync()) return false;
        comma = true;  // whatever stood between the records was skipped with the broken one
        continue;
      }
      if (!ensure(pos_)) return false;
      if (this->done_) return false;
      const char c = at(pos_);
      if (pos_ == 0 && c == '\xEF' && ensure(2) && at(1) == '\xBB' && at(2) == '\xBF') {  // a byte order mark
        pos_ = 3;
        continue;
      }
      switch (c) {
        case ' ':
        case '\t':
        case '\r':
          if (indent_ >= 0) ++indent_;
          ++pos_;
          continue;
        case '\n':
          indent_ = 0;
          ++pos_;
          continue;
        case '[':
          if (in_array_) {
            if (!loose(errc::json_not_marc, "an array inside the array of records is not a record")) return false;
            continue;
          }
          in_array_ = true;
          elements_ = 0;
          comma = false;
          indent_ = -1;
          ++pos_;
          continue;
        case ']':
          if (!in_array_) {
            if (!loose(errc::json_syntax, "a ']' that closes no array")) return false;
            continue;
          }
          if (comma && !bad_comma(true)) return false;
          in_array_ = false;
          comma = false;
          indent_ = -1;
          ++pos_;
          continue;
        case ',':
          if ((!in_array_ || comma || elements_ == 0) && !bad_comma(false)) return false;
          comma = true;
          indent_ = -1;
          ++pos_;
          continue;
        case '{':
          if (in_array_ && elements_ > 0 && !comma && !bad_comma(false)) return false;
          if (in_array_) ++elements_;
          return true;
        default:
          if (!loose(in_array_ || c == '"' ? errc::json_syntax : errc::json_not_marc,
                     "\"" + detail::printable(std::string_view(&c, 1)) + "\" where a record should begin"))
            return false;
          continue;
      }
    }
  }
  bool bad_comma(bool trailing) {
    diagnostic d = base::make(errc::json_syntax, severity::repair,
                              trailing ? "a comma after the array's last record" : "records of the array are not separated by one comma");
    d.offset = pos_;
    locate(d);
    return this->settle_loose(std::move(d), bytes(pos_, pos_ + 1));
  }
  // Reports what stands at `pos_` and skips to the next line.
  bool loose(errc code, std::string what) {
    diagnostic d = base::make(code, severity::error, what + "; the rest of the line is skipped");
    d.offset = pos_;
    locate(d);
    std::uint64_t end = pos_;
    while (ensure(end) && at(end) != '\n') ++end;
    std::string_view raw = bytes(pos_, std::min(end, pos_ + 256));
    pos_ = end;
    indent_ = 0;
    if (!this->settle_loose(std::move(d), raw)) return false;
    return true;
  }
  // After a string broke off at a line end: the next line that opens a
  // record indented no deeper than `resync_at_` (any, if it is negative).
  bool resync() {
    const long want = resync_at_;
    resync_at_ = -2;
    for (;;) {
      std::uint64_t p = pos_;
      long col = 0;
      while (ensure(p) && (at(p) == ' ' || at(p) == '\t')) {
        ++p;
        ++col;
      }
      if (!ensure(p)) return false;
      if (at(p) == '{' && (want < 0 || col <= want)) {
        pos_ = p;
        indent_ = col;
        return true;
      }
      while (ensure(p) && at(p) != '\n') ++p;
      if (!ensure(p)) {
        pos_ = p;
        return false;
      }
      pos_ = p + 1;
      release(pos_);
    }
  }
  void finish_input() {
    if (in_array_) {
      diagnostic d = base::make(errc::json_syntax, severity::repair, "the input ends inside the array of records");
      d.offset = pos_;
      locate(d);
      this->settle_loose(std::move(d), {});
      in_array_ = false;
    }
    this->done_ = true;
  }

  // Finds the end of the object that opens at `start`, following strings
  // and escapes; it does not judge the JSON, simdjson does.
  framed frame(std::uint64_t start) {
    framed f;
    std::uint64_t p = start;
    long depth = 0;
    bool in_string = false;
    for (;;) {
      if (!ensure(p)) {
        if (this->done_) return {framed::io, p};
        source_window w = src_.window();
        return {framed::cut_short, w.offset + w.size};
      }
      if (p - start > this->opts_.max_record_size) {
        // Skip on to the end of the record without holding its bytes.
        release(p);
        f.kind = framed::too_large;
      }
      source_window w = src_.window();
      const char* d = w.data + (p - w.offset);
      const std::size_t n = static_cast<std::size_t>(w.offset + w.size - p);
      if (in_string) {
        std::size_t k = detail::find_any_of3(d, n, '"', '\\', '\n');
        if (k == n) {
          p += n;
          continue;
        }
        if (d[k] == '"') {
          in_string = false;
          p += k + 1;
        } else if (d[k] == '\\') {
          p += k + 2;
        } else {
          if (f.kind == framed::too_large) return {framed::too_large, p + k + 1};
          return {framed::newline_in_string, p + k + 1};
        }
        continue;
      }
      std::size_t k = detail::find_any_of3(d, n, '"', '{', '}');
      if (k == n) {
        p += n;
        continue;
      }
      if (d[k] == '"') {
        in_string = true;
      } else if (d[k] == '{') {
        // A brace that opens a line at the record's own indentation begins
        // the next record: this one was never closed.
        if (depth > 0 && indent_ >= 0 && line_start_at(p + k, indent_)) {
          const std::uint64_t line_start = p + k - static_cast<std::uint64_t>(indent_);
          return {framed::unclosed, line_start};
        }
        ++depth;
      } else if (--depth == 0) {
        f.end = p + k + 1;
        return f;
      }
      p += k + 1;
    }
  }

  // True if the byte at `at` is preceded on its line by exactly `indent`
  // blanks or tabs.
  bool line_start_at(std::uint64_t at, long indent) const noexcept {
    source_window w = src_.window();
    const auto n = static_cast<std::uint64_t>(indent);
    if (at < w.offset + n + 1) return false;
    const char* p = w.data + (at - w.offset);
    for (std::uint64_t i = 1; i <= n; ++i)
      if (p[-static_cast<std::ptrdiff_t>(i)] != ' ' && p[-static_cast<std::ptrdiff_t>(i)] != '\t') return false;
    return p[-static_cast<std::ptrdiff_t>(n) - 1] == '\n';
  }

  // ---- one record ------------------------------------------------------------
  void fault(record& rec, errc code, severity level, std::uint64_t off, std::string message, std::int64_t field = -1,
             std::string original = {}) {
    diagnostic d = base::make(code, level, std::move(message));
    d.record_index = rec.index();
    d.record_offset = rec.offset();
    d.offset = off;
    if (field >= 0) {
      d.field_index = static_cast<std::int32_t>(field);
      d.tag = rec.fields()[static_cast<std::size_t>(field)].tag();
    }
    d.original = std::move(original);
    detail::record_access::diagnostics(rec).push_back(std::move(d));
  }

  static const char* kind_name(detail::json_kind k) noexcept {
    switch (k) {
      case detail::json_kind::object: return "an object";
      case detail::json_kind::array: return "an array";
      case detail::json_kind::string: return "a string";
      case detail::json_kind::number: return "a number";
      case detail::json_kind::boolean: return "a boolean";
      case detail::json_kind::null: return "null";
    }
    return "a value";
  }

  bool build(std::string_view text, record& rec, std::uint64_t start) {
    detail::json_value root;
    source_window w = src_.window();
    const bool padded = text.data() + text.size() + detail::json_document_parser::padding <= w.data + w.size;
    std::string err = json_.parse(text.data(), text.size(), padded, root);
    if (!err.empty()) {
      fault(rec, errc::json_syntax, severity::error, start, "the record is not valid JSON (" + err + "); it is skipped");
      return false;
    }
    if (root.kind() != detail::json_kind::object) {
      fault(rec, errc::json_not_marc, severity::error, start,
            std::string("the record is ") + kind_name(root.kind()) + ", not a MARC-in-JSON object; it is skipped");
      return false;
    }
    bool have_leader = false, have_fields = false, have_original = false;
    std::string leader_text, original_leader;
    root.for_each_member([&](std::string_view key, const detail::json_value& v) {
      if (key == "leader" && v.kind() == detail::json_kind::string) {
        std::string_view l = v.string();
        if (have_leader) {
          fault(rec, errc::json_not_marc, severity::repair, start, "a second \"leader\" member is left out");
          return;
        }
        have_leader = true;
        leader_text.assign(l);
        std::string repair;
        rec.set_leader(detail::leader_from_text(std::string(l), repair));
        if (!repair.empty()) fault(rec, errc::bad_leader_length, severity::repair, start, std::move(repair));
      } else if (key == "marcpp_leader" && v.kind() == detail::json_kind::string && !have_original) {
        // marcpp's original form of a leader that is not UTF-8 (docs/formats.md).
        have_original = true;
        if (!detail::unescape_bytes(v.string(), original_leader)) original_leader.clear();
      } else if (key == "fields" && v.kind() == detail::json_kind::array) {
        have_fields = true;
        v.for_each_element([&](const detail::json_value& f) { add_field(rec, f, start); });
      } else {
        fault(rec, errc::json_not_marc, severity::repair, start,
              "the member \"" + detail::printable(key) + "\" (" + kind_name(v.kind()) +
                  ") is not part of a MARC-in-JSON record; it is left out");
      }
    });
    if (!have_leader && !have_fields) {
      // Everything was reported as left out: this is not a record at all.
      auto& diags = detail::record_access::diagnostics(rec);
      diags.clear();
      fault(rec, errc::json_not_marc, severity::error, start,
            "the object has no \"leader\" and no \"fields\": it is not a MARC-in-JSON record; it is skipped");
      return false;
    }
    if (have_original) {
      if (have_leader && original_leader.size() == 24 && detail::json_leader_text(original_leader) == leader_text) {
        std::string repair;
        rec.set_leader(detail::leader_from_text(original_leader, repair));
      } else {
        fault(rec, errc::json_not_marc, severity::warning, start,
              "the \"leader\" is not what marcpp wrote beside \"marcpp_leader\" (the record was changed since): it "
              "is read as it is, \"marcpp_leader\" left out");
      }
    }
    if (!have_leader) {
      fault(rec, errc::json_not_marc, severity::repair, start,
            "the record has no \"leader\"; a blank one is used (\"00000    a2200000   4500\")");
      leader l;
      l.set_coding_scheme('a');
      rec.set_leader(l);
    }
    if (rec.leader().coding_scheme() == ' ') {
      rec.leader().set_coding_scheme('a');
      fault(rec, errc::coding_scheme_set, severity::warning, start,
            "leader/09 is blank (MARC-8), but JSON text is Unicode; leader/09 is set to 'a'");
    }
    return true;
  }

  static std::string value_text(const detail::json_value& v) {
    return v.kind() == detail::json_kind::string ? std::string(v.string()) : v.kind() == detail::json_kind::null ? std::string() : v.text();
  }

  void add_field(record& rec, const detail::json_value& f, std::uint64_t start) {
    if (f.kind() != detail::json_kind::object) {
      fault(rec, errc::json_not_marc, severity::repair, start,
            std::string("a field is ") + kind_name(f.kind()) + ", not an object; it is left out");
      return;
    }
    if (f.size() != 1)
      fault(rec, errc::json_not_marc, severity::warning, start,
            "a field object has " + std::to_string(f.size()) + " members, not one; each is read as a field");
    f.for_each_member([&](std::string_view key, const detail::json_value& v) {
      if (v.kind() == detail::json_kind::object) {
        add_data_field(rec, key, v, start);
      } else if (v.kind() == detail::json_kind::array) {
        fault(rec, errc::json_not_marc, severity::repair, start,
              "the field \"" + detail::printable(key) + "\" holds an array, neither control data nor a data field; it is left out");
        return;
      } else {
        if (v.kind() != detail::json_kind::string)
          fault(rec, errc::json_not_marc, severity::repair, start,
                "the control field \"" + detail::printable(key) + "\" holds " + kind_name(v.kind()) +
                    ", not a string; its JSON text is kept as the data");
        rec.add(field::control(marcpp::tag::invalid(), value_text(v)));
      }
      const detail::tag_text k = detail::set_tag_text(rec.fields().back(), key);
      if (k == detail::tag_text::illegal || k == detail::tag_text::unusable)
        fault(rec, errc::invalid_tag, k == detail::tag_text::illegal ? severity::warning : severity::repair, start,
              detail::tag_text_message(k, "the field", key), static_cast<std::int64_t>(rec.size()) - 1,
              std::string(key));
    });
  }

  // The tag (`tag_key`) is set here, for "marcpp_data"; `add_field` reports it.
  void add_data_field(record& rec, std::string_view tag_key, const detail::json_value& v, std::uint64_t start) {
    field& f = rec.add(field(marcpp::tag::invalid(), {}));
    (void)detail::set_tag_text(f, tag_key);
    const auto fi = static_cast<std::int64_t>(rec.size()) - 1;
    bool have_subfields = false, have1 = false, have2 = false, have_original = false;
    std::string original;
    char ind[2] = {' ', ' '};
    v.for_each_member([&](std::string_view key, const detail::json_value& m) {
      if (key == "marcpp_data" && m.kind() == detail::json_kind::string && !have_original) {
        // marcpp's original form of a field the layout cannot hold (docs/formats.md).
        have_original = true;
        if (!detail::unescape_bytes(m.string(), original)) original = "\x1F";  // never a substitute's original
      } else if (key == "ind1" || key == "ind2") {
        const int k = key == "ind1" ? 0 : 1;
        (k == 0 ? have1 : have2) = true;
        std::string s = value_text(m);
        if (s.size() == 1 && m.kind() == detail::json_kind::string) {
          ind[k] = s[0];
        } else {
          if (!s.empty() && static_cast<unsigned char>(s[0]) < 0x80) ind[k] = s[0];
          fault(rec, errc::json_not_marc, severity::repair, start,
                std::string(key) + " is \"" + detail::printable(s) + "\", not one character; " +
                    (ind[k] == ' ' ? "a blank is used" : "its first character is kept"),
                fi);
        }
      } else if (key == "subfields" && m.kind() == detail::json_kind::array) {
        have_subfields = true;
        m.for_each_element([&](const detail::json_value& s) {
          if (s.kind() != detail::json_kind::object) {
            fault(rec, errc::json_not_marc, severity::repair, start,
                  std::string("a subfield is ") + kind_name(s.kind()) + ", not an object; it is left out", fi);
            return;
          }
          if (s.size() != 1)
            fault(rec, errc::json_not_marc, severity::warning, start,
                  "a subfield object has " + std::to_string(s.size()) + " members, not one; each is read as a subfield", fi);
          s.for_each_member([&](std::string_view code, const detail::json_value& val) {
            if (val.kind() != detail::json_kind::string)
              fault(rec, errc::json_not_marc, severity::repair, start,
                    "the subfield \"" + detail::printable(code) + "\" holds " + kind_name(val.kind()) +
                        ", not a string; its JSON text is kept as the value",
                    fi);
            if (code.size() == 1) {
              f.subfields().emplace_back(code[0], value_text(val));
            } else if (code.empty()) {
              f.subfields().push_back(subfield::without_code(value_text(val)));
              fault(rec, errc::schema_pattern, severity::warning, start,
                    "a subfield's code is empty; it is read as a subfield delimiter without a code", fi);
            } else {
              const bool kept = static_cast<unsigned char>(code[0]) < 0x80;
              if (kept)
                f.subfields().emplace_back(code[0], value_text(val));
              else
                f.subfields().push_back(subfield::without_code(value_text(val)));
              fault(rec, errc::json_not_marc, severity::repair, start,
                    "a subfield's code is \"" + detail::printable(code) + "\", not one character; " +
                        (kept ? "its first character is kept" : "it is kept as a subfield without a code"),
                    fi);
            }
          });
        });
      } else {
        fault(rec, errc::json_not_marc, severity::repair, start,
              "the member \"" + detail::printable(key) + "\" of a data field is not part of MARC-in-JSON; it is left out", fi);
      }
    });
    if (!have1 || !have2)
      fault(rec, errc::json_not_marc, severity::repair, start,
            std::string("the data field has no ") + (!have1 ? "ind1" : "ind2") + "; a blank is used", fi);
    if (!have_subfields)
      fault(rec, errc::json_not_marc, severity::warning, start, "the data field has no \"subfields\" array", fi);
    f.set_indicators({ind[0], ind[1]});
    if (have_original) {
      field orig = detail::field_from_body(marcpp::tag::invalid(), original, detail::effective_code_length(rec.leader()));
      detail::copy_tag(orig, f);
      if (original.size() >= 2 && f.has_tag_chars() && detail::json_substitute(orig) == f)
        f = std::move(orig);
      else
        fault(rec, errc::json_not_marc, severity::warning, start,
              "the data field is not what marcpp wrote beside \"marcpp_data\" (the record was changed since): it is "
              "read as it is, \"marcpp_data\" left out",
              fi);
    }
  }

  Source src_;
  detail::json_document_parser json_;
  detail::text_locator loc_;
  std::uint64_t pos_ = 0, index_ = 0;
  std::size_t elements_ = 0;
  long indent_ = 0, resync_at_ = -2;
  bool eof_ = false, in_array_ = false;
  std::string_view last_raw_;
};

template <class Source>
json_reader(Source, read_options) -> json_reader<Source>;
template <class Source>
json_reader(Source) -> json_reader<Source>;

MARCPP_NAMESPACE_END
