#include <marcpp/byte_range.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <sstream>

namespace {

// What reading [start, end) gives: delivered records and every other byte
// reported (skipped records, filler), by offset.
struct range_result {
  std::vector<std::string> records;
  std::map<std::uint64_t, std::string> pieces;
};

range_result read_range(const std::string& bytes, std::uint64_t start, std::uint64_t end) {
  range_result out;
  marcpp::reader r{marcpp::range_source(bytes, start, end)};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    if (d.code == marcpp::errc::bytes_between_records) out.pieces[d.offset] = std::string(raw);
    else if (d.level == marcpp::severity::error && d.record_offset != marcpp::npos)
      out.pieces[d.record_offset] = std::string(raw);
  });
  marcpp::record_view v;
  while (r.next(v)) {
    out.records.emplace_back(v.raw());
    out.pieces[v.offset()] = std::string(v.raw());
  }
  return out;
}

// Splits `bytes` at `cuts` and checks that the ranges, read one by one, give
// every byte exactly once; and, for a file the reader finds sound, exactly
// the records the whole file gives.
void check_split(const std::string& bytes, std::vector<std::uint64_t> cuts, const std::vector<std::string>& whole,
                 bool sound) {
  std::sort(cuts.begin(), cuts.end());
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(bytes.size());
  std::vector<std::string> records;
  std::string joined;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    CAPTURE(cuts[i]);
    auto part = read_range(bytes, cuts[i], cuts[i + 1]);
    for (auto& [off, s] : part.pieces) {
      REQUIRE(off == joined.size());
      joined += s;
    }
    records.insert(records.end(), part.records.begin(), part.records.end());
  }
  CHECK(joined == bytes);
  if (sound) CHECK(records == whole);
}

void check_file(const std::string& bytes, const std::string& label, std::mt19937& rng) {
  CAPTURE(label);
  auto whole = test::read_bytes(bytes);
  bool sound = whole.stats.faults == 0;
  for (int round = 0; round < 12; ++round) {
    std::vector<std::uint64_t> cuts;
    std::size_t k = 1 + rng() % 9;
    for (std::size_t i = 0; i < k && !bytes.empty(); ++i) cuts.push_back(rng() % (bytes.size() + 1));
    check_split(bytes, cuts, whole.raws, sound);
  }
}

}  // namespace

TEST_CASE("next_record_start") {
  const std::string a = test::slurp(test::crafted("ok-basic.mrc"));  // 219 bytes
  const std::string two = a + a;
  CHECK(marcpp::next_record_start(two, 0) == 0);
  CHECK(marcpp::next_record_start(two, 1) == a.size());
  CHECK(marcpp::next_record_start(two, a.size()) == a.size());
  CHECK(marcpp::next_record_start(two, a.size() + 1) == two.size());
  CHECK(marcpp::next_record_start(two, 10 * two.size()) == two.size());
  SUBCASE("filler between records belongs before the next record") {
    const std::string f = a + "\n\n\x1a" + a;
    CHECK(marcpp::next_record_start(f, a.size()) == a.size() + 3);
    CHECK(marcpp::next_record_start(f, a.size() + 1) == a.size() + 3);
    CHECK(marcpp::next_record_start(f, a.size() + 3) == a.size() + 3);
  }
  SUBCASE("a terminator inside a field is not a record start unless a leader follows") {
    const std::string odd = test::slurp(test::crafted("unexpected-terminator.mrc"));
    CHECK(marcpp::next_record_start(odd, 1) == odd.size());
  }
  SUBCASE("a terminator inside a leader, followed by digits, is not a record start") {
    // The second record's leader/05 is 0x1D, and the bytes after it have
    // five digits where a length goes and five where a base address does.
    const std::string three = test::slurp(test::crafted("ok-terminator-in-leader.mrc"));
    REQUIRE(three.size() == 3 * a.size());
    CHECK(three[a.size() + 5] == '\x1d');
    CHECK(marcpp::next_record_start(three, a.size() + 1) == 2 * a.size());
    CHECK(marcpp::next_record_start(three, a.size()) == a.size());
  }
  SUBCASE("a record whose last field lost its terminator still ends at its record terminator") {
    // No field terminator before the record terminator: the next record's
    // length, which ends on its own terminator, shows where it starts.
    std::string lost = a;
    lost.erase(lost.size() - 2, 1);
    lost.replace(0, 5, "00218");
    const std::string pair = lost + a;
    CHECK(marcpp::next_record_start(pair, 1) == lost.size());
  }
}

TEST_CASE("range_source: every cut point of a small file yields every record once") {
  // One cut at every offset, and two at every pair of offsets ten apart:
  // the records are those the whole file gives, whatever the cuts, even
  // where a record runs into the next or a leader holds a terminator.
  for (const char* name : {"ok-three.mrc", "ok-terminator-in-leader.mrc", "truncated-before-next.mrc",
                           "missing-record-terminator.mrc", "bytes-between-records.mrc"}) {
    CAPTURE(name);
    const std::string bytes = test::slurp(test::crafted(name));
    const auto whole = test::read_bytes(bytes);
    REQUIRE(!whole.records.empty());
    for (std::uint64_t cut = 0; cut <= bytes.size(); ++cut) {
      CAPTURE(cut);
      check_split(bytes, {cut}, whole.raws, true);
      if (cut + 10 <= bytes.size()) check_split(bytes, {cut, cut + 10}, whole.raws, true);
    }
  }
}

TEST_CASE("range_source: a file split into ranges yields every record exactly once") {
  std::mt19937 rng(12345);
  for (const auto& e : std::filesystem::directory_iterator(test::data_dir() / "crafted")) {
    if (e.path().extension() != ".mrc") continue;
    check_file(test::slurp(e.path()), e.path().filename().string(), rng);
  }
  SUBCASE("offsets are offsets in the file; indices count from the range") {
    const std::string three = test::slurp(test::crafted("ok-three.mrc"));
    marcpp::reader r{marcpp::range_source(three, 10, three.size())};
    marcpp::record_view v;
    REQUIRE(r.next(v));
    CHECK(v.index() == 0);
    CHECK(v.offset() == 219);
  }
}

TEST_CASE("range_source: random splits of every corpus file") {
  if (!test::have_corpus()) return;
  std::mt19937 rng(777);
  std::istringstream manifest(test::slurp(test::corpus_dir() / "MANIFEST.tsv"));
  std::string line;
  std::size_t files = 0;
  while (std::getline(manifest, line)) {
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (;;) {
      auto tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (cols.size() < 4 || cols[3].empty() || cols[3].find_first_not_of("0123456789") != std::string::npos) continue;
    if (cols[0].size() > 3 && cols[0].substr(cols[0].size() - 3) == ".gz") continue;
    check_file(test::slurp(test::corpus_dir() / cols[0]), cols[0], rng);
    ++files;
  }
  CHECK(files > 200);
}
