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
/// Numeric tags `000`-`999` hold their number, so `tag("245").number() == 245`
/// and a block such as 6XX is a range test. Tags of three characters from
/// `0-9A-Z` with at least one letter (local tags such as `CAT`, `LKR`, `ZZ1`)
/// are held as 1000 plus their base-36 value, so they round-trip exactly and
/// sort after every numeric tag, in ASCII order among themselves. Anything
/// else (lower-case letters, punctuation, control bytes) cannot be held: such
/// a tag is `tag::invalid()`, and the reader reports the original bytes.
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

  /// The invalid tag.
  constexpr tag() noexcept = default;

  /// From a string literal such as `"245"` or `"CAT"`; invalid if the text is
  /// not a tag.
  constexpr tag(const char (&s)[4]) noexcept  // NOLINT(google-explicit-constructor)
      : value_(encode(s[0], s[1], s[2])) {}

  /// From three bytes; invalid if they are not a tag.
  [[nodiscard]] static constexpr tag from_chars(char a, char b, char c) noexcept {
    tag t;
    t.value_ = encode(a, b, c);
    return t;
  }

  /// From text; `std::nullopt` unless `s` is exactly three valid tag bytes.
  [[nodiscard]] static constexpr std::optional<tag> parse(std::string_view s) noexcept {
    if (s.size() != 3) return std::nullopt;
    tag t = from_chars(s[0], s[1], s[2]);
    if (!t.is_valid()) return std::nullopt;
    return t;
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
    t.value_ = v < alpha_base + 36 * 36 * 36 && !is_numeric_alpha_hole(v) ? v : invalid_value;
    return t;
  }

  /// The invalid tag.
  [[nodiscard]] static constexpr tag invalid() noexcept { return tag{}; }

  /// The 16-bit value.
  [[nodiscard]] constexpr value_type value() const noexcept { return value_; }
  [[nodiscard]] constexpr bool is_valid() const noexcept { return value_ != invalid_value; }
  /// True for `000`-`999`.
  [[nodiscard]] constexpr bool is_numeric() const noexcept { return value_ < alpha_base; }
  /// True for tags with a letter (`CAT`, `LKR`...).
  [[nodiscard]] constexpr bool is_alphanumeric() const noexcept {
    return value_ >= alpha_base && value_ != invalid_value;
  }
  /// True for `000`-`009`, the MARC 21 control-field tags.
  [[nodiscard]] constexpr bool is_control() const noexcept { return value_ < 10; }
  /// The number of a numeric tag; -1 for other tags.
  [[nodiscard]] constexpr int number() const noexcept { return is_numeric() ? value_ : -1; }
  /// True if the tag is numeric and in [lo, hi], e.g. `t.in_range(600, 699)`.
  [[nodiscard]] constexpr bool in_range(unsigned lo, unsigned hi) const noexcept {
    return is_numeric() && value_ >= lo && value_ <= hi;
  }

  /// The three characters; `"???"` for the invalid tag.
  [[nodiscard]] MARCPP_ALWAYS_INLINE constexpr std::array<char, 3> chars() const noexcept {
    if (MARCPP_LIKELY(is_numeric())) {
      const char* c = numeric_chars.data() + 3 * value_;
      return {c[0], c[1], c[2]};
    }
    if (!is_valid()) return {'?', '?', '?'};
    unsigned v = value_ - alpha_base;
    return {digit36(v / 1296), digit36(v / 36 % 36), digit36(v % 36)};
  }
  /// The tag as a string (`"245"`, `"CAT"`, `"???"`).
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
  static constexpr int value36(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return -1;
  }
  static constexpr char digit36(unsigned d) noexcept {
    return static_cast<char>(d < 10 ? '0' + d : 'A' + (d - 10));
  }
  static constexpr value_type encode(char a, char b, char c) noexcept {
    int x = value36(a), y = value36(b), z = value36(c);
    if (x < 0 || y < 0 || z < 0) return invalid_value;
    if (x < 10 && y < 10 && z < 10) return static_cast<value_type>(x * 100 + y * 10 + z);
    return static_cast<value_type>(alpha_base + x * 1296 + y * 36 + z);
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
inline void tag_literal_must_be_three_characters_from_0_9_and_A_Z() {}
}  // namespace detail

namespace literals {
/// `"245"_tag`; a compile-time error if the text is not a tag.
consteval tag operator""_tag(const char* s, std::size_t n) {
  tag t = n == 3 ? tag::from_chars(s[0], s[1], s[2]) : tag::invalid();
  if (!t.is_valid()) detail::tag_literal_must_be_three_characters_from_0_9_and_A_Z();
  return t;
}
}  // namespace literals

MARCPP_NAMESPACE_END

template <>
struct std::hash<marcpp::tag> {
  std::size_t operator()(marcpp::tag t) const noexcept { return t.value(); }
};
