#include <marcpp/parallel_reader.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <sstream>
#include <stdexcept>

namespace {

// Everything a reader reports, in order: records as line text with their
// index and offset, and diagnostics.
struct transcript {
  std::vector<std::string> records;
  std::vector<std::string> diags;
  bool failed = false;
  std::string error;
  marcpp::read_stats stats;
  bool operator==(const transcript&) const = default;
};

// A record as its reader hands it on, with the diagnostics it carries (a
// transform sees them as the sequential reader's caller does).
std::string describe(const marcpp::record_view& v) {
  std::string s = std::to_string(v.index()) + "@" + std::to_string(v.offset()) + ":" + std::string(v.raw()) + "|" +
                  marcpp::to_line(v);
  for (const marcpp::diagnostic& d : v.diagnostics()) s += "[" + marcpp::to_string(d) + "]";
  return s;
}

template <class Source>
transcript sequential(Source src, marcpp::read_options ro) {
  transcript t;
  marcpp::reader r{std::move(src), ro};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    t.diags.push_back(marcpp::to_string(d) + "#" + std::to_string(raw.size()));
  });
  marcpp::record_view v;
  while (r.next(v)) t.records.push_back(describe(v));
  t.failed = r.failed();
  t.error = marcpp::to_string(r.error());
  t.stats = r.stats();
  return t;
}

template <class Source>
transcript parallel(Source src, marcpp::read_options ro, marcpp::parallel_options po) {
  transcript t;
  marcpp::parallel_reader r{std::move(src), ro, po};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    t.diags.push_back(marcpp::to_string(d) + "#" + std::to_string(raw.size()));
  });
  r.run([](const marcpp::record_view& v) { return describe(v); }, [&](std::string&& s) { t.records.push_back(std::move(s)); });
  t.failed = r.failed();
  t.error = marcpp::to_string(r.error());
  t.stats = r.stats();
  return t;
}

bool same_stats(const marcpp::read_stats& a, const marcpp::read_stats& b) {
  return a.records == b.records && a.repaired == b.repaired && a.skipped == b.skipped && a.warnings == b.warnings &&
         a.faults == b.faults;
}

// The parallel transcript must be the sequential one, record for record
// and diagnostic for diagnostic.
void check_same(const transcript& par, const transcript& seq) {
  CHECK(par.records == seq.records);
  CHECK(par.diags == seq.diags);
  CHECK(par.failed == seq.failed);
  CHECK(par.error == seq.error);
  CHECK(same_stats(par.stats, seq.stats));
}

void compare_on(const std::string& bytes, const std::string& label) {
  CAPTURE(label);
  const test::temp_file file("parallel.mrc", bytes);
  for (auto policy : {marcpp::error_policy::lenient, marcpp::error_policy::strict, marcpp::error_policy::skip}) {
    marcpp::read_options ro;
    ro.policy = policy;
    const transcript seq = sequential(marcpp::memory_source{bytes}, ro);
    // The sequential reader over the file, read in pieces, says the same.
    check_same(sequential(marcpp::file_source{file.path, 4096}, ro), seq);
    for (unsigned threads : {1u, 2u, 4u}) {
      for (std::size_t batch : {std::size_t{1}, std::size_t{700}, std::size_t{1} << 20}) {
        CAPTURE(threads);
        CAPTURE(batch);
        marcpp::parallel_options po;
        po.threads = threads;
        po.batch_bytes = batch;
        check_same(parallel(marcpp::memory_source{bytes}, ro, po), seq);
      }
    }
    // Batches cut short by their record limit: the records left over go to
    // the batches after, and past the last range.
    for (std::size_t records : {std::size_t{1}, std::size_t{2}}) {
      for (std::size_t batch : {std::size_t{700}, std::size_t{1} << 20}) {
        CAPTURE(records);
        CAPTURE(batch);
        marcpp::parallel_options po;
        po.threads = 2;
        po.batch_bytes = batch;
        po.batch_records = records;
        check_same(parallel(marcpp::memory_source{bytes}, ro, po), seq);
      }
    }
    // A file read by position: each worker reads its own ranges. Small
    // ranges put most records across two of them.
    for (unsigned threads : {1u, 2u}) {
      for (std::size_t batch : {std::size_t{97}, std::size_t{700}, std::size_t{1} << 20}) {
        CAPTURE(threads);
        CAPTURE(batch);
        marcpp::parallel_options po;
        po.threads = threads;
        po.batch_bytes = batch;
        check_same(parallel(marcpp::file_source{file.path}, ro, po), seq);
      }
    }
    {
      marcpp::parallel_options po;
      po.threads = 2;
      po.batch_bytes = 700;
      po.batch_records = 1;
      check_same(parallel(marcpp::file_source{file.path}, ro, po), seq);
    }
    // A stream source: the batches keep their own copy of the bytes.
    std::istringstream in(bytes);
    marcpp::parallel_options po;
    po.threads = 2;
    po.batch_bytes = 3000;
    check_same(parallel(marcpp::stream_source{in, 512}, ro, po), seq);
  }
}

}  // namespace

TEST_CASE("parallel_reader: the same records and diagnostics as the sequential reader (crafted files)") {
  for (const auto& e : std::filesystem::directory_iterator(test::data_dir() / "crafted")) {
    if (e.path().extension() != ".mrc") continue;
    compare_on(test::slurp(e.path()), e.path().filename().string());
  }
  // Everything at once, with the error limit in play.
  std::string all;
  for (const auto& e : std::filesystem::directory_iterator(test::data_dir() / "crafted"))
    if (e.path().extension() == ".mrc") all += test::slurp(e.path());
  compare_on(all, "all crafted files in one input");
  marcpp::read_options ro;
  ro.max_errors = 7;
  marcpp::parallel_options po;
  po.threads = 2;
  po.batch_bytes = 1;
  CHECK(parallel(marcpp::memory_source{all}, ro, po).diags == sequential(marcpp::memory_source{all}, ro).diags);
}

TEST_CASE("parallel_reader: a range that begins inside a record holding what looks like the start of another") {
  // A record whose data holds a record terminator followed by a plausible
  // leader: a worker whose range begins inside it guesses a record start
  // there; the in-order check must find the guess wrong and cut again.
  const std::string plain = test::slurp(test::crafted("ok-basic.mrc"));
  marcpp::record r = test::one(plain);
  const std::string fake = std::string("\x1D") + "00099nam a2200037 a 4500";
  // The writer refuses a terminator in a value: the bytes are put in after.
  const std::string room(fake.size(), 'x');
  r.add(marcpp::field("500", "  ", {{'a', "before" + room + "after"}}));
  std::string odd = marcpp::to_iso2709(r);
  odd.replace(odd.find(room), room.size(), fake);
  REQUIRE(odd.find(fake) != std::string::npos);
  const std::string bytes = plain + odd + plain + odd + plain;
  const std::size_t inside = plain.size() + odd.find(fake) - 3;
  // The guess from inside the odd record lands on the fake start.
  CHECK(marcpp::next_record_start(bytes, inside) == plain.size() + odd.find(fake) + 1);
  for (auto policy : {marcpp::error_policy::lenient, marcpp::error_policy::strict}) {
    marcpp::read_options ro;
    ro.policy = policy;
    const transcript seq = sequential(marcpp::memory_source{bytes}, ro);
    REQUIRE(seq.records.size() == (policy == marcpp::error_policy::lenient ? 5u : seq.records.size()));
    const test::temp_file file("odd.mrc", bytes);
    for (std::size_t batch = 1; batch < 200; batch += 7) {
      CAPTURE(batch);
      marcpp::parallel_options po;
      po.threads = 2;
      po.batch_bytes = batch;
      check_same(parallel(marcpp::memory_source{bytes}, ro, po), seq);
      check_same(parallel(marcpp::file_source{file.path}, ro, po), seq);
    }
  }
}

TEST_CASE("parallel_reader: the same records and diagnostics as the sequential reader (the corpus)") {
  if (!test::have_corpus()) return;
  std::istringstream manifest(test::slurp(test::corpus_dir() / "MANIFEST.tsv"));
  std::string line;
  std::size_t files = 0;
  while (std::getline(manifest, line)) {
    auto tab1 = line.find('\t');
    auto path = line.substr(0, tab1);
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (;;) {
      auto tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (cols.size() < 4 || cols[3].empty() || cols[3].find_first_not_of("0123456789") != std::string::npos) continue;
    if (path.size() > 3 && path.substr(path.size() - 3) == ".gz") continue;
    compare_on(test::slurp(test::corpus_dir() / path), path);
    ++files;
  }
  CHECK(files > 200);
}

TEST_CASE("parallel_reader: run_output writes what the sequential reader formats, in order") {
  const std::string bytes = test::slurp(test::crafted("ok-three.mrc")) + test::slurp(test::crafted("truncated.mrc")) +
                            test::slurp(test::crafted("bytes-between-records.mrc"));
  std::string expected;
  {
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    while (r.next(v)) marcpp::write_line(v, expected);
  }
  for (std::size_t batch : {std::size_t{1}, std::size_t{500}, std::size_t{1} << 20}) {
    marcpp::parallel_options po;
    po.threads = 2;
    po.batch_bytes = batch;
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, po};
    std::string out;
    std::size_t writes = 0;
    r.run_output([](const marcpp::record_view& v, std::string& o) { marcpp::write_line(v, o); },
                 [&](std::string_view s) {
                   out += s;
                   ++writes;
                 });
    CHECK(out == expected);
    CHECK(writes >= 1);
  }
  SUBCASE("strict: output stops before the record that stops reading") {
    marcpp::read_options ro;
    ro.policy = marcpp::error_policy::strict;
    std::string seq_out;
    marcpp::reader r{marcpp::memory_source{bytes}, ro};
    marcpp::record_view v;
    while (r.next(v)) marcpp::write_line(v, seq_out);
    marcpp::parallel_reader p{marcpp::memory_source{bytes}, ro, {.threads = 2, .batch_bytes = 1}};
    std::string par_out;
    p.run_output([](const marcpp::record_view& rv, std::string& o) { marcpp::write_line(rv, o); },
                 [&](std::string_view s) { par_out += s; });
    CHECK(r.failed());
    CHECK(p.failed());
    CHECK(marcpp::to_string(p.error()) == marcpp::to_string(r.error()));
    CHECK(par_out == seq_out);
    CHECK(!par_out.empty());
  }
}

TEST_CASE("parallel_reader: run_serialized hands on each record's output and value, in order") {
  const std::string bytes = test::slurp(test::crafted("ok-three.mrc")) + test::slurp(test::crafted("truncated.mrc")) +
                            test::slurp(test::crafted("bytes-between-records.mrc")) +
                            test::slurp(test::crafted("ok-empty-record.mrc"));
  std::vector<std::string> expected;
  std::vector<std::uint64_t> indices;
  {
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    while (r.next(v)) {
      expected.push_back(marcpp::to_line(v));
      indices.push_back(v.index());
    }
  }
  REQUIRE(expected.size() > 4);
  for (std::size_t batch : {std::size_t{1}, std::size_t{500}, std::size_t{1} << 20}) {
    CAPTURE(batch);
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, {.threads = 3, .batch_bytes = batch}};
    std::vector<std::string> got;
    std::vector<std::uint64_t> got_indices;
    r.run_serialized(
        [](const marcpp::record_view& v, std::string& out) {
          marcpp::write_line(v, out);
          return v.index();
        },
        [&](std::string_view text, std::uint64_t&& index) {
          got.emplace_back(text);
          got_indices.push_back(index);
        });
    CHECK(got == expected);
    CHECK(got_indices == indices);
  }
  SUBCASE("a sink returning false stops at once") {
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, {.threads = 2, .batch_bytes = 1}};
    std::size_t calls = 0;
    r.run_serialized([](const marcpp::record_view&, std::string& out) { out += "x"; return 0; },
                     [&](std::string_view text, int&&) {
                       CHECK(text == "x");
                       return ++calls < 2;
                     });
    CHECK(calls == 2);
    CHECK_FALSE(r.failed());
  }
}

TEST_CASE("parallel_reader: unordered mode delivers every record once") {
  std::string bytes;
  const std::string good = test::slurp(test::crafted("ok-basic.mrc"));
  for (int i = 0; i < 3000; ++i) bytes += good;
  marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, {.threads = 4, .batch_bytes = 2000, .ordered = false}};
  std::vector<int> seen(3000, 0);
  r.run([](const marcpp::record_view& v) { return v.index(); }, [&](std::uint64_t i) { ++seen.at(i); });
  CHECK(std::count(seen.begin(), seen.end(), 1) == 3000);
  CHECK(r.stats().records == 3000);
}

TEST_CASE("parallel_reader: cancellation") {
  std::string bytes;
  const std::string good = test::slurp(test::crafted("ok-basic.mrc"));
  for (int i = 0; i < 5000; ++i) bytes += good;
  const marcpp::parallel_options po{.threads = 2, .batch_bytes = 4096};

  SUBCASE("a transform that throws: the exception reaches the caller") {
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, po};
    CHECK_THROWS_WITH_AS(r.run([](const marcpp::record_view& v) -> int {
                                 if (v.index() == 1234) throw std::runtime_error("transform failed");
                                 return 0;
                               },
                               [](int) {}),
                         "transform failed", std::runtime_error);
  }
  SUBCASE("a sink that throws") {
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, po};
    std::size_t n = 0;
    CHECK_THROWS_AS(r.run([](const marcpp::record_view& v) { return v.index(); },
                          [&](std::uint64_t) {
                            if (++n == 100) throw std::logic_error("sink failed");
                          }),
                    std::logic_error);
    CHECK(n == 100);
  }
  SUBCASE("a sink that returns false stops reading cleanly") {
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, po};
    std::vector<std::uint64_t> got;
    r.run([](const marcpp::record_view& v) { return v.index(); },
          [&](std::uint64_t i) {
            got.push_back(i);
            return got.size() < 10;
          });
    REQUIRE(got.size() == 10);
    for (std::uint64_t i = 0; i < 10; ++i) CHECK(got[i] == i);
    CHECK_FALSE(r.failed());
  }
  SUBCASE("stop() from another thread") {
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, po};
    std::atomic<std::size_t> n{0};
    r.run([&](const marcpp::record_view&) {
      if (++n == 50) r.stop();
    });
    CHECK(n >= 50);
    CHECK(r.stats().records < 5000);
  }
  SUBCASE("void transforms and record counts") {
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, po};
    std::atomic<std::size_t> fields{0};
    r.run([&](const marcpp::record_view& v) { fields += v.size(); });
    CHECK(fields == 5000 * 5);
    CHECK(r.stats().records == 5000);
  }
}

TEST_CASE("parallel_reader: a file cut short while it is read") {
  const std::string good = test::slurp(test::crafted("ok-basic.mrc"));
  std::string bytes;
  for (int i = 0; i < 2000; ++i) bytes += good;
  for (std::size_t batch : {std::size_t{500}, std::size_t{4096}, std::size_t{1} << 20}) {
    CAPTURE(batch);
    const test::temp_file file("cut.mrc", bytes);
    marcpp::file_source src{file.path};
    std::filesystem::resize_file(file.path, bytes.size() / 2);
    marcpp::parallel_reader r{std::move(src), {}, {.threads = 2, .batch_bytes = batch}};
    std::vector<std::uint64_t> got;
    r.run([](const marcpp::record_view& v) { return v.index(); }, [&](std::uint64_t i) { got.push_back(i); });
    CHECK(r.failed());
    CHECK(r.error().code == marcpp::errc::io_error);
    CHECK(r.error().message.find("before its size when opened") != std::string::npos);
    // The records before the cut, in order, and none after it.
    CHECK(got.size() <= 1000);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == i);
  }
}

TEST_CASE("parallel_reader: a file_source read from where it stands, and an empty file") {
  const std::string good = test::slurp(test::crafted("ok-basic.mrc"));
  std::string bytes;
  for (int i = 0; i < 300; ++i) bytes += good;
  const test::temp_file file("from.mrc", bytes);
  marcpp::file_source src{file.path};
  REQUIRE(src.fill(good.size()));
  src.consume(good.size());  // the first record was read by someone else
  marcpp::parallel_reader r{std::move(src), {}, {.threads = 2, .batch_bytes = 1000}};
  std::vector<std::uint64_t> offsets;
  r.run([](const marcpp::record_view& v) { return v.offset(); }, [&](std::uint64_t o) { offsets.push_back(o); });
  REQUIRE(offsets.size() == 299);
  CHECK(offsets.front() == good.size());
  CHECK(offsets.back() == 299 * good.size());
  CHECK_FALSE(r.failed());

  const test::temp_file empty("empty.mrc", "");
  marcpp::parallel_reader e{marcpp::file_source{empty.path}};
  std::size_t n = 0;
  e.run([](const marcpp::record_view&) { return 0; }, [&](int) { ++n; });
  CHECK(n == 0);
  CHECK_FALSE(e.failed());
}
