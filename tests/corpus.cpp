// Checks over every ISO 2709 file of the shared corpus (../shared/corpus):
// record counts against MANIFEST.tsv, byte-identical round trips, what each
// policy does with the malformed files, and identical results from every
// source. Skipped, with a message, when the corpus is absent.
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>

namespace {

struct manifest_row {
  std::string path;
  std::string records;  // yaz's count, or "n/a..."
};

std::vector<manifest_row> iso2709_files() {
  std::vector<manifest_row> rows;
  std::istringstream in(test::slurp(test::corpus_dir() / "MANIFEST.tsv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (;;) {
      auto tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (cols.size() < 4) continue;
    // ISO 2709 files are the ones yaz counted records in.
    if (cols[3].empty() || cols[3].find_first_not_of("0123456789") != std::string::npos) continue;
    rows.push_back({cols[0], cols[3]});
  }
  return rows;
}

bool is_compressed(const std::string& path) { return path.size() > 3 && path.substr(path.size() - 3) == ".gz"; }

// Where marcpp's count of records differs from yaz's, and why.
const std::map<std::string, std::size_t> count_exceptions = {
    // Two CP866 records; yaz gives up on the second (leader/10-11 not digits,
    // lengths in characters), marcpp reads it with repairs.
    {"unimarc/ruby-marc-cp866_multirecord.marc", 2},
};

std::string summary(const test::outcome& o) {
  std::ostringstream s;
  for (std::size_t i = 0; i < o.records.size(); ++i) s << o.raws[i].size() << ':' << test::dump(o.records[i]);
  for (const auto& d : o.diags) s << marcpp::to_string(d) << '\n';
  s << (o.failed ? marcpp::to_string(o.error) : std::string("ok"));
  return s.str();
}

}  // namespace

TEST_CASE("corpus: record counts agree with MANIFEST.tsv") {
  if (!test::have_corpus()) return;
  auto files = iso2709_files();
  CHECK(files.size() > 200);
  for (const auto& row : files) {
    CAPTURE(row.path);
    if (is_compressed(row.path)) {
      MESSAGE("compressed file, read once the stream source decompresses: " << row.path);
      continue;
    }
    if (row.path.rfind("malformed/", 0) == 0) continue;  // see the malformed test below
    auto o = test::read_all(marcpp::mmap_source{test::corpus_dir() / row.path});
    std::size_t expected = std::stoul(row.records);
    if (auto it = count_exceptions.find(row.path); it != count_exceptions.end()) expected = it->second;
    CHECK(o.records.size() == expected);
    CHECK(o.stats.skipped == 0);
  }
}

TEST_CASE("corpus: every structurally valid record round-trips byte for byte") {
  if (!test::have_corpus()) return;
  std::size_t valid = 0, checked_files = 0;
  for (const auto& row : iso2709_files()) {
    if (is_compressed(row.path)) continue;
    CAPTURE(row.path);
    marcpp::reader r{marcpp::mmap_source{test::corpus_dir() / row.path}};
    marcpp::record_view v;
    ++checked_files;
    while (r.next(v)) {
      if (v.repaired()) continue;  // warnings only: nothing was changed
      ++valid;
      std::string a, b;
      REQUIRE_FALSE(marcpp::write_iso2709(v, a));
      REQUIRE_FALSE(marcpp::write_iso2709(marcpp::record{v}, b));
      CHECK(a == v.raw());
      CHECK(b == v.raw());
    }
  }
  MESSAGE(valid << " valid records in " << checked_files << " files round-tripped");
  CHECK(valid > 7000);
}

TEST_CASE("corpus: the same results from memory, a mapped file and a stream, under every policy") {
  if (!test::have_corpus()) return;
  for (const auto& row : iso2709_files()) {
    if (is_compressed(row.path)) continue;
    CAPTURE(row.path);
    const auto path = test::corpus_dir() / row.path;
    const std::string bytes = test::slurp(path);
    for (auto p : {marcpp::error_policy::strict, marcpp::error_policy::lenient, marcpp::error_policy::skip}) {
      const std::string expected = summary(test::read_bytes(bytes, test::with(p)));
      CHECK(summary(test::read_all(marcpp::mmap_source{path}, test::with(p))) == expected);
      std::istringstream in(bytes);
      CHECK(summary(test::read_all(marcpp::stream_source{in, 1000}, test::with(p))) == expected);
    }
  }
}
