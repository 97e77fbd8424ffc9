// SPDX-License-Identifier: MIT
#pragma once

// The adapter to ICU (International Components for Unicode): the only header
// of marcpp that includes ICU. It is used for Unicode normalisation alone,
// and only programs that include <marcpp/normalize.hpp> (and link the
// CMake target marcpp::icu, which brings ICU's icu-uc library) need it.

#include <marcpp/config.hpp>
#include <marcpp/detail/simd.hpp>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/utypes.h>

#include <cstdint>
#include <string>
#include <string_view>

MARCPP_NAMESPACE_BEGIN
namespace detail::unicode {

enum class form : std::uint8_t { nfc, nfd };

/// Appends the normalisation of valid UTF-8 `in` to `out`; false if ICU
/// fails (it then appends nothing).
inline bool normalize(form f, std::string_view in, std::string& out) {
  if (is_ascii(in.data(), in.size())) {  // ASCII is in every normalisation form
    out.append(in);
    return true;
  }
  UErrorCode ec = U_ZERO_ERROR;
  const icu::Normalizer2* n =
      f == form::nfc ? icu::Normalizer2::getNFCInstance(ec) : icu::Normalizer2::getNFDInstance(ec);
  if (U_FAILURE(ec)) return false;
  const icu::StringPiece piece(in.data(), static_cast<std::int32_t>(in.size()));
  if (n->isNormalizedUTF8(piece, ec) && U_SUCCESS(ec)) {
    out.append(in);
    return true;
  }
  ec = U_ZERO_ERROR;
  const std::size_t old = out.size();
  icu::StringByteSink<std::string> sink(&out, static_cast<std::int32_t>(in.size() + in.size() / 4));
  n->normalizeUTF8(0, piece, sink, nullptr, ec);
  if (U_FAILURE(ec)) {
    out.resize(old);
    return false;
  }
  return true;
}

inline bool nfc(std::string_view in, std::string& out) { return normalize(form::nfc, in, out); }
inline bool nfd(std::string_view in, std::string& out) { return normalize(form::nfd, in, out); }

}  // namespace detail::unicode
MARCPP_NAMESPACE_END
