// SPDX-License-Identifier: MIT
#pragma once

// The ISO 2709 record parser: one record's bytes to a record_view, with every
// deviation found reported as a diagnostic. It never reads outside the bytes
// it is given, whatever they hold.
//
// The parser does not apply an error policy: it reports each fault with the
// level it would have under the lenient policy (warning: nothing changed;
// repair: recovered; error: unreadable) and the reader decides what the
// policy makes of it.

#include <marcpp/config.hpp>
#include <marcpp/detail/extent.hpp>
#include <marcpp/detail/simd.hpp>
#include <marcpp/error.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/tag.hpp>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN
namespace detail {

struct parse_options {
  bool validate_utf8 = true;  ///< check UTF-8 in records whose leader/09 is `a`
};

inline constexpr char record_terminator = '\x1D';
inline constexpr char field_terminator = '\x1E';
inline constexpr char subfield_delimiter = '\x1F';

/// The largest number `n` decimal digits hold (10^n - 1).
[[nodiscard]] constexpr std::uint64_t max_digits_value(unsigned n) noexcept {
  std::uint64_t m = 1;
  for (unsigned i = 0; i < n; ++i) m *= 10;
  return m - 1;
}

// A directory entry of the usual map (3 + 4 + 5 bytes) that is all
// digits, read twelve bytes at once; false for anything else (an
// alphanumeric tag, a byte that is no digit), which the caller reads byte
// by byte.
MARCPP_ALWAYS_INLINE bool entry12(const char* p, marcpp::tag& t, std::int64_t& len, std::int64_t& start) noexcept {
  std::uint64_t lo;
  std::uint32_t hi;
  std::memcpy(&lo, p, 8);
  std::memcpy(&hi, p + 8, 4);
  lo -= 0x3030303030303030ull;
  hi -= 0x30303030u;
  // A byte below '0' borrows and shows in its high nibble; one above '9'
  // carries into it once 6 is added.
  if (((lo | (lo + 0x0606060606060606ull)) & 0xF0F0F0F0F0F0F0F0ull) != 0 ||
      ((hi | (hi + 0x06060606u)) & 0xF0F0F0F0u) != 0)
    return false;
  // Little-endian: the entry's first digit is the low byte of `lo`. From
  // the second digit on, pairs of digits are made in bytes 0, 2 and 4
  // (digits 1-2, 3-4, 5-6) and, for the last four, in bytes 0 and 2 of
  // `h2`; two pairs become four digits with one multiplication, the
  // first pair's 100 times landing in the third byte beside the second.
  const std::uint64_t q = lo >> 8;
  const std::uint64_t q2 = q * 10 + (q >> 8);
  const std::uint32_t h2 = hi * 10 + (hi >> 8);
  t = marcpp::tag::numeric(static_cast<unsigned>(lo & 0xFF) * 100 + static_cast<unsigned>(q2 & 0xFF));
  len = static_cast<std::int64_t>(((((q2 >> 16) & 0x00FF00FFull) * 0x640001ull) >> 16) & 0xFFFF);
  start = static_cast<std::int64_t>(lo >> 56) * 10000 +
          static_cast<std::int64_t>((((h2 & 0x00FF00FFu) * 0x640001ull) >> 16) & 0xFFFF);
  return true;
}

class iso2709_parser {
 public:
  explicit iso2709_parser(parse_options o = {}) noexcept : opts_(o) {}
  /// Changes the options, keeping the scratch space.
  void set_options(parse_options o) noexcept { opts_ = o; }

  [[nodiscard]] const parse_options& options() const noexcept { return opts_; }

  /// Parses `x` into `out` (cleared first). Returns false if the record is
  /// unreadable; the last diagnostic of `out` then says why.
  bool parse(const extent& x, record_view& out) {
    out.clear();
    out_ = &out;
    x_ = x;
    kind_counts_.clear();
    overflow_ = false;
    p_ = x.data;
    out.raw_ = {x.data, x.size};
    out.offset_ = x.offset;
    out.index_ = x.index;
    bool ok = parse_record();
    if (!out.diags_.empty()) finish_diagnostics();
    out_ = nullptr;
    return ok;
  }

 private:
  struct entry {
    std::int64_t len = -1;     // declared length, -1 if not a number
    std::int64_t start = -1;   // declared start, -1 if not a number
    std::uint32_t fs = 0;      // field start (record-relative), once located
    std::uint32_t fe = 0;      // field end (exclusive, terminator not included)
    std::uint32_t dir_pos = 0; // position of the entry in the record
    marcpp::tag t;
    bool located = false;
    bool terminated = true;    // a field terminator follows fe
  };

  // ---- diagnostics ------------------------------------------------------
  // At most this many diagnostics of one kind per record; the rest are
  // counted and summed up in one last diagnostic of that kind.
  static constexpr unsigned max_per_kind = 16;

  diagnostic& report(errc code, severity level, std::size_t pos, std::string message) {
    diagnostic& d = add(code, level, pos);
    d.message = std::move(message);
    return d;
  }
  // The same with a message that is copied. A diagnostic kept from an
  // earlier record often holds that message already (the same leader fault,
  // record after record), and then nothing is copied.
  diagnostic& report_copy(errc code, severity level, std::size_t pos, std::string_view message) {
    diagnostic& d = add(code, level, pos);
    if (d.message != message) d.message.assign(message);
    return d;
  }
  // A new diagnostic of the record, with every member but `message` set.
  diagnostic& add(errc code, severity level, std::size_t pos) {
    unsigned& seen = kind_count(code);
    if (++seen > max_per_kind) {
      overflow_ = true;
      scratch_ = diagnostic{};
      return scratch_;
    }
    diagnostic& d = out_->diags_.emplace_back_for_message();
    d.code = code;
    d.level = level;
    d.record_index = x_.index;
    d.record_offset = x_.offset;
    d.offset = pos == std::size_t(-1) ? npos : x_.offset + pos;
    return d;
  }
  diagnostic& report_field(errc code, severity level, std::size_t pos, const entry& e, std::size_t field_index,
                           std::string message) {
    diagnostic& d = report(code, level, pos, std::move(message));
    d.tag = e.t;
    d.field_index = static_cast<std::int32_t>(field_index);
    if (!e.t.is_valid()) d.original.assign(p_ + e.dir_pos, 3);
    return d;
  }
  diagnostic& report_tag(errc code, severity level, std::size_t pos, marcpp::tag t, std::size_t field_index,
                         std::string message) {
    diagnostic& d = report(code, level, pos, std::move(message));
    d.tag = t;
    d.field_index = static_cast<std::int32_t>(field_index);
    return d;
  }
  bool fail(errc code, std::size_t pos, std::string message) {
    report(code, severity::error, pos, std::move(message));
    return false;
  }
  void finish_diagnostics() {
    // Only when some kind went past max_per_kind.
    for (std::size_t i = 0, n = overflow_ ? out_->diags_.size() : 0; i < n; ++i) {
      const diagnostic& d = out_->diags_[i];
      unsigned& seen = kind_count(d.code);
      if (seen > max_per_kind) {
        diagnostic s = d;
        s.tag = {};
        s.field_index = -1;
        s.original.clear();
        s.offset = npos;
        s.message = std::to_string(seen - max_per_kind) + " more " + std::string(to_string(d.code)) +
                    " faults in this record like the ones above are not listed one by one";
        seen = 0;
        out_->diags_.push_back(std::move(s));
      }
    }
    std::string_view cn = out_->control_number();
    if (cn.empty()) return;
    for (auto& d : out_->diags_)
      if (d.control_number.empty()) d.control_number.append(cn);  // append: no overlap to check
  }

  // ---- the record -------------------------------------------------------
  bool parse_record() {
    const std::size_t n = x_.size;
    data_end_ = x_.terminated ? n - 1 : n;
    std::int64_t declared = n >= 5 ? parse_digits(p_, 5) : -1;
    declared_ = declared;

    // Without a terminator, a record declaring more bytes than there are
    // (beyond the lost terminator itself), or one the scanner ended where
    // the next record's leader begins, was cut short: only its complete
    // fields can be read (parse_truncated).
    truncated_ = !x_.terminated && (x_.cut_short || declared > static_cast<std::int64_t>(n + 1));
    if (truncated_ && n < 25)
      return fail(errc::truncated_record, n,
                  truncation_head() + "; too short for a leader and a directory, nothing of it can be read");
    if (data_end_ < 25)
      return fail(x_.terminated ? errc::record_too_short : errc::truncated_record, 0,
                  "only " + std::to_string(n) + (n == 1 ? " byte" : " bytes") +
                      ": too short for a leader and a directory (a record has at least 26 bytes)");

    out_->leader_ = marcpp::leader(std::string_view(p_, 24));

    if (truncated_) {
      read_leader_counts();
      return parse_truncated();
    }
    if (!x_.terminated) {
      report(errc::missing_record_terminator, severity::repair, n,
             "the record does not end with a record terminator (0x1D); one is added");
      if (declared >= 0 && declared != static_cast<std::int64_t>(n) && declared != static_cast<std::int64_t>(n + 1))
        report(errc::record_length_mismatch, severity::repair, 0,
               "the leader gives the record length as " + std::to_string(declared) + " but the record has " +
                   std::to_string(n) + " bytes; the length is recomputed");
    } else if (declared < 0) {
      report(errc::bad_record_length, severity::repair, 0,
             "the record length in leader/00-04 (\"" + printable(std::string_view(p_, 5)) +
                 "\") is not a number; the record ends at its terminator, " + std::to_string(n) + " bytes on");
    } else if (declared != static_cast<std::int64_t>(n)) {
      report(errc::record_length_mismatch, severity::repair, 0,
             "the leader gives the record length as " + std::to_string(declared) +
                 " but the record terminator comes after " + std::to_string(n) + " bytes; the length is recomputed");
    }

    read_leader_counts();
    if (!locate_directory()) return false;

    const std::size_t diags_before = out_->diags_.size();
    if (fast_path()) {
      finish_fields_fast();
      // Nothing found: the bytes are exactly what write_iso2709 writes.
      out_->canonical_ = out_->diags_.empty();
    } else {
      // Start over: drop what the fast path built and reported.
      out_->fields_.clear();
      out_->subfields_.clear();
      out_->diags_.shrink_to(diags_before);
      kind_counts_.clear();
      overflow_ = false;  // the ones kept were all listed
      for (const auto& d : out_->diags_) ++kind_count(d.code);
      if (!slow_path()) return false;
    }
    return true;
  }

  // The counts and the entry map (leader/10-11, 20-22). Their faults are
  // reported by report_leader_faults, off the usual path.
  void read_leader_counts() {
    const auto ic = static_cast<unsigned char>(p_[10]) - unsigned{'0'};
    const bool bad_ic = !(ic >= 1 && ic <= 9);
    ind_declared_ = bad_ic ? 2 : ic;
    ind_ = std::min(ind_declared_, 2u);
    out_->ind_count_ = ind_;

    const auto cl = static_cast<unsigned char>(p_[11]) - unsigned{'0'};
    const bool bad_cl = !(cl >= 1 && cl <= 9);
    code_len_ = bad_cl ? 2 : cl;

    const auto lf = static_cast<unsigned char>(p_[20]) - unsigned{'0'};
    const auto ls = static_cast<unsigned char>(p_[21]) - unsigned{'0'};
    const auto li = static_cast<unsigned char>(p_[22]) - unsigned{'0'};
    bool bad_map = false;
    if (lf >= 1 && lf <= 9) {
      lf_ = lf;
    } else {
      lf_ = 4;
      bad_map = true;
    }
    if (ls >= 1 && ls <= 9) {
      ls_ = ls;
    } else {
      ls_ = 5;
      bad_map = true;
    }
    if (li <= 9) {
      li_ = li;
    } else {
      li_ = 0;
      bad_map = true;
    }
    if (li_ > 0) out_->leader_.set(22, '0');
    entry_size_ = 3 + lf_ + ls_ + li_;
    if (MARCPP_UNLIKELY(bad_ic || ind_declared_ > 2 || bad_cl || code_len_ > 2 || bad_map || li_ > 0))
      report_leader_faults(bad_ic, bad_cl, bad_map);
  }

  // The faults of leader/10-11 and 20-22, in that order. Their messages
  // depend on those five bytes alone, and the records of a file mostly share
  // them (a whole authority file may have a blank leader/22), so the last
  // ones made are kept and copied while the bytes stay the same.
  MARCPP_NOINLINE void report_leader_faults(bool bad_ic, bool bad_cl, bool bad_map) {
    const char key[5] = {p_[10], p_[11], p_[20], p_[21], p_[22]};
    if (leader_notes_valid_ && std::memcmp(key, leader_key_, sizeof key) == 0) {
      for (const auto& d : leader_notes_) report_copy(d.code, d.level, d.pos, d.message);
      return;
    }
    const std::size_t before = out_->diags_.size();
    if (bad_ic)
      report(errc::bad_indicator_count, severity::warning, 10,
             concat({"leader/10 (indicator count) is \"", printable(std::string_view(p_ + 10, 1)),
                     "\", not a digit 1-9; two indicators are assumed"}));
    if (ind_declared_ > 2)
      report(errc::indicator_count_unsupported, severity::warning, 10,
             concat({"leader/10 declares ", ind_declared_,
                     " indicators; the first two are read as indicators and the others are kept as unlabelled data"}));
    if (bad_cl)
      report(errc::bad_subfield_code_length, severity::warning, 11,
             concat({"leader/11 (subfield code length) is \"", printable(std::string_view(p_ + 11, 1)),
                     "\", not a digit 1-9; one-byte subfield codes are assumed"}));
    if (code_len_ > 2)
      report(errc::subfield_code_length_unsupported, severity::warning, 11,
             concat({"leader/11 declares subfield codes of ", code_len_ - 1,
                     " bytes; the first byte is read as the code and the others are kept in the value"}));
    if (bad_map)
      report(errc::bad_entry_map, severity::warning, 20,
             concat({"the entry map in leader/20-22 (\"", printable(std::string_view(p_ + 20, 3)),
                     "\") is not three digits; directory entries are read as ", lf_, "-digit lengths, ", ls_,
                     "-digit starting positions and ", li_, " implementation-defined bytes"}));
    if (li_ > 0)
      report(errc::unsupported_entry_map, severity::repair, 22,
             concat({"leader/22 gives each directory entry ", li_,
                     " implementation-defined bytes; they are dropped and leader/22 is set to 0"}));
    // Kept only when every one was listed (none fell past max_per_kind).
    leader_notes_.clear();
    leader_notes_valid_ = false;
    for (std::size_t i = before; i < out_->diags_.size(); ++i) {
      const diagnostic& d = out_->diags_[i];
      leader_notes_.push_back({d.code, d.level, static_cast<std::size_t>(d.offset - x_.offset), d.message});
    }
    const std::size_t made = std::size_t{bad_ic} + (ind_declared_ > 2) + bad_cl + (code_len_ > 2) + bad_map + (li_ > 0);
    if (leader_notes_.size() == made) {
      std::memcpy(leader_key_, key, sizeof key);
      leader_notes_valid_ = true;
    }
  }

  bool locate_directory() {
    std::int64_t b = parse_digits(p_ + 12, 5);
    if (b >= 25 && static_cast<std::size_t>(b) <= data_end_ && p_[b - 1] == field_terminator) {
      base_ = static_cast<std::size_t>(b);
    } else {
      const void* q = std::memchr(p_ + 24, field_terminator, data_end_ - 24);
      if (!q)
        return fail(errc::bad_directory, 24,
                    "the directory has no terminator (0x1E): the fields cannot be found");
      const std::size_t first = static_cast<std::size_t>(static_cast<const char*>(q) - p_) + 1;
      if (b >= 25 && keep_base_address(static_cast<std::size_t>(b), first)) return true;
      base_ = first;
      report(errc::bad_base_address, severity::repair, 12,
             "the base address in leader/12-16 (\"" + printable(std::string_view(p_ + 12, 5)) +
                 "\") does not point just past the directory; the directory ends at byte " +
                 std::to_string(base_ - 1) + ", so the base address is " + std::to_string(base_));
    }
    std::size_t dir_len = base_ - 1 - 24;
    dir_rem_ = dir_len % entry_size_;
    return true;
  }

  // The byte before the base address is not the directory terminator, and
  // the first field terminator after the leader is at `first` - 1, past it.
  // The base address is kept all the same when the evidence is for it: it
  // leaves room for a whole number of entries, the first field (the one at
  // position 0) ends on its terminator when read from there, and more
  // entries place their fields on terminators from there than from `first`
  // (which, past the base address, puts the directory's end inside the
  // data).
  bool keep_base_address(std::size_t b, std::size_t first) {
    if (b > data_end_ || b >= first || (b - 25) % entry_size_ != 0 || b - 25 < entry_size_) return false;
    bool first_fits = false;
    const std::size_t here = fields_on_terminators(b, &first_fits);
    if (!first_fits) return false;
    const std::size_t there = fields_on_terminators(first, nullptr);
    if (here <= there) return false;
    base_ = b;
    dir_rem_ = 0;
    diagnostic& d = report(
        errc::bad_base_address, severity::repair, b - 1,
        "the byte before the base address (leader/12-16: " + std::to_string(b) + ") is \"" +
            printable(std::string_view(p_ + b - 1, 1)) +
            "\", not the directory terminator (0x1E); the base address is kept, as the directory's " +
            std::to_string((b - 25) / entry_size_) + " entries fit before it and " + std::to_string(here) +
            " of them place their fields on field terminators from there (from the first field terminator, "
            "at byte " + std::to_string(first - 1) + ", " + std::to_string(there) + " would)");
    d.original.assign(p_ + b - 1, 1);
    return true;
  }

  // How many directory entries, read as if the data began at `base`, place
  // a field that starts after a field terminator (or at the start of the
  // data) and ends on one; `*first_fits`, whether the entry at position 0
  // does.
  [[nodiscard]] std::size_t fields_on_terminators(std::size_t base, bool* first_fits) const noexcept {
    std::size_t fit = 0;
    for (std::size_t pos = 24; pos + entry_size_ <= base - 1; pos += entry_size_) {
      const std::int64_t len = parse_digits(p_ + pos + 3, lf_), start = parse_digits(p_ + pos + 3 + lf_, ls_);
      if (len < 1 || start < 0) continue;
      const std::size_t fs = base + static_cast<std::size_t>(start), end = fs + static_cast<std::size_t>(len);
      if (end > data_end_) continue;
      const bool fits = p_[end - 1] == field_terminator && (start == 0 || p_[fs - 1] == field_terminator);
      fit += fits;
      if (start == 0 && first_fits) *first_fits = *first_fits || fits;
    }
    return fit;
  }

  void report_directory_remainder() {
    if (!dir_rem_) return;
    std::size_t dir_len = base_ - 1 - 24;
    report(errc::bad_directory, severity::repair, 24 + dir_len - dir_rem_,
           "the directory is " + std::to_string(dir_len) + " bytes, not a whole number of " +
               std::to_string(entry_size_) + "-byte entries; the last " + std::to_string(dir_rem_) +
               " bytes are read as an incomplete entry");
  }

  // Oversized fields and records written anyway (a length over 9,999, a
  // position past 99,999) push one more digit into their directory entries
  // and shift the rest. Reads the directory again, letting a length or a
  // position take one digit more wherever the standard widths do not give
  // the contiguous field that must come next; succeeds only if every entry
  // then leads to a field ending with its terminator and the fields cover
  // the data exactly.
  bool locate_wide_directory() {
    wide_.clear();
    const std::size_t dir_end = base_ - 1, area = data_end_ - base_;
    std::size_t pos = 24, expected = 0, widened = 0;
    while (pos < dir_end) {
      bool found = false;
      for (unsigned extra_l = 0; extra_l < 2 && !found; ++extra_l) {
        for (unsigned extra_s = 0; extra_s < 2 && !found; ++extra_s) {
          const std::size_t wl = lf_ + extra_l, ws = ls_ + extra_s, size = 3 + wl + ws + li_;
          if (pos + size > dir_end) continue;
          std::int64_t len = parse_digits(p_ + pos + 3, wl), start = parse_digits(p_ + pos + 3 + wl, ws);
          if (len < 1 || start != static_cast<std::int64_t>(expected)) continue;
          // Compared before it is added: a length of ten digits does not
          // fit a 32-bit size_t.
          if (static_cast<std::uint64_t>(len) > area - expected) continue;
          std::size_t end = expected + static_cast<std::size_t>(len);
          if (p_[base_ + end - 1] != field_terminator) continue;
          entry& e = wide_.emplace_back();
          e.dir_pos = static_cast<std::uint32_t>(pos);
          e.t = marcpp::tag::from_chars(p_[pos], p_[pos + 1], p_[pos + 2]);
          e.len = len;
          e.start = start;
          e.fs = static_cast<std::uint32_t>(base_ + expected);
          e.fe = static_cast<std::uint32_t>(base_ + end - 1);
          e.located = true;
          widened += (extra_l | extra_s);
          expected = end;
          pos += size;
          found = true;
        }
      }
      if (!found) return false;
    }
    if (expected != area || widened == 0) return false;
    for (const entry& e : wide_)
      if (std::memchr(p_ + e.fs, field_terminator, e.fe - e.fs) || std::memchr(p_ + e.fs, record_terminator, e.fe - e.fs))
        return false;
    entries_.assign(wide_.begin(), wide_.end());
    report(errc::bad_directory, severity::repair, 24,
           "the directory holds " + std::to_string(widened) + (widened == 1 ? " entry" : " entries") +
               " with a length or starting position one digit wider than the entry map allows "
               "(fields over 9,999 bytes or starting past 99,999); they are read with the wider numbers");
    return true;
  }

  void read_directory() {
    entries_.clear();
    std::size_t dir_end = base_ - 1;
    for (std::size_t pos = 24; pos + 3 <= dir_end; pos += entry_size_) {
      entry& e = entries_.emplace_back();
      e.dir_pos = static_cast<std::uint32_t>(pos);
      e.t = marcpp::tag::from_chars(p_[pos], p_[pos + 1], p_[pos + 2]);
      if (pos + entry_size_ <= dir_end) {
        e.len = parse_digits(p_ + pos + 3, lf_);
        e.start = parse_digits(p_ + pos + 3 + lf_, ls_);
      }
    }
  }

  // Four ASCII digits at p, or -1 (SWAR: one load, a few operations).
  static std::int64_t digits4(const char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    v -= 0x30303030u;
    if (((v & 0xF0F0F0F0u) | ((v + 0x06060606u) & 0xF0F0F0F0u)) != 0) return -1;
    v = v * 10 + (v >> 8);  // little-endian pairs: d0*10+d1 in byte 0, d2*10+d3 in byte 2
    return static_cast<std::int64_t>((v & 0xFFu) * 100 + ((v >> 16) & 0xFFu));
  }
  static std::int64_t digits5(const char* p) noexcept {
    std::int64_t hi = digits4(p);
    auto last = static_cast<unsigned char>(p[4]) - unsigned{'0'};
    return hi < 0 || last > 9 ? -1 : hi * 10 + last;
  }
  static marcpp::tag read_tag(const char* p) noexcept {
    auto a = static_cast<unsigned char>(p[0]) - unsigned{'0'}, b = static_cast<unsigned char>(p[1]) - unsigned{'0'},
         c = static_cast<unsigned char>(p[2]) - unsigned{'0'};
    if (a <= 9 && b <= 9 && c <= 9) return marcpp::tag::numeric(a * 100 + b * 10 + c);
    return marcpp::tag::from_chars(p[0], p[1], p[2]);
  }

  // The shape of nearly every real record: every directory entry well
  // formed, contiguous, in order, each field ending with its terminator, the
  // fields covering the data area exactly, no terminator inside a field.
  // One pass over the directory builds the fields; then either the regular
  // check passes (the subfields are left to be found as they are iterated)
  // or a sweep over the data area cuts the subfields of an odd but readable
  // record. Anything else returns false, and the record goes to the slow
  // path.
  bool fast_path() {
    if (dir_rem_ >= 3) return false;  // an incomplete entry that carries a tag
    const std::size_t n = (base_ - 1 - 24) / entry_size_;
    const std::size_t area = data_end_ - base_;
    const char* a = p_ + base_;
    auto& fields = out_->fields_;
    // Every field is written in place below; on a false return the caller
    // clears them.
    fields.resize(n, boost::container::default_init);
    field_view* const fv = fields.data();
    const char* dir = p_ + 24;
    const bool usual_map = lf_ == 4 && ls_ == 5;
    // The usual layout (two indicators, one-byte codes) takes the leanest
    // paths; a record either path cannot take whole goes to the slow path.
    const bool usual = ind_ == 2 && ind_declared_ == 2 && code_len_ == 2;
    const unsigned ind_declared = ind_declared_;
    bool shaped = usual;  // every field so far has the regular shape (see regular_field)
    std::size_t expected = 0;
    // Field i from its entry; false if the record is not of the shape.
    auto set = [&](std::size_t i, marcpp::tag t, std::int64_t len, std::int64_t start) MARCPP_LAMBDA_INLINE {
      if (len < 1 || start != static_cast<std::int64_t>(expected)) return false;
      const std::size_t end = expected + static_cast<std::size_t>(len);
      if (end > area) return false;
      const auto size = static_cast<std::uint32_t>(len - 1);
      const char* d = a + expected;
      fv[i] = field_view(t, d, size, t.is_control() && !(size > ind_declared && d[ind_declared] == subfield_delimiter));
      if (shaped) shaped = regular_field(fv[i]);
      expected = end;
      return true;
    };
    std::size_t i = 0;
#if MARCPP_AVX2_DISPATCH
    // Entries of twelve digits, decoded together before the fields are
    // built; the rest, from the first entry that is not, one by one below.
    if (usual_map && entry_size_ == 12 && n >= 2 && cpu_has_avx2) {
      if (decoded_.size() < n) decoded_.resize(n);
      const entry_digits* e = decoded_.data();
      const std::size_t m = decode_entries_avx2(dir, n, p_ + x_.size, decoded_.data());
      for (; i < m; ++i, ++e)
        if (!set(i, marcpp::tag::numeric(e->tag), e->len, std::int64_t{e->start_hi} + e->start_lo)) return false;
      dir += 12 * m;
    }
#endif
    for (; i < n; ++i, dir += entry_size_) {
      marcpp::tag t;
      std::int64_t len, start;
      if (!usual_map || !entry12(dir, t, len, start)) {
        t = read_tag(dir);
        len = usual_map ? digits4(dir + 3) : parse_digits(dir + 3, lf_);
        start = usual_map ? digits5(dir + 7) : parse_digits(dir + 3 + lf_, ls_);
        if (!t.is_valid()) return false;
      }
      if (!set(i, t, len, start)) return false;
    }
    if (expected != area) return false;
    if (n == 0) return true;

    if (shaped && regular_area(a, area, n)) return true;
    for (std::size_t k = 0; k < n; ++k)  // the sweeps below rely on each field's terminator
      if (fv[k].data_[fv[k].size_] != field_terminator) return false;
    for (std::size_t k = 0; k < n; ++k) {
      fv[k].split_ = false;
      fv[k].ind_ = marcpp::indicators();
    }
    return usual ? sweep<true>(a, area, fv, n) : sweep<false>(a, area, fv, n);
  }

  // The regular record, checked without cutting it into subfields: every
  // data field starts with its two indicators and a delimiter, every
  // delimiter is followed by a code, and no terminator lies inside a field
  // (control data keeps any other byte, a delimiter too, as the sweep
  // does). As the directory is read, each
  // field is checked for how it begins and ends (regular_field, which sets
  // a data field's indicators and leaves its subfields to be found as they
  // are iterated); then one pass over the data area, 64 bytes at a time,
  // counts the field terminators and finds any delimiter followed by a
  // separator (regular_area). A record that fails either goes on to the
  // sweep, which resets what regular_field set.
  MARCPP_ALWAYS_INLINE static bool regular_field(field_view& f) noexcept {
    const char* d = f.data_;
    if (d[f.size_] != field_terminator) return false;
    if (f.control_) return true;  // a delimiter in control data is data, here as in the sweep
    if (f.size_ < 3 || d[2] != subfield_delimiter || d[0] == subfield_delimiter || d[1] == subfield_delimiter)
      return false;  // not two indicators, then a delimiter
    f.ind_ = marcpp::indicators(d[0], d[1]);
    f.split_ = true;
    return true;
  }
  bool regular_area(const char* a, std::size_t area, std::size_t n) noexcept {
    std::size_t terms = 0, i = 0;
    bool high = false, bad = false, codeless = false;
#if MARCPP_HAS_SSE2
    {
      const area_scan r = scan_area(a, area);
      i = r.done;
      terms = r.terms;
      high = r.high;
      bad = r.bad;
      codeless = r.codeless;
    }
#endif
    for (; i < area; ++i) {
      const auto c = static_cast<unsigned char>(a[i]);
      high |= c >= 0x80;
      bad |= c == 0x1D;
      terms += c == 0x1E;
      codeless |= c == 0x1F && i + 1 < area && (static_cast<unsigned char>(a[i + 1]) & 0xFE) == 0x1E;
    }
    // With as many terminators as fields, and one ending each field, none
    // lies inside a field.
    if (bad || codeless || terms != n) return false;
    high_ = high;
    return true;
  }

  template <bool Usual>
  bool sweep(const char* a, std::size_t area, field_view* fv, std::size_t n) {
    auto& subs = out_->subfields_;
    std::size_t fi = 0, fs = 0, fe = fv[0].size_, open = 0, first_sub = 0;
    bool data = !fv[0].control_, seen = false, sound = true;
    auto close_open = [&](std::size_t e) MARCPP_LAMBDA_INLINE {
      const std::size_t d = open;
      if (MARCPP_LIKELY((Usual || code_len_ >= 2) && d + 1 < e))
        subs.emplace_back(a[d + 1], std::string_view(a + d + 2, e - d - 2));
      else
        no_code_subfield(a, d, e, fv[fi].tag_, fi);
    };
    auto at_first_delimiter = [&](std::size_t q) MARCPP_LAMBDA_INLINE {
      if (MARCPP_LIKELY(q - fs == ind_)) {  // indicators, then the delimiter: the usual case
        fv[fi].ind_ = marcpp::indicators(a[fs], Usual || ind_ > 1 ? a[fs + 1] : ' ');
        return;
      }
      odd_field_start(a, fs, q, fe, fv[fi], fi);
    };
    high_ = scan_separators(a, area, [&](std::size_t q) MARCPP_LAMBDA_INLINE {
      if (q == fe) {  // the field's terminator
        if (data) {
          if (!seen) at_first_delimiter(fe);
          else close_open(fe);
          fv[fi].nsubs_ = static_cast<std::uint32_t>(subs.size() - first_sub);
        }
        if (++fi < n) {
          fs = fe + 1;
          fe = fs + fv[fi].size_;
          data = !fv[fi].control_;
          seen = false;
          first_sub = subs.size();
        }
        return true;
      }
      const char c = a[q];
      if (MARCPP_UNLIKELY(c != subfield_delimiter)) {
        if (c == '\x1C') return true;  // data
        return sound = false;          // a terminator inside a field
      }
      if (!data) return true;  // control data keeps its bytes
      if (!seen) {
        at_first_delimiter(q);
        seen = true;
      } else {
        close_open(q);
      }
      open = q;
      return true;
    });
    return sound;
  }

  // A delimiter with no code after it (rare): kept, and reported when codes
  // should be there.
  MARCPP_NOINLINE void no_code_subfield(const char* a, std::size_t d, std::size_t e, marcpp::tag t, std::size_t fi) {
    out_->subfields_.emplace_back(char(0), std::string_view(a + d + 1, e - d - 1), subfield_shape::no_code);
    if (code_len_ >= 2)
      report_tag(errc::missing_subfield_code, severity::warning, base_ + d, t, fi,
                 "a subfield delimiter is not followed by a code; it is kept as a delimiter without code");
  }

  // A data field that does not start with exactly its indicators and a
  // delimiter (rare): missing indicators, or bytes before the first delimiter.
  MARCPP_NOINLINE void odd_field_start(const char* a, std::size_t fs, std::size_t q, std::size_t fe, field_view& f,
                                       std::size_t fi) {
    const std::size_t avail = std::min<std::size_t>(q - fs, ind_);
    f.ind_ = marcpp::indicators(avail > 0 ? a[fs] : ' ', avail > 1 ? a[fs + 1] : ' ');
    if (avail < ind_)
      report_tag(errc::missing_indicators, severity::repair, base_ + fs, f.tag_, fi,
                 q < fe ? "the field has " + std::to_string(avail) + " of its " + std::to_string(ind_) +
                              " indicators before the first subfield; the missing ones are set blank"
                        : "the field is too short for its " + std::to_string(ind_) +
                              " indicators; the missing ones are set blank");
    const std::size_t pos = fs + avail;
    if (pos < q) {
      out_->subfields_.emplace_back(char(0), std::string_view(a + pos, q - pos), subfield_shape::unlabelled);
      if (ind_declared_ <= 2)
        report_tag(errc::data_before_first_subfield, severity::warning, base_ + pos, f.tag_, fi,
                   "the field holds " + std::to_string(q - pos) +
                       " bytes before its first subfield delimiter; they are kept as unlabelled data");
    }
  }

  void finish_fields_fast() {
    report_directory_remainder();
    if (!out_->subfields_.empty()) rebase_subfields();  // the regular path cuts none
    if (high_ && opts_.validate_utf8 && out_->leader_.is_unicode()) check_utf8();
  }

  bool slow_path() {
    read_directory();
    return place_fields();
  }

  // Locates the fields of entries_ and builds them; false if none can be
  // found.
  bool place_fields() {
    if (!locate_fields()) return false;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const entry& e = entries_[i];
      if (!e.located) continue;
      seps_.clear();
      scan_separators(p_ + e.fs, e.fe - e.fs, [&](std::size_t k) {
        seps_.push_back(e.fs + static_cast<std::uint32_t>(k));
        return true;
      });
      // A record terminator inside a field is reported and kept as data.
      // A field terminator inside one (its declared length runs past it,
      // see locate_by_terminators) is left to build_field.
      std::uint32_t* w = seps_.data();
      strays_.clear();
      for (std::uint32_t pos : seps_) {
        if (p_[pos] == record_terminator)
          report_field(errc::unexpected_terminator, severity::repair, pos, e, out_->fields_.size(),
                       "a record terminator (0x1D) inside the field is kept as data");
        else if (p_[pos] == field_terminator)
          strays_.push_back(pos);
        else
          *w++ = pos;
      }
      build_field(e, out_->fields_.size(), seps_.data(), w);
    }
    rebase_subfields();
    if (opts_.validate_utf8 && out_->leader_.is_unicode()) check_utf8();
    return true;
  }

  // ---- a record cut short ---------------------------------------------------
  // What the truncated_record diagnostic says first: where the record ends
  // and why.
  [[nodiscard]] std::string truncation_head() const {
    const std::size_t n = x_.size;
    const std::string of = declared_ >= 0 ? " of the " + std::to_string(declared_) + " bytes it declares" : "";
    if (x_.cut_short)
      return "the record is cut short: after " + std::to_string(n) + " bytes" + of + ", the next record (record " +
             std::to_string(x_.index + 1) + ") begins, at offset " + std::to_string(x_.offset + n);
    return "the input ends after " + std::to_string(n) + " bytes of a record that declares " +
           std::to_string(declared_) + " bytes";
  }

  // A record cut short keeps the fields that end before the cut: the data
  // is taken to end at its last field terminator, and the entries whose
  // declared data runs past that are lost (the one the cut falls in, and
  // those after it). The leader and the directory must be whole. The
  // truncated_record diagnostic comes first, as the record's main fault; it
  // is a repair when some field is kept, and otherwise the error that makes
  // the record unreadable.
  bool parse_truncated() {
    const std::size_t n = x_.size;
    const std::size_t first = out_->diags_.size();
    report(errc::truncated_record, severity::repair, n, std::string());
    if (!std::memchr(p_ + 24, field_terminator, n - 24) || !locate_directory())
      return unreadable_truncation(first, "; it ends inside the directory, so no field can be found");
    std::size_t cut = n;
    while (cut > base_ && p_[cut - 1] != field_terminator) --cut;
    data_end_ = cut;
    read_directory();
    lost_.clear();
    std::size_t kept = 0;
    for (const entry& e : entries_) {
      const bool ends_before = e.len < 1 || e.start < 0 || base_ + static_cast<std::size_t>(e.start + e.len) <= cut;
      if (ends_before) entries_[kept++] = e;
      else lost_.push_back(e);
    }
    entries_.resize(kept);
    if (entries_.empty()) return unreadable_truncation(first, "; none of its fields ends before the cut");
    if (!place_fields()) return unreadable_truncation(first, "; none of the fields before the cut can be found");

    std::string m = truncation_head() + "; the " + std::to_string(out_->fields_.size()) +
                    (out_->fields_.size() == 1 ? " field" : " fields") + " before the cut " +
                    (out_->fields_.size() == 1 ? "is" : "are") + " kept";
    if (lost_.empty()) {
      m += ", and the directory lists no other";
    } else {
      // In data order, the field the cut falls in starts before the end of the bytes.
      std::sort(lost_.begin(), lost_.end(), [](const entry& a, const entry& b) { return a.start < b.start; });
      const entry& c = lost_.front();
      const std::size_t cs = base_ + static_cast<std::size_t>(c.start);
      std::size_t listed = 0;
      if (cs < n) {
        m += "; field " + describe_tag(c) + " is cut after " + std::to_string(n - cs) + " of its " +
             std::to_string(c.len) + " bytes";
        listed = 1;
      }
      if (lost_.size() > listed) {
        m += std::string(listed ? " and " : "; ") + std::to_string(lost_.size() - listed) +
             (lost_.size() - listed == 1 ? " field is" : " fields are") + " missing (";
        for (std::size_t i = listed; i < lost_.size() && i < listed + 8; ++i)
          m += (i > listed ? ", " : "") + describe_tag(lost_[i]);
        m += lost_.size() > listed + 8 ? ", ...)" : ")";
      }
      m += "; " + std::string(lost_.size() == 1 ? "it is" : "they are") + " left out";
    }
    diagnostic& d = out_->diags_[first];
    d.message = std::move(m);
    if (cut < n && n - cut <= 256) d.original.assign(p_ + cut, n - cut);
    return true;
  }

  // The tag of an entry as written (a tag that is not valid shown byte by byte).
  [[nodiscard]] std::string describe_tag(const entry& e) const {
    return e.t.is_valid() ? e.t.str() : "\"" + printable(std::string_view(p_ + e.dir_pos, 3)) + "\"";
  }

  // A record cut short that gives nothing: the truncated_record diagnostic,
  // now an error, is its only fault (what else was found no longer matters).
  bool unreadable_truncation(std::size_t first, const std::string& why) {
    out_->diags_.shrink_to(first);
    kind_counts_.clear();
    overflow_ = false;
    for (const auto& d : out_->diags_) ++kind_count(d.code);
    out_->fields_.clear();
    out_->subfields_.clear();
    return fail(errc::truncated_record, x_.size, truncation_head() + why);
  }

  // Decides where each field's bytes are when the directory cannot be taken
  // at its word, and reports what it decided.
  bool locate_fields() {
    const std::size_t area_begin = base_, area_end = data_end_;
    bool all_sane = true;
    for (entry& e : entries_) {
      e.located = false;
      if (e.len < 1 || e.start < 0) {
        all_sane = false;
        continue;
      }
      std::size_t fs = base_ + static_cast<std::size_t>(e.start);
      std::size_t end = fs + static_cast<std::size_t>(e.len);
      if (end > area_end || p_[end - 1] != field_terminator ||
          std::memchr(p_ + fs, field_terminator, end - 1 - fs) ||
          std::memchr(p_ + fs, record_terminator, end - 1 - fs)) {
        all_sane = false;
        continue;
      }
      e.fs = static_cast<std::uint32_t>(fs);
      e.fe = static_cast<std::uint32_t>(end - 1);
      e.located = true;
    }

    if (!all_sane && dir_rem_ && locate_wide_directory()) {
      all_sane = true;
    } else {
      report_directory_remainder();
      if (!all_sane && !locate_by_terminators(area_begin, area_end)) locate_each(area_begin, area_end);
    }

    // A tag `tag` cannot hold keeps its bytes in the field (build_field);
    // only one that is no MARC 21 tag is reported.
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (const char* t = p_ + entries_[i].dir_pos; !entries_[i].t.is_valid() && !marcpp::tag::is_legal(t[0], t[1], t[2]))
        report_field(errc::invalid_tag, severity::warning, entries_[i].dir_pos, entries_[i], i,
                     "the tag is not a MARC 21 tag (three digits or letters, the letters all upper case or "
                     "all lower case); the field keeps it as it is, and it is written back as it is");
    report_coverage(area_begin, area_end);
    bool any = entries_.empty();
    for (const entry& e : entries_) any |= e.located;
    if (!any)
      return fail(errc::bad_directory, 24,
                  "none of the " + std::to_string(entries_.size()) +
                      " directory entries leads to a field: the record cannot be read");
    return true;
  }

  // When the directory's positions cannot be followed but its order can,
  // the field terminators say where the fields are: the fields lie one
  // after another in directory order, each ending on a field terminator.
  // The data falls into pieces at its terminators. With as many pieces as
  // entries, field i is piece i (the usual damage: lengths counted in
  // characters, a byte lost or added). With more pieces (a stray terminator
  // splitting a field, junk between fields), the pieces are shared out so
  // that the fields' lengths come as close as they can to the declared
  // ones, each counted in bytes or in UTF-8 characters, whichever is
  // closer (share_pieces): a field runs over a stray terminator when its
  // length says so, and a piece that no length claims belongs to no field
  // (report_coverage then reports it as unreferenced data).
  bool locate_by_terminators(std::size_t area_begin, std::size_t area_end) {
    chunks_.clear();
    std::size_t pos = area_begin;
    while (pos < area_end) {
      const void* q = std::memchr(p_ + pos, field_terminator, area_end - pos);
      std::size_t end = q ? static_cast<std::size_t>(static_cast<const char*>(q) - p_) : area_end;
      chunks_.push_back({static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(end), q != nullptr});
      pos = end + 1;
    }
    const std::size_t n = entries_.size(), m = chunks_.size();
    if (n == 0 || m < n || m - n > max_extra_pieces) return false;
    // The directory must be in data order: positions never go back, except
    // where they wrapped past the largest number their digits hold (records
    // over 99,999 bytes written anyway).
    const auto top = static_cast<std::int64_t>(detail::max_digits_value(ls_));
    std::int64_t last = -1;
    for (const entry& e : entries_) {
      if (e.start < 0) continue;
      if (e.start < last && !(last > top - top / 10 && e.start < top / 10)) return false;
      last = e.start;
    }
    share_pieces();
    std::size_t moved = 0, first = 0, in_characters = 0, strays = 0;
    for (std::size_t i = 0; i < n; ++i) {
      entry& e = entries_[i];
      const chunk& a = chunks_[runs_[i].first];
      const chunk& z = chunks_[runs_[i].first + runs_[i].pieces - 1];
      bool same = e.len >= 1 && e.start >= 0 && base_ + static_cast<std::size_t>(e.start) == a.begin &&
                  base_ + static_cast<std::size_t>(e.start + e.len) == z.end + std::size_t{1};
      e.fs = a.begin;
      e.fe = z.end;
      e.located = true;
      e.terminated = z.terminated;
      strays += runs_[i].pieces - 1;
      if (!same && e.len >= 1 && static_cast<std::int64_t>(e.fe - e.fs + 1) != e.len &&
          static_cast<std::int64_t>(characters(runs_[i].first, runs_[i].pieces)) == e.len)
        ++in_characters;
      if (!same && moved++ == 0) first = i;
    }
    const auto used = n + strays;  // pieces in fields; the others belong to none
    if (!chunks_.back().terminated && runs_[n - 1].first + runs_[n - 1].pieces == m) {
      const entry& e = entries_.back();
      report_field(errc::missing_field_terminator, severity::repair, e.fe, e, n - 1,
                   "the last field has no field terminator (0x1E); it ends where the record ends, "
                   "and a terminator is added");
    }
    if (moved) {
      const entry& e = entries_[first];
      const bool unusable = e.len < 1 || e.start < 0;
      const bool outside = !unusable && base_ + static_cast<std::size_t>(e.start) >= area_end;
      std::string what = unusable
                             ? "its directory entry \"" + printable(std::string_view(p_ + e.dir_pos, entry_bytes(e))) +
                                   "\" has no usable length or starting position"
                             : "the directory gives " + std::to_string(e.len) + " bytes at position " +
                                   std::to_string(e.start) + ", but the terminators put it at " +
                                   std::to_string(e.fs - base_) + " with " + std::to_string(e.fe - e.fs + 1) +
                                   " bytes";
      std::string how = m == n ? "so each is taken as the piece of data between its terminators"
                               : "so each is taken from the end of the one before it to the field terminator that "
                                 "best fits its declared length";
      if (in_characters)
        how += "; " + std::to_string(in_characters) + (in_characters == 1 ? " length counts" : " lengths count") +
               " UTF-8 characters, not bytes";
      if (strays)
        how += "; " + std::to_string(strays) + (strays == 1 ? " field terminator lies" : " field terminators lie") +
               " inside fields whose declared lengths run past them";
      if (used < m)
        how += "; " + std::to_string(m - used) + (m - used == 1 ? " piece of data fits" : " pieces of data fit") +
               " no field";
      report_field(unusable ? errc::bad_directory_entry : outside ? errc::field_out_of_bounds : errc::field_length_mismatch,
                   severity::repair, unusable || outside ? e.dir_pos : base_ + static_cast<std::size_t>(e.start), e, first,
                   "the directory disagrees with the field terminators for " + std::to_string(moved) + " of " +
                       std::to_string(n) + " fields (the first is this one: " + what +
                       "); the fields are in directory order, " + how);
    }
    return true;
  }

  // At most this many pieces of data more than entries are shared out (the
  // work grows with the square of it).
  static constexpr std::size_t max_extra_pieces = 64;

  // UTF-8 characters in `count` pieces from piece `first`, each counting
  // its terminator (written when it is missing) as one.
  [[nodiscard]] std::size_t characters(std::size_t first, std::size_t count) const noexcept {
    return piece_chars_[first + count] - piece_chars_[first];
  }

  // Shares the pieces out among the entries, in order: each entry takes a
  // run of one or more pieces, and a piece may be left to no entry. Of all
  // the ways, the one whose fields' lengths are closest to the declared
  // ones (the sum of the differences, each the smaller of the byte and the
  // character count's), a piece left out costing its length; of equally
  // close ones, the one with the fewest terminators inside fields. An
  // entry without a usable length takes one piece at no cost, and more at
  // the cost of leaving them out. Sets runs_[i] for every entry.
  void share_pieces() {
    const std::size_t n = entries_.size(), m = chunks_.size(), extra = m - n;
    piece_chars_.assign(m + 1, 0);
    for (std::size_t k = 0; k < m; ++k) {
      std::size_t c = 1;
      for (std::uint32_t b = chunks_[k].begin; b < chunks_[k].end; ++b)
        c += (static_cast<unsigned char>(p_[b]) & 0xC0) != 0x80;
      piece_chars_[k + 1] = piece_chars_[k] + c;
    }
    auto bytes = [&](std::size_t j, std::size_t r) -> std::int64_t {
      return static_cast<std::int64_t>(chunks_[j + r - 1].end - chunks_[j].begin) + 1;
    };
    auto field_cost = [&](const entry& e, std::size_t j, std::size_t r) -> std::int64_t {
      if (e.len < 1) return bytes(j, r) - bytes(j, 1);
      const std::int64_t b = bytes(j, r) - e.len, c = static_cast<std::int64_t>(characters(j, r)) - e.len;
      return std::min(b < 0 ? -b : b, c < 0 ? -c : c);
    };
    // cells_[i * (extra + 1) + s]: the best way to give the first i entries
    // their runs using the first i + s pieces.
    const std::size_t w = extra + 1;
    cells_.assign((n + 1) * w, share_cell{});
    cells_[0].cost = 0;
    auto relax = [&](std::size_t to, std::int64_t cost, std::uint32_t strays, std::uint32_t from, std::uint32_t r) {
      share_cell& t = cells_[to];
      if (t.cost < 0 || cost < t.cost || (cost == t.cost && strays < t.strays)) t = {cost, strays, from, r};
    };
    for (std::size_t i = 0; i <= n; ++i) {
      for (std::size_t s = 0; s <= extra; ++s) {
        const share_cell& c = cells_[i * w + s];
        if (c.cost < 0) continue;
        const std::size_t j = i + s;  // pieces used so far
        const auto here = static_cast<std::uint32_t>(i * w + s);
        if (s < extra) relax(here + 1, c.cost + bytes(j, 1), c.strays, here, 0);  // piece j goes to no entry
        if (i == n) continue;
        for (std::size_t r = 1; s + r - 1 <= extra; ++r)  // entry i takes pieces j .. j + r - 1
          relax((i + 1) * w + s + r - 1, c.cost + field_cost(entries_[i], j, r),
                c.strays + static_cast<std::uint32_t>(r - 1), here, static_cast<std::uint32_t>(r));
      }
    }
    runs_.resize(n);
    for (std::size_t at = n * w + extra; at != 0;) {
      const share_cell& c = cells_[at];
      if (c.pieces) {
        const std::size_t i = at / w - 1, s = at % w;
        runs_[i] = {static_cast<std::uint32_t>(i + s + 1 - c.pieces), c.pieces};
      }
      at = c.from;
    }
  }

  // Otherwise each entry is placed on its own: from its starting position to
  // its declared end if a terminator is there, else to the nearest terminator.
  void locate_each(std::size_t area_begin, std::size_t area_end) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      entry& e = entries_[i];
      if (e.located) continue;
      if (e.len < 1 || e.start < 0) {
        report_field(errc::bad_directory_entry, severity::repair, e.dir_pos, e, i,
                     "the directory entry \"" + printable(std::string_view(p_ + e.dir_pos, entry_bytes(e))) +
                         "\" has no usable length or starting position; the field cannot be found and is left "
                         "out (its bytes are reported as unreferenced data)");
        continue;
      }
      std::size_t fs = area_begin + static_cast<std::size_t>(e.start);
      if (fs >= area_end) {
        report_field(errc::field_out_of_bounds, severity::repair, e.dir_pos, e, i,
                     "the directory entry points to position " + std::to_string(e.start) +
                         ", past the end of the data (" + std::to_string(area_end - area_begin) +
                         " bytes); the field does not exist and is left out");
        continue;
      }
      std::size_t declared_end = fs + static_cast<std::size_t>(e.len);  // exclusive, terminator included
      const void* q = std::memchr(p_ + fs, field_terminator, area_end - fs);
      std::size_t term = q ? static_cast<std::size_t>(static_cast<const char*>(q) - p_) : area_end;
      std::size_t fe;
      if (declared_end <= area_end && term == declared_end - 1) {
        fe = term;
      } else if (declared_end <= area_end && term >= declared_end && next_start_is(declared_end, i)) {
        fe = declared_end;
        e.terminated = false;
        report_field(errc::missing_field_terminator, severity::repair, declared_end - 1, e, i,
                     "the field has no field terminator (0x1E) at its end; the next field starts right after "
                     "it, so the directory's length is kept and a terminator is added");
      } else {
        fe = term;
        if (declared_end > area_end && term == area_end)
          report_field(errc::field_out_of_bounds, severity::repair, fs, e, i,
                       "the directory gives " + std::to_string(e.len) + " bytes, which runs past the end of "
                           "the data; the field is cut at the end of the data");
        else
          report_field(errc::field_length_mismatch, severity::repair, fs, e, i,
                       "the directory gives " + std::to_string(e.len) + " bytes but the field terminator "
                           "comes after " + std::to_string(term - fs + 1) + "; the terminator is followed");
      }
      e.fs = static_cast<std::uint32_t>(fs);
      e.fe = static_cast<std::uint32_t>(fe);
      e.located = true;
    }
  }

  // The bytes of an entry's directory entry: a whole entry, or what there
  // is of the last one before the directory's end.
  [[nodiscard]] std::size_t entry_bytes(const entry& e) const noexcept {
    return std::min<std::size_t>(entry_size_, base_ - 1 - e.dir_pos);
  }

  bool next_start_is(std::size_t pos, std::size_t i) const {
    for (std::size_t j = 0; j < entries_.size(); ++j)
      if (j != i && entries_[j].start >= 0 && base_ + static_cast<std::size_t>(entries_[j].start) == pos) return true;
    return false;
  }

  // Reports the bytes of the data area that no located field covers (they
  // would be lost on writing) and fields that share bytes.
  void report_coverage(std::size_t area_begin, std::size_t area_end) {
    order_.clear();
    for (std::uint32_t i = 0; i < entries_.size(); ++i)
      if (entries_[i].located) order_.push_back(i);
    std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
      return entries_[a].fs < entries_[b].fs;
    });
    std::size_t covered = area_begin;  // first byte not yet covered
    for (std::uint32_t i : order_) {
      const entry& e = entries_[i];
      if (e.fs > covered) {
        report_unreferenced(covered, e.fs);
      } else if (e.fs < covered) {
        report_field(errc::overlapping_fields, severity::repair, e.fs, e, i,
                     "the field shares " + std::to_string(std::min<std::size_t>(covered, e.fe + (e.terminated ? 1u : 0u)) - e.fs) +
                         " bytes with the field before it in the data; each field keeps its own copy");
      }
      covered = std::max<std::size_t>(covered, e.fe + (e.terminated ? 1u : 0u));
    }
    if (covered < area_end) report_unreferenced(covered, area_end);
  }

  void report_unreferenced(std::size_t from, std::size_t to) {
    diagnostic& d = report(errc::unreferenced_data, severity::repair, from,
                           std::to_string(to - from) + " bytes of data belong to no field in the directory "
                           "and are left out: \"" + printable(std::string_view(p_ + from, std::min<std::size_t>(to - from, 64))) +
                           (to - from > 64 ? "...\"" : "\""));
    if (to - from <= 256) d.original.assign(p_ + from, to - from);
  }

  // ---- fields -----------------------------------------------------------
  [[nodiscard]] bool is_control_layout(const entry& e) const noexcept {
    bool control_tag = e.t.is_valid() ? e.t.is_control() : (p_[e.dir_pos] == '0' && p_[e.dir_pos + 1] == '0');
    if (!control_tag) return false;
    // A 00X field that starts with indicators and a delimiter holds subfields
    // (danMARC and other formats do this): read it as a data field.
    std::size_t len = e.fe - e.fs;
    return !(len > ind_declared_ && p_[e.fs + ind_declared_] == subfield_delimiter);
  }

  // A field terminator inside a field, kept as data.
  void report_stray_kept(std::uint32_t pos, const entry& e, std::size_t index) {
    report_field(errc::unexpected_terminator, severity::repair, pos, e, index,
                 "a field terminator (0x1E) inside the field is kept as data: the field's length in the directory "
                 "runs past it to the next terminator");
  }

  // Builds the field for entry `e`; [sep, sep_end) are the record-relative
  // positions of the separator bytes inside the field (delimiters, 0x1C),
  // strays_ those of field terminators inside it. A field terminator
  // followed by no more than the indicators and then a delimiter is where
  // another field began whose directory entry is lost: the subfield before
  // it ends there, those bytes are left out (reported), and the subfields
  // after them belong to this field, as its length says. Any other is kept
  // as data.
  void build_field(const entry& e, std::size_t index, const std::uint32_t* sep, const std::uint32_t* sep_end) {
    field_view& f = out_->fields_.emplace_back();
    f.tag_ = e.t;
    if (!e.t.is_valid()) f.set_odd_tag(p_ + e.dir_pos);
    f.data_ = p_ + e.fs;
    f.size_ = e.fe - e.fs;
    const std::uint32_t* st = strays_.data();
    const std::uint32_t* const st_end = st + strays_.size();
    if (is_control_layout(e)) {
      f.control_ = true;
      for (; st != st_end; ++st) report_stray_kept(*st, e, index);
      return;
    }
    auto& subs = out_->subfields_;
    const auto first_sub = static_cast<std::uint32_t>(subs.size());
    // Skip 0x1C (data, not structure).
    auto next_delim = [&](const std::uint32_t* s) {
      while (s != sep_end && p_[*s] != subfield_delimiter) ++s;
      return s;
    };
    sep = next_delim(sep);
    std::uint32_t pos = e.fs;
    const std::uint32_t fe = e.fe;
    // Indicators: up to ind_ bytes before the first delimiter.
    std::uint32_t first_delim = sep != sep_end ? *sep : fe;
    std::uint32_t ind_avail = std::min<std::uint32_t>(first_delim - pos, ind_);
    char i1 = ind_avail > 0 ? p_[pos] : ' ';
    char i2 = ind_avail > 1 ? p_[pos + 1] : ' ';
    f.ind_ = marcpp::indicators(i1, i2);
    if (ind_avail < ind_)
      report_field(errc::missing_indicators, severity::repair, pos, e, index,
                   first_delim < fe ? "the field has " + std::to_string(ind_avail) + " of its " + std::to_string(ind_) +
                                          " indicators before the first subfield; the missing ones are set blank"
                                    : "the field is too short for its " + std::to_string(ind_) +
                                          " indicators; the missing ones are set blank");
    pos += ind_avail;
    for (; st != st_end && *st < first_delim; ++st) report_stray_kept(*st, e, index);
    if (pos < first_delim) {
      subs.emplace_back(char(0), std::string_view(p_ + pos, first_delim - pos), subfield_shape::unlabelled);
      if (ind_declared_ <= 2)
        report_field(errc::data_before_first_subfield, severity::warning, pos, e, index,
                     "the field holds " + std::to_string(first_delim - pos) +
                         " bytes before its first subfield delimiter; they are kept as unlabelled data");
    }
    while (sep != sep_end) {
      std::uint32_t d = *sep;
      sep = next_delim(sep + 1);
      std::uint32_t end = sep != sep_end ? *sep : fe;
      const std::uint32_t* const s0 = st;
      while (st != st_end && *st < end) ++st;
      if (st - s0 == 1 && end < fe && end - *s0 - 1 <= ind_) {
        const std::uint32_t t = *s0;
        diagnostic& r = report_field(
            errc::unexpected_terminator, severity::repair, t, e, index,
            "a field terminator (0x1E) inside the field, where the field's length in the directory runs past it, "
            "is followed by " + std::to_string(end - t - 1) + (end - t - 1 == 1 ? " byte" : " bytes") +
                " and a subfield delimiter, as another field begins: the terminator and those bytes are left out, "
                "and the subfields after them are kept in this field");
        r.original.assign(p_ + t, end - t);
        end = t;
      } else {
        for (const std::uint32_t* k = s0; k != st; ++k) report_stray_kept(*k, e, index);
      }
      if (code_len_ >= 2 && d + 1 < end) {
        subs.emplace_back(p_[d + 1], std::string_view(p_ + d + 2, end - d - 2));
      } else {
        subs.emplace_back(char(0), std::string_view(p_ + d + 1, end - d - 1), subfield_shape::no_code);
        if (code_len_ >= 2)
          report_field(errc::missing_subfield_code, severity::warning, d, e, index,
                       "a subfield delimiter is not followed by a code; it is kept as a delimiter without code");
      }
    }
    f.nsubs_ = static_cast<std::uint32_t>(subs.size()) - first_sub;
  }

  // Subfields are appended field by field, so field i's subfields start
  // after those of the fields before it. Pointers are set once the storage
  // has stopped growing.
  void rebase_subfields() noexcept {
    const subfield_view* s = out_->subfields_.data();
    for (auto& f : out_->fields_) {
      f.subs_ = f.nsubs_ ? s : nullptr;
      s += f.nsubs_;
    }
  }

  void check_utf8() {
    const auto& fields = out_->fields_;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      std::string_view r = fields[i].raw();
      std::size_t bad = find_invalid_utf8(r.data(), r.size());
      if (bad == r.size()) continue;
      std::size_t pos = static_cast<std::size_t>(r.data() - p_) + bad;
      diagnostic& d = report(errc::invalid_utf8, severity::repair, pos,
                             "leader/09 says UTF-8, but the field holds bytes that are not UTF-8 (\"" +
                                 printable(r.substr(bad, std::min<std::size_t>(4, r.size() - bad))) +
                                 "\"); they are kept as they are");
      d.tag = fields[i].tag();
      d.field_index = static_cast<std::int32_t>(i);
    }
  }

  static std::int64_t parse_digits(const char* p, std::size_t n) noexcept { return detail::parse_digits(p, n); }

  struct chunk {
    std::uint32_t begin, end;
    bool terminated;
  };
  struct share_cell {
    std::int64_t cost = -1;     // -1: not reached
    std::uint32_t strays = 0;   // terminators inside fields
    std::uint32_t from = 0;     // the cell it came from
    std::uint32_t pieces = 0;   // the pieces the last entry took; 0: a piece left to no entry
  };
  struct run {
    std::uint32_t first = 0, pieces = 1;
  };

  unsigned& kind_count(errc code) {
    for (auto& kc : kind_counts_)
      if (kc.first == code) return kc.second;
    return kind_counts_.emplace_back(code, 0u).second;
  }

  parse_options opts_;
  boost::container::small_vector<std::pair<errc, unsigned>, 8> kind_counts_;
  diagnostic scratch_;
  bool overflow_ = false;  // some kind of diagnostic went past max_per_kind in this record
  record_view* out_ = nullptr;
  extent x_;
  const char* p_ = nullptr;
  std::size_t data_end_ = 0;
  std::size_t base_ = 0;
  unsigned ind_ = 2, ind_declared_ = 2, code_len_ = 2;
  unsigned lf_ = 4, ls_ = 5, li_ = 0, entry_size_ = 12;
  struct leader_note {
    errc code;
    severity level;
    std::size_t pos;
    std::string message;
  };
  boost::container::small_vector<leader_note, 2> leader_notes_;  // see report_leader_faults
  char leader_key_[5] = {};
  bool leader_notes_valid_ = false;
  bool high_ = false;
  bool truncated_ = false;       // the record was cut short (parse_truncated)
  std::int64_t declared_ = -1;   // leader/00-04, -1 if not a number
  std::size_t dir_rem_ = 0;
  boost::container::small_vector<entry, 64> entries_, wide_, lost_;
#if MARCPP_AVX2_DISPATCH
  std::vector<entry_digits> decoded_;  // the directory's entries, as numbers (fast path)
#endif
  boost::container::small_vector<std::uint32_t, 256> seps_;
  boost::container::small_vector<chunk, 64> chunks_;
  std::vector<std::size_t> piece_chars_;  // see share_pieces
  boost::container::small_vector<std::uint32_t, 4> strays_;  // field terminators inside the field being built
  std::vector<share_cell> cells_;
  std::vector<run> runs_;
  boost::container::small_vector<std::uint32_t, 64> order_;
};

}  // namespace detail
MARCPP_NAMESPACE_END
