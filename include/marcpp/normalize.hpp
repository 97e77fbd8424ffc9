// SPDX-License-Identifier: MIT
#pragma once

/// \file normalize.hpp
/// Unicode normalisation (NFC, NFD) for the character set conversions, by
/// ICU. Include this header and link the CMake target `marcpp::icu` (which
/// brings ICU's icu-uc library) to use it; nothing else in marcpp needs ICU,
/// and the umbrella header <marcpp/marcpp.hpp> does not include this one.
///
///     marcpp::charset_options opts;
///     opts.normalize = marcpp::nfc;
///     marcpp::to_utf8(view, rec, opts);   // decoded, then NFC
///
///     std::string s;
///     marcpp::nfc.apply("e\u0301", s);      // s == "\u00E9"

#include <marcpp/charset.hpp>
#include <marcpp/config.hpp>
#include <marcpp/detail/unicode.hpp>

MARCPP_NAMESPACE_BEGIN

/// Canonical composition: precomposed characters where Unicode has them.
inline constexpr normalization nfc{"NFC", &detail::unicode::nfc};
/// Canonical decomposition: base characters followed by combining marks,
/// the form MARC-8 itself uses (with the marks before the base).
inline constexpr normalization nfd{"NFD", &detail::unicode::nfd};

MARCPP_NAMESPACE_END
