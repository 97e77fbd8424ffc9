// Format and compression detection, and what `with_format_reader` does with
// any input (docs/formats.md, "Choosing the format"; docs/big-files.md,
// "Compressed input"): the input is taken as a stream, as standard input
// is; gzip and Zstandard input is decompressed on the way, corrupt or
// truncated compressed data ends reading with an io_error; the format is
// detected in the first 512 bytes of what the stream holds, and the reader
// of that format reads to the end.
// - the decompressing sources give the same bytes, and the same error,
//   whatever their chunk size (before an error, the bytes of one are a
//   beginning of the other's);
// - the format found through the source is the one `detect_format` finds
//   in the first bytes of those bytes;
// - whatever the reader finds, it ends (no crash, no endless loop).
#include "fuzz.hpp"

#include <sstream>

namespace {

// What a source holds: its bytes (at most `cap`), and its error.
template <class Source>
std::pair<std::string, std::string> drain(Source& src, std::size_t cap, bool& capped) {
  std::string bytes;
  capped = false;
  for (;;) {
    const bool more = src.fill(1);
    const marcpp::source_window w = src.window();
    bytes.append(w.data, w.size);
    src.consume(w.size);
    if (bytes.size() > cap) {
      capped = true;
      break;
    }
    if (!more || w.size == 0) break;
  }
  return {bytes, std::string(src.error())};
}

// Decompressed output is capped: a few KiB of Zstandard can say gigabytes.
constexpr std::size_t cap = std::size_t{4} << 20;

int one_input(const std::uint8_t* data, std::size_t size) {
  const std::string input(marcpp_fuzz::as_text(data, size));

  // The stream's bytes, through two chunk sizes.
  std::string plain;
  bool capped = false;
  {
    std::istringstream a(input), b(input);
    std::pair<std::string, std::string> small, large;
    bool capped_small = false;
    switch (marcpp::detect_compression(input)) {
      case marcpp::compression::gzip: {
        marcpp::gzip_source s{a, 64}, l{b, 1 << 16};
        small = drain(s, cap, capped_small);
        large = drain(l, cap, capped);
        break;
      }
      case marcpp::compression::zstd: {
        marcpp::zstd_source s{a, 64}, l{b, 1 << 16};
        small = drain(s, cap, capped_small);
        large = drain(l, cap, capped);
        break;
      }
      case marcpp::compression::none: {
        marcpp::stream_source s{a, 64}, l{b, 1 << 16};
        small = drain(s, cap, capped_small);
        large = drain(l, cap, capped);
        FUZZ_CHECK(large.first == input, "a plain stream gives other bytes than its input");
        break;
      }
    }
    if (!capped && !capped_small) {
      FUZZ_CHECK(small.second == large.second, "two chunk sizes give different errors: \"" + small.second + "\" and \"" +
                                                   large.second + "\"");
      // Before corrupt data, what was decompressed in the call that found
      // it may or may not be handed on (zstd's streaming decoder does not
      // say): a chunk size may hand on more of it than another.
      const std::string& shorter = small.first.size() < large.first.size() ? small.first : large.first;
      const std::string& longer = small.first.size() < large.first.size() ? large.first : small.first;
      if (small.second.empty()) FUZZ_CHECK(small.first == large.first, "two chunk sizes give different bytes");
      else FUZZ_CHECK(longer.compare(0, shorter.size(), shorter) == 0, "two chunk sizes give different bytes before an error");
    }
    plain = large.first;
  }
  if (capped) return 0;

  // As with_format_reader reads standard input: detect, then read it all.
  std::istringstream in(input);
  marcpp::detail::with_stream_source(in, [&](auto&& src) {
    src.fill(marcpp::detection_bytes);
    const marcpp::source_window w = src.window();
    const marcpp::format found = marcpp::detect_format(std::string_view(w.data, w.size));
    FUZZ_CHECK(found == marcpp::detect_format(plain.substr(0, marcpp::detection_bytes)),
               "the format found through the source is not the one its bytes show");
    if (found == marcpp::format::unknown) return;
    marcpp::with_source_reader(std::move(src), found, marcpp::read_options{}, [&](auto& r) {
      std::size_t n = 0;
      r.on_diagnostic([](const marcpp::diagnostic&, std::string_view) {});
      marcpp::record rec;
      while (r.next(rec)) FUZZ_CHECK(++n <= plain.size() + 1, "more records than bytes");
    });
  });
  return 0;
}

}  // namespace

MARCPP_FUZZ_TARGET(detect, one_input)
