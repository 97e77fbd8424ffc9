// Byte ranges (docs/big-files.md, "Byte ranges"): a file split into ranges
// that cover it, each read on its own, yields every byte exactly once
// (records, skipped records and filler), and on a file the reader finds
// sound, exactly the records of the whole file, once each; offsets are the
// file's. `next_record_start` gives a position in [pos, limit] that is a
// record start by its own rule.
//
// The input: one byte, the number of cuts (up to 7), then two bytes for
// each cut (little-endian, taken modulo the file's size + 1), then the file.
#include "fuzz.hpp"

#include <algorithm>

namespace {

struct range_result {
  std::vector<std::string> records;  // index@offset raw
  std::map<std::uint64_t, std::string> pieces;
};

range_result read_range(std::string_view bytes, std::uint64_t start, std::uint64_t end) {
  range_result out;
  marcpp::reader r{marcpp::range_source(bytes, start, end)};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    std::uint64_t at = marcpp::npos;
    if (d.code == marcpp::errc::bytes_between_records) at = d.offset;
    else if (d.level == marcpp::severity::error && d.record_offset != marcpp::npos) at = d.record_offset;
    if (at == marcpp::npos) return;
    auto [it, added] = out.pieces.emplace(at, raw);
    FUZZ_CHECK(added || it->second == raw, "two different pieces at offset " + std::to_string(at));
  });
  marcpp::record_view v;
  while (r.next(v)) {
    out.records.push_back(std::to_string(v.offset()) + " " + marcpp::detail::printable(v.raw()));
    auto [it, added] = out.pieces.emplace(v.offset(), v.raw());
    FUZZ_CHECK(added, "a record at an offset already reported: " + std::to_string(v.offset()));
  }
  FUZZ_CHECK(!r.failed(), marcpp::to_string(r.error()));
  return out;
}

int one_input(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t ncuts = data[0] % 8;
  if (size < 1 + 2 * ncuts) return 0;
  const std::string file(marcpp_fuzz::as_text(data + 1 + 2 * ncuts, size - 1 - 2 * ncuts));
  std::vector<std::uint64_t> cuts{0, file.size()};
  for (std::size_t i = 0; i < ncuts; ++i)
    cuts.push_back((data[1 + 2 * i] | std::uint64_t{data[2 + 2 * i]} << 8) % (file.size() + 1));
  std::sort(cuts.begin(), cuts.end());

  // next_record_start: within bounds, and a start it finds is a start.
  for (std::uint64_t c : cuts) {
    const std::uint64_t s = marcpp::next_record_start(file, c);
    FUZZ_CHECK(s >= c && s <= file.size(), "next_record_start(" + std::to_string(c) + ") = " + std::to_string(s));
    if (s < file.size()) FUZZ_CHECK(marcpp::next_record_start(file, s) == s, "a start found is no start: " + std::to_string(s));
    const std::uint64_t limit = std::min<std::uint64_t>(c + 100, file.size());
    const std::uint64_t t = marcpp::next_record_start(file, c, limit);
    FUZZ_CHECK(t == std::min(s, limit), "next_record_start with a limit: " + std::to_string(t) + ", without: " +
                                            std::to_string(s));
  }

  // The whole file, and the ranges.
  const range_result whole = read_range(file, 0, file.size());
  marcpp::reader lenient{marcpp::memory_source{file}};
  marcpp::record_view v;
  while (lenient.next(v)) {
  }
  const bool sound = lenient.stats().faults == 0;
  std::vector<std::string> records;
  std::string joined;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const range_result part = read_range(file, cuts[i], cuts[i + 1]);
    for (const auto& [off, s] : part.pieces) {
      FUZZ_CHECK(off == joined.size(), "range [" + std::to_string(cuts[i]) + ", " + std::to_string(cuts[i + 1]) +
                                           "): a piece at " + std::to_string(off) + ", expected one at " +
                                           std::to_string(joined.size()));
      joined += s;
    }
    records.insert(records.end(), part.records.begin(), part.records.end());
  }
  FUZZ_CHECK(joined == file, "the ranges do not give every byte of the file exactly once");
  if (sound) {
    std::string a, b;
    for (const auto& r : records) a += r + "\n";
    for (const auto& r : whole.records) b += r + "\n";
    FUZZ_SAME(a, b, "the ranges of a sound file give other records than the whole file");
  }
  return 0;
}

}  // namespace

MARCPP_FUZZ_TARGET(byte_range, one_input)
