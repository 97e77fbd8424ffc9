// SPDX-License-Identifier: MIT
#pragma once

// What the ISO 2709 writer needs of the character sets, without the MARC-8
// codec and its tables: `encoding` declared (its enumerators are in
// <marcpp/charset.hpp>, so a program that asks for a conversion on write,
// `{.to_encoding = marcpp::encoding::marc8}`, includes charset.hpp), the
// `leader09_policy`, and the converter that charset.hpp installs when a
// program includes it. A program that only reads and writes ISO 2709 as it
// is thus compiles none of the MARC-8 code.

#include <marcpp/config.hpp>
#include <marcpp/error.hpp>

#include <cstdint>
#include <string_view>

MARCPP_NAMESPACE_BEGIN

/// The character encodings of MARC 21 records (defined in <marcpp/charset.hpp>).
enum class encoding : std::uint8_t;

/// What to believe when leader/09 and the bytes of a record disagree.
enum class leader09_policy : std::uint8_t {
  trust_bytes,  ///< read the record as its bytes say; the disagreement is a warning
  trust_flag,   ///< read it as leader/09 says; the disagreement is a warning
  fail,         ///< the disagreement is an error: the record is not converted
};

/// `"trust_bytes"`, `"trust_flag"` or `"fail"`.
[[nodiscard]] constexpr std::string_view to_string(leader09_policy p) noexcept {
  switch (p) {
    case leader09_policy::trust_bytes: return "trust_bytes";
    case leader09_policy::trust_flag: return "trust_flag";
    case leader09_policy::fail: return "fail";
  }
  return "unknown";
}

class record;
class record_view;

namespace detail {

/// Converts `*owned` or `*view` (one of them is set) to `to` as the writer's
/// `to_encoding` does (strict, numeric character references for characters
/// MARC-8 lacks), into `out`.
using write_converter_fn = diagnostic (*)(encoding to, leader09_policy l, const record* owned, const record_view* view,
                                          record& out);

/// Set by <marcpp/charset.hpp> when the program starts (constant-initialised
/// to null before that, so it is never read uninitialised).
inline write_converter_fn write_converter = nullptr;

}  // namespace detail
MARCPP_NAMESPACE_END
