// SPDX-License-Identifier: MIT
#pragma once

/// \file input.hpp
/// `marcpp::with_reader`: a reader over a named input, choosing the source
/// that suits it.

#include <marcpp/config.hpp>
#include <marcpp/detail/components.hpp>
#include <marcpp/detect.hpp>
#include <marcpp/reader.hpp>
#include <marcpp/source.hpp>
#if defined(MARCPP_WITH_COMPRESSION)
#  include <marcpp/compressed_source.hpp>
#endif

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>

MARCPP_NAMESPACE_BEGIN

#if MARCPP_HAS_EXCEPTIONS
namespace detail {
// Calls f with a source over `in`, decompressing it if its first byte says
// so. Without the compression component, compressed input is an error
// (component_missing).
template <class F>
decltype(auto) with_stream_source(std::istream& in, F&& f) {
  const int c = in.peek();
  const char head = c == std::char_traits<char>::eof() ? '\0' : static_cast<char>(c);
  switch (detect_compression(std::string_view(&head, 1))) {
#if defined(MARCPP_WITH_COMPRESSION)
    case compression::gzip: return std::forward<F>(f)(gzip_source{in});
    case compression::zstd: return std::forward<F>(f)(zstd_source{in});
#else
    case compression::gzip: throw_error(component_missing("reading gzip input", component::compression));
    case compression::zstd: throw_error(component_missing("reading Zstandard input", component::compression));
#endif
    case compression::none: break;
  }
  return std::forward<F>(f)(stream_source{in});
}
}  // namespace detail

/// Calls `f(source)` with the source that suits `path`: a `file_source` for
/// a regular file (read in pieces: on the machines measured, faster than a
/// memory map for reading a file once through, see docs/reading.md), a
/// stream for anything else (a pipe, a device), standard input for `"-"`;
/// gzip and Zstandard input, recognised by its first bytes, gets a
/// decompressing source (with the compression component, `MARCPP_WITH_COMPRESSION`;
/// without it, compressed input throws `component_missing`). Returns what `f`
/// returns. Throws `marcpp::error` (`io_error`) if the input cannot be opened.
template <class F>
decltype(auto) with_source(const std::string& path, F&& f) {
  if (path == "-") return detail::with_stream_source(std::cin, std::forward<F>(f));
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    file_source file{path};
    file.fill(1);
    const source_window w = file.window();
    if (detect_compression(std::string_view(w.data, w.size)) == compression::none)
      return std::forward<F>(f)(std::move(file));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostic d;
    d.code = errc::io_error;
    d.message = path + ": cannot open for reading";
    throw_error(std::move(d));
  }
  return detail::with_stream_source(in, std::forward<F>(f));
}

/// Calls `f(reader)` with a `reader` over the source `with_source` chooses
/// for `path`. Returns what `f` returns.
///
///     marcpp::with_reader("records.mrc.gz", {}, [](auto& r) {
///       for (const marcpp::record_view& rec : r) use(rec);
///     });
template <class F>
decltype(auto) with_reader(const std::string& path, const read_options& opts, F&& f) {
  return with_source(path, [&](auto&& src) -> decltype(auto) {
    reader r{std::move(src), opts};
    return std::forward<F>(f)(r);
  });
}
#endif

MARCPP_NAMESPACE_END
