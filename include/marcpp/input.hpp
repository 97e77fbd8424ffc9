// SPDX-License-Identifier: MIT
#pragma once

/// \file input.hpp
/// `marcpp::with_reader`: a reader over a named input, choosing the source
/// that suits it.

#include <marcpp/config.hpp>
#include <marcpp/reader.hpp>
#include <marcpp/source.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>

MARCPP_NAMESPACE_BEGIN

#if MARCPP_HAS_EXCEPTIONS
/// Calls `f(reader)` with a reader over `path`: a memory map for a regular
/// file, a stream for anything else (a pipe, a device), and standard input
/// for `"-"`. Returns what `f` returns. Throws `marcpp::error` (`io_error`)
/// if the input cannot be opened.
///
///     marcpp::with_reader("records.mrc", {}, [](auto& r) {
///       for (const marcpp::record_view& rec : r) use(rec);
///     });
template <class F>
decltype(auto) with_reader(const std::string& path, const read_options& opts, F&& f) {
  if (path == "-") {
    reader r{stream_source{std::cin}, opts};
    return std::forward<F>(f)(r);
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    reader r{mmap_source{path}, opts};
    return std::forward<F>(f)(r);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostic d;
    d.code = errc::io_error;
    d.message = path + ": cannot open for reading";
    throw_error(std::move(d));
  }
  reader r{stream_source{in}, opts};
  return std::forward<F>(f)(r);
}
#endif

MARCPP_NAMESPACE_END
