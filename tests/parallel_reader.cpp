#include <marcpp/parallel_reader.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#if defined(__linux__)
#  include <pthread.h>
#  include <sched.h>
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

#if defined(__linux__)
namespace {
// The cores the calling thread may run on; empty if they cannot be read.
std::vector<int> cores_of_this_thread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cores;
  if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) != 0) return cores;
  for (std::size_t c = 0; c < static_cast<std::size_t>(CPU_SETSIZE); ++c)
    if (CPU_ISSET(c, &set)) cores.push_back(static_cast<int>(c));
  return cores;
}

// The cores each thread that parsed records of a run could run on, as it
// parsed them; and how many records were handed on.
struct binding_seen {
  std::map<std::thread::id, std::vector<int>> cores;
  std::uint64_t records = 0;
};
// `n` copies of one sound record, one after another.
std::string basic_records(int n) {
  const std::string good = test::slurp(test::crafted("ok-basic.mrc"));
  std::string bytes;
  for (int i = 0; i < n; ++i) bytes += good;
  return bytes;
}

binding_seen run_seeing_cores(unsigned threads, marcpp::thread_binding binding) {
  const std::string bytes = basic_records(4000);
  binding_seen seen;
  std::mutex m;
  marcpp::parallel_reader r{marcpp::memory_source{bytes}, {}, {.threads = threads, .batch_bytes = 4000, .binding = binding}};
  r.run(
      [&](const marcpp::record_view&) {
        std::vector<int> c = cores_of_this_thread();
        std::lock_guard<std::mutex> lock(m);
        seen.cores[std::this_thread::get_id()] = std::move(c);
        return 1;
      },
      [&](int) { ++seen.records; });
  return seen;
}
}  // namespace

TEST_CASE("parallel_reader: threads bound to cores of their own while a run lasts, and unbound after") {
  const std::vector<int> before = cores_of_this_thread();
  REQUIRE(!before.empty());

  binding_seen bound = run_seeing_cores(2, marcpp::thread_binding::cores);
  CHECK(bound.records == 4000);
  REQUIRE(!bound.cores.empty());
  std::set<int> used;
  for (const auto& entry : bound.cores) {
    const std::vector<int>& cores = entry.second;
    CAPTURE(cores.size());
    REQUIRE(cores.size() == 1);  // bound to one core
    CHECK(std::find(before.begin(), before.end(), cores[0]) != before.end());
    used.insert(cores[0]);
  }
  if (before.size() >= 2) CHECK(used.size() == bound.cores.size());  // each thread a core of its own
  CHECK(cores_of_this_thread() == before);  // the caller's binding back

  // Never bound: every thread, the workers of the run before included (they
  // got their binding back as they left it), may run on every core.
  binding_seen free = run_seeing_cores(2, marcpp::thread_binding::none);
  CHECK(free.records == 4000);
  for (const auto& entry : free.cores) CHECK(entry.second == before);
  CHECK(cores_of_this_thread() == before);
}

TEST_CASE("parallel_reader: automatic binding only with one thread for each core") {
  const std::vector<int> before = cores_of_this_thread();
  REQUIRE(!before.empty());
  const auto n = static_cast<unsigned>(before.size());

  // One thread, or more threads than cores: not bound.
  for (unsigned threads : {1u, n + 1}) {
    CAPTURE(threads);
    binding_seen seen = run_seeing_cores(threads, marcpp::thread_binding::automatic);
    CHECK(seen.records == 4000);
    for (const auto& entry : seen.cores) CHECK(entry.second == before);
  }
  if (n >= 2) {  // one thread for each core: bound
    binding_seen seen = run_seeing_cores(n, marcpp::thread_binding::automatic);
    CHECK(seen.records == 4000);
    for (const auto& entry : seen.cores) CHECK(entry.second.size() == 1);
  } else {
    MESSAGE("one core: the case of one thread for each core is the one-thread case above");
  }
  CHECK(cores_of_this_thread() == before);
}
#endif

#if defined(__linux__)
TEST_CASE("parallel_reader: a bound run that throws gives every binding back") {
  const std::vector<int> before = cores_of_this_thread();
  REQUIRE(!before.empty());
  const std::string bytes = basic_records(2000);
  std::atomic<int> seen{0};
  marcpp::parallel_reader r{marcpp::memory_source{bytes}, {},
                            {.threads = 2, .batch_bytes = 4000, .binding = marcpp::thread_binding::cores}};
  CHECK_THROWS_AS(r.run(
                      [&](const marcpp::record_view&) {
                        if (seen.fetch_add(1) == 500) throw std::runtime_error("transform failed");
                        return 1;
                      },
                      [](int) {}),
                  std::runtime_error);
  CHECK(cores_of_this_thread() == before);
  // The workers of the failed run are unbound in the next.
  binding_seen free = run_seeing_cores(2, marcpp::thread_binding::none);
  CHECK(free.records == 4000);
  for (const auto& entry : free.cores) CHECK(entry.second == before);
}

TEST_CASE("parallel_reader: a run started inside a bound run binds nothing, and the outer run still gives its bindings back") {
  const std::vector<int> before = cores_of_this_thread();
  REQUIRE(!before.empty());
  const std::string bytes = basic_records(200);
  std::vector<std::vector<int>> inner_cores;
  std::mutex m;
  bool inner_ran = false;
  marcpp::parallel_reader outer{marcpp::memory_source{bytes}, {},
                                {.threads = 2, .batch_bytes = 4000, .binding = marcpp::thread_binding::cores}};
  outer.run([](const marcpp::record_view&) { return 1; },
            [&](int) {
              if (inner_ran) return;
              inner_ran = true;
              // The sink runs on a thread the outer run bound. An inner run
              // that asks for binding binds nothing: the thread it runs on
              // keeps the outer run's binding, and its other threads keep
              // what they had.
              const std::vector<int> outer_core = cores_of_this_thread();
              CHECK(outer_core.size() == 1);
              binding_seen inner = run_seeing_cores(2, marcpp::thread_binding::cores);
              CHECK(inner.records == 4000);
              CHECK(cores_of_this_thread() == outer_core);
              std::lock_guard<std::mutex> lock(m);
              for (auto& entry : inner.cores) inner_cores.push_back(entry.second);
            });
  CHECK(inner_ran);
  CHECK(!inner_cores.empty());
  CHECK(cores_of_this_thread() == before);
  binding_seen free = run_seeing_cores(2, marcpp::thread_binding::none);
  for (const auto& entry : free.cores) CHECK(entry.second == before);
}

TEST_CASE("core_binder: binds each thread once, in turn, and gives the bindings back from the thread that made it") {
  const std::vector<int> before = cores_of_this_thread();
  REQUIRE(!before.empty());
  std::vector<std::size_t> cores;
  for (int c : before) cores.push_back(static_cast<std::size_t>(c));
  std::vector<int> a_bound, a_after, b_bound;
  {
    marcpp::detail::core_binder binder(cores);
    // Another thread, started before anything is bound (a thread starts
    // with the binding of the thread that starts it).
    std::atomic<int> step{0};
    std::thread t([&] {
      while (step.load() != 1) std::this_thread::yield();
      binder.enter();
      a_bound = cores_of_this_thread();
      step.store(2);
      while (step.load() != 3) std::this_thread::yield();
      a_after = cores_of_this_thread();
    });
    binder.enter();
    binder.enter();  // once is enough: still one thread bound
    const std::vector<int> mine = cores_of_this_thread();
    REQUIRE(mine.size() == 1);
    CHECK(binder.bound() == 1);
    // A second binder while this one lives binds nothing.
    {
      marcpp::detail::core_binder second(cores);
      second.enter();
      CHECK(second.bound() == 0);
      CHECK(cores_of_this_thread() == mine);
    }
    // The other thread is bound to the next core, and stays bound until the
    // binder gives the binding back, from this thread.
    step.store(1);
    while (step.load() != 2) std::this_thread::yield();
    CHECK(binder.bound() == 2);
    binder.release();
    CHECK(binder.bound() == 0);
    step.store(3);
    t.join();
    REQUIRE(a_bound.size() == 1);
    if (before.size() >= 2) CHECK(a_bound != mine);
    CHECK(a_after == before);
    CHECK(cores_of_this_thread() == before);
    // Released: no more binding.
    std::thread u([&] {
      binder.enter();
      b_bound = cores_of_this_thread();
    });
    u.join();
    CHECK(b_bound == before);
    CHECK(binder.bound() == 0);
  }
  // Once it is gone, a new binder binds again (and gives back as it goes).
  {
    marcpp::detail::core_binder third(cores);
    third.enter();
    CHECK(third.bound() == 1);
    CHECK(cores_of_this_thread().size() == 1);
  }
  CHECK(cores_of_this_thread() == before);
}
#endif

TEST_CASE("pace_meter: the threads keep pace when each did some work and none took 1.15 times the fastest's time") {
  marcpp::detail::pace_meter meter(2);
  meter.add(0, 100);
  meter.add(0, 100);
  meter.add(1, 110);
  meter.add(1, 118);
  CHECK(meter.kept_pace());  // 114 against 100 on average
  // Each call starts afresh: nothing since, so not every thread worked.
  CHECK_FALSE(meter.kept_pace());
  meter.add(0, 100);
  meter.add(1, 116);
  CHECK_FALSE(meter.kept_pace());
  meter.add(1, 500);  // one thread did it all
  CHECK_FALSE(meter.kept_pace());
  meter.add(0, 300);
  meter.add(1, 270);  // the first thread the slower now, by 1.11
  CHECK(meter.kept_pace());
}

TEST_CASE("run_filters: epochs hand on every item once, in order, within each epoch's items in flight") {
  for (const int count : {0, 1, 20, 23}) {
    CAPTURE(count);
    std::vector<int> items(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) items[static_cast<std::size_t>(i)] = i;
    const marcpp::detail::flight_plan plan{.narrow = 1, .wide = 3, .epoch = 5};
    std::size_t next = 0, epoch = 0;  // epoch: how many times run_filters asked which way to go
    std::atomic<int> live{0};
    std::vector<int> most(16, 0), seen;
    auto produce = [&]() -> int* {
      if (next == items.size()) return nullptr;
      const int now = live.fetch_add(1) + 1;
      most[epoch] = std::max(most[epoch], now);
      return &items[next++];
    };
    auto consume = [&](int* x) {
      seen.push_back(*x);
      live.fetch_sub(1);
    };
    const auto middle = tbb::make_filter<int*, int*>(tbb::filter_mode::parallel, [](int* x) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // time for the input to run ahead, if it may
      return x;
    });
    marcpp::detail::run_filters<int>(2, plan, true, nullptr, produce, middle, consume, [&] {
      ++epoch;
      return epoch % 2 == 1;  // narrow, wide, narrow, ...
    });
    CHECK(seen == items);
    // Epochs of 5 items, and a last one that the input's end cuts short or
    // finds empty: one call after each full epoch, none after the last.
    CHECK(epoch == static_cast<std::size_t>(count) / 5);
    for (std::size_t e = 0; e <= epoch; ++e) {
      CAPTURE(e);
      CHECK(most[e] <= (e % 2 == 0 ? 1 : 3));
    }
  }
}
