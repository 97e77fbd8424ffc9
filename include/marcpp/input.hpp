// SPDX-License-Identifier: MIT
#pragma once

/// \file input.hpp
/// `marcpp::with_reader`: a reader over a named input, choosing the source
/// that suits it.

#include <marcpp/compressed_source.hpp>
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
namespace detail {
// Calls f with a reader over `in`, decompressing it if its first byte says so.
template <class F>
decltype(auto) with_stream_reader(std::istream& in, const read_options& opts, F&& f) {
  const int c = in.peek();
  const char head = c == std::char_traits<char>::eof() ? '\0' : static_cast<char>(c);
  switch (detect_compression(std::string_view(&head, 1))) {
    case compression::gzip: {
      reader r{gzip_source{in}, opts};
      return std::forward<F>(f)(r);
    }
    case compression::zstd: {
      reader r{zstd_source{in}, opts};
      return std::forward<F>(f)(r);
    }
    case compression::none: break;
  }
  reader r{stream_source{in}, opts};
  return std::forward<F>(f)(r);
}
}  // namespace detail

/// Calls `f(reader)` with a reader over `path`: a memory map for a regular
/// file, a stream for anything else (a pipe, a device), and standard input
/// for `"-"`; gzip and Zstandard input, recognised by its first bytes, is
/// decompressed as it is read. Returns what `f` returns. Throws
/// `marcpp::error` (`io_error`) if the input cannot be opened.
///
///     marcpp::with_reader("records.mrc.gz", {}, [](auto& r) {
///       for (const marcpp::record_view& rec : r) use(rec);
///     });
template <class F>
decltype(auto) with_reader(const std::string& path, const read_options& opts, F&& f) {
  if (path == "-") return detail::with_stream_reader(std::cin, opts, std::forward<F>(f));
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    mmap_source file{path};
    if (detect_compression(file.bytes().substr(0, 4)) == compression::none) {
      reader r{std::move(file), opts};
      return std::forward<F>(f)(r);
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostic d;
    d.code = errc::io_error;
    d.message = path + ": cannot open for reading";
    throw_error(std::move(d));
  }
  return detail::with_stream_reader(in, opts, std::forward<F>(f));
}
#endif

MARCPP_NAMESPACE_END
