#include <marcpp/parallel_reader.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#if defined(__linux__)
#  include <pthread.h>
#  include <sched.h>
#  include <unistd.h>
#endif

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
  for (const marcpp::diagnostic& d : v.diagnostics()) {
    s += '[';
    s += marcpp::to_string(d);
    s += ']';
  }
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

namespace {
// `n` copies of one sound record, one after another.
std::string basic_records(int n) {
  const std::string good = test::slurp(test::crafted("ok-basic.mrc"));
  std::string bytes;
  for (int i = 0; i < n; ++i) bytes += good;
  return bytes;
}

// The threads that ran a transform, and the records handed on.
struct threads_seen {
  std::set<std::thread::id> ids;
  std::uint64_t records = 0;
};
threads_seen run_counting_threads(const std::string& bytes, unsigned threads) {
  threads_seen seen;
  std::mutex m;
  marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, {.threads = threads, .batch_bytes = 2000}};
  r.run(
      [&](const marcpp::record_view& v) {
        std::lock_guard<std::mutex> lock(m);
        seen.ids.insert(std::this_thread::get_id());
        return v.index();
      },
      [&](std::uint64_t i) { seen.records += i == seen.records; });
  return seen;
}

std::size_t tbb_parallelism() {
  return tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
}
}  // namespace

// First in the file: oneTBB warns once a process, so a run that made it
// warn before this one would hide the warning from it.
TEST_CASE("parallel_reader: more threads than oneTBB allows: as many as it allows, and no warning") {
  const unsigned hw = marcpp::detail::hardware_threads();
  const std::size_t allowed = tbb_parallelism();
  CHECK(marcpp::detail::arena_threads(0) == std::min<std::size_t>(hw, allowed));
  CHECK(marcpp::detail::arena_threads(1) == 1);
  CHECK(marcpp::detail::arena_threads(static_cast<unsigned>(allowed) + 3) == allowed);
  const std::string bytes = basic_records(3000);
#if defined(__linux__)
  // Standard error, as the run leaves it: oneTBB asked for more workers
  // than it allows prints "TBB Warning: The number of workers is currently
  // limited ...".
  std::fflush(stderr);
  const test::temp_file caught("stderr.txt", "");
  const int saved = ::dup(2);
  REQUIRE(saved >= 0);
  std::FILE* f = std::fopen(caught.path.c_str(), "w");
  REQUIRE(f);
  ::dup2(::fileno(f), 2);
  threads_seen many = run_counting_threads(bytes, static_cast<unsigned>(allowed) + 2);
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::fclose(f);
  CHECK(test::slurp(caught.path) == "");
#else
  threads_seen many = run_counting_threads(bytes, static_cast<unsigned>(allowed) + 2);
#endif
  CHECK(many.records == 3000);
  CHECK(many.ids.size() <= allowed);
  // A program that raises the limit gets the threads it asks for, up to it.
  {
    tbb::global_control more(tbb::global_control::max_allowed_parallelism, allowed + 2);
    CHECK(marcpp::detail::arena_threads(static_cast<unsigned>(allowed) + 2) == allowed + 2);
    CHECK(marcpp::detail::arena_threads(static_cast<unsigned>(allowed) + 9) == allowed + 2);
    threads_seen raised = run_counting_threads(bytes, static_cast<unsigned>(allowed) + 2);
    CHECK(raised.records == 3000);
    CHECK(raised.ids.size() <= allowed + 2);
  }
  // And one that lowers it, no more than it allows.
  {
    tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    CHECK(marcpp::detail::arena_threads(0) == 1);
    threads_seen lowered = run_counting_threads(bytes, 2);
    CHECK(lowered.records == 3000);
    CHECK(lowered.ids.size() == 1);
  }
}

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

TEST_CASE("parallel_reader: a leader fault's message written over one of the same length from a batch before") {
  // A batch object is used again for later batches, and its view writes
  // each record's diagnostics over those the slot held the time before. A
  // leader fault repeated from the record before copies its message only
  // where the slot holds a different one: here the slot holds the message
  // of another entry map ("4 y"), of the same length, which must not stay.
  std::string x = test::slurp(test::crafted("bad-entry-map.mrc"));
  REQUIRE(x.substr(20, 3) == "4 x");
  std::string y = x;
  y[22] = 'y';
  const std::string bytes = y + y + y + x + x + x;
  marcpp::parallel_options po;
  po.threads = 1;
  po.max_batches = 1;  // one batch object, used for every batch
  for (std::size_t records : {std::size_t{2}, std::size_t{3}}) {
    CAPTURE(records);
    po.batch_records = records;
    const transcript par = parallel(marcpp::memory_source{bytes}, {}, po);
    const transcript seq = sequential(marcpp::memory_source{bytes}, {});
    check_same(par, seq);
    REQUIRE(par.records.size() == 6);
    for (std::size_t i = 0; i < 6; ++i) {
      CAPTURE(i);
      CHECK(par.records[i].find(i < 3 ? "(\"4 y\")" : "(\"4 x\")") != std::string::npos);
    }
  }
}

TEST_CASE("parallel_reader: a range that begins inside a record holding what looks like the start of another") {
  // A record whose data holds a field terminator and a record terminator
  // followed by a plausible leader, as a record ends and another begins: a
  // worker whose range begins inside it guesses a record start there; the
  // in-order check must find the guess wrong and cut again.
  const std::string plain = test::slurp(test::crafted("ok-basic.mrc"));
  marcpp::record r = test::one(plain);
  const std::string fake = std::string("\x1E\x1D") + "00099nam a2200037 a 4500";
  // The writer refuses a terminator in a value: the bytes are put in after.
  const std::string room(fake.size(), 'x');
  r.add(marcpp::field("500", "  ", {{'a', "before" + room + "after"}}));
  std::string odd = marcpp::to_iso2709(r);
  odd.replace(odd.find(room), room.size(), fake);
  REQUIRE(odd.find(fake) != std::string::npos);
  const std::string bytes = plain + odd + plain + odd + plain;
  const std::size_t inside = plain.size() + odd.find(fake) - 3;
  // The guess from inside the odd record lands on the fake start.
  CHECK(marcpp::next_record_start(bytes, inside) == plain.size() + odd.find(fake) + 2);
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


TEST_CASE("parallel_reader: a program's own oneTBB limit is the same before a run, inside its sink and after") {
  const std::string bytes = basic_records(3000);
  const std::size_t before = tbb_parallelism();
  for (const std::size_t limit : {before, before + 1, std::size_t{3}}) {
    CAPTURE(limit);
    tbb::global_control own(tbb::global_control::max_allowed_parallelism, limit);
    const std::size_t set = tbb_parallelism();
    for (unsigned threads : {1u, 2u}) {
      CAPTURE(threads);
      marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, {.threads = threads, .batch_bytes = 4000}};
      std::atomic<std::size_t> transforms_other{0};
      std::size_t sinks = 0, sinks_other = 0;
      r.run(
          [&](const marcpp::record_view&) {
            if (tbb_parallelism() != set) ++transforms_other;
            return 1;
          },
          [&](int) {
            ++sinks;
            if (tbb_parallelism() != set) ++sinks_other;
          });
      CHECK(sinks == 3000);
      CHECK(sinks_other == 0);
      CHECK(transforms_other == 0);
      CHECK(tbb_parallelism() == set);
    }
  }
  CHECK(tbb_parallelism() == before);
}

#if defined(__linux__)
namespace {
// The CPUs the calling thread may run on.
std::vector<int> cpus_of_this_thread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) != 0) return cpus;
  for (std::size_t c = 0; c < static_cast<std::size_t>(CPU_SETSIZE); ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(static_cast<int>(c));
  return cpus;
}
}  // namespace

TEST_CASE("parallel_reader: no thread's CPU mask changes: the caller's, the workers', a thread a sink starts") {
  const std::vector<int> before = cpus_of_this_thread();
  REQUIRE(!before.empty());
  const std::string bytes = basic_records(3000);
  // 0 is one thread for each CPU the process may use: where a reader that
  // bound threads to cores would bind them.
  for (unsigned threads : {0u, 1u, 2u}) {
    CAPTURE(threads);
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, {.threads = threads, .batch_bytes = 4000}};
    std::atomic<std::size_t> workers_other{0};
    std::size_t sinks = 0, sinks_other = 0;
    std::vector<int> started;  // the CPUs of a thread the sink started
    r.run(
        [&](const marcpp::record_view&) {
          if (cpus_of_this_thread() != before) ++workers_other;
          return 1;
        },
        [&](int) {
          if (cpus_of_this_thread() != before) ++sinks_other;
          if (sinks++ == 100) std::thread([&] { started = cpus_of_this_thread(); }).join();
        });
    CHECK(sinks == 3000);
    CHECK(sinks_other == 0);
    CHECK(workers_other == 0);
    CHECK(started == before);
    CHECK(cpus_of_this_thread() == before);
  }
}
#endif

namespace {
// Everything two kinds of run hand on: each record's index and line text,
// and the output of run_output.
struct outputs {
  std::vector<std::string> records;
  std::string written;
  marcpp::read_stats stats;
  bool operator==(const outputs& o) const {
    return records == o.records && written == o.written && same_stats(stats, o.stats);
  }
};
template <class Reader>
outputs run_both(Reader& r) {
  outputs o;
  r.run([](const marcpp::record_view& v) { return describe(v); }, [&](std::string&& s) { o.records.push_back(std::move(s)); });
  r.run_output([](const marcpp::record_view& v, std::string& out) { marcpp::write_line(v, out); },
               [&](std::string_view s) { o.written += s; });
  o.stats = r.stats();
  return o;
}
}  // namespace

TEST_CASE("parallel_reader: run again gives the same, after a stop too; stop() between runs ends the next") {
  const std::string bytes = basic_records(200) + test::slurp(test::crafted("truncated.mrc")) + basic_records(200);
  const test::temp_file file("again.mrc", bytes);
  const transcript seq = sequential(marcpp::memory_source{bytes}, {});
  REQUIRE(seq.records.size() > 400);
  const marcpp::parallel_options po{.threads = 2, .batch_bytes = 3000};
  auto check_source = [&](auto src) {
    marcpp::parallel_reader r{std::move(src), {}, po};
    const outputs first = run_both(r);
    CHECK(first.records == seq.records);
    CHECK(same_stats(first.stats, seq.stats));
    CHECK(run_both(r) == first);
    // A sink that stops the run: the next run reads everything again.
    std::size_t n = 0;
    r.run([](const marcpp::record_view&) { return 0; }, [&](int) {
      if (++n == 10) r.stop();
    });
    CHECK(n >= 10);
    CHECK(n < seq.records.size());
    CHECK(run_both(r) == first);
    // Asked between runs: the next run hands on nothing, the one after all.
    r.stop();
    std::size_t none = 0;
    r.run([](const marcpp::record_view&) { return 0; }, [&](int) { ++none; });
    CHECK(none == 0);
    CHECK(run_both(r) == first);
  };
  check_source(marcpp::memory_source{bytes});
  check_source(marcpp::file_source{file.path});
}

TEST_CASE("parallel_reader: a reader moved, before a run and after one, reads the same") {
  const std::string bytes = basic_records(300) + test::slurp(test::crafted("truncated.mrc"));
  std::vector<std::string> diags;
  marcpp::parallel_reader a{marcpp::memory_source{bytes}, {}, {.threads = 2, .batch_bytes = 2000}};
  a.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { diags.push_back(marcpp::to_string(d)); });
  marcpp::parallel_reader b{std::move(a)};
  const outputs first = run_both(b);
  CHECK(first.records == sequential(marcpp::memory_source{bytes}, {}).records);
  CHECK(!diags.empty());
  const std::size_t diags_per_pass = diags.size();
  // Moved after a run: the statistics go along, and the next run is the same.
  marcpp::parallel_reader c{std::move(b)};
  CHECK(same_stats(c.stats(), first.stats));
  CHECK(run_both(c) == first);
  marcpp::parallel_reader d{marcpp::memory_source{std::string_view{}}};
  d = std::move(c);
  CHECK(run_both(d) == first);
  CHECK(diags.size() == 3 * diags_per_pass);
  CHECK(d.options().batch_bytes == 2000);
}

TEST_CASE("parallel_reader: a run inside another's sink") {
  const std::string outer_bytes = basic_records(50), inner_bytes = basic_records(400);
  std::size_t outer_records = 0, inner_runs = 0;
  marcpp::parallel_reader outer{marcpp::memory_source{outer_bytes}, {}, {.threads = 2, .batch_bytes = 1000}};
  outer.run([](const marcpp::record_view& v) { return v.index(); },
            [&](std::uint64_t i) {
              CHECK(i == outer_records++);
              if (i % 10 != 0) return;
              std::uint64_t next = 0;
              marcpp::parallel_reader inner{marcpp::memory_source{inner_bytes}, {}, {.threads = 2, .batch_bytes = 1000}};
              inner.run([](const marcpp::record_view& v) { return v.index(); },
                        [&](std::uint64_t j) { next += j == next; });
              CHECK(next == 400);
              ++inner_runs;
            });
  CHECK(outer_records == 50);
  CHECK(inner_runs == 5);
}

TEST_CASE("parallel_reader: a write or end_batch returning false stops reading, and nothing is written after") {
  const std::string bytes = basic_records(500);
  SUBCASE("run_output") {
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, {.threads = 2, .batch_bytes = 3000}};
    std::size_t writes = 0;
    r.run_output([](const marcpp::record_view& v, std::string& out) { marcpp::write_line(v, out); },
                 [&](std::string_view s) {
                   CHECK(!s.empty());
                   return ++writes < 2;
                 });
    CHECK(writes == 2);
    CHECK(r.stats().records < 500);
    CHECK_FALSE(r.failed());
  }
  SUBCASE("run_serialized's end_batch") {
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, {.threads = 2, .batch_bytes = 3000}};
    std::size_t records = 0, batches = 0, after = 0;
    r.run_serialized([](const marcpp::record_view&, std::string& out) { out += 'x'; return 0; },
                     [&](std::string_view, int&&) {
                       ++records;
                       if (batches == 3) ++after;
                     },
                     [&] { return ++batches < 3; });
    CHECK(batches == 3);
    CHECK(after == 0);
    CHECK(records > 0);
    CHECK(records < 500);
  }
}

TEST_CASE("parallel_reader: a transform's exception reaches the caller over every kind of source, and a run after it reads all") {
  const std::string bytes = basic_records(2000);
  const test::temp_file file("throws.mrc", bytes);
  const marcpp::parallel_options po{.threads = 2, .batch_bytes = 3000};
  auto throw_then_read = [&](auto& r) {
    CHECK_THROWS_WITH_AS(r.run([](const marcpp::record_view& v) -> std::uint64_t {
                                 if (v.index() == 700) throw std::runtime_error("transform failed");
                                 return v.index();
                               },
                               [](std::uint64_t) {}),
                         "transform failed", std::runtime_error);
  };
  {
    marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, po};
    throw_then_read(r);
    std::uint64_t next = 0;
    r.run([](const marcpp::record_view& v) { return v.index(); }, [&](std::uint64_t i) { next += i == next; });
    CHECK(next == 2000);
  }
  {
    marcpp::parallel_reader r{marcpp::file_source{file.path}, {}, po};
    throw_then_read(r);
    std::uint64_t next = 0;
    r.run([](const marcpp::record_view& v) { return v.index(); }, [&](std::uint64_t i) { next += i == next; });
    CHECK(next == 2000);
  }
  {
    std::istringstream in(bytes);
    marcpp::parallel_reader r{marcpp::stream_source{in, 512}, {}, po};
    throw_then_read(r);
  }
}
