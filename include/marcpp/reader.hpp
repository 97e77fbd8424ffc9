// SPDX-License-Identifier: MIT
#pragma once

/// \file reader.hpp
/// `marcpp::reader`: reads ISO 2709 records from a source under an error policy.

#include <marcpp/config.hpp>
#include <marcpp/detail/accountant.hpp>
#include <marcpp/detail/iso2709_parser.hpp>
#include <marcpp/detail/record_iterator.hpp>
#include <marcpp/detail/scanner.hpp>
#include <marcpp/error.hpp>
#include <marcpp/read_options.hpp>
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
