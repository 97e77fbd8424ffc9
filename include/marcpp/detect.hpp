// SPDX-License-Identifier: MIT
#pragma once

/// \file detect.hpp
/// How an input is compressed, from its first bytes: pure byte sniffing, in
/// the core (reading compressed input is the `compression` component's,
/// <marcpp/compressed_source.hpp>).

#include <marcpp/config.hpp>

#include <cstdint>
#include <string_view>

MARCPP_NAMESPACE_BEGIN

/// How an input is compressed.
enum class compression : std::uint8_t { none, gzip, zstd };

/// Recognises gzip (1F 8B) and Zstandard (28 B5 2F FD) from the first bytes.
/// A MARC record starts with a digit, so one byte already tells.
[[nodiscard]] constexpr compression detect_compression(std::string_view head) noexcept {
  if (!head.empty() && head[0] == '\x1F') return compression::gzip;
  if (!head.empty() && head[0] == '\x28') return compression::zstd;
  return compression::none;
}

MARCPP_NAMESPACE_END
