// SPDX-License-Identifier: MIT
#pragma once

/// \file leader.hpp
/// `marcpp::leader`: the 24 bytes at the head of every record.

#include <marcpp/config.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>

MARCPP_NAMESPACE_BEGIN

namespace detail {
/// Value of `n` ASCII digits at `p`, or -1 if any byte is not a digit.
/// 64-bit whatever `long` is: the parser reads directory numbers one digit
/// wider than leader/20-21 allow, up to ten digits, which a 32-bit `long`
/// (Windows, 32-bit targets) cannot hold. `n` must be at most 18.
[[nodiscard]] constexpr std::int64_t parse_digits(const char* p, std::size_t n) noexcept {
  std::int64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned d = static_cast<unsigned char>(p[i]) - unsigned{'0'};
    if (d > 9) return -1;
    v = v * 10 + static_cast<std::int64_t>(d);
  }
  return v;
}
/// Writes `v` as `n` zero-padded ASCII digits (v must fit).
constexpr void format_digits(char* p, std::size_t n, std::uint64_t v) noexcept {
  for (std::size_t i = n; i-- > 0;) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}
}  // namespace detail

/// The record leader: 24 bytes, held by value, with a named accessor for every
/// position. Values are bytes: the leader never validates or rewrites itself.
/// The writer computes the record length (00-04) and base address (12-16);
/// every other byte is written as it is.
///
///     marcpp::leader l{"00714cam a2200205 a 4500"};
///     assert(l.type() == 'a' && l.coding_scheme() == 'a' && l.base_address() == 205);
class leader {
 public:
  static constexpr std::size_t size = 24;

  /// A blank MARC 21 leader: `00000     2200000   4500`.
  constexpr leader() noexcept : bytes_{} {
    constexpr std::string_view blank = "00000     2200000   4500";
    std::copy(blank.begin(), blank.end(), bytes_.begin());
  }
  /// From 24 bytes; shorter text is padded with blanks, longer is cut.
  constexpr explicit leader(std::string_view s) noexcept : bytes_{} {
    bytes_.fill(' ');
    std::copy_n(s.begin(), std::min(s.size(), size), bytes_.begin());
  }

  /// The 24 bytes.
  [[nodiscard]] constexpr std::string_view str() const noexcept {
    return {bytes_.data(), size};
  }
  [[nodiscard]] constexpr const char* data() const noexcept { return bytes_.data(); }
  [[nodiscard]] constexpr char operator[](std::size_t i) const noexcept { return bytes_[i]; }
  /// Sets position `i` (0-23) to `c`.
  constexpr void set(std::size_t i, char c) noexcept { bytes_[i] = c; }

  // --- positions ---------------------------------------------------------
  /// 00-04 as a number; `nullopt` if not five digits.
  [[nodiscard]] constexpr std::optional<std::uint32_t> record_length() const noexcept {
    return number(0, 5);
  }
  /// 05 record status (`n` new, `c` corrected, `d` deleted...).
  [[nodiscard]] constexpr char status() const noexcept { return bytes_[5]; }
  /// 06 type of record (`a` language material, `z` authority...).
  [[nodiscard]] constexpr char type() const noexcept { return bytes_[6]; }
  /// 07 bibliographic level (`m` monograph, `s` serial...).
  [[nodiscard]] constexpr char bibliographic_level() const noexcept { return bytes_[7]; }
  /// 08 type of control (`a` archival).
  [[nodiscard]] constexpr char control_type() const noexcept { return bytes_[8]; }
  /// 09 character coding scheme: blank MARC-8, `a` UCS/Unicode.
  [[nodiscard]] constexpr char coding_scheme() const noexcept { return bytes_[9]; }
  /// True if 09 is `a` (UTF-8).
  [[nodiscard]] constexpr bool is_unicode() const noexcept { return bytes_[9] == 'a'; }
  /// 10 indicator count as declared; `nullopt` if not a digit.
  [[nodiscard]] constexpr std::optional<std::uint32_t> indicator_count() const noexcept {
    return number(10, 1);
  }
  /// 11 subfield code length (delimiter plus code) as declared; `nullopt` if not a digit.
  [[nodiscard]] constexpr std::optional<std::uint32_t> subfield_code_length() const noexcept {
    return number(11, 1);
  }
  /// 12-16 base address of data; `nullopt` if not five digits.
  [[nodiscard]] constexpr std::optional<std::uint32_t> base_address() const noexcept {
    return number(12, 5);
  }
  /// 17 encoding level.
  [[nodiscard]] constexpr char encoding_level() const noexcept { return bytes_[17]; }
  /// 18 descriptive cataloging form.
  [[nodiscard]] constexpr char cataloging_form() const noexcept { return bytes_[18]; }
  /// 19 multipart resource record level.
  [[nodiscard]] constexpr char multipart_level() const noexcept { return bytes_[19]; }
  /// 20-23 entry map (`4500` in MARC 21).
  [[nodiscard]] constexpr std::string_view entry_map() const noexcept {
    return {bytes_.data() + 20, 4};
  }
  /// 20 length of the length-of-field part of a directory entry; `nullopt` if not a digit.
  [[nodiscard]] constexpr std::optional<std::uint32_t> length_of_field_length() const noexcept {
    return number(20, 1);
  }
  /// 21 length of the starting-position part; `nullopt` if not a digit.
  [[nodiscard]] constexpr std::optional<std::uint32_t> length_of_starting_position() const noexcept {
    return number(21, 1);
  }
  /// 22 length of the implementation-defined part; `nullopt` if not a digit.
  [[nodiscard]] constexpr std::optional<std::uint32_t> length_of_implementation_part() const noexcept {
    return number(22, 1);
  }

  constexpr void set_record_length(std::uint32_t n) noexcept { detail::format_digits(&bytes_[0], 5, n); }
  constexpr void set_status(char c) noexcept { bytes_[5] = c; }
  constexpr void set_type(char c) noexcept { bytes_[6] = c; }
  constexpr void set_bibliographic_level(char c) noexcept { bytes_[7] = c; }
  constexpr void set_control_type(char c) noexcept { bytes_[8] = c; }
  constexpr void set_coding_scheme(char c) noexcept { bytes_[9] = c; }
  constexpr void set_indicator_count(std::uint32_t n) noexcept { detail::format_digits(&bytes_[10], 1, n); }
  constexpr void set_subfield_code_length(std::uint32_t n) noexcept { detail::format_digits(&bytes_[11], 1, n); }
  constexpr void set_base_address(std::uint32_t n) noexcept { detail::format_digits(&bytes_[12], 5, n); }
  constexpr void set_encoding_level(char c) noexcept { bytes_[17] = c; }
  constexpr void set_cataloging_form(char c) noexcept { bytes_[18] = c; }
  constexpr void set_multipart_level(char c) noexcept { bytes_[19] = c; }
  /// Sets 20-23 from up to four bytes.
  constexpr void set_entry_map(std::string_view m) noexcept {
    std::copy_n(m.begin(), std::min<std::size_t>(m.size(), 4), bytes_.begin() + 20);
  }

  friend constexpr bool operator==(const leader&, const leader&) noexcept = default;
  friend std::ostream& operator<<(std::ostream& os, const leader& l) {
    return os.write(l.bytes_.data(), size);
  }

 private:
  [[nodiscard]] constexpr std::optional<std::uint32_t> number(std::size_t pos, std::size_t n) const noexcept {
    const std::int64_t v = detail::parse_digits(bytes_.data() + pos, n);
    if (v < 0) return std::nullopt;
    return static_cast<std::uint32_t>(v);
  }

  std::array<char, size> bytes_;
};

MARCPP_NAMESPACE_END
