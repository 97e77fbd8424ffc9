// SPDX-License-Identifier: MIT
#pragma once

/// \file iso2709_writer.hpp
/// Writing ISO 2709 from either record flavour.

#include <marcpp/config.hpp>
#include <marcpp/detail/iso2709_parser.hpp>
#include <marcpp/detail/simd.hpp>
#include <marcpp/detail/write_conversion.hpp>
#include <marcpp/error.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

MARCPP_NAMESPACE_BEGIN

/// What the writer does with a record or field too long for the leader's and
/// directory's number widths (99,999 bytes per record, 9,999 per field in
/// MARC 21).
enum class oversize_policy : std::uint8_t {
  fail,         ///< refuse the record with `record_too_long` / `field_too_long` (default)
  zero_length,  ///< write zeros in the numbers that do not fit, as some systems do for
                ///< oversized records; readers must then follow the terminators (the
                ///< lenient reader does)
};

struct write_options {
  oversize_policy oversize = oversize_policy::fail;
  /// Convert the text on write: empty (the default) writes the bytes as they
  /// are; `encoding::utf8` or `encoding::marc8` converts each record not
  /// already in that encoding (see `to_utf8`, `to_marc8`) and sets leader/09
  /// to match. A record that cannot be converted without a fault is not
  /// written and its fault is returned; characters MARC-8 lacks are written
  /// as numeric character references. For lenient conversion with a report
  /// of each repair, convert first with `to_utf8` / `to_marc8`. The
  /// encodings are named in <marcpp/charset.hpp>: include it to convert on
  /// write (a program that writes the bytes as they are compiles no MARC-8
  /// code).
  std::optional<encoding> to_encoding;
  /// With `to_encoding`: what to believe when leader/09 and the bytes of a
  /// record disagree.
  leader09_policy leader09 = leader09_policy::trust_bytes;
};

namespace detail {

/// Indicator bytes written per data field: leader/10 when it is a digit 1-9
/// (at most two are held), otherwise two. The parser reads by the same rule.
[[nodiscard]] inline unsigned effective_indicator_count(const leader& l) noexcept {
  auto c = l.indicator_count();
  return c && *c >= 1 && *c <= 9 ? std::min(*c, 2u) : 2u;
}
/// Subfield code length (delimiter plus code) by the parser's rule.
[[nodiscard]] inline unsigned effective_code_length(const leader& l) noexcept {
  auto c = l.subfield_code_length();
  return c && *c >= 1 && *c <= 9 ? *c : 2u;
}

inline constexpr std::uint32_t no_origin = 0xFFFFFFFFu;

inline std::uint32_t field_origin(const record_view& r, const field_view& f) noexcept {
  const char* base = r.raw().data();
  const char* p = f.raw().data();
  if (!base || !p || p < base || static_cast<std::size_t>(p - base) >= r.raw().size()) return no_origin;
  return static_cast<std::uint32_t>(p - base);
}
inline std::uint32_t field_origin(const record&, const field& f) noexcept { return f.origin(); }

[[nodiscard]] constexpr bool is_structural(char c) noexcept { return c == '\x1D' || c == '\x1E' || c == '\x1F'; }
[[nodiscard]] inline bool has_structural_byte(std::string_view s) noexcept {
  return detail::has_structural_byte(s.data(), s.size());
}


/// `rec` converted to `to` by the converter <marcpp/charset.hpp> installs.
template <class Record>
[[nodiscard]] diagnostic convert_on_write(encoding to, leader09_policy l, const Record& rec, record& out) {
  if (!write_converter) {
    // Only a program that names no encoding gets here (the encodings are
    // named in charset.hpp), or one that writes before it started.
    diagnostic d;
    d.code = errc::component_missing;
    d.level = severity::error;
    d.record_index = rec.index();
    d.record_offset = rec.offset();
    d.message = "write_options::to_encoding converts with <marcpp/charset.hpp>, which no file of this program includes "
                "(or the program writes before it has started)";
    return d;
  }
  if constexpr (std::is_same_v<Record, record_view>)
    return write_converter(to, l, nullptr, &rec, out);
  else
    return write_converter(to, l, &rec, nullptr, out);
}

}  // namespace detail

/// Appends the ISO 2709 form of `rec` to `out`. The record length, base
/// address and directory are computed from the fields, never taken from the
/// leader; every other leader byte is written as it is (but leader/09 when
/// `opts.to_encoding` converts the text). A record ISO 2709 cannot hold
/// leaves `out` unchanged and returns the reason (a diagnostic that converts
/// to true); success returns an empty diagnostic.
///
///     std::string bytes;
///     if (auto err = marcpp::write_iso2709(rec, bytes)) std::cerr << marcpp::to_string(err);
///     marcpp::write_iso2709(rec, bytes, {.to_encoding = marcpp::encoding::marc8});   // MARC-8, leader/09 blank
template <class Record>
[[nodiscard]] diagnostic write_iso2709(const Record& rec, std::string& out, const write_options& opts = {}) {
  if (opts.to_encoding) {
    record converted;
    if (diagnostic err = detail::convert_on_write(*opts.to_encoding, opts.leader09, rec, converted)) return err;
    write_options plain = opts;
    plain.to_encoding.reset();
    return write_iso2709(converted, out, plain);
  }
  if constexpr (std::is_same_v<Record, record_view>) {
    if (rec.is_canonical()) {  // the reader found these bytes exactly as they would be written
      out.append(rec.raw());
      return {};
    }
  }
  const marcpp::leader& ldr = rec.leader();
  const auto fields = rec.fields();
  const std::size_t n = fields.size();
  const unsigned ind = detail::effective_indicator_count(ldr);
  const unsigned code_len = detail::effective_code_length(ldr);
  auto lf = static_cast<unsigned char>(ldr[20]) - unsigned{'0'};
  auto ls = static_cast<unsigned char>(ldr[21]) - unsigned{'0'};
  if (lf < 1 || lf > 9) lf = 4;
  if (ls < 1 || ls > 9) ls = 5;
  const unsigned entry = 3 + lf + ls;
  const std::uint64_t max_field = detail::max_digits_value(lf), max_start = detail::max_digits_value(ls);
  const bool zero = opts.oversize == oversize_policy::zero_length;
  // A view the reader delivered without repairs holds each field's bytes
  // exactly as this writer would write them (the reader checked them):
  // they are copied whole.
  bool raw_fields = false;
  if constexpr (std::is_same_v<Record, record_view>) raw_fields = !rec.repaired();

  auto fault = [&](errc code, std::size_t i, std::string msg) {
    diagnostic d;
    d.code = code;
    d.level = severity::error;
    d.record_index = rec.index();
    d.record_offset = rec.offset();
    if (i != std::size_t(-1)) {
      d.tag = fields[i].tag();
      d.field_index = static_cast<std::int32_t>(i);
      // A tag `tag` cannot hold: the field's own bytes name it.
      if (!d.tag.is_valid() && fields[i].has_tag_chars()) d.original.assign(fields[i].tag_chars().data(), 3);
    }
    d.control_number.assign(rec.control_number());
    d.message = std::move(msg);
    return d;
  };

  // Field lengths, and checks that every byte can be written unambiguously.
  boost::container::small_vector<std::uint32_t, 64> lens(n);
  std::size_t data_len = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& f = fields[i];
    if (MARCPP_UNLIKELY(!f.tag().is_valid())) {
      if (!f.has_tag_chars()) return fault(errc::invalid_tag, i, "the field has no tag; ISO 2709 cannot write it");
      const auto t = f.tag_chars();
      for (char c : t)
        if (detail::is_structural(c))
          return fault(errc::invalid_data_byte, i,
                       "the tag holds a delimiter or terminator byte (0x1D-0x1F), which readers take for the "
                       "end of the directory or of the record");
    }
    std::size_t len = 0;
    bool measured = false;
    if constexpr (std::is_same_v<Record, record_view>) {
      if (raw_fields) {
        len = f.raw().size() + 1;
        measured = true;
      }
    }
    if (measured) {
      // copied as read
    } else if (f.is_control()) {
      std::string_view d = f.data();
      if (d.find_first_of("\x1D\x1E") != std::string_view::npos)
        return fault(errc::invalid_data_byte, i, "the control field holds a terminator byte (0x1D or 0x1E)");
      len = d.size() + 1;
    } else {
      auto ids = f.indicators();
      for (unsigned k = 0; k < ind; ++k)
        if (detail::is_structural(ids[k]))
          return fault(errc::invalid_data_byte, i, "an indicator is a delimiter or terminator byte");
      // An indicator past the count leader/10 declares is not written: it
      // must be blank, or it would be lost (the text formats always carry two).
      for (unsigned k = ind; k < 2; ++k)
        if (const char c = ids[k]; c != ' ')
          return fault(errc::invalid_subfield_layout, i,
                       "the second indicator is \"" + detail::printable(std::string_view(&c, 1)) +
                           "\", but leader/10 declares one indicator; ISO 2709 cannot hold it");
      len = ind + 1;
      std::size_t k = 0;
      for (const auto& s : f.subfields()) {
        std::string_view v = s.value();
        if (detail::has_structural_byte(v))
          return fault(errc::invalid_data_byte, i,
                       std::string("the value of subfield ") + (s.has_code() ? std::string(1, s.code()) : "?") +
                           " holds a delimiter or terminator byte (0x1D-0x1F)");
        switch (s.shape()) {
          case subfield_shape::normal:
            if (detail::is_structural(s.code()))
              return fault(errc::invalid_data_byte, i, "a subfield code is a delimiter or terminator byte");
            if (code_len == 1)
              return fault(errc::invalid_subfield_layout, i,
                           std::string("subfield ") + s.code() +
                               " has a code, but leader/11 declares codes of no character (1): the code would be read "
                               "back as data");
            len += 2 + v.size();
            break;
          case subfield_shape::unlabelled:
            if (k != 0)
              return fault(errc::invalid_subfield_layout, i, "unlabelled data can only come first in a field");
            len += v.size();
            break;
          case subfield_shape::no_code:
            if (!v.empty() && code_len >= 2)
              return fault(errc::invalid_subfield_layout, i,
                           "a subfield without a code holds a value, which would be read back as a code");
            len += 1 + v.size();
            break;
        }
        ++k;
      }
    }
    if (len > max_field && !zero)
      return fault(errc::field_too_long, i,
                   "the field is " + std::to_string(len) + " bytes; the directory can give at most " +
                       std::to_string(max_field));
    lens[i] = static_cast<std::uint32_t>(len);
    data_len += len;
  }
  const std::size_t base = 24 + n * entry + 1;
  const std::size_t total = base + data_len + 1;
  if (total > 99999 && !zero)
    return fault(errc::record_too_long, std::size_t(-1),
                 "the record would be " + std::to_string(total) + " bytes; ISO 2709 holds at most 99999");

  // Data order: fields read from a record whose data was not in directory
  // order are written back in their original data order.
  boost::container::small_vector<std::uint32_t, 64> order;
  {
    bool all = n > 0, increasing = true;
    std::uint32_t prev = 0;
    for (std::size_t i = 0; i < n && all; ++i) {
      std::uint32_t o = detail::field_origin(rec, fields[i]);
      if (o == detail::no_origin) all = false;
      if (i && o <= prev) increasing = false;
      prev = o;
    }
    if (all && !increasing) {
      order.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return detail::field_origin(rec, fields[a]) < detail::field_origin(rec, fields[b]);
      });
      for (std::size_t i = 1; i < n; ++i)
        if (detail::field_origin(rec, fields[order[i]]) == detail::field_origin(rec, fields[order[i - 1]])) {
          order.clear();
          break;
        }
    }
  }
  // Starting positions, which the directory's digits must be able to say:
  // when the original data order would put a field past what they can say,
  // the fields are laid out in directory order, where the last starts as
  // early as it can; if that does not fit either, the record is refused.
  // Numbers written as zeros (oversize_policy::zero_length) leave readers
  // only the terminators, which they take in directory order: such a record
  // is always laid out so.
  boost::container::small_vector<std::uint32_t, 64> starts(n);
  auto lay_out = [&]() -> std::size_t {  // the first field that cannot be pointed to, or n
    std::size_t pos = 0, over = n;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = order.empty() ? k : order[k];
      starts[i] = static_cast<std::uint32_t>(pos);
      if (pos > max_start && (over == n || i < over)) over = i;
      pos += lens[i];
    }
    return over;
  };
  std::size_t over = lay_out();
  auto zeroed = [&] {
    return total > 99999 || base > 99999 ||
           std::any_of(lens.begin(), lens.end(), [&](std::uint32_t l) { return l > max_field; });
  };
  if (!order.empty() && (over != n || (zero && zeroed()))) {
    order.clear();
    over = lay_out();
  }
  if (over != n && !zero)
    return fault(errc::record_too_long, over, "the field starts past byte " + std::to_string(max_start) +
                                                  " of the data; the directory cannot point to it");

  const std::size_t old = out.size();
  out.resize(old + total);
  char* p = out.data() + old;
  std::memcpy(p, ldr.data(), 24);
  detail::format_digits(p, 5, total > 99999 ? 0 : total);
  detail::format_digits(p + 12, 5, base > 99999 ? 0 : base);
  if (p[22] >= '1' && p[22] <= '9') p[22] = '0';  // implementation-defined parts are not written
  char* d = p + 24;
  for (std::size_t i = 0; i < n; ++i) {
    auto c = fields[i].tag_chars();
    std::memcpy(d, c.data(), 3);
    detail::format_digits(d + 3, lf, lens[i] > max_field ? 0 : lens[i]);
    detail::format_digits(d + 3 + lf, ls, starts[i] > max_start ? 0 : starts[i]);
    d += entry;
  }
  *d++ = '\x1E';
  auto put = [](char* w, std::string_view s) {
    if (!s.empty()) std::memcpy(w, s.data(), s.size());
    return w + s.size();
  };
  auto write_field = [&](std::size_t i) {
    const auto& f = fields[i];
    char* w = p + base + starts[i];
    if constexpr (std::is_same_v<Record, record_view>) {
      if (raw_fields) {
        put(w, f.raw())[0] = '\x1E';
        return;
      }
    }
    if (f.is_control()) {
      w = put(w, f.data());
    } else {
      auto ids = f.indicators();
      for (unsigned k = 0; k < ind; ++k) *w++ = ids[k];
      for (const auto& s : f.subfields()) {
        if (s.shape() != subfield_shape::unlabelled) *w++ = '\x1F';
        if (s.shape() == subfield_shape::normal) *w++ = s.code();
        w = put(w, s.value());
      }
    }
    *w = '\x1E';
  };
  for (std::size_t i = 0; i < n; ++i) write_field(i);
  p[total - 1] = '\x1D';
  return {};
}

/// The ISO 2709 bytes of `rec`; throws `marcpp::error` if it cannot be written.
template <class Record>
[[nodiscard]] std::string to_iso2709(const Record& rec, const write_options& opts = {}) {
  std::string s;
  if (auto err = write_iso2709(rec, s, opts)) throw_error(std::move(err));
  return s;
}

/// Writes records to a `std::ostream` through a buffer.
///
///     marcpp::iso2709_writer w{std::cout};
///     for (const auto& rec : reader) if (auto err = w.write(rec)) report(err);
class iso2709_writer {
 public:
  explicit iso2709_writer(std::ostream& os, write_options opts = {}, std::size_t buffer = std::size_t{1} << 20)
      : os_(&os), opts_(opts), limit_(buffer) {
    buf_.reserve(buffer + 4096);
  }
  iso2709_writer(const iso2709_writer&) = delete;
  iso2709_writer& operator=(const iso2709_writer&) = delete;
  ~iso2709_writer() { flush(); }

  /// Writes `rec`; a record that cannot be written is not written and its
  /// diagnostic returned.
  template <class Record>
  diagnostic write(const Record& rec) {
    diagnostic d = write_iso2709(rec, buf_, opts_);
    if (!d) ++count_;
    if (buf_.size() >= limit_) flush();
    return d;
  }
  /// Writes bytes as they are (e.g. a record's raw bytes).
  void write_raw(std::string_view bytes) {
    buf_.append(bytes);
    if (buf_.size() >= limit_) flush();
  }
  void flush() {
    if (!buf_.empty()) os_->write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
    os_->flush();
  }
  /// Records written.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  std::ostream* os_;
  write_options opts_;
  std::size_t limit_;
  std::string buf_;
  std::uint64_t count_ = 0;
};

MARCPP_NAMESPACE_END
