// SPDX-License-Identifier: MIT
#pragma once

/// \file format.hpp
/// Every serialization by name: format detection from the first bytes, a
/// reader over any input in any format (`with_format_reader`), and a writer
/// to any format (`record_writer`).
///
/// Detection is the core's; reading and writing MARCXML and MARC-in-JSON
/// need their components (`MARCPP_WITH_MARCXML`, `MARCPP_WITH_JSON`, defined
/// by the CMake targets marcpp::marcxml and marcpp::json). Without one, a
/// reader or writer of that format reports `component_missing` naming it.
/// Define the `MARCPP_WITH_*` macros alike in every file of a program.

#include <marcpp/config.hpp>
#include <marcpp/detail/components.hpp>
#include <marcpp/error.hpp>
#include <marcpp/input.hpp>
#include <marcpp/iso2709_writer.hpp>
#include <marcpp/line_writer.hpp>
#include <marcpp/mrk.hpp>
#if defined(MARCPP_WITH_MARCXML)
#  include <marcpp/marcxml.hpp>
#endif
#if defined(MARCPP_WITH_JSON)
#  include <marcpp/json.hpp>
#endif
#include <marcpp/reader.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/source.hpp>
#include <marcpp/text_options.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

/// A MARC serialization.
enum class format : std::uint8_t {
  detect,    ///< as an option (`open_options::format`): detect it from the first bytes;
             ///< from `detect_format`: not recognised
  unknown = detect,  ///< the same as `detect`: the name `detect_format` gives what it does not recognise
  iso2709,   ///< ISO 2709 ("binary MARC", .mrc)
  marcxml,   ///< MARCXML
  json,      ///< MARC-in-JSON, as a JSON array (reading: any MARC-in-JSON layout)
  jsonl,     ///< MARC-in-JSON, one record per line (reading: any MARC-in-JSON layout)
  mrk,       ///< MARCMaker / MarcBreaker mnemonic text (.mrk)
  text,      ///< the line format yaz-marcdump prints (writing only)
};

/// The name of a format as marc-convert spells it (`"marcxml"`).
[[nodiscard]] inline std::string_view to_string(format f) noexcept {
  switch (f) {
    case format::iso2709: return "iso2709";
    case format::marcxml: return "marcxml";
    case format::json: return "json";
    case format::jsonl: return "jsonl";
    case format::mrk: return "mrk";
    case format::text: return "text";
    case format::detect: break;
  }
  return "unknown";
}

/// The format named `name` (as `to_string` spells it, or the aliases
/// `marc`, `mrc`, `xml`, `line`); nullopt if there is none.
[[nodiscard]] inline std::optional<format> parse_format(std::string_view name) noexcept {
  for (auto f : {format::iso2709, format::marcxml, format::json, format::jsonl, format::mrk, format::text})
    if (name == to_string(f)) return f;
  if (name == "marc" || name == "mrc") return format::iso2709;
  if (name == "xml") return format::marcxml;
  if (name == "line") return format::text;
  return std::nullopt;
}

/// The format of an input, from its first bytes (a few hundred are
/// plenty): after a byte order mark and white space, `<` is MARCXML, `[`
/// a JSON array, `{` JSON lines or objects, `=LDR` (or `=` and a tag) .mrk,
/// and five digits an ISO 2709 record length. Anything else is `unknown`.
///
///     marcpp::detect_format("00714cam a2200205 a 4500") == marcpp::format::iso2709
[[nodiscard]] inline format detect_format(std::string_view head) noexcept {
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  std::size_t i = 0;
  // ISO 2709 files may begin with filler (NUL, newlines, blanks) as well.
  while (i < head.size() && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n' || head[i] == '\0'))
    ++i;
  head.remove_prefix(i);
  if (head.empty()) return format::unknown;
  switch (head[0]) {
    case '<': return format::marcxml;
    case '[': return format::json;
    case '{': return format::jsonl;
    case '=': {
      if (head.substr(0, 4) == "=LDR") return format::mrk;
      if (head.size() >= 4 && tag::parse(head.substr(1, 3))) return format::mrk;
      return format::unknown;
    }
    case '#': return format::mrk;  // a MarcEdit comment line
    default: break;
  }
  if (head.size() >= 5 && detail::parse_digits(head.data(), 5) >= 0) return format::iso2709;
  return format::unknown;
}

namespace detail {

inline diagnostic format_error(errc code, std::string message) {
  diagnostic d;
  d.code = code;
  d.level = severity::error;
  d.message = std::move(message);
  return d;
}

/// Settles the format of an input whose first bytes are `head`: `fmt` if
/// given, else detection. Sets `err` (`unknown_format`, naming what was
/// seen) and returns `detect` when it cannot.
inline format find_format(std::string_view head, format fmt, const std::string& name, diagnostic& err) {
  if (fmt == format::text) {
    err = format_error(errc::unknown_format, name + ": the text format can be written, not read");
    return format::detect;
  }
  if (fmt != format::detect) return fmt;
  if (head.substr(0, 3) == "BZh" || head.substr(0, 6) == std::string_view("\xFD" "7zXZ\0", 6)) {
    err = format_error(errc::unknown_format,
                       name + ": the input is bzip2 or xz compressed; marcpp reads gzip and Zstandard. "
                              "Decompress it first (e.g. with bzcat or xzcat) and read standard input");
    return format::detect;
  }
  format f = detect_format(head);
  if (f == format::detect)
    err = format_error(errc::unknown_format,
                       name + (head.empty() ? std::string(": the input is empty")
                                            : ": the first bytes (\"" + printable(head.substr(0, 16)) +
                                                  "\") are none of ISO 2709, MARCXML, MARC-in-JSON or .mrk") +
                           "; name the format (open_options::format)");
  return f;
}

/// `find_format`, throwing `unknown_format` when it cannot.
inline format settle_format(std::string_view head, format fmt, const std::string& name) {
  diagnostic err;
  const format f = find_format(head, fmt, name, err);
  if (err) throw_error(std::move(err));
  return f;
}

}  // namespace detail

/// Calls `f(reader)` with a reader of `fmt` over `src` (ISO 2709 for
/// `iso2709` and `unknown`), and returns what `f` returns. A format whose
/// component the program lacks throws `marcpp::error` (`component_missing`).
template <class Source, class F>
decltype(auto) with_source_reader(Source&& src, format fmt, const read_options& opts, F&& f) {
  using S = std::remove_cvref_t<Source>;
  switch (fmt) {
#if defined(MARCPP_WITH_MARCXML)
    case format::marcxml: {
      marcxml_reader<S> r{std::move(src), opts};
      return std::forward<F>(f)(r);
    }
#else
    case format::marcxml: throw_error(detail::component_missing("reading MARCXML", detail::component::marcxml));
#endif
#if defined(MARCPP_WITH_JSON)
    case format::json:
    case format::jsonl: {
      json_reader<S> r{std::move(src), opts};
      return std::forward<F>(f)(r);
    }
#else
    case format::json:
    case format::jsonl: throw_error(detail::component_missing("reading MARC-in-JSON", detail::component::json));
#endif
    case format::mrk: {
      mrk_reader<S> r{std::move(src), opts};
      return std::forward<F>(f)(r);
    }
    default: {
      reader<S> r{std::move(src), opts};
      return std::forward<F>(f)(r);
    }
  }
}

/// How many bytes detection looks at.
inline constexpr std::size_t detection_bytes = 512;

#if MARCPP_HAS_EXCEPTIONS
/// Calls `f(found, source)` with the format of `path` and the source
/// `with_source` opens for it (a `file_source` for a regular file, a stream
/// for anything else, standard input for `"-"`, decompressing gzip and
/// Zstandard input). `fmt` `unknown` detects the format from the first
/// bytes, which the source keeps for whatever reads it next. For programs
/// that choose the reader themselves, e.g. a `parallel_reader` for ISO 2709
/// and `with_source_reader` for the rest. Throws `marcpp::error`
/// (`io_error`, `unknown_format`) if the input cannot be opened or
/// recognised.
template <class F>
decltype(auto) with_format_source(const std::string& path, format fmt, F&& f) {
  return with_source(path, [&](auto&& src) -> decltype(auto) {
    src.fill(detection_bytes);
    source_window w = src.window();
    const std::string name = path == "-" ? std::string("<stdin>") : path;
    if (w.size == 0 && !src.error().empty())
      throw_error(detail::format_error(errc::io_error, name + ": " + std::string(src.error())));
    const format found = detail::settle_format(std::string_view(w.data, w.size), fmt, name);
    return std::forward<F>(f)(found, std::move(src));
  });
}

/// Calls `f(reader)` with a reader of the right format over `path`: a
/// `file_source` for a regular file, a stream for anything else, standard
/// input for `"-"`, decompressing gzip and Zstandard input (`with_source`). `fmt` `unknown` detects the format from the first
/// bytes (which a stream keeps for the reader). `reader` is a
/// `marcpp::reader` (ISO 2709, which also gives `record_view`s), a
/// `marcxml_reader`, a `json_reader` or an `mrk_reader`: all offer
/// `next(record&)`, the policies, `on_diagnostic`, `stats`, `failed` and
/// `error`. Returns what `f` returns. Throws `marcpp::error` (`io_error`,
/// `unknown_format`) if the input cannot be opened or recognised.
///
///     marcpp::with_format_reader("records.xml", marcpp::format::unknown, {}, [](auto& r) {
///       marcpp::record rec;
///       while (r.next(rec)) use(rec);
///     });
template <class F>
decltype(auto) with_format_reader(const std::string& path, format fmt, const read_options& opts, F&& f) {
  return with_format_source(path, fmt, [&](format found, auto&& src) -> decltype(auto) {
    return with_source_reader(std::move(src), found, opts, std::forward<F>(f));
  });
}
#endif

/// The format of a reader type (for code written over all of them).
template <class Reader>
inline constexpr format reader_format = format::iso2709;
#if defined(MARCPP_WITH_MARCXML)
template <class Source>
inline constexpr format reader_format<marcxml_reader<Source>> = format::marcxml;
#endif
#if defined(MARCPP_WITH_JSON)
template <class Source>
inline constexpr format reader_format<json_reader<Source>> = format::jsonl;
#endif
template <class Source>
inline constexpr format reader_format<mrk_reader<Source>> = format::mrk;

/// What `record_writer` passes on to the writer of each format (the
/// options of MARCXML and JSON with their components).
struct writer_options {
  write_options iso2709;
  marcxml_options marcxml;  ///< (the same members whatever the components: text_options.hpp)
  json_options json;        ///< for `json` and `jsonl`
  mrk_options mrk;
};

/// Writes records to a `std::ostream` in any format, chosen at run time;
/// the format is settled once per record (a switch), never per byte.
/// Warnings go to the handler set with `on_diagnostic`.
///
///     marcpp::record_writer w{std::cout, marcpp::format::marcxml};
///     if (auto err = w.write(rec)) report(err);
///     w.finish();
///
/// Records can also be serialised elsewhere, e.g. on the threads of a
/// `parallel_reader`, with the static `serialize`, and their text handed to
/// `write_serialized` in order: the writer still opens, separates and
/// closes what the format needs.
///
///     std::string text;                                   // on any thread
///     auto err = marcpp::record_writer::serialize(marcpp::format::json, rec, text);
///     if (!err) w.write_serialized(text);                 // in order
class record_writer {
 public:
  record_writer(std::ostream& os, format fmt, writer_options opts = {}, std::size_t buffer = std::size_t{1} << 20)
      : out_(os, buffer), os_(&os), fmt_(fmt), opts_(opts) {
#if defined(MARCPP_WITH_MARCXML)
    if (fmt_ == format::marcxml) out_.buffer().append(marcxml_collection_open);
#endif
#if defined(MARCPP_WITH_JSON)
    if (fmt_ == format::json) out_.buffer().append(detail::json_array_open);
#endif
  }
  record_writer(const record_writer&) = delete;
  record_writer& operator=(const record_writer&) = delete;
  ~record_writer() { finish(); }

  void on_diagnostic(diagnostic_handler h) { out_.set_handler(std::move(h)); }

  /// Appends the text of `rec` in format `fmt` to `out`: what `write` puts
  /// for the record between the opening and the closing of the output, but
  /// for the separator between the records of a JSON array (which
  /// `write_serialized` adds). For `jsonl` the text ends with its newline.
  /// Warnings are appended to `warnings`. A record the format cannot hold
  /// leaves `out` unchanged and the reason is returned, as is
  /// `component_missing` for MARCXML or JSON without its component. Touches
  /// no writer, so it may run on any thread.
  template <class Record>
  static diagnostic serialize(format fmt, const Record& rec, std::string& out, const writer_options& opts = {},
                              [[maybe_unused]] std::vector<diagnostic>* warnings = nullptr) {
    switch (fmt) {
#if defined(MARCPP_WITH_MARCXML)
      case format::marcxml: return write_marcxml(rec, out, opts.marcxml, warnings);
#else
      case format::marcxml: return detail::component_missing("writing MARCXML", detail::component::marcxml);
#endif
#if defined(MARCPP_WITH_JSON)
      case format::json: return write_json(rec, out, opts.json, warnings);
      case format::jsonl: {
        diagnostic d = write_json(rec, out, opts.json, warnings);
        if (!d) out.push_back('\n');
        return d;
      }
#else
      case format::json:
      case format::jsonl: return detail::component_missing("writing MARC-in-JSON", detail::component::json);
#endif
      case format::mrk: return write_mrk(rec, out, opts.mrk);
      case format::text: write_line(rec, out); return {};
      default: return write_iso2709(rec, out, opts.iso2709);
    }
  }

  /// Writes `rec`; a record the format cannot hold is not written and the
  /// reason returned.
  template <class Record>
  diagnostic write(const Record& rec) {
    std::string& b = out_.buffer();
    const std::size_t mark = b.size();
    separate();
    diagnostic d = serialize(fmt_, rec, b, opts_, &warnings_);
    if (d) b.resize(mark);
    out_.report(warnings_);
    if (!d) ++count_;
    out_.maybe_flush();
    return d;
  }
  /// Writes the text of one record that `serialize` made for this writer's
  /// format (and options), and counts the record. For every format but
  /// `json` (a JSON array, whose records need separators), `text` may also
  /// hold the texts of `records` consecutive records, one after the other:
  /// a large piece goes to the stream without a copy.
  void write_serialized(std::string_view text, std::uint64_t records = 1) {
    separate();
    out_.write(text);
    count_ += records;
  }
  /// Closes what the format opened (the collection, the array) and flushes;
  /// later calls do nothing.
  void finish() {
    if (finished_) return;
    finished_ = true;
#if defined(MARCPP_WITH_MARCXML)
    if (fmt_ == format::marcxml) out_.buffer().append(marcxml_collection_close);
#endif
#if defined(MARCPP_WITH_JSON)
    if (fmt_ == format::json) out_.buffer().append(detail::json_array_close);
#endif
    out_.flush();
  }
  /// True if the stream failed.
  [[nodiscard]] bool failed() const { return os_->fail(); }
  /// Records written.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] format output_format() const noexcept { return fmt_; }
  [[nodiscard]] const writer_options& options() const noexcept { return opts_; }

 private:
  // What goes before a record: the separator of a JSON array.
  void separate() {
#if defined(MARCPP_WITH_JSON)
    if (fmt_ == format::json) out_.buffer().append(detail::json_array_separator(count_));
#endif
  }

  detail::buffered_output out_;
  std::ostream* os_;
  format fmt_;
  writer_options opts_;
  std::vector<diagnostic> warnings_;
  std::uint64_t count_ = 0;
  bool finished_ = false;
};

MARCPP_NAMESPACE_END
