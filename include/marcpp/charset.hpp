// SPDX-License-Identifier: MIT
#pragma once

/// \file charset.hpp
/// Character sets record by record: which encoding a record is in (leader/09
/// checked against its bytes), and conversion of a whole record to UTF-8 or
/// to MARC-8, with leader/09 set to match.
///
///     marcpp::record rec;
///     while (reader.next(view)) {
///       if (auto err = marcpp::to_utf8(view, rec)) { report(err); continue; }
///       use(rec);                         // UTF-8, leader/09 'a'
///     }
///
/// Conversion is a step of its own between reading and writing: a reader
/// delivers records as their bytes are, `to_utf8` / `to_marc8` make an
/// owning record in the wanted encoding, and a writer writes it (the ISO 2709
/// writer can also convert on write: `write_options::to_encoding`).
/// docs/charsets.md describes the rules and the options.

#include <marcpp/config.hpp>
#include <marcpp/detail/simd.hpp>
#include <marcpp/detail/write_conversion.hpp>
#include <marcpp/error.hpp>
#include <marcpp/marc8.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/tag.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

/// The character encodings of MARC 21 records (declared for the ISO 2709
/// writer in detail/write_conversion.hpp, with `leader09_policy`).
enum class encoding : std::uint8_t {
  marc8,  ///< leader/09 blank
  utf8,   ///< leader/09 `a`
};

/// `"MARC-8"` or `"UTF-8"`.
[[nodiscard]] constexpr std::string_view to_string(encoding e) noexcept {
  return e == encoding::utf8 ? "UTF-8" : "MARC-8";
}

/// How the encoding of the records read is known.
enum class source_encoding : std::uint8_t {
  detect,  ///< from leader/09, checked against the bytes (see `leader09_policy`)
  marc8,   ///< every record is MARC-8, whatever leader/09 says (`yaz-marcdump -f MARC-8`)
  utf8,    ///< every record is UTF-8, whatever leader/09 says
};

/// A Unicode normalisation form applied to converted text. `marcpp::nfc`
/// and `marcpp::nfd` come from <marcpp/normalize.hpp> (which needs ICU); the
/// empty default leaves the text as decoded.
struct normalization {
  const char* name = nullptr;                                 ///< "NFC", "NFD"
  bool (*apply)(std::string_view utf8, std::string& out) = nullptr;  ///< appends; false on failure
  explicit constexpr operator bool() const noexcept { return apply != nullptr; }
};

/// How `to_utf8` and `to_marc8` convert.
struct charset_options {
  /// Bytes that map to nothing, bad escape sequences, invalid UTF-8:
  /// `lenient` repairs (U+FFFD) and reports each repair in the record's
  /// diagnostics; `strict` and `skip` refuse the record with the first fault
  /// (the caller then stops, or skips the record and goes on).
  error_policy policy = error_policy::lenient;
  /// Where the encoding of the input record comes from.
  source_encoding from = source_encoding::detect;
  /// With `from == detect`: what to do when leader/09 and the bytes disagree.
  leader09_policy leader09 = leader09_policy::trust_bytes;
  /// MARC-8 numeric character references (`&#xXXXX;`): decoded on the way to
  /// UTF-8, written for characters MARC-8 lacks on the way to MARC-8.
  bool numeric_references = true;
  /// Normalisation of the UTF-8 text made by `to_utf8` (none by default).
  normalization normalize{};
};

/// What leader/09 and the bytes of a record say about its encoding.
struct encoding_check {
  char flag = ' ';                    ///< leader/09 as found
  encoding declared = encoding::marc8;  ///< `utf8` if leader/09 is `a`, `marc8` otherwise
  /// What the bytes say: UTF-8 when they hold more valid multibyte UTF-8
  /// sequences than bytes UTF-8 does not allow; MARC-8 when they hold bytes
  /// UTF-8 does not allow (or escape sequences) and fewer valid sequences,
  /// and, if leader/09 says UTF-8, read as MARC-8 without a fault. Empty
  /// when they do not tell: every byte ASCII with no escape (both encodings
  /// read it the same), or a record flagged UTF-8 that is neither.
  std::optional<encoding> bytes;
  std::size_t multibyte = 0;  ///< valid UTF-8 sequences of two to four bytes
  std::size_t invalid = 0;    ///< bytes that start no valid UTF-8 sequence
  std::size_t escapes = 0;    ///< escape bytes (0x1B)
  /// Where the first byte that tells is: its offset in the input (when the
  /// record is a view of it), and its field.
  std::uint64_t offset = npos;
  marcpp::tag tag;
  std::int32_t field_index = -1;

  /// True unless leader/09 and the bytes contradict each other.
  [[nodiscard]] bool agrees() const noexcept { return !bytes || *bytes == declared; }
};

namespace detail {

// The text of a record, chunk by chunk: f(bytes, field index, tag). A view
// gives each field's bytes as read; an owning record its control data and
// subfield values (with the code byte, when it is not ASCII). `f` may not
// keep the bytes beyond the call.
template <class F>
void for_each_text(const record_view& r, F&& f) {
  const auto fields = r.fields();
  for (std::size_t i = 0; i < fields.size(); ++i) f(fields[i].raw(), static_cast<std::int32_t>(i), fields[i].tag());
}
template <class F>
void for_each_text(const record& r, F&& f) {
  const auto fields = r.fields();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const field& fl = fields[i];
    if (fl.is_control()) {
      f(fl.data(), static_cast<std::int32_t>(i), fl.tag());
    } else {
      for (const subfield& s : fl.subfields()) {
        // A code byte of 0x80 or more may begin a character its value
        // completes: read with the value, as a view's field bytes are.
        if (s.has_code() && static_cast<unsigned char>(s.code()) >= 0x80) {
          const std::string unit = s.code() + std::string(s.value());
          f(std::string_view(unit), static_cast<std::int32_t>(i), fl.tag());
        } else {
          f(s.value(), static_cast<std::int32_t>(i), fl.tag());
        }
      }
    }
  }
}

/// Offset in the input of byte `p` of a record read from it, or `npos`.
inline std::uint64_t input_offset(const record_view& r, const char* p) noexcept {
  const char* base = r.raw().data();
  if (r.offset() == npos || !base || p < base || p > base + r.raw().size()) return npos;
  return r.offset() + static_cast<std::uint64_t>(p - base);
}
inline std::uint64_t input_offset(const record&, const char*) noexcept { return npos; }

/// Collects a record's conversion diagnostics: at most `max_per_kind` of a
/// kind, then one that counts the rest.
class capped_diagnostics {
 public:
  static constexpr unsigned max_per_kind = 16;

  void add(diagnostic d) {
    entry* e = find(d.code);
    if (e->listed >= max_per_kind) {
      ++e->more;
      e->level = std::max(e->level, d.level);  // the count has the level of the faults it counts
      e->context = std::move(d);
      return;
    }
    ++e->listed;
    list_.push_back(std::move(d));
  }
  /// Moves the diagnostics (and the counts of those left out) into `rec`.
  void flush_into(record& rec) {
    for (auto& d : list_) rec.add_diagnostic(std::move(d));
    for (std::size_t k = 0; k < n_; ++k)
      if (kinds_[k].more) {
        diagnostic s = std::move(kinds_[k].context);
        s.level = kinds_[k].level;
        s.tag = {};
        s.field_index = -1;
        s.offset = npos;
        s.original.clear();
        s.message = std::to_string(kinds_[k].more) + " more " + std::string(to_string(kinds_[k].code)) +
                    " faults in this record like the ones above are not listed one by one";
        rec.add_diagnostic(std::move(s));
      }
    list_.clear();
    n_ = 0;
  }

 private:
  struct entry {
    errc code = errc::ok;
    unsigned listed = 0;
    unsigned more = 0;
    severity level = severity::warning;
    diagnostic context;
  };
  entry* find(errc c) {
    for (std::size_t k = 0; k < n_; ++k)
      if (kinds_[k].code == c) return &kinds_[k];
    entry* e = &kinds_[n_ < std::size(kinds_) ? n_++ : std::size(kinds_) - 1];
    *e = entry{};
    e->code = c;
    return e;
  }
  std::vector<diagnostic> list_;
  entry kinds_[8];
  std::size_t n_ = 0;
};

/// Replaces each byte of `in` that starts no valid UTF-8 sequence by U+FFFD;
/// calls `bad(position)` for each.
template <class F>
void repair_utf8(std::string_view in, std::string& out, F&& bad) {
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t k = find_invalid_utf8(in.data() + i, in.size() - i);
    out.append(in.data() + i, k);
    i += k;
    if (i >= in.size()) break;
    bad(i);
    out.append("\xEF\xBF\xBD");
    ++i;
  }
}

/// True if every value of `rec` decodes as MARC-8 without a fault.
template <class Record>
bool reads_as_marc8(const Record& rec) {
  marc8_decoder dec;
  std::string scratch;
  bool fault = false;
  auto sink = [&](charset_fault&&) { fault = true; };
  auto read = [&](std::string_view v) {
    scratch.clear();
    return dec.convert(v, scratch, true, false, sink) && !fault;
  };
  for (const auto& f : rec.fields()) {
    if (f.is_control()) {
      if (!read(f.data())) return false;
    } else {
      for (const auto& s : f.subfields())
        if (!read(s.value())) return false;
    }
  }
  return true;
}

inline std::string describe_flag(char flag) {
  if (flag == ' ') return "blank (MARC-8)";
  if (flag == 'a') return "'a' (UTF-8)";
  return "\"" + printable(std::string_view(&flag, 1)) + "\"";
}

}  // namespace detail

/// What leader/09 and the bytes of `rec` (either flavour) say about its
/// encoding.
template <class Record>
[[nodiscard]] encoding_check check_encoding(const Record& rec) {
  encoding_check c;
  c.flag = rec.leader().coding_scheme();
  c.declared = c.flag == 'a' ? encoding::utf8 : encoding::marc8;
  const char* first_utf8 = nullptr;
  const char* first_marc8 = nullptr;
  std::int32_t utf8_field = -1, marc8_field = -1;
  marcpp::tag utf8_tag, marc8_tag;
  detail::for_each_text(rec, [&](std::string_view s, std::int32_t fi, marcpp::tag t) {
    const char* p = s.data();
    const std::size_t n = s.size();
    std::size_t i = detail::find_ascii_stop(p, n, '\x1B', '\x1B');
    while (i < n) {
      const auto b = static_cast<unsigned char>(p[i]);
      if (b < 0x80) {
        if (b == 0x1B) {
          ++c.escapes;
          if (!first_marc8) {
            first_marc8 = p + i;
            marc8_field = fi;
            marc8_tag = t;
          }
        }
        ++i;
      } else {
        std::size_t len;
        (void)detail::read_utf8(p + i, n - i, len);
        if (len) {
          if (!c.multibyte++) {
            first_utf8 = p + i;
            utf8_field = fi;
            utf8_tag = t;
          }
          i += len;
        } else {
          ++c.invalid;
          if (!first_marc8) {
            first_marc8 = p + i;
            marc8_field = fi;
            marc8_tag = t;
          }
          ++i;
        }
      }
      i += detail::find_ascii_stop(p + i, n - i, '\x1B', '\x1B');
    }
  });
  if (c.multibyte > c.invalid) {
    c.bytes = encoding::utf8;
    c.offset = detail::input_offset(rec, first_utf8);
    c.field_index = utf8_field;
    c.tag = utf8_tag;
  } else if (first_marc8 && (c.declared == encoding::marc8 || detail::reads_as_marc8(rec))) {
    // Where leader/09 says UTF-8, bytes UTF-8 does not allow are MARC-8 only
    // if the record reads as MARC-8 without a fault: damaged UTF-8, or text
    // in some other encoding, is not MARC-8 either, and the flag stands.
    c.bytes = encoding::marc8;
    c.offset = detail::input_offset(rec, first_marc8);
    c.field_index = marc8_field;
    c.tag = marc8_tag;
  }
  return c;
}

namespace detail {

template <class Record>
diagnostic charset_diagnostic(const Record& in, errc code, severity level, std::string message) {
  diagnostic d;
  d.code = code;
  d.level = level;
  d.record_index = in.index();
  d.record_offset = in.offset();
  d.control_number.assign(in.control_number());
  d.message = std::move(message);
  return d;
}

/// Decides the encoding of `in`. Returns false (with `error` set) if the
/// record must not be converted; `note` receives a warning to keep, if any.
template <class Record>
bool source_of(const Record& in, const charset_options& opts, encoding& source, diagnostic& note, diagnostic& error) {
  if (opts.from == source_encoding::marc8) {
    source = encoding::marc8;
    return true;
  }
  if (opts.from == source_encoding::utf8) {
    source = encoding::utf8;
    return true;
  }
  const encoding_check c = check_encoding(in);
  source = c.declared;
  if (c.agrees()) {
    if (c.flag != ' ' && c.flag != 'a')
      note = charset_diagnostic(in, errc::encoding_mismatch, severity::warning,
                                "leader/09 is " + describe_flag(c.flag) +
                                    ", neither blank (MARC-8) nor 'a' (UTF-8); the record is read as MARC-8");
    return true;
  }
  std::string msg = "leader/09 is " + describe_flag(c.flag) + " but ";
  if (*c.bytes == encoding::utf8) {
    msg += "the data is UTF-8 (" + std::to_string(c.multibyte) + " multibyte UTF-8 character" +
           (c.multibyte == 1 ? "" : "s") + (c.invalid ? ", " + std::to_string(c.invalid) + " invalid byte" +
                                                         (c.invalid == 1 ? "" : "s")
                                                   : std::string()) +
           ")";
  } else {
    msg += "the data is not UTF-8 (";
    if (c.invalid) msg += std::to_string(c.invalid) + " byte" + (c.invalid == 1 ? "" : "s") + " UTF-8 does not allow";
    if (c.invalid && c.escapes) msg += ", ";
    if (c.escapes) msg += std::to_string(c.escapes) + " MARC-8 escape" + (c.escapes == 1 ? "" : "s");
    msg += "): it is MARC-8";
  }
  diagnostic d = charset_diagnostic(in, errc::encoding_mismatch, severity::warning, std::move(msg));
  d.offset = c.offset;
  d.tag = c.tag;
  d.field_index = c.field_index;
  switch (opts.leader09) {
    case leader09_policy::trust_bytes:
      source = *c.bytes;
      d.message += "; it is read as " + std::string(to_string(source)) + ", as the bytes say";
      break;
    case leader09_policy::trust_flag:
      d.message += "; it is read as " + std::string(to_string(source)) + ", as leader/09 says";
      break;
    case leader09_policy::fail:
      d.level = severity::error;
      d.message += "; the record is not converted";
      error = std::move(d);
      return false;
  }
  note = std::move(d);
  return true;
}

/// Converts `in` into `out` (either may be the other if `Record` is `record`).
template <class Record>
diagnostic convert_record(const Record& in, record& out, const charset_options& opts, encoding target) {
  encoding source;
  diagnostic note, error;
  if (!source_of(in, opts, source, note, error)) {
    out = record{};
    return error;
  }
  // Offsets and the 001 are taken from `in` before `out` is written (they
  // may be the same record).
  std::string cn(in.control_number());
  std::vector<const char*> origins;  // where each value came from, for offsets
  if constexpr (std::is_same_v<Record, record_view>) {
    for (const auto& f : in.fields()) {
      if (f.is_control()) origins.push_back(f.data().data());
      else
        for (const auto& s : f.subfields()) origins.push_back(s.value().data());
    }
  }
  if constexpr (std::is_same_v<Record, record>) {
    if (&in != &out) out = in;
  } else {
    out = in;
  }
  out.leader().set_coding_scheme(target == encoding::utf8 ? 'a' : ' ');
  if (note) out.add_diagnostic(std::move(note));
  const bool decode = source == encoding::marc8 && target == encoding::utf8;
  const bool encode = source == encoding::utf8 && target == encoding::marc8;
  const bool check_utf8 = source == encoding::utf8 && target == encoding::utf8;
  if (!decode && !encode && !check_utf8) return {};

  const bool stop = opts.policy != error_policy::lenient;
  capped_diagnostics diags;
  marc8_decoder dec;
  marc8_encoder enc;
  std::string buf;
  std::size_t value_index = 0;
  bool failed = false;
  diagnostic first_error;
  auto& fields = out.fields();
  for (std::size_t fi = 0; fi < fields.size() && !failed; ++fi) {
    field& f = fields[fi];
    // `code`: the subfield's code byte, 0 for none. `lead`: bytes at the
    // start of the value that complete a character the code byte begins
    // (checking UTF-8, they are the code's, not the value's to repair).
    auto convert_value = [&](std::string_view v, char code, bool control, std::size_t lead = 0) -> bool {
      const char* origin = value_index < origins.size() ? origins[value_index] : nullptr;
      ++value_index;
      auto where = [&] {
        return control ? std::string("in the control field, ")
                       : code ? std::string("in subfield $") + code + ", " : std::string("in the field data, ");
      };
      auto sink = [&](charset_fault&& cf) {
        diagnostic d = charset_diagnostic(in, cf.code, cf.level, where() + std::move(cf.message));
        d.record_index = out.index();
        d.record_offset = out.offset();
        d.control_number = cn;
        d.tag = f.tag();
        d.field_index = static_cast<std::int32_t>(fi);
        d.offset = origin ? input_offset(in, origin + cf.pos) : npos;
        d.original.assign(cf.original);
        if (d.level == severity::error) {
          if (!failed) {
            d.message += "; the record is not converted";
            first_error = std::move(d);
          }
          failed = true;
          return;
        }
        diags.add(std::move(d));
      };
      buf.clear();
      if (check_utf8) {
        if (find_invalid_utf8(v.data() + lead, v.size() - lead) != v.size() - lead) {
          buf.assign(v.substr(0, lead));
          repair_utf8(v.substr(lead), buf, [&](std::size_t at) {
            const std::size_t pos = lead + at;
            charset_fault cf;
            cf.code = errc::invalid_utf8;
            cf.level = stop ? severity::error : severity::repair;
            cf.pos = pos;
            cf.original = v.substr(pos, 1);
            cf.message = "the byte " + byte_names(cf.original) + " is not part of a UTF-8 character";
            if (!stop) cf.message += "; it is replaced by U+FFFD";
            sink(std::move(cf));
          });
          if (failed) return false;
        } else if (!opts.normalize) {
          return false;  // valid, nothing to change
        } else {
          buf.assign(v);
        }
      } else {
        if (find_ascii_stop(v.data(), v.size(), '\x1B', '&') == v.size()) return false;  // plain ASCII
        bool ok = decode ? dec.convert(v, buf, stop, opts.numeric_references, sink)
                         : enc.convert(v, buf, stop, opts.numeric_references, sink);
        if (!ok || failed) {
          failed = true;
          return false;
        }
      }
      if (target == encoding::utf8 && opts.normalize) {
        std::string normal;
        if (opts.normalize.apply(buf, normal)) buf.swap(normal);
      }
      return true;
    };
    if (f.is_control()) {
      if (convert_value(f.data(), 0, true)) f.set_data(std::move(buf));
    } else {
      for (subfield& s : f.subfields()) {
        const char code = s.has_code() ? s.code() : '\0';
        // A code byte of 0x80 or more is read with the value, as the
        // field's bytes hold them: a code byte that begins a UTF-8
        // character whose other bytes open the value is not invalid UTF-8
        // (nor are those bytes). The code byte itself is structure, never
        // repaired, like an indicator.
        std::size_t lead = 0;
        if (check_utf8 && static_cast<unsigned char>(code) >= 0x80) {
          std::string unit(1, code);
          unit.append(s.value(), 0, std::min<std::size_t>(s.value().size(), 3));
          const std::size_t len =
              utf8_sequence(reinterpret_cast<const unsigned char*>(unit.data()), unit.size());
          if (len > 1) lead = len - 1;
        }
        if (convert_value(s.value(), code, false, lead)) s.value_ref().swap(buf);
      }
    }
  }
  if (failed) {
    out = record{};
    return first_error;
  }
  diags.flush_into(out);
  return {};
}

}  // namespace detail

/// Makes `out` an owning UTF-8 copy of `in` (a `record_view` or a
/// `record`; `in` and `out` may be the same record), with leader/09 set to
/// `a`. The encoding of `in` comes from `opts.from` and `opts.leader09`;
/// MARC-8 text is decoded value by value (each subfield starting with the
/// default sets), UTF-8 text is checked, and both are normalised if
/// `opts.normalize` says so. `out.diagnostics()` holds those of `in`, then
/// the warnings and lenient repairs of the conversion, each with the record
/// index, the field, and the byte offset in the input when `in` is a view. Returns an empty diagnostic
/// on success; otherwise the error that refused the record (a leader/09
/// disagreement under `leader09_policy::fail`, or the first fault under the
/// `strict` or `skip` policy), and `out` is left empty.
template <class Record>
[[nodiscard]] diagnostic to_utf8(const Record& in, record& out, const charset_options& opts = {}) {
  return detail::convert_record(in, out, opts, encoding::utf8);
}

/// Makes `out` an owning MARC-8 copy of `in`, with leader/09 blank: UTF-8
/// text is encoded value by value (each subfield ending with the default
/// sets), characters MARC-8 lacks become numeric character references (or,
/// with `numeric_references` off, faults); MARC-8 text is copied as it is.
/// `opts.normalize` does not apply (the encoder decomposes what it needs).
/// Returns as `to_utf8` does.
template <class Record>
[[nodiscard]] diagnostic to_marc8(const Record& in, record& out, const charset_options& opts = {}) {
  return detail::convert_record(in, out, opts, encoding::marc8);
}

/// Converts `in` to `target` (see `to_utf8` and `to_marc8`).
template <class Record>
[[nodiscard]] diagnostic convert_to(encoding target, const Record& in, record& out, const charset_options& opts = {}) {
  return detail::convert_record(in, out, opts, target);
}

namespace detail {

// The ISO 2709 writer's conversion on write (`write_options::to_encoding`),
// installed when the program starts, by every file that includes this
// header: the writer itself does not include the MARC-8 codec.
inline diagnostic convert_for_write(encoding to, leader09_policy l, const record* owned, const record_view* view,
                                    record& out) {
  charset_options co;
  co.policy = error_policy::strict;
  co.leader09 = l;
  return owned ? convert_to(to, *owned, out, co) : convert_to(to, *view, out, co);
}
inline const bool write_converter_installed = (write_converter = &convert_for_write, true);

}  // namespace detail

/// The UTF-8 form of `in`; throws `marcpp::error` if it cannot be made.
template <class Record>
[[nodiscard]] record to_utf8(const Record& in, const charset_options& opts = {}) {
  record r;
  if (auto err = to_utf8(in, r, opts)) throw_error(std::move(err));
  return r;
}

/// The MARC-8 form of `in`; throws `marcpp::error` if it cannot be made.
template <class Record>
[[nodiscard]] record to_marc8(const Record& in, const charset_options& opts = {}) {
  record r;
  if (auto err = to_marc8(in, r, opts)) throw_error(std::move(err));
  return r;
}

MARCPP_NAMESPACE_END
