// SPDX-License-Identifier: MIT
#pragma once

/// \file indicators.hpp
/// `marcpp::indicators` and `marcpp::subfield_shape`, shared by both record flavours.

#include <marcpp/config.hpp>

#include <cstdint>
#include <ostream>
#include <string_view>

MARCPP_NAMESPACE_BEGIN

/// The two indicators of a data field, held inline as two bytes.
///
/// A record whose leader declares fewer indicators (leader/10 of 0 or 1)
/// writes only that many; the unused ones stay blank.
///
///     marcpp::indicators i{"10"};
///     assert(i.first() == '1' && i.second() == '0');
class indicators {
 public:
  /// Two blanks.
  constexpr indicators() noexcept = default;
  constexpr indicators(char first, char second) noexcept : v_{first, second} {}
  /// From a two-character literal such as `"10"` or `" 4"`.
  constexpr indicators(const char (&s)[3]) noexcept  // NOLINT(google-explicit-constructor)
      : v_{s[0], s[1]} {}

  [[nodiscard]] constexpr char first() const noexcept { return v_[0]; }
  [[nodiscard]] constexpr char second() const noexcept { return v_[1]; }
  /// Indicator `i` (0 or 1).
  [[nodiscard]] constexpr char operator[](std::size_t i) const noexcept { return v_[i & 1]; }
  constexpr void set_first(char c) noexcept { v_[0] = c; }
  constexpr void set_second(char c) noexcept { v_[1] = c; }
  /// Both bytes, as a view of this object.
  [[nodiscard]] constexpr std::string_view str() const noexcept { return {v_, 2}; }

  friend constexpr bool operator==(const indicators& a, const indicators& b) noexcept {
    return a.v_[0] == b.v_[0] && a.v_[1] == b.v_[1];
  }
  friend std::ostream& operator<<(std::ostream& os, const indicators& i) { return os.write(i.v_, 2); }

 private:
  char v_[2] = {' ', ' '};
};

/// How a subfield was written in ISO 2709. Nearly every subfield is
/// `normal` (delimiter 0x1F, one code byte, value). The other shapes keep
/// real-world deviations byte for byte instead of dropping them.
enum class subfield_shape : std::uint8_t {
  normal = 0,      ///< delimiter, code, value
  unlabelled = 1,  ///< bytes between the indicators and the first delimiter: no delimiter, no code
  no_code = 2,     ///< a delimiter not followed by a code (at the end of a field, or leader/11 = 1)
};

MARCPP_NAMESPACE_END
