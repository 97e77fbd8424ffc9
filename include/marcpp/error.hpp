// SPDX-License-Identifier: MIT
#pragma once

/// \file error.hpp
/// Error kinds, diagnostics, error policies and the exception type.

#include <marcpp/config.hpp>
#include <marcpp/tag.hpp>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <span>
#include <type_traits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

/// The kind of a fault. Each enumerator has a fixed number that is never
/// reused or renumbered; docs/errors.md lists them all, with what each means
/// and what every error policy does about it.
enum class errc : std::uint16_t {
  ok = 0,
  // 1xx: record framing, found while cutting the input into records
  truncated_record = 101,           ///< the input ends inside a record
  bad_record_length = 102,          ///< leader/00-04 is not a usable number
  record_length_mismatch = 103,     ///< leader/00-04 disagrees with the record terminator
  missing_record_terminator = 104,  ///< the record does not end with 0x1D
  bytes_between_records = 105,      ///< filler bytes (newline, NUL, blank, 0x1A) between records
  record_too_large = 106,           ///< no record terminator within the size limit
  record_too_short = 107,           ///< too short to hold a leader and a directory
  // 2xx: leader
  bad_base_address = 201,           ///< leader/12-16 does not point just past the directory
  bad_indicator_count = 202,        ///< leader/10 is not a digit
  bad_subfield_code_length = 203,   ///< leader/11 is not a digit
  bad_entry_map = 204,              ///< leader/20-22 are not the digits of a usable entry map
  unsupported_entry_map = 205,      ///< directory entries carry implementation-defined bytes
  // 3xx: directory
  bad_directory = 301,              ///< the directory is not a whole number of entries
  bad_directory_entry = 302,        ///< a length or starting position is not a number
  field_out_of_bounds = 303,        ///< a directory entry points past the data
  field_length_mismatch = 304,      ///< a field terminator is not where the directory says
  missing_field_terminator = 305,   ///< a field does not end with 0x1E
  invalid_tag = 306,                ///< a tag that is no MARC 21 tag (kept), or a field without a tag
  unreferenced_data = 307,          ///< data bytes that no directory entry covers
  overlapping_fields = 308,         ///< two directory entries share data bytes
  // 4xx: field content
  missing_indicators = 401,         ///< a data field too short for its indicators
  data_before_first_subfield = 402, ///< bytes between the indicators and the first delimiter
  missing_subfield_code = 403,      ///< a delimiter with no code after it
  unexpected_terminator = 404,      ///< a record terminator inside a field
  indicator_count_unsupported = 405,       ///< leader/10 declares more than two indicators
  subfield_code_length_unsupported = 406,  ///< leader/11 declares codes of more than one byte
  // 5xx: character encoding
  invalid_utf8 = 501,               ///< leader/09 says UTF-8 but the bytes are not
  // 6xx: writing
  record_too_long = 601,            ///< over 99,999 bytes: ISO 2709 cannot hold it
  field_too_long = 602,             ///< a field over 9,999 bytes
  invalid_data_byte = 603,          ///< a value holds a delimiter or terminator byte
  invalid_subfield_layout = 604,    ///< unlabelled data that is not the first subfield
  // 7xx: the other serializations (MARCXML, MARC-in-JSON, MARCMaker) and format detection
  xml_not_well_formed = 701,        ///< the XML parser stopped: the input is not well-formed XML
  xml_not_marcxml = 702,            ///< well-formed XML that does not follow the MARCXML structure
  json_syntax = 703,                ///< the input is not valid JSON
  json_not_marc = 704,              ///< valid JSON that does not follow the MARC-in-JSON layout
  mrk_syntax = 705,                 ///< a line that does not follow the MARCMaker (.mrk) rules
  value_not_representable = 706,    ///< the output format cannot hold a value of the record
  schema_pattern = 707,             ///< content the MARC21slim schema's patterns do not allow
  marc8_needs_conversion = 708,     ///< a MARC-8 record for a UTF-8-only format
  control_character_mapped = 709,   ///< a control character XML cannot hold, written as its Control Picture
  unknown_format = 710,             ///< the input is none of the formats marcpp reads
  bad_leader_length = 711,          ///< a leader that is not 24 bytes long
  coding_scheme_set = 712,          ///< leader/09 set to `a`: the text of MARCXML and JSON is Unicode
  // 8xx: input and limits
  io_error = 801,                   ///< the input could not be read
  too_many_errors = 802,            ///< the reader's error limit was reached
  index_stale = 803,                ///< a record index made from another version of its data file
  index_corrupt = 804,              ///< a record index that is damaged or not an index
  component_missing = 805,          ///< the input needs a marcpp component this program was built without
  // 9xx: character sets (MARC-8 and UTF-8 conversion)
  unmapped_marc8 = 901,             ///< a MARC-8 byte (or EACC code) that is no character of the sets in use
  bad_escape_sequence = 902,        ///< an escape that designates no MARC-8 character set, or is cut short
  encoding_mismatch = 903,          ///< leader/09 disagrees with the bytes of the record
  unrepresentable_character = 904,  ///< a character MARC-8 cannot hold
  dangling_combining_mark = 905,    ///< MARC-8 combining marks with no base character after them
};

/// How serious a diagnostic is.
enum class severity : std::uint8_t {
  warning,  ///< a deviation that changes nothing: the bytes are kept as they are
  repair,   ///< a fault the lenient policy accepted: fixed (or, for invalid UTF-8, flagged)
  error,    ///< the record could not be read (skipped) or the reader stopped
};

/// What a reader does about a structural fault.
enum class error_policy : std::uint8_t {
  strict,   ///< the first structural fault stops reading with an error
  lenient,  ///< repair what can be repaired; skip and report what cannot
  skip,     ///< drop every record with a structural fault, report it, go on
};

/// Sentinel for an unknown index or offset.
inline constexpr std::uint64_t npos = std::numeric_limits<std::uint64_t>::max();

/// One fault, with everything needed to find it again.
struct diagnostic {
  errc code = errc::ok;
  severity level = severity::error;
  std::uint64_t record_index = npos;   ///< 0-based position of the record in the input
  std::uint64_t record_offset = npos;  ///< byte offset of the record's first byte
  std::uint64_t offset = npos;         ///< byte offset of the fault
  marcpp::tag tag;                     ///< tag of the field concerned (invalid if none)
  std::int32_t field_index = -1;       ///< position of the field in the record (-1 if none)
  std::uint32_t line = 0;              ///< 1-based line of `offset` in a text input (0 if not known)
  std::uint32_t column = 0;            ///< 1-based column (in characters) of `offset` on that line
  std::string control_number;          ///< the record's 001, when known
  std::string original;                ///< the offending bytes, when short (a bad tag...)
  std::string message;                 ///< what happened, in words a cataloguer reads
  // A member added here is also reset in
  // detail::diagnostic_list::reset_but_message.

  explicit operator bool() const noexcept { return code != errc::ok; }
};

namespace detail {
/// The bytes of `s` for a message: printable ASCII as is, others as `\xNN`.
inline std::string printable(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string r;
  r.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F) {
      r += ch;
    } else {
      r += "\\x";
      r += hex[c >> 4];
      r += hex[c & 15];
    }
  }
  return r;
}

/// One piece of a message: text, or an integer written in place.
class msg_part {
 public:
  msg_part(std::string_view s) noexcept : sv_(s) {}                       // NOLINT: implicit by design
  msg_part(const char* s) noexcept : sv_(s) {}                            // NOLINT
  msg_part(const std::string& s) noexcept : sv_(s) {}                     // NOLINT
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool> &&
                                          !std::is_same_v<I, char>, int> = 0>
  msg_part(I v) noexcept {  // NOLINT
    const auto r = std::to_chars(buf_, buf_ + sizeof buf_, v);
    sv_ = std::string_view(buf_, static_cast<std::size_t>(r.ptr - buf_));
  }
  msg_part(const msg_part&) = delete;
  msg_part& operator=(const msg_part&) = delete;
  [[nodiscard]] std::string_view view() const noexcept { return sv_; }

 private:
  char buf_[24];
  std::string_view sv_;
};

/// The pieces joined, with one allocation: messages of faults that whole
/// files repeat record after record cost little to make.
inline std::string concat(std::initializer_list<msg_part> parts) {
  std::size_t n = 0;
  for (const msg_part& p : parts) n += p.view().size();
  std::string r;
  r.reserve(n);
  for (const msg_part& p : parts) r.append(p.view());
  return r;
}
}  // namespace detail

namespace detail {

/// The diagnostics of a record that a parser fills again for every record.
/// Cleared, it keeps its diagnostics, and the room their strings hold, for
/// the next record: a file whose every record draws the same warning costs
/// no allocation for it after the first few records. A contiguous range:
/// `std::span<diagnostic>` views it.
///
/// It can also hold on to the diagnostics of the records before (see
/// `hold_on_clear`): a parallel reader's worker parses a batch's records
/// into one view, and the batch keeps their diagnostics where the parser
/// wrote them, with nothing moved or copied.
class diagnostic_list {
 public:
  diagnostic_list() = default;
  diagnostic_list(const diagnostic_list& o) : items_(o.begin(), o.end()), n_(o.size()) {}
  diagnostic_list(diagnostic_list&& o) noexcept
      : items_(std::move(o.items_)), base_(std::exchange(o.base_, 0)), n_(std::exchange(o.n_, 0)) {
    o.items_.clear();
  }
  diagnostic_list& operator=(const diagnostic_list& o) {
    if (this == &o) return *this;
    clear();
    for (const diagnostic& d : o) push_back(d);
    return *this;
  }
  diagnostic_list& operator=(diagnostic_list&& o) noexcept {
    if (this == &o) return *this;
    items_ = std::move(o.items_);
    base_ = std::exchange(o.base_, 0);
    n_ = std::exchange(o.n_, 0);
    o.items_.clear();
    return *this;
  }

  // The list's own diagnostics: those added since the last clear().
  [[nodiscard]] std::size_t size() const noexcept { return n_ - base_; }
  [[nodiscard]] bool empty() const noexcept { return n_ == base_; }
  [[nodiscard]] diagnostic* data() noexcept { return items_.data() + base_; }
  [[nodiscard]] const diagnostic* data() const noexcept { return items_.data() + base_; }
  [[nodiscard]] diagnostic* begin() noexcept { return data(); }
  [[nodiscard]] diagnostic* end() noexcept { return items_.data() + n_; }
  [[nodiscard]] const diagnostic* begin() const noexcept { return data(); }
  [[nodiscard]] const diagnostic* end() const noexcept { return items_.data() + n_; }
  [[nodiscard]] diagnostic& operator[](std::size_t i) noexcept { return items_[base_ + i]; }
  [[nodiscard]] const diagnostic& operator[](std::size_t i) const noexcept { return items_[base_ + i]; }

  /// Forgets the diagnostics, keeping them for reuse; or, while
  /// `hold_on_clear(true)`, holds them (see `held`) and starts anew after
  /// them.
  void clear() noexcept {
    if (!hold_) n_ = 0;
    base_ = n_;
  }
  /// Keeps the first `n` (no more than there are).
  void shrink_to(std::size_t n) noexcept {
    if (n < size()) n_ = base_ + n;
  }
  /// A diagnostic added at the end with every member at its default,
  /// except that `message` may still hold the text an earlier record's
  /// diagnostic had there, for the caller to set (often to the same text,
  /// which it then need not copy).
  diagnostic& emplace_back_for_message() {
    if (n_ < items_.size()) {
      reset_but_message(items_[n_]);
      return items_[n_++];
    }
    items_.emplace_back();
    return items_[n_++];
  }
  void push_back(diagnostic d) {
    if (n_ < items_.size()) {
      items_[n_] = std::move(d);
    } else {
      items_.push_back(std::move(d));
    }
    ++n_;
  }

  /// Whether clear() holds the diagnostics it clears (until `forget_held`).
  /// Off in a list constructed (new, copied or moved); an assignment leaves
  /// it as it was.
  void hold_on_clear(bool on) noexcept { hold_ = on; }
  /// Every diagnostic since the last `forget_held`: those held, then the
  /// list's own. The list's own begin at `data() - held().data()`.
  [[nodiscard]] std::span<const diagnostic> held() const noexcept { return {items_.data(), n_}; }
  /// Forgets the held diagnostics and the list's own, keeping them for reuse.
  void forget_held() noexcept { base_ = n_ = 0; }

 private:
  static void reset_but_message(diagnostic& d) noexcept {
    d.code = errc::ok;
    d.level = severity::error;
    d.record_index = d.record_offset = d.offset = npos;
    d.tag = {};
    d.field_index = -1;
    d.line = d.column = 0;
    d.control_number.clear();
    d.original.clear();
  }

  std::vector<diagnostic> items_;  // items_[n_...] are kept for reuse
  std::size_t base_ = 0;           // items_[0, base_) are held, [base_, n_) the list's own
  std::size_t n_ = 0;
  bool hold_ = false;
};

}  // namespace detail

/// The stable name of an error kind (`"missing_field_terminator"`).
[[nodiscard]] inline std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::truncated_record: return "truncated_record";
    case errc::bad_record_length: return "bad_record_length";
    case errc::record_length_mismatch: return "record_length_mismatch";
    case errc::missing_record_terminator: return "missing_record_terminator";
    case errc::bytes_between_records: return "bytes_between_records";
    case errc::record_too_large: return "record_too_large";
    case errc::record_too_short: return "record_too_short";
    case errc::bad_base_address: return "bad_base_address";
    case errc::bad_indicator_count: return "bad_indicator_count";
    case errc::bad_subfield_code_length: return "bad_subfield_code_length";
    case errc::bad_entry_map: return "bad_entry_map";
    case errc::unsupported_entry_map: return "unsupported_entry_map";
    case errc::bad_directory: return "bad_directory";
    case errc::bad_directory_entry: return "bad_directory_entry";
    case errc::field_out_of_bounds: return "field_out_of_bounds";
    case errc::field_length_mismatch: return "field_length_mismatch";
    case errc::missing_field_terminator: return "missing_field_terminator";
    case errc::invalid_tag: return "invalid_tag";
    case errc::unreferenced_data: return "unreferenced_data";
    case errc::overlapping_fields: return "overlapping_fields";
    case errc::missing_indicators: return "missing_indicators";
    case errc::data_before_first_subfield: return "data_before_first_subfield";
    case errc::missing_subfield_code: return "missing_subfield_code";
    case errc::unexpected_terminator: return "unexpected_terminator";
    case errc::indicator_count_unsupported: return "indicator_count_unsupported";
    case errc::subfield_code_length_unsupported: return "subfield_code_length_unsupported";
    case errc::invalid_utf8: return "invalid_utf8";
    case errc::record_too_long: return "record_too_long";
    case errc::field_too_long: return "field_too_long";
    case errc::invalid_data_byte: return "invalid_data_byte";
    case errc::invalid_subfield_layout: return "invalid_subfield_layout";
    case errc::xml_not_well_formed: return "xml_not_well_formed";
    case errc::xml_not_marcxml: return "xml_not_marcxml";
    case errc::json_syntax: return "json_syntax";
    case errc::json_not_marc: return "json_not_marc";
    case errc::mrk_syntax: return "mrk_syntax";
    case errc::value_not_representable: return "value_not_representable";
    case errc::schema_pattern: return "schema_pattern";
    case errc::marc8_needs_conversion: return "marc8_needs_conversion";
    case errc::control_character_mapped: return "control_character_mapped";
    case errc::unknown_format: return "unknown_format";
    case errc::bad_leader_length: return "bad_leader_length";
    case errc::coding_scheme_set: return "coding_scheme_set";
    case errc::io_error: return "io_error";
    case errc::too_many_errors: return "too_many_errors";
    case errc::index_stale: return "index_stale";
    case errc::index_corrupt: return "index_corrupt";
    case errc::component_missing: return "component_missing";
    case errc::unmapped_marc8: return "unmapped_marc8";
    case errc::bad_escape_sequence: return "bad_escape_sequence";
    case errc::encoding_mismatch: return "encoding_mismatch";
    case errc::unrepresentable_character: return "unrepresentable_character";
    case errc::dangling_combining_mark: return "dangling_combining_mark";
  }
  return "unknown";
}

/// `"warning"`, `"repair"` or `"error"`.
[[nodiscard]] inline std::string_view to_string(severity s) noexcept {
  switch (s) {
    case severity::warning: return "warning";
    case severity::repair: return "repair";
    case severity::error: return "error";
  }
  return "unknown";
}

/// `"strict"`, `"lenient"` or `"skip"`.
[[nodiscard]] inline std::string_view to_string(error_policy p) noexcept {
  switch (p) {
    case error_policy::strict: return "strict";
    case error_policy::lenient: return "lenient";
    case error_policy::skip: return "skip";
  }
  return "unknown";
}

/// One line for a log: where, what, and the stable kind, e.g.
/// `record 3 (001 ocm123, offset 2048): field 245 at offset 2301: ... [E305 missing_field_terminator, repair]`.
[[nodiscard]] inline std::string to_string(const diagnostic& d) {
  std::string s;
  if (d.record_index != npos) {
    s += "record ";
    s += std::to_string(d.record_index);
    s += " (";
    if (!d.control_number.empty()) {
      s += "001 ";
      s += d.control_number;
      s += ", ";
    }
    s += "offset ";
    s += d.record_offset == npos ? std::string("?") : std::to_string(d.record_offset);
    s += "): ";
  }
  const bool field = d.tag.is_valid() || d.field_index >= 0;
  if (field) {
    s += "field ";
    if (d.tag.is_valid()) {
      s += d.tag.str();
    } else if (d.original.empty()) {
      s += std::to_string(d.field_index);
      s += " (no valid tag)";
    } else {
      s += "with tag bytes \"";
      s += detail::printable(d.original);
      s += "\"";
    }
  }
  if (d.offset != npos) {
    s += field ? " at offset " : "at offset ";
    s += std::to_string(d.offset);
  }
  if (d.line) {
    s += field || d.offset != npos ? ", line " : "line ";
    s += std::to_string(d.line);
    s += ", column ";
    s += std::to_string(d.column);
  }
  if (field || d.offset != npos || d.line) s += ": ";
  s += d.message;
  s += " [E";
  s += std::to_string(static_cast<unsigned>(d.code));
  s += ' ';
  s += to_string(d.code);
  s += ", ";
  s += to_string(d.level);
  s += ']';
  return s;
}

/// The exception thrown by the throwing conveniences; holds the diagnostic.
class error : public std::runtime_error {
 public:
  explicit error(marcpp::diagnostic d) : std::runtime_error(to_string(d)), diag_(std::move(d)) {}
  [[nodiscard]] const marcpp::diagnostic& diagnostic() const noexcept { return diag_; }
  [[nodiscard]] errc code() const noexcept { return diag_.code; }

 private:
  marcpp::diagnostic diag_;
};

/// Every throw in marcpp goes through here; without exceptions it aborts.
[[noreturn]] inline void throw_error(diagnostic d) {
#if MARCPP_HAS_EXCEPTIONS
  throw error(std::move(d));
#else
  (void)d;
  std::abort();
#endif
}

MARCPP_NAMESPACE_END
