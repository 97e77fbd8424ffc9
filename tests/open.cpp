// marcpp::open: every format and compression, one thread or two, the
// failures of opening, and the conversion to UTF-8.
#include "test_support.hpp"

#include <marcpp/open.hpp>

#include <map>
#include <sstream>

namespace {

// Everything an input gives, as text: each record's line dump with its
// index, offset and diagnostics, each diagnostic handed to the handler (with
// the size of its raw bytes), the statistics after each record and at the
// end, and the error.
struct trace {
  std::vector<std::string> lines;
  bool operator==(const trace&) const = default;
};

std::string stats_text(const marcpp::read_stats& s) {
  return "stats " + std::to_string(s.records) + " " + std::to_string(s.repaired) + " " + std::to_string(s.skipped) +
         " " + std::to_string(s.warnings) + " " + std::to_string(s.faults);
}

trace run_views(marcpp::input& in) {
  trace t;
  in.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    t.lines.push_back("diag " + marcpp::to_string(d) + " raw " + std::to_string(raw.size()));
  });
  marcpp::record_view rec;
  while (in.next(rec)) {
    std::string line = "record " + std::to_string(rec.index()) + " @" + std::to_string(rec.offset()) + " raw " +
                       std::to_string(rec.raw().size()) + " ";
    marcpp::write_line(rec, line);
    for (const auto& d : rec.diagnostics()) line += " [" + marcpp::to_string(d) + "]";
    t.lines.push_back(line);
    t.lines.push_back(stats_text(in.stats()));
  }
  t.lines.push_back("end " + stats_text(in.stats()) + " failed " + std::to_string(in.failed()) + " " +
                    marcpp::to_string(in.error()));
  return t;
}

trace run_records(marcpp::input& in) {
  trace t;
  in.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    t.lines.push_back("diag " + marcpp::to_string(d) + " raw " + std::to_string(raw.size()));
  });
  marcpp::record rec;
  while (in.next(rec)) {
    std::string line = "record " + std::to_string(rec.index()) + " @" + std::to_string(rec.offset()) + " ";
    marcpp::write_line(rec, line);
    t.lines.push_back(line);
    t.lines.push_back(stats_text(in.stats()));
  }
  t.lines.push_back("end " + stats_text(in.stats()) + " failed " + std::to_string(in.failed()));
  return t;
}

marcpp::open_options threads(unsigned n, marcpp::error_policy p = marcpp::error_policy::lenient) {
  marcpp::open_options o;
  o.threads = n;
  o.policy = p;
  return o;
}

// The line dumps of the records of ISO 2709 bytes, read by the plain reader.
std::vector<std::string> dumps_of(std::string_view bytes) {
  std::vector<std::string> out;
  marcpp::reader r{marcpp::memory_source{bytes}};
  marcpp::record_view v;
  while (r.next(v)) {
    std::string s;
    marcpp::write_line(v, s);
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("open reads every format and compression, detected or named") {
  const std::string sample = test::slurp(test::data_dir() / "crafted" / "ok-three.mrc");
  const std::vector<std::string> want = dumps_of(sample);
  REQUIRE(want.size() == 3);
  marcpp::record_view v;
  std::vector<marcpp::record> recs;
  marcpp::reader r{marcpp::memory_source{sample}};
  while (r.next(v)) recs.emplace_back(v);

  for (marcpp::format f : {marcpp::format::iso2709, marcpp::format::marcxml, marcpp::format::json,
                           marcpp::format::jsonl, marcpp::format::mrk}) {
    std::ostringstream os;
    {
      marcpp::record_writer w{os, f};
      for (const auto& rec : recs) REQUIRE_FALSE(w.write(rec));
    }
    const std::string name = std::string(marcpp::to_string(f));
    test::temp_file plain("open." + name, os.str());
    test::temp_file gz("open." + name + ".gz", "");
    test::temp_file zst("open." + name + ".zst", "");
    REQUIRE(test::run_command("gzip -c " + test::quote(plain.path) + " > " + test::quote(gz.path)).status == 0);
    REQUIRE(test::run_command("zstd -q -f -c " + test::quote(plain.path) + " > " + test::quote(zst.path)).status == 0);
    for (const auto* file : {&plain, &gz, &zst}) {
      for (marcpp::format asked : {marcpp::format::detect, f}) {
        CAPTURE(file->path.string());
        CAPTURE(marcpp::to_string(asked));
        marcpp::open_options o;
        o.format = asked;
        auto in = marcpp::open(file->path.string(), o);
        CHECK(in.format() == (f == marcpp::format::json && asked == marcpp::format::detect ? marcpp::format::json : f));
        std::vector<std::string> got;
        for (const marcpp::record_view& rec : in) {
          std::string s;
          marcpp::write_line(rec, s);
          got.push_back(s);
        }
        CHECK(got == want);
        CHECK(in.stats().records == 3);
        CHECK_FALSE(in.failed());
      }
    }
    // A stream, and owning records.
    std::istringstream is(os.str());
    auto in = marcpp::open(is);
    CHECK(in.name() == "<stream>");
    marcpp::record rec;
    std::vector<std::string> got;
    while (in.next(rec)) {
      std::string s;
      marcpp::write_line(rec, s);
      got.push_back(s);
    }
    CHECK(got == want);
  }
}

TEST_CASE("open: a view of a record of a text format keeps its odd parts") {
  // An invalid tag, unlabelled data and a subfield without a code survive
  // the way from MARCXML through the view.
  const std::string bytes = test::slurp(test::crafted("invalid-tag.mrc"));
  std::vector<marcpp::record> recs;
  {
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record rec;
    while (r.next(rec)) recs.push_back(rec);
  }
  REQUIRE_FALSE(recs.empty());
  std::ostringstream os;
  {
    marcpp::writer_options wo;
    wo.marcxml.as_is = true;
    marcpp::record_writer w{os, marcpp::format::mrk, wo};
    for (const auto& rec : recs) (void)w.write(rec);
  }
  std::istringstream is(os.str());
  auto in = marcpp::open(is);
  REQUIRE(in.format() == marcpp::format::mrk);
  std::size_t i = 0;
  for (const marcpp::record_view& v : in) {
    REQUIRE(i < recs.size());
    marcpp::record back{v};
    std::string a, b;
    marcpp::write_line(back, a);
    marcpp::write_line(recs[i], b);
    CHECK(a == b);
    ++i;
  }
  CHECK(i == recs.size());
}

TEST_CASE("open: a failed open is an error, thrown or returned") {
  marcpp::diagnostic err;
  SUBCASE("a missing file") {
    auto in = marcpp::open("/nonexistent/marcpp/open.mrc", {}, err);
    CHECK(err.code == marcpp::errc::io_error);
    CHECK(err.message.find("/nonexistent/marcpp/open.mrc") != std::string::npos);
    CHECK_FALSE(in.is_open());
    marcpp::record rec;
    CHECK_FALSE(in.next(rec));
    try {
      (void)marcpp::open("/nonexistent/marcpp/open.mrc");
      FAIL("no exception");
    } catch (const marcpp::error& e) {
      CHECK(e.code() == marcpp::errc::io_error);
    }
  }
  SUBCASE("garbage") {
    test::temp_file f("open-garbage.bin", "Hello, world: no MARC here");
    auto in = marcpp::open(f.path.string(), {}, err);
    CHECK(err.code == marcpp::errc::unknown_format);
    CHECK(err.message.find("\"Hello, world: no") != std::string::npos);
    CHECK(err.message.find("open_options::format") != std::string::npos);
    CHECK(err.message.find("-f") == std::string::npos);
    CHECK_FALSE(in.is_open());
    try {
      (void)marcpp::open(f.path.string());
      FAIL("no exception");
    } catch (const marcpp::error& e) {
      CHECK(e.code() == marcpp::errc::unknown_format);
    }
    std::istringstream is("Hello");
    (void)marcpp::open(is, {}, err);
    CHECK(err.code == marcpp::errc::unknown_format);
  }
  SUBCASE("an empty input") {
    std::istringstream is("");
    (void)marcpp::open(is, {}, err);
    CHECK(err.code == marcpp::errc::unknown_format);
    CHECK(err.message.find("empty") != std::string::npos);
  }
  SUBCASE("the text format cannot be read") {
    marcpp::open_options o;
    o.format = marcpp::format::text;
    std::istringstream is("00000");
    (void)marcpp::open(is, o, err);
    CHECK(err.code == marcpp::errc::unknown_format);
  }
  SUBCASE("a success clears the error") {
    err.code = marcpp::errc::io_error;
    auto in = marcpp::open(test::crafted("ok-three.mrc").string(), {}, err);
    CHECK_FALSE(err);
    CHECK(in.is_open());
  }
}

TEST_CASE("open: one thread and two give the same records, diagnostics and statistics") {
  std::vector<std::filesystem::path> files;
  for (const char* name : {"ok-three.mrc", "bytes-between-records.mrc", "missing-field-terminator.mrc",
                           "record-length-mismatch.mrc", "truncated.mrc", "invalid-utf8.mrc", "oversized-field.mrc"})
    files.push_back(test::crafted(name));
  files.push_back(test::data_dir() / "real" / "pymarc-bad_records.mrc");
  if (test::have_corpus()) {
    for (const char* name : {"malformed/marc4j-bad_hathi_records.mrc", "malformed/marc-perl-filler.usmarc",
                             "malformed/file_marc-bad_example.mrc", "large/evergreen-jazz_1k.mrc",
                             "bib-marc8/marc-perl-camel.usmarc"})
      files.push_back(test::corpus_dir() / name);
  }
  for (const auto& file : files) {
    for (auto policy : {marcpp::error_policy::lenient, marcpp::error_policy::skip, marcpp::error_policy::strict}) {
      for (bool utf8 : {false, true}) {
        CAPTURE(file.string());
        CAPTURE(marcpp::to_string(policy));
        CAPTURE(utf8);
        auto o1 = threads(1, policy), o2 = threads(2, policy);
        o1.to_utf8 = o2.to_utf8 = utf8;
        auto one = marcpp::open(file.string(), o1);
        auto two = marcpp::open(file.string(), o2);
        const trace a = run_views(one), b = run_views(two);
        CHECK(a.lines.size() > 1);
        CHECK(a == b);
        auto three = marcpp::open(file.string(), o1);
        auto four = marcpp::open(file.string(), o2);
        CHECK(run_records(three) == run_records(four));
      }
    }
  }
}

TEST_CASE("open: two threads with an error limit") {
  const auto file = (test::data_dir() / "real" / "pymarc-bad_records.mrc").string();
  auto o1 = threads(1), o2 = threads(2);
  o1.max_errors = o2.max_errors = 0;
  auto one = marcpp::open(file, o1);
  auto two = marcpp::open(file, o2);
  const trace a = run_views(one), b = run_views(two);
  CHECK(one.failed());
  CHECK(one.error().code == marcpp::errc::too_many_errors);
  CHECK(a == b);
}

TEST_CASE("open: the statistics, the handler and the range-for's error") {
  const auto file = test::crafted("missing-field-terminator.mrc").string();
  for (unsigned n : {1u, 2u}) {
    CAPTURE(n);
    auto lenient = marcpp::open(file, threads(n));
    std::size_t diags = 0;
    lenient.on_diagnostic([&](const marcpp::diagnostic&, std::string_view raw) {
      ++diags;
      CHECK_FALSE(raw.empty());
    });
    std::size_t records = 0;
    for (const marcpp::record_view& rec : lenient) records += !rec.empty();
    CHECK(records == lenient.stats().records);
    CHECK(lenient.stats().repaired > 0);
    CHECK(diags == lenient.stats().faults + lenient.stats().warnings);

    auto strict = marcpp::open(file, threads(n, marcpp::error_policy::strict));
    try {
      for (const marcpp::record_view& rec : strict) (void)rec;
      FAIL("no exception");
    } catch (const marcpp::error& e) {
      CHECK(e.code() == marcpp::errc::missing_field_terminator);
    }
    CHECK(strict.failed());
  }
}

TEST_CASE("open: an input destroyed in the middle of a parallel run stops it") {
  const std::string one = test::slurp(test::crafted("ok-three.mrc"));
  std::string many;
  for (int i = 0; i < 4000; ++i) many += one;
  test::temp_file f("open-many.mrc", many);
  for (int k : {0, 1, 5, 3000}) {
    auto in = marcpp::open(f.path.string(), threads(2));
    marcpp::record_view v;
    for (int i = 0; i < k; ++i) REQUIRE(in.next(v));
    if (k) CHECK(in.stats().records == static_cast<std::uint64_t>(k));
  }  // each destroyed with batches in flight: must neither hang nor leak
  // From a stream too, and after moving the input.
  std::istringstream is(many);
  auto in = marcpp::open(is, threads(2));
  marcpp::record_view v;
  REQUIRE(in.next(v));
  marcpp::input moved = std::move(in);
  REQUIRE(moved.next(v));
  CHECK(v.index() == 1);
}

TEST_CASE("open: to_utf8 gives what to_utf8 gives record by record") {
  if (!test::have_corpus()) return;
  for (const char* name : {"bib-marc8/marc-perl-charset-cjk1.marc", "bib-marc8/solrmarc-uva_001-200.mrc",
                           "bib-marc8/marc4j-samples-diacritic4.mrc"}) {
    const auto file = (test::corpus_dir() / name).string();
    CAPTURE(file);
    std::vector<std::string> want;
    std::uint64_t marc8 = 0;
    {
      auto in = marcpp::open(file);
      for (const marcpp::record_view& rec : in) {
        marc8 += rec.leader().coding_scheme() != 'a';
        marcpp::record u;
        REQUIRE_FALSE(marcpp::to_utf8(rec, u));
        std::string s;
        marcpp::write_line(u, s);
        want.push_back(s);
      }
    }
    CHECK(marc8 > 0);
    for (unsigned n : {1u, 2u}) {
      marcpp::open_options o = threads(n);
      o.to_utf8 = true;
      auto in = marcpp::open(file, o);
      std::vector<std::string> got;
      for (const marcpp::record_view& rec : in) {
        CHECK(rec.leader().coding_scheme() == 'a');
        std::string s;
        marcpp::write_line(rec, s);
        got.push_back(s);
      }
      CHECK(got == want);
      auto again = marcpp::open(file, o);
      marcpp::record rec;
      std::size_t i = 0;
      while (again.next(rec)) {
        std::string s;
        marcpp::write_line(rec, s);
        REQUIRE(i < want.size());
        CHECK(s == want[i++]);
      }
      CHECK(i == want.size());
    }
  }
}

TEST_CASE("open: a conversion the policy refuses is skipped or stops, as the reader's faults are") {
  // A MARC-8 record with a byte that maps to nothing: repaired (lenient),
  // skipped (skip), or the end of reading (strict).
  marcpp::record r;
  r.leader() = marcpp::leader{};
  r.add(marcpp::field::control("001", "x1"));
  r.add(marcpp::field("245", "10", {{'a', std::string("Caf\xFF")}}));
  std::string bytes;
  REQUIRE_FALSE(marcpp::write_iso2709(r, bytes));
  std::string twice = bytes + bytes;
  for (unsigned n : {1u, 2u}) {
    CAPTURE(n);
    std::map<marcpp::error_policy, trace> traces;
    for (auto policy : {marcpp::error_policy::lenient, marcpp::error_policy::skip, marcpp::error_policy::strict}) {
      marcpp::open_options o = threads(n, policy);
      o.to_utf8 = true;
      std::istringstream is(twice);
      auto in = marcpp::open(is, o);
      traces[policy] = run_views(in);
      const auto s = in.stats();
      if (policy == marcpp::error_policy::lenient) {
        CHECK(s.records == 2);
        CHECK(s.repaired == 2);
        CHECK(s.faults == 2);
        CHECK_FALSE(in.failed());
      } else if (policy == marcpp::error_policy::skip) {
        CHECK(s.records == 0);
        CHECK(s.skipped == 2);
        CHECK_FALSE(in.failed());
      } else {
        CHECK(s.records == 0);
        CHECK(in.failed());
        CHECK(in.error().code == marcpp::errc::unmapped_marc8);
      }
    }
  }
}

namespace {

// What for_each gives, in the form run_views gives it: the work formats
// each record and says what else the sink needs; the sink puts the line
// together in input order, with the statistics as they stand.
struct seen {
  std::string head;
  std::string diags;
};

trace run_for_each(marcpp::input& in, std::size_t stop_after = marcpp::npos) {
  trace t;
  in.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    t.lines.push_back("diag " + marcpp::to_string(d) + " raw " + std::to_string(raw.size()));
  });
  std::size_t n = 0;
  in.for_each(
      [](const marcpp::record_view& rec, std::string& out) {
        seen s;
        s.head = "record " + std::to_string(rec.index()) + " @" + std::to_string(rec.offset()) + " raw " +
                 std::to_string(rec.raw().size()) + " ";
        marcpp::write_line(rec, out);
        for (const auto& d : rec.diagnostics()) s.diags += " [" + marcpp::to_string(d) + "]";
        return s;
      },
      [&](std::string_view out, seen&& s) {
        t.lines.push_back(s.head + std::string(out) + s.diags);
        t.lines.push_back(stats_text(in.stats()));
        return ++n < stop_after;
      });
  t.lines.push_back("end " + stats_text(in.stats()) + " failed " + std::to_string(in.failed()) + " " +
                    marcpp::to_string(in.error()));
  return t;
}

}  // namespace

TEST_CASE("open: for_each gives what the range-for gives, on one thread or two") {
  std::vector<std::filesystem::path> files;
  for (const char* name : {"ok-three.mrc", "bytes-between-records.mrc", "missing-field-terminator.mrc",
                           "record-length-mismatch.mrc", "truncated.mrc", "invalid-utf8.mrc"})
    files.push_back(test::crafted(name));
  files.push_back(test::data_dir() / "real" / "pymarc-bad_records.mrc");
  if (test::have_corpus()) {
    for (const char* name : {"malformed/marc4j-bad_hathi_records.mrc", "large/evergreen-jazz_1k.mrc",
                             "bib-marc8/marc-perl-camel.usmarc"})
      files.push_back(test::corpus_dir() / name);
  }
  for (const auto& file : files) {
    for (auto policy : {marcpp::error_policy::lenient, marcpp::error_policy::skip, marcpp::error_policy::strict}) {
      for (bool utf8 : {false, true}) {
        CAPTURE(file.string());
        CAPTURE(marcpp::to_string(policy));
        CAPTURE(utf8);
        auto o = threads(1, policy);
        o.to_utf8 = utf8;
        auto plain = marcpp::open(file.string(), o);
        const trace want = run_views(plain);
        REQUIRE(want.lines.size() > 1);
        for (unsigned n : {1u, 2u}) {
          CAPTURE(n);
          o.threads = n;
          auto in = marcpp::open(file.string(), o);
          CHECK(run_for_each(in) == want);
          // Afterwards the input is at its end.
          marcpp::record_view v;
          CHECK_FALSE(in.next(v));
          CHECK(in.begin() == in.end());
        }
      }
    }
  }
}

TEST_CASE("open: for_each without a value, and after next") {
  const auto file = test::crafted("missing-field-terminator.mrc").string();
  auto plain = marcpp::open(file);
  std::string want;
  for (const marcpp::record_view& rec : plain) marcpp::write_line(rec, want);
  REQUIRE_FALSE(want.empty());
  for (unsigned n : {1u, 2u}) {
    CAPTURE(n);
    auto in = marcpp::open(file, threads(n));
    std::string got;
    in.for_each([](const marcpp::record_view& rec, std::string& out) { marcpp::write_line(rec, out); },
                [&](std::string_view out) { got += out; });
    CHECK(got == want);
    // The first record by next, the rest by for_each (on the caller's thread).
    auto again = marcpp::open(file, threads(n));
    marcpp::record_view first;
    REQUIRE(again.next(first));
    std::string mixed;
    marcpp::write_line(first, mixed);
    again.for_each([](const marcpp::record_view& rec, std::string& out) { marcpp::write_line(rec, out); },
                   [&](std::string_view out) { mixed += out; });
    CHECK(mixed == want);
  }
}

TEST_CASE("open: a sink that stops, and exceptions from either step, end for_each") {
  const std::string one = test::slurp(test::crafted("ok-three.mrc"));
  std::string many;
  for (int i = 0; i < 3000; ++i) many += one;
  test::temp_file f("open-for-each.mrc", many);
  for (std::size_t k : {std::size_t{1}, std::size_t{5}, std::size_t{4000}}) {
    CAPTURE(k);
    auto a = marcpp::open(f.path.string(), threads(1));
    auto b = marcpp::open(f.path.string(), threads(2));
    const trace ta = run_for_each(a, k), tb = run_for_each(b, k);
    CHECK(ta == tb);
    CHECK(a.stats().records == k);
    CHECK(b.stats().records == k);
    CHECK_FALSE(b.failed());
    marcpp::record_view v;
    CHECK_FALSE(b.next(v));
  }
  for (unsigned n : {1u, 2u}) {
    CAPTURE(n);
    for (bool in_work : {true, false}) {
      CAPTURE(in_work);
      auto in = marcpp::open(f.path.string(), threads(n));
      std::size_t sunk = 0;
      CHECK_THROWS_WITH_AS(in.for_each(
                               [&](const marcpp::record_view& rec, std::string& out) {
                                 if (in_work && rec.index() == 4000) throw std::runtime_error("work failed");
                                 marcpp::write_line(rec, out);
                               },
                               [&](std::string_view) {
                                 if (!in_work && sunk == 4000) throw std::runtime_error("sink failed");
                                 ++sunk;
                               }),
                           in_work ? "work failed" : "sink failed", std::runtime_error);
      CHECK(sunk <= 4000);
      CHECK(sunk > 0);
      marcpp::record_view v;
      CHECK_FALSE(in.next(v));
    }  // destroyed after the exception: must not hang
  }
}

TEST_CASE("open: a source the program made, a range of a file among them") {
  const std::string bytes = test::slurp(test::crafted("ok-three.mrc"));
  const std::vector<std::string> want = dumps_of(bytes);
  REQUIRE(want.size() == 3);
  for (unsigned n : {1u, 2u}) {
    auto in = marcpp::open(marcpp::memory_source{bytes}, threads(n), "three");
    CHECK(in.name() == "three");
    CHECK(in.format() == marcpp::format::iso2709);
    std::vector<std::string> got;
    for (const marcpp::record_view& rec : in) {
      std::string s;
      marcpp::write_line(rec, s);
      got.push_back(s);
    }
    CHECK(got == want);
    // The records that begin past the first byte: the second and third.
    auto rest = marcpp::open(marcpp::range_source(bytes, 1, bytes.size()), threads(n));
    got.clear();
    for (const marcpp::record_view& rec : rest) {
      std::string s;
      marcpp::write_line(rec, s);
      got.push_back(s);
    }
    CHECK(got == std::vector<std::string>(want.begin() + 1, want.end()));
  }
  try {
    (void)marcpp::open(marcpp::memory_source{std::string_view("no MARC here")});
    FAIL("no exception");
  } catch (const marcpp::error& e) {
    CHECK(e.code() == marcpp::errc::unknown_format);
  }
}
