// SPDX-License-Identifier: MIT
#pragma once

/// \file tag.hpp
/// `marcpp::tag`: a field tag in 16 bits.

#include <marcpp/config.hpp>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

MARCPP_NAMESPACE_BEGIN

/// A field tag held in 16 bits.
///
/// MARC 21 tags are three characters, digits and ASCII letters, the letters
/// all upper case or all lower case. Most of them are held here, each with a
/// value that never changes (`value()`, see docs/record-model.md):
///
/// - numeric tags `000`-`999` hold their number, so `tag("245").number() ==
///   245` and a block such as 6XX is a range test (values 0-999);
/// - tags of `0-9A-Z` with at least one letter (local tags such as `CAT`,
///   `LKR`, `ZZ1`) are held as 1000 plus their base-36 value (1000-47655);
/// - tags of `0-9a-z` with exactly one letter (`m01`, `9x9`, `00a`) take the
///   7,800 values from 47656 up (`lower_base`), in ASCII order.
///
/// So tags sort numeric first, then upper-case alphanumeric ones, then the
/// lower-case ones, each group in ASCII order, and the invalid tag last.
///
/// The 92,312 legal tags do not all fit in 16 bits: a lower-case tag with two
/// or three letters (`abc`, `a1b`) cannot be held, nor can a tag that is not
/// legal at all (`30-`, `0 2`, mixed case `Ab1`, control bytes). Such a tag is
/// `tag::invalid()`, and the field keeps its three bytes beside it
/// (`field::tag_chars()`), so that every writer writes them back.
///
///     constexpr marcpp::tag t{"245"};
///     static_assert(t.number() == 245 && !t.is_control());
class tag {
 public:
  using value_type = std::uint16_t;

  /// Value of the invalid tag (outside every valid encoding).
  static constexpr value_type invalid_value = 0xFFFF;
  /// Smallest value of an alphanumeric tag.
  static constexpr value_type alpha_base = 1000;
  /// Smallest value of a lower-case tag (`00a`, the first in ASCII order).
  static constexpr value_type lower_base = alpha_base + 36 * 36 * 36;
  /// Number of lower-case tags held: one letter in one of three places, two digits.
  static constexpr value_type lower_count = 3 * 26 * 100;

  /// The invalid tag.
  constexpr tag() noexcept = default;

  /// From a string literal such as `"245"`, `"CAT"` or `"m01"`; invalid if
  /// the text is not a tag this type holds.
  constexpr tag(const char (&s)[4]) noexcept  // NOLINT(google-explicit-constructor)
      : value_(encode(s[0], s[1], s[2])) {}

  /// From three bytes; invalid if they are not a tag this type holds.
  [[nodiscard]] static constexpr tag from_chars(char a, char b, char c) noexcept {
    tag t;
    t.value_ = encode(a, b, c);
    return t;
  }

  /// From text; `std::nullopt` unless `s` is exactly three bytes of a tag
  /// this type holds (so not for `abc`, which is legal but not held: see
  /// `is_legal`).
  [[nodiscard]] static constexpr std::optional<tag> parse(std::string_view s) noexcept {
    if (s.size() != 3) return std::nullopt;
    tag t = from_chars(s[0], s[1], s[2]);
    if (!t.is_valid()) return std::nullopt;
    return t;
  }

  /// True if the three bytes are a MARC 21 tag: digits and letters, the
  /// letters all upper case or all lower case. Every legal tag this type
  /// cannot hold is lower case with two or three letters.
  [[nodiscard]] static constexpr bool is_legal(char a, char b, char c) noexcept {
    return (value36(a) >= 0 && value36(b) >= 0 && value36(c) >= 0) ||
           (lower36(a) >= 0 && lower36(b) >= 0 && lower36(c) >= 0);
  }

  /// A numeric tag from its number (0-999); invalid if out of range.
  [[nodiscard]] static constexpr tag numeric(unsigned n) noexcept {
    tag t;
    t.value_ = n < 1000 ? static_cast<value_type>(n) : invalid_value;
    return t;
  }

  /// From the raw 16-bit value (as returned by `value()`); invalid if the
  /// value encodes no tag.
  [[nodiscard]] static constexpr tag from_value(value_type v) noexcept {
    tag t;
    const bool upper = v < lower_base && !is_numeric_alpha_hole(v);
    t.value_ = upper || (v >= lower_base && v - lower_base < lower_count) ? v : invalid_value;
    return t;
  }

  /// The invalid tag.
  [[nodiscard]] static constexpr tag invalid() noexcept { return tag{}; }

  /// The 16-bit value.
  [[nodiscard]] constexpr value_type value() const noexcept { return value_; }
  [[nodiscard]] constexpr bool is_valid() const noexcept { return value_ != invalid_value; }
  /// True for `000`-`999`.
  [[nodiscard]] constexpr bool is_numeric() const noexcept { return value_ < alpha_base; }
  /// True for tags with a letter (`CAT`, `LKR`, `m01`...).
  [[nodiscard]] constexpr bool is_alphanumeric() const noexcept {
    return value_ >= alpha_base && value_ != invalid_value;
  }
  /// True for tags with a lower-case letter (`m01`).
  [[nodiscard]] constexpr bool is_lower_case() const noexcept {
    return value_ >= lower_base && value_ != invalid_value;
  }
  /// True for `000`-`009`, the MARC 21 control-field tags.
  [[nodiscard]] constexpr bool is_control() const noexcept { return value_ < 10; }
  /// The number of a numeric tag; -1 for other tags.
  [[nodiscard]] constexpr int number() const noexcept { return is_numeric() ? value_ : -1; }
  /// True if the tag is numeric and in [lo, hi], e.g. `t.in_range(600, 699)`.
  [[nodiscard]] constexpr bool in_range(unsigned lo, unsigned hi) const noexcept {
    return is_numeric() && value_ >= lo && value_ <= hi;
  }

  /// The three characters; `"???"` for the invalid tag (a field that has
  /// one keeps its own bytes: `field::tag_chars()`).
  [[nodiscard]] MARCPP_ALWAYS_INLINE constexpr std::array<char, 3> chars() const noexcept {
    if (MARCPP_LIKELY(is_numeric())) {
      const char* c = numeric_chars.data() + 3 * value_;
      return {c[0], c[1], c[2]};
    }
    if (value_ < lower_base) {
      unsigned v = value_ - alpha_base;
      return {digit36(v / 1296, 'A'), digit36(v / 36 % 36, 'A'), digit36(v % 36, 'A')};
    }
    if (!is_valid()) return {'?', '?', '?'};
    return lower_chars(value_ - lower_base);
  }
  /// The tag as a string (`"245"`, `"CAT"`, `"m01"`, `"???"`).
  [[nodiscard]] std::string str() const {
    auto c = chars();
    return std::string(c.data(), 3);
  }

  friend constexpr bool operator==(tag, tag) noexcept = default;
  friend constexpr std::strong_ordering operator<=>(tag, tag) noexcept = default;

  friend std::ostream& operator<<(std::ostream& os, tag t) {
    auto c = t.chars();
    return os.write(c.data(), 3);
  }

 private:
  // The characters of every numeric tag, three by three.
  static constexpr std::array<char, 3000> numeric_chars = [] {
    std::array<char, 3000> t{};
    for (unsigned v = 0; v < 1000; ++v) {
      t[3 * v] = static_cast<char>('0' + v / 100);
      t[3 * v + 1] = static_cast<char>('0' + v / 10 % 10);
      t[3 * v + 2] = static_cast<char>('0' + v % 10);
    }
    return t;
  }();
  // A digit or an upper-case letter as 0-35; -1 for anything else.
  static constexpr int value36(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return -1;
  }
  // A digit or a lower-case letter as 0-35; -1 for anything else.
  static constexpr int lower36(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    return -1;
  }
  // 0-35 as a digit or, from 10 on, a letter counted from `ten` ('A' or 'a').
  static constexpr char digit36(unsigned d, char ten) noexcept {
    return static_cast<char>(d < 10 ? '0' + d : static_cast<unsigned>(ten) + (d - 10));
  }
  // A lower-case tag with one letter, as its rank in ASCII order among
  // those tags (digits sort before letters): first the 5,200 tags that
  // begin with a digit, 520 for each first digit (260 with the letter
  // last, then 260 with it in the middle), then the 2,600 that begin
  // with the letter.
  static constexpr unsigned lower_rank(int x, int y, int z) noexcept {
    if (x >= 10) return 5200 + static_cast<unsigned>((x - 10) * 100 + y * 10 + z);
    if (y >= 10) return static_cast<unsigned>(x * 520 + 260 + (y - 10) * 10 + z);
    return static_cast<unsigned>(x * 520 + y * 26 + (z - 10));
  }
  static constexpr std::array<char, 3> lower_chars(unsigned r) noexcept {
    if (r >= 5200) {
      r -= 5200;
      return {digit36(10 + r / 100, 'a'), digit36(r / 10 % 10, 'a'), digit36(r % 10, 'a')};
    }
    const unsigned x = r / 520, s = r % 520;
    if (s >= 260) return {digit36(x, 'a'), digit36(10 + (s - 260) / 10, 'a'), digit36((s - 260) % 10, 'a')};
    return {digit36(x, 'a'), digit36(s / 26, 'a'), digit36(10 + s % 26, 'a')};
  }
  static constexpr value_type encode(char a, char b, char c) noexcept {
    int x = value36(a), y = value36(b), z = value36(c);
    if (x >= 0 && y >= 0 && z >= 0) {
      if (x < 10 && y < 10 && z < 10) return static_cast<value_type>(x * 100 + y * 10 + z);
      return static_cast<value_type>(alpha_base + x * 1296 + y * 36 + z);
    }
    x = lower36(a), y = lower36(b), z = lower36(c);
    if (x < 0 || y < 0 || z < 0 || (x >= 10) + (y >= 10) + (z >= 10) != 1) return invalid_value;
    return static_cast<value_type>(lower_base + lower_rank(x, y, z));
  }
  // Alphanumeric values whose three base-36 digits are all decimal would
  // duplicate a numeric tag; they are never produced.
  static constexpr bool is_numeric_alpha_hole(value_type v) noexcept {
    if (v < alpha_base) return false;
    unsigned w = v - alpha_base;
    return w / 1296 < 10 && w / 36 % 36 < 10 && w % 36 < 10;
  }

  value_type value_ = invalid_value;
};

namespace detail {
// Not constexpr: reaching it in a constant expression makes the program
// ill-formed, which is how a bad tag literal is reported at compile time.
inline void tag_literal_must_be_digits_and_A_Z_or_digits_and_one_a_z_letter() {}
}  // namespace detail

namespace literals {
/// `"245"_tag`, `"m01"_tag`; a compile-time error if the text is not a tag
/// `tag` holds.
consteval tag operator""_tag(const char* s, std::size_t n) {
  tag t = n == 3 ? tag::from_chars(s[0], s[1], s[2]) : tag::invalid();
  if (!t.is_valid()) detail::tag_literal_must_be_digits_and_A_Z_or_digits_and_one_a_z_letter();
  return t;
}
}  // namespace literals

MARCPP_NAMESPACE_END

template <>
struct std::hash<marcpp::tag> {
  std::size_t operator()(marcpp::tag t) const noexcept { return t.value(); }
};
