// SPDX-License-Identifier: MIT
#pragma once

/// \file open.hpp
/// `marcpp::open`: one way to read records from any input, in any format,
/// on one thread or several, with one loop.
///
///     auto in = marcpp::open("dump.xml.gz", {.threads = 2});   // or a std::istream&; "-" is standard input
///     in.on_diagnostic([](const marcpp::diagnostic& d, std::string_view raw) { ... });
///     for (const marcpp::record_view& rec : in) { ... }        // records in input order
///     marcpp::record owned;  while (in.next(owned)) { ... }     // or owning records
///     in.for_each(work, sink);                                  // or the program's work on the reading threads
///     in.stats();                                               // records, repaired, skipped, warnings, faults
///
/// The format is detected from the first bytes (or named), gzip and
/// Zstandard input is decompressed, ISO 2709 is parsed on several threads
/// when `threads` is not 1, and records can be delivered in UTF-8 whatever
/// they were stored in. docs/reading.md describes it.
///
/// What a program was built with decides what it can open: MARCXML needs
/// the marcxml component, MARC-in-JSON the json component, gzip and
/// Zstandard the compression component, Unicode normalisation the icu
/// component, and several threads the parallel component (without it, one
/// thread reads). Opening what a missing component would read is an error
/// (`errc::component_missing`) that names the component.

#include <marcpp/charset.hpp>
#include <marcpp/config.hpp>
#include <marcpp/detail/components.hpp>
#include <marcpp/detail/open_input.hpp>
#include <marcpp/error.hpp>
#include <marcpp/format.hpp>
#include <marcpp/mrk.hpp>
#include <marcpp/reader.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/source.hpp>
#if MARCPP_WITH_MARCXML
#  include <marcpp/marcxml.hpp>
#endif
#if MARCPP_WITH_JSON
#  include <marcpp/json.hpp>
#endif
#if MARCPP_WITH_COMPRESSION
#  include <marcpp/compressed_source.hpp>
#endif
#if MARCPP_WITH_PARALLEL
#  include <marcpp/detail/open_parallel.hpp>
#endif
#if MARCPP_WITH_ICU
#  include <marcpp/normalize.hpp>
#endif

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

MARCPP_NAMESPACE_BEGIN

// g++ 12 takes these scoped enumerators for shadows of marcpp::nfc and
// marcpp::nfd (normalize.hpp), which they cannot be.
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Wshadow"
#endif
/// A Unicode normalisation form, by name (`open_options::normalize`): the
/// functions themselves need ICU (<marcpp/normalize.hpp>).
enum class unicode_form : std::uint8_t {
  none,  ///< the text as decoded (MARC-8 combining marks give NFD-like text)
  nfc,   ///< canonical composition: what most Unicode software expects
  nfd,   ///< canonical decomposition
};
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic pop
#endif

/// How `marcpp::open` reads.
struct open_options {
  /// The serialization of the input; `format::detect` detects it from the
  /// first bytes (see `detect_format`).
  marcpp::format format = format::detect;
  /// Threads that parse ISO 2709 input: 1 reads on the caller's thread; any
  /// other number runs the parallel reader on that many threads (0: every
  /// hardware thread) beside the caller's, with the same records,
  /// diagnostics and statistics in the same order. Other formats are read
  /// on the caller's thread.
  unsigned threads = 1;
  /// What to do about structural faults (see `read_options`). Conversion
  /// faults (with `to_utf8`) follow it too.
  error_policy policy = error_policy::lenient;
  /// Faults (the reader's and the conversion's) tolerated before reading
  /// stops with `too_many_errors`; `npos` for no limit.
  std::uint64_t max_errors = npos;
  /// A record without a terminator within this many bytes is skipped.
  std::size_t max_record_size = std::size_t{16} << 20;
  /// Check that records whose leader/09 is `a` hold valid UTF-8.
  bool validate_utf8 = true;
  /// Deliver every record in UTF-8: MARC-8 records are converted as they
  /// are read (on the reading threads), leader/09 set to `a`, and the views
  /// point into the converted text; `raw()` stays the record as found. Off:
  /// records come as they are stored (a MARC-8 record stays MARC-8).
  bool to_utf8 = false;
  /// With `to_utf8`: how the encoding of each record is known and what the
  /// conversion does (`charset_options`; its `policy` is `policy` above).
  charset_options charset{};
  /// With `to_utf8`: normalise the text (needs the icu component). `nfc`
  /// gives what pymarc gives by default. A `charset.normalize` set here
  /// takes precedence.
  unicode_form normalize = unicode_form::none;
};

class input;

namespace detail {
input make_input(std::unique_ptr<open_backend> b, marcpp::format f, std::string name);
}

/// Records from one input, read the way `marcpp::open` set up. Moves, does
/// not copy. Reading is not thread-safe: one thread reads an input (the
/// parallel reader's threads are its own).
///
/// `next` returns false at the end of the input or when the policy stops
/// reading; `failed()` and `error()` tell which. Range-for throws
/// `marcpp::error` instead when reading stops on an error.
class input {
 public:
  input() = default;
  input(input&&) noexcept = default;
  input& operator=(input&&) noexcept = default;
  input(const input&) = delete;
  input& operator=(const input&) = delete;
  /// Stops the parallel reader, if one runs, and waits for its threads.
  ~input() = default;

  /// Reads the next record into `out` (a view, valid until the next read);
  /// false at the end or on a stop.
  bool next(record_view& out) { return b_ && !drained_ && b_->next(out); }
  /// Reads the next record into an owning `record`.
  bool next(record& out) { return b_ && !drained_ && b_->next(out); }

  /// Reads the rest of the input, running the program's own work on each
  /// record where the records are parsed: on the parallel reader's threads
  /// when several read, on the caller's thread otherwise.
  ///
  ///     in.for_each([](const marcpp::record_view& rec, std::string& out) { marcpp::write_line(rec, out); },
  ///                 [&](std::string_view out) { std::fwrite(out.data(), 1, out.size(), stdout); });
  ///
  /// `work(const record_view& rec, std::string& out)` appends what it makes
  /// of `rec` to `out` (and leaves what is there already alone); it may
  /// return a value of any movable type `R` with what else it has to say
  /// about the record. It may run on several records at once, on any
  /// thread: it must touch nothing shared without making that safe.
  /// `sink(std::string_view out)`, or `sink(std::string_view out, R&& value)`,
  /// gets each record's output (and value) once, in input order, one call at
  /// a time, and may return `bool`: false stops reading. Views into the
  /// record that `work` keeps in its value (`rec.raw()`, a field's data)
  /// are valid until its `sink` call returns.
  ///
  /// The diagnostic handler is called as with `next`: in input order, each
  /// diagnostic before the sink of the record it belongs to, one call at a
  /// time with the sink's; `stats()` in a sink is as of that record. With
  /// several threads the sink and the handler may run on one of the
  /// reader's threads, never beside each other, while the caller waits.
  /// With one thread, or a format read on one, it is a plain loop on the
  /// caller's thread. Reading that stops on an error ends the loop as
  /// `next` does (`failed()`, `error()` tell); an exception from `work` or
  /// `sink` ends reading and reaches the caller. Afterwards the input
  /// delivers no more records. Called after `next` or range-for has begun,
  /// it reads the rest on the caller's thread.
  template <class Work, class Sink>
  void for_each(Work&& work, Sink&& sink);

  /// Sets the handler that receives every diagnostic, on the thread that
  /// reads, in input order (see `diagnostic_handler`).
  void on_diagnostic(diagnostic_handler h) {
    if (b_) b_->handler = std::move(h);
  }

  /// What has been read so far (records delivered, repaired, skipped,
  /// warnings, faults), as of the last record delivered.
  [[nodiscard]] read_stats stats() const { return b_ ? b_->stats() : read_stats{}; }
  /// True if reading stopped on an error (strict policy, error limit, I/O).
  [[nodiscard]] bool failed() const { return b_ && b_->failed(); }
  /// The error that stopped reading (`errc::ok` if none).
  [[nodiscard]] const diagnostic& error() const { return b_ ? b_->error() : none(); }
  /// The format read (detected, or as named).
  [[nodiscard]] marcpp::format format() const noexcept { return format_; }
  /// The input's name in messages: the path, `<stdin>` or `<stream>`.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// False for an input that was not opened (the non-throwing `open` failed).
  [[nodiscard]] bool is_open() const noexcept { return b_ != nullptr; }

  /// Input iterator over `const record_view&`; throws `marcpp::error` when
  /// reading stops on an error. A view is valid until the iterator moves on.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = record_view;
    using difference_type = std::ptrdiff_t;
    using reference = const record_view&;
    using pointer = const record_view*;

    iterator() = default;
    explicit iterator(detail::open_backend* b) : b_(b) { advance(); }
    reference operator*() const noexcept { return *cur_; }
    pointer operator->() const noexcept { return cur_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const iterator& a, std::default_sentinel_t) noexcept { return a.cur_ == nullptr; }

   private:
    void advance() {
      cur_ = b_ ? b_->next_view() : nullptr;
      if (!cur_ && b_ && b_->failed()) throw_error(b_->error());
    }
    detail::open_backend* b_ = nullptr;
    const record_view* cur_ = nullptr;
  };
  [[nodiscard]] iterator begin() { return iterator(drained_ ? nullptr : b_.get()); }
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 private:
  friend input detail::make_input(std::unique_ptr<detail::open_backend>, marcpp::format, std::string);
  static const diagnostic& none() noexcept {
    static const diagnostic d;
    return d;
  }


  std::unique_ptr<detail::open_backend> b_;
  marcpp::format format_ = format::detect;
  std::string name_;
  bool drained_ = false;  // for_each read the input
};

template <class Work, class Sink>
void input::for_each(Work&& work, Sink&& sink) {
  if (!b_ || drained_) return;
  struct drain {
    bool& d;
    ~drain() { d = true; }
  } drained{drained_};
  using R = std::invoke_result_t<Work&, const record_view&, std::string&>;
  struct task final : detail::record_task {
    task(Work& w, Sink& s) : w_(w), s_(s) {}
    void work(const record_view& rec, std::string& out, detail::task_value& value) override {
      if constexpr (std::is_void_v<R>) {
        (void)value;
        w_(rec, out);
      } else {
        value.emplace(w_(rec, out));
      }
    }
    bool sink(std::string_view out, detail::task_value& value) override {
      if constexpr (std::is_void_v<R>) {
        (void)value;
        return detail::call_sink(s_, out);
      } else {
        return detail::call_sink(s_, out, std::move(value.get<std::decay_t<R>>()));
      }
    }
    Work& w_;
    Sink& s_;
  } t{work, sink};
  if (b_->run(t)) return;
  // One thread: a plain loop, on the records as the reader delivers them.
  std::string out;
  while (const record_view* rec = b_->next_view()) {
    out.clear();
    if constexpr (std::is_void_v<R>) {
      work(*rec, out);
      if (!detail::call_sink(sink, std::string_view(out))) return;
    } else {
      // The work first: the view of `out` is taken once it is written.
      auto value = work(*rec, out);
      if (!detail::call_sink(sink, std::string_view(out), std::move(value))) return;
    }
  }
}

namespace detail {

inline input make_input(std::unique_ptr<open_backend> b, marcpp::format f, std::string name) {
  input in;
  in.b_ = std::move(b);
  in.format_ = f;
  in.name_ = std::move(name);
  return in;
}

/// The reader of format `f` over `src`, behind the virtual interface.
template <class Source>
std::unique_ptr<open_backend> backend_for(owned_stream s, Source&& src, marcpp::format f, const read_options& ro,
                                          const charset_options* utf8, unsigned threads, diagnostic& err) {
  using S = std::remove_cvref_t<Source>;
  (void)err;  // set only for a component the program lacks
  switch (f) {
    case format::marcxml:
#if MARCPP_WITH_MARCXML
      return std::make_unique<sequential_backend<marcxml_reader<S>, false>>(std::move(s), std::move(src), ro, utf8);
#else
      err = component_missing("reading MARCXML", component::marcxml);
      return nullptr;
#endif
    case format::json:
    case format::jsonl:
#if MARCPP_WITH_JSON
      return std::make_unique<sequential_backend<json_reader<S>, false>>(std::move(s), std::move(src), ro, utf8);
#else
      err = component_missing("reading MARC-in-JSON", component::json);
      return nullptr;
#endif
    case format::mrk:
      return std::make_unique<sequential_backend<mrk_reader<S>, false>>(std::move(s), std::move(src), ro, utf8);
    default:
      break;
  }
#if MARCPP_WITH_PARALLEL
  if (threads != 1 && hardware_threads() > 1)
    return std::make_unique<parallel_backend<S>>(std::move(s), std::move(src), ro, utf8, threads);
#else
  (void)threads;
#endif
  return std::make_unique<sequential_backend<reader<S>, true>>(std::move(s), std::move(src), ro, utf8);
}

/// Settles the format of `src` (its first bytes are read and kept for the
/// reader) and makes the reader.
template <class Source>
std::unique_ptr<open_backend> open_source(owned_stream s, Source&& src, const std::string& name,
                                          const open_options& o, const charset_options* utf8, marcpp::format& found,
                                          diagnostic& err) {
  src.fill(detection_bytes);
  const source_window w = src.window();
  if (w.size == 0 && !src.error().empty()) {
    err = format_error(errc::io_error, name + ": " + std::string(src.error()));
    return nullptr;
  }
  found = find_format(std::string_view(w.data, w.size), o.format, name, err);
  if (err) return nullptr;
  read_options ro;
  ro.policy = o.policy;
  ro.max_errors = o.max_errors;
  ro.max_record_size = o.max_record_size;
  ro.validate_utf8 = o.validate_utf8;
  return backend_for(std::move(s), std::forward<Source>(src), found, ro, utf8, o.threads, err);
}

/// A source over `in`, decompressing it if its first bytes say so.
inline std::unique_ptr<open_backend> open_stream(owned_stream s, std::istream& in, const std::string& name,
                                                 const open_options& o, const charset_options* utf8,
                                                 marcpp::format& found, diagnostic& err) {
  const int c = in.peek();
  const char head = c == std::char_traits<char>::eof() ? '\0' : static_cast<char>(c);
  switch (detect_compression(std::string_view(&head, 1))) {
#if MARCPP_WITH_COMPRESSION
    case compression::gzip: return open_source(std::move(s), gzip_source{in}, name, o, utf8, found, err);
    case compression::zstd: return open_source(std::move(s), zstd_source{in}, name, o, utf8, found, err);
#else
    case compression::gzip:
      err = component_missing(name + ": reading gzip input", component::compression);
      return nullptr;
    case compression::zstd:
      err = component_missing(name + ": reading Zstandard input", component::compression);
      return nullptr;
#endif
    case compression::none: break;
  }
  return open_source(std::move(s), stream_source{in}, name, o, utf8, found, err);
}

/// The charset options `o` asks for (null: no conversion); sets `err` if
/// they need what the program lacks.
inline const charset_options* utf8_options(const open_options& o, charset_options& c, diagnostic& err) {
  (void)err;  // set only without the icu component
  if (!o.to_utf8) return nullptr;
  c = o.charset;
  if (o.normalize != unicode_form::none && !c.normalize) {
#if MARCPP_WITH_ICU
    c.normalize = o.normalize == unicode_form::nfc ? nfc : nfd;
#else
    err = component_missing(o.normalize == unicode_form::nfc ? "Unicode normalisation (NFC)" : "Unicode normalisation (NFD)",
                            component::icu);
    return nullptr;
#endif
  }
  return &c;
}

inline input open_path(const std::string& path, const open_options& o, diagnostic& err) {
  const std::string name = path == "-" ? std::string("<stdin>") : path;
  charset_options copts;
  const charset_options* utf8 = utf8_options(o, copts, err);
  if (err) return {};
  marcpp::format found = format::detect;
  std::unique_ptr<open_backend> b;
#if MARCPP_HAS_EXCEPTIONS
  try {
#endif
    if (path == "-") {
      b = open_stream({}, std::cin, name, o, utf8, found, err);
    } else {
      bool done = false;
      std::error_code ec;
      if (std::filesystem::is_regular_file(path, ec)) {
        diagnostic ferr;  // a file that cannot be opened so is tried as a stream below
        file_source file{path, ferr};
        if (!ferr) {
          file.fill(4);
          const source_window w = file.window();
          if (detect_compression(std::string_view(w.data, w.size)) == compression::none) {
            b = open_source({}, std::move(file), name, o, utf8, found, err);
            done = true;
          }
        }
      }
      if (!done) {
        owned_stream s{std::make_unique<std::ifstream>(path, std::ios::binary)};
        if (!*s.stream) {
          err = format_error(errc::io_error, name + ": cannot open for reading");
          return {};
        }
        std::istream& in = *s.stream;
        b = open_stream(std::move(s), in, name, o, utf8, found, err);
      }
    }
#if MARCPP_HAS_EXCEPTIONS
  } catch (const error& e) {
    err = e.diagnostic();
    if (err.message.rfind(name, 0) != 0) err.message = name + ": " + err.message;
    return {};
  }
#endif
  if (err) return {};
  return make_input(std::move(b), found, name);
}

inline input open_istream(std::istream& in, const open_options& o, diagnostic& err) {
  const std::string name = "<stream>";
  charset_options copts;
  const charset_options* utf8 = utf8_options(o, copts, err);
  if (err) return {};
  marcpp::format found = format::detect;
  std::unique_ptr<open_backend> b;
#if MARCPP_HAS_EXCEPTIONS
  try {
#endif
    b = open_stream({}, in, name, o, utf8, found, err);
#if MARCPP_HAS_EXCEPTIONS
  } catch (const error& e) {
    err = e.diagnostic();
    return {};
  }
#endif
  if (err) return {};
  return make_input(std::move(b), found, name);
}

}  // namespace detail

/// Opens `path` (`"-"` for standard input): a regular file is read in
/// pieces, anything else as a stream; gzip and Zstandard input, recognised
/// by its first bytes, is decompressed; the format is `opts.format`, or
/// detected from the first bytes. Throws `marcpp::error` if it cannot:
/// `io_error` (the input cannot be opened or read), `unknown_format` (the
/// first bytes are no format marcpp reads; the message shows them), or
/// `component_missing` (the format, compression or normalisation needs a
/// component the program was built without; the message names it).
[[nodiscard]] inline input open(const std::string& path, const open_options& opts = {}) {
  diagnostic err;
  input in = detail::open_path(path, opts, err);
  if (err) throw_error(std::move(err));
  return in;
}

/// Reads from a source the program made (`memory_source`, `mmap_source`,
/// `range_source`, `file_source`, `stream_source`; not decompressed), as
/// `open(path)` does; `name` is the input's name in messages.
template <class Source>
  requires requires(Source& s) { s.window(); s.fill(std::size_t{}); }
[[nodiscard]] input open(Source src, const open_options& opts = {}, std::string name = "<source>") {
  diagnostic err;
  charset_options copts;
  const charset_options* utf8 = detail::utf8_options(opts, copts, err);
  if (err) throw_error(std::move(err));
  marcpp::format found = format::detect;
  auto b = detail::open_source({}, std::move(src), name, opts, utf8, found, err);
  if (err) throw_error(std::move(err));
  return detail::make_input(std::move(b), found, std::move(name));
}

/// Opens a stream, which must outlive the `input` (as `open(path)` does).
[[nodiscard]] inline input open(std::istream& in, const open_options& opts = {}) {
  diagnostic err;
  input r = detail::open_istream(in, opts, err);
  if (err) throw_error(std::move(err));
  return r;
}

/// As `open(path, opts)`, but a failure is set in `err` (and the input
/// returned is not open, `is_open()` false) instead of thrown.
[[nodiscard]] inline input open(const std::string& path, const open_options& opts, diagnostic& err) {
  err = {};
  return detail::open_path(path, opts, err);
}

/// As `open(in, opts)`, with the failure set in `err`.
[[nodiscard]] inline input open(std::istream& in, const open_options& opts, diagnostic& err) {
  err = {};
  return detail::open_istream(in, opts, err);
}

MARCPP_NAMESPACE_END
