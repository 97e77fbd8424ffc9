// SPDX-License-Identifier: MIT
#pragma once

/// \file reader.hpp
/// `marcpp::reader`: reads ISO 2709 records from a source under an error policy.

#include <marcpp/config.hpp>
#include <marcpp/detail/iso2709_parser.hpp>
#include <marcpp/detail/scanner.hpp>
#include <marcpp/error.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/source.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

MARCPP_NAMESPACE_BEGIN

/// How a reader reads.
struct read_options {
  /// What to do about structural faults (default: repair what can be repaired).
  error_policy policy = error_policy::lenient;
  /// Faults (repairs and errors, not warnings) tolerated before the reader
  /// stops with `too_many_errors`; `npos` for no limit.
  std::uint64_t max_errors = npos;
  /// A record without a terminator within this many bytes is skipped as
  /// `record_too_large`; also bounds the memory of the stream source.
  std::size_t max_record_size = std::size_t{16} << 20;
  /// Check that records whose leader/09 is `a` hold valid UTF-8.
  bool validate_utf8 = true;
};

/// What a reader has seen so far.
struct read_stats {
  std::uint64_t records = 0;   ///< records delivered
  std::uint64_t repaired = 0;  ///< of those, records with repairs
  std::uint64_t skipped = 0;   ///< records dropped (unreadable, or any fault under `skip`)
  std::uint64_t warnings = 0;  ///< warning diagnostics
  std::uint64_t faults = 0;    ///< repair and error diagnostics (what `max_errors` counts)
  friend bool operator==(const read_stats&, const read_stats&) = default;
};

/// Called for every diagnostic, in input order: warnings and repairs of
/// delivered records, the reasons records were skipped, filler between
/// records, and the error that stopped a reader. `raw` holds the bytes the
/// diagnostic is about (the whole record for a record's diagnostics), valid
/// during the call: write it to a quarantine file to keep skipped records.
using diagnostic_handler = std::function<void(const diagnostic& d, std::string_view raw)>;

namespace detail {

enum class verdict : std::uint8_t { deliver, skip, stop };

/// Applies `policy` to a record the parser produced (`parsed`) or gave up on,
/// setting the final level of each of its diagnostics. On `stop`, `*stopper`
/// is the index of the diagnostic that stopped reading.
inline verdict judge(error_policy policy, bool parsed, std::span<diagnostic> diags, std::size_t* stopper) {
  if (!parsed) {
    *stopper = diags.size() - 1;
    if (policy == error_policy::strict) {
      for (auto& d : diags)
        if (d.level == severity::repair) d.level = severity::error;
      return verdict::stop;
    }
    return verdict::skip;
  }
  bool faulty = false;
  for (std::size_t i = 0; i < diags.size(); ++i) {
    if (diags[i].level == severity::warning) continue;
    if (!faulty) *stopper = i;
    faulty = true;
    if (policy != error_policy::lenient) diags[i].level = severity::error;
  }
  if (!faulty) return verdict::deliver;
  if (policy == error_policy::strict) return verdict::stop;
  if (policy == error_policy::skip) return verdict::skip;
  return verdict::deliver;
}

}  // namespace detail

namespace detail {

/// The serial half of reading: given what happened to each chunk, in input
/// order, reports the diagnostics, keeps the statistics, applies the error
/// limit and decides when reading stops. The sequential reader and the
/// parallel reader share it, so both report exactly the same things.
class accountant {
 public:
  accountant(const read_options& opts, const diagnostic_handler* handler) noexcept
      : opts_(&opts), handler_(handler) {}

  void filler(const extent& x) {
    diagnostic d = make(errc::bytes_between_records, std::to_string(x.size) + " filler byte(s) between records (" +
                                                         describe_filler(x) + ") are skipped");
    d.level = severity::warning;
    d.offset = x.offset;
    ++stats_.warnings;
    emit(d, {x.data, x.size});
  }

  /// False if reading stops.
  bool oversized(const extent& x) {
    diagnostic d = make(errc::record_too_large, "no record terminator within " + std::to_string(x.size) +
                                                    " bytes; the data up to the next record terminator is skipped");
    d.record_index = x.index;
    d.record_offset = d.offset = x.offset;
    ++stats_.faults;
    std::string_view raw{x.data, x.size};
    if (opts_->policy == error_policy::strict) {
      stop(std::move(d), raw);
      return false;
    }
    emit(d, raw);
    if (over_limit(x, raw)) return false;
    ++stats_.skipped;
    return true;
  }

  void input_failed(std::string message) { stop(make(errc::io_error, std::move(message)), {}); }

  /// Accounts for a record that the parser and `judge` have seen; returns
  /// what finally happens to it.
  verdict record(verdict v, std::size_t stopper, std::span<const diagnostic> diags, const extent& x) {
    std::string_view raw{x.data, x.size};
    // Count before reporting, so that the error limit stops at the record
    // that exceeds it.
    std::uint64_t faults = 0, warnings = 0;
    for (const auto& d : diags) (d.level == severity::warning ? warnings : faults)++;
    stats_.warnings += warnings;
    stats_.faults += faults;
    if (v == verdict::stop) {
      for (std::size_t i = 0; i < stopper; ++i) emit(diags[i], raw);
      stop(diags[stopper], raw);
      return verdict::stop;
    }
    for (const auto& d : diags) emit(d, raw);
    if (over_limit(x, raw)) return verdict::stop;
    if (v == verdict::skip) {
      ++stats_.skipped;
      return verdict::skip;
    }
    ++stats_.records;
    if (faults) ++stats_.repaired;
    return verdict::deliver;
  }

  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  [[nodiscard]] const diagnostic& error() const noexcept { return error_; }
  [[nodiscard]] const read_stats& stats() const noexcept { return stats_; }

 private:
  static diagnostic make(errc code, std::string msg) {
    diagnostic d;
    d.code = code;
    d.level = severity::error;
    d.message = std::move(msg);
    return d;
  }
  static std::string describe_filler(const extent& x) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string s;
    unsigned char prev = 0;
    int shown = 0;
    for (std::size_t i = 0; i < x.size && shown < 4; ++i) {
      auto ch = static_cast<unsigned char>(x.data[i]);
      if (i && ch == prev) continue;
      prev = ch;
      if (shown++) s += ' ';
      s += "0x";
      s += hex[ch >> 4];
      s += hex[ch & 15];
    }
    return s;
  }
  bool over_limit(const extent& x, std::string_view raw) {
    if (opts_->max_errors == npos || stats_.faults <= opts_->max_errors) return false;
    diagnostic d = make(errc::too_many_errors, "more than " + std::to_string(opts_->max_errors) + " faults; reading stops");
    d.record_index = x.index;
    d.record_offset = d.offset = x.offset;
    stop(std::move(d), raw);
    return true;
  }
  void emit(const diagnostic& d, std::string_view raw) const {
    if (*handler_) (*handler_)(d, raw);
  }
  void stop(diagnostic d, std::string_view raw) {
    d.level = severity::error;
    error_ = std::move(d);
    stopped_ = true;
    emit(error_, raw);
  }

  const read_options* opts_;
  const diagnostic_handler* handler_;
  read_stats stats_;
  diagnostic error_;
  bool stopped_ = false;
};


/// Input iterator over the records `Reader::next(Record&)` gives, read into
/// `*current`: the range-for of every reader. Throws `marcpp::error` when
/// reading stops on an error.
template <class Reader, class Record>
class record_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Record;
  using difference_type = std::ptrdiff_t;
  using reference = const Record&;
  using pointer = const Record*;

  record_iterator() = default;
  record_iterator(Reader* r, Record* current) : r_(r), current_(current) { advance(); }
  reference operator*() const noexcept { return *current_; }
  pointer operator->() const noexcept { return current_; }
  record_iterator& operator++() {
    advance();
    return *this;
  }
  void operator++(int) { advance(); }
  friend bool operator==(const record_iterator& a, std::default_sentinel_t) noexcept { return a.r_ == nullptr; }

 private:
  void advance() {
    if (!r_->next(*current_)) {
      if (r_->failed()) throw_error(r_->error());
      r_ = nullptr;
    }
  }
  Reader* r_ = nullptr;
  Record* current_ = nullptr;
};
}  // namespace detail

/// Reads ISO 2709 records from `Source` (`memory_source`, `mmap_source`,
/// `stream_source`). Non-throwing: `next` returns false at the end of the
/// input or when the policy stops reading; `failed()` and `error()` tell
/// which. Range-for iteration throws `marcpp::error` instead.
///
///     marcpp::reader r{marcpp::mmap_source{"records.mrc"}, {.policy = marcpp::error_policy::strict}};
///     marcpp::record_view rec;
///     while (r.next(rec)) std::cout << rec.control_number() << '\n';
///     if (r.failed()) std::cerr << marcpp::to_string(r.error()) << '\n';
template <class Source>
class reader {
 public:
  explicit reader(Source src, read_options opts = {})
      : src_(std::move(src)), opts_(opts), scanner_(src_, opts.max_record_size),
        parser_(detail::parse_options{opts.validate_utf8}), acct_(opts_, &handler_) {
    // What the scanner holds to: no more than a view's 32-bit positions hold.
    opts_.max_record_size = std::min(opts_.max_record_size, record_size_limit);
  }

  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;
#if MARCPP_CHECK_VIEWS
  // The views read so far dangle once the source's buffer is gone.
  ~reader() {
    if (reads_) reads_->n.fetch_add(1, std::memory_order_relaxed);
  }
#endif

  /// Sets the handler that receives every diagnostic.
  void on_diagnostic(diagnostic_handler h) { handler_ = std::move(h); }

  /// Gives the next record read the index `first` (for a source that starts
  /// in the middle of an input whose earlier records are counted).
  void number_from(std::uint64_t first) noexcept { scanner_.number_from(first); }

  /// Reads the next record into `out`; false at the end or on a stop.
  bool next(record_view& out) {
#if MARCPP_CHECK_VIEWS
    // Each read may move the bytes of the views read before it.
    const std::uint64_t n = reads_ ? reads_->n.fetch_add(1, std::memory_order_relaxed) + 1 : 0;
#endif
    if (done_) return false;
    detail::chunk c;
    for (;;) {
      if (!scanner_.next(c)) {
        std::string_view err = src_.error();
        if (!err.empty()) acct_.input_failed(std::string(err));
        done_ = true;
        return false;
      }
      switch (c.kind) {
        case detail::chunk_kind::filler:
          acct_.filler(c.x);
          continue;
        case detail::chunk_kind::oversized:
          if (!acct_.oversized(c.x)) return finish();
          continue;
        case detail::chunk_kind::record:
          break;
      }
      bool parsed = parser_.parse(c.x, out);
      auto& diags = detail::record_view_access::diagnostics(out);
      std::size_t stopper = 0;
      detail::verdict v = detail::judge(opts_.policy, parsed, diags, &stopper);
      switch (acct_.record(v, stopper, diags, c.x)) {
        case detail::verdict::deliver:
#if MARCPP_CHECK_VIEWS
          if (reads_) detail::record_view_access::stamp(out, reads_, n);
#endif
          return true;
        case detail::verdict::skip: continue;
        case detail::verdict::stop: return finish();
      }
    }
  }

  /// Reads the next record into an owning `record`.
  bool next(record& out) {
    if (!next(view_)) return false;
    out = view_;
    return true;
  }

  /// True if reading stopped on an error (strict policy, error limit, I/O).
  [[nodiscard]] bool failed() const noexcept { return acct_.stopped(); }
  /// The error that stopped reading (`errc::ok` if none).
  [[nodiscard]] const diagnostic& error() const noexcept { return acct_.error(); }
  [[nodiscard]] const read_stats& stats() const noexcept { return acct_.stats(); }
  [[nodiscard]] const read_options& options() const noexcept { return opts_; }
  [[nodiscard]] Source& source() noexcept { return src_; }

  /// Input iterator over `const record_view&`; throws `marcpp::error` when
  /// reading stops on an error.
  using iterator = detail::record_iterator<reader, record_view>;
  [[nodiscard]] iterator begin() { return iterator(this, &view_); }
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 private:
  bool finish() noexcept {
    done_ = true;
    return false;
  }

  Source src_;
  read_options opts_;
  detail::scanner<Source> scanner_;
  detail::iso2709_parser parser_;
  diagnostic_handler handler_;
  detail::accountant acct_;
  record_view view_;
  bool done_ = false;
#if MARCPP_CHECK_VIEWS
  // How many reads the reader has made, when its source may reuse its
  // buffer: what a view checks it was not read before.
  std::shared_ptr<detail::read_count> reads_ =
      detail::stable_source<Source> ? nullptr : std::make_shared<detail::read_count>();
#endif
};

template <class Source>
reader(Source, read_options) -> reader<Source>;
template <class Source>
reader(Source) -> reader<Source>;

MARCPP_NAMESPACE_END
