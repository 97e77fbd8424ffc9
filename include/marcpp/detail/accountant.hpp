// SPDX-License-Identifier: MIT
#pragma once

// The serial half of reading, shared by every reader (ISO 2709, parallel,
// MARCXML, MARC-in-JSON, .mrk): the verdict of the error policy on a record,
// and the accountant that reports diagnostics, keeps the statistics and
// applies the error limit.

#include <marcpp/config.hpp>
#include <marcpp/detail/extent.hpp>
#include <marcpp/error.hpp>
#include <marcpp/read_options.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

MARCPP_NAMESPACE_BEGIN
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

  /// A fault of the text formats outside any record (between records, or in
  /// the markup around them), at the level the lenient policy gives it; its
  /// `record_index` and `offset` place it for the error limit. False if
  /// reading stops.
  bool loose(diagnostic d, std::string_view raw) {
    if (d.level == severity::warning) {
      ++stats_.warnings;
      emit(d, raw);
      return true;
    }
    ++stats_.faults;
    if (opts_->policy == error_policy::strict) {
      stop(std::move(d), raw);
      return false;
    }
    if (opts_->policy == error_policy::skip) d.level = severity::error;
    emit(d, raw);
    extent x;
    x.index = d.record_index;
    x.offset = d.offset;
    return !over_limit(x, raw);
  }

  /// Stops reading with `d` (an error), reporting it.
  void stop(diagnostic d, std::string_view raw) {
    d.level = severity::error;
    error_ = std::move(d);
    stopped_ = true;
    emit(error_, raw);
  }

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

  const read_options* opts_;
  const diagnostic_handler* handler_;
  read_stats stats_;
  diagnostic error_;
  bool stopped_ = false;
};

}  // namespace detail
MARCPP_NAMESPACE_END
