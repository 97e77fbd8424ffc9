// The converters, run as programs: output, diagnostics, exit status, and
// marc-dump against yaz-marcdump on the corpus.
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sys/wait.h>

namespace {

struct run_result {
  int status = -1;
  std::string out, err;
};

// Runs a shell command; captures stdout, and stderr through a temporary file.
run_result run(const std::string& cmd) {
  static int counter = 0;
  auto err_path = std::filesystem::temp_directory_path() /
                  ("marcpp-tools-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".err");
  run_result r;
  FILE* p = ::popen((cmd + " 2>" + err_path.string()).c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 65536> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = test::slurp(err_path);
  std::filesystem::remove(err_path);
  return r;
}

std::string q(const std::filesystem::path& p) {
  std::string s(1, '\'');  // appended piece by piece: g++ 12 warns (-Wrestrict) on "'" + s + "'"
  s += p.string();
  s += '\'';
  return s;
}

const std::string marc_dump = MARC_DUMP;
const std::string marc_index = MARC_INDEX;

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("marcpp-tools-" + std::to_string(::getpid()) + "-" + name);
}
const std::string read_edit_write = READ_EDIT_WRITE;

}  // namespace

TEST_CASE("marc-dump: sound input") {
  auto r = run(marc_dump + " " + q(test::crafted("ok-basic.mrc")));
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK(r.out == marcpp::to_line(test::one(test::slurp(test::crafted("ok-basic.mrc")))));
  SUBCASE("several files, and standard input") {
    auto two = run(marc_dump + " " + q(test::crafted("ok-basic.mrc")) + " " + q(test::crafted("ok-three.mrc")));
    CHECK(two.status == 0);
    auto stdin_run = run("cat " + q(test::crafted("ok-basic.mrc")) + " " + q(test::crafted("ok-three.mrc")) + " | " +
                         marc_dump);
    CHECK(stdin_run.status == 0);
    CHECK(stdin_run.out == two.out);
    auto dash = run(marc_dump + " - < " + q(test::crafted("ok-basic.mrc")));
    CHECK(dash.out == r.out);
  }
  SUBCASE("the bundled sample records") {
    auto s = run(marc_dump + " " + q(std::filesystem::path(MARCPP_SAMPLE_DIR) / "sample.mrc"));
    CHECK(s.status == 0);
    CHECK(s.out.find("\n245 ") != std::string::npos);
  }
}

TEST_CASE("marc-dump: damaged input, policies and exit status") {
  const auto file = q(test::crafted("truncated-in-directory.mrc"));
  SUBCASE("lenient (default): repairs or skips, reports on stderr, exits 1") {
    auto r = run(marc_dump + " " + file);
    CHECK(r.status == 1);
    CHECK(r.out.find("ocm00000001") != std::string::npos);
    CHECK(r.err.find("record 1 (offset 219)") != std::string::npos);
    CHECK(r.err.find("[E101 truncated_record, error]") != std::string::npos);
  }
  SUBCASE("strict stops with the error") {
    auto r = run(marc_dump + " --strict " + q(test::crafted("bad-base-address.mrc")));
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find("[E201 bad_base_address, error]") != std::string::npos);
  }
  SUBCASE("skip drops the faulty record") {
    auto r = run(marc_dump + " --skip " + q(test::crafted("record-length-mismatch.mrc")));
    CHECK(r.status == 1);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 7);  // one record: leader, 5 fields, blank line
  }
  SUBCASE("warnings alone keep exit status 0") {
    auto r = run(marc_dump + " " + q(test::crafted("bytes-between-records.mrc")));
    CHECK(r.status == 0);
    CHECK(r.err.find("E105 bytes_between_records, warning") != std::string::npos);
    auto quiet = run(marc_dump + " --quiet " + q(test::crafted("bytes-between-records.mrc")));
    CHECK(quiet.err.empty());
    CHECK(quiet.out == r.out);
  }
  SUBCASE("--max-errors") {
    auto r = run(marc_dump + " --max-errors 0 " + q(test::crafted("record-length-mismatch.mrc")));
    CHECK(r.status == 1);
    CHECK(r.err.find("E802 too_many_errors") != std::string::npos);
  }
  SUBCASE("could not run: exit 2") {
    CHECK(run(marc_dump + " " + q(test::crafted("no-such-file.mrc"))).status == 2);
    CHECK(run(marc_dump + " --strict --skip " + file).status == 2);
    CHECK(run(marc_dump + " --no-such-option").status == 2);
    auto help = run(marc_dump + " --help");
    CHECK(help.status == 0);
    CHECK(help.out.find("--strict") != std::string::npos);
  }
}

// marc-dump prints what yaz-marcdump prints, byte for byte, for every record
// yaz reads without comment. The differences that remain are yaz dropping
// data marcpp keeps, each documented in docs/marc-dump.md:
//  - bytes between the indicators and the first delimiter: yaz takes the first
//    for a delimiter and the second for a code; marcpp prints them as they are;
//  - a 00X field whose data starts with a delimiter one byte early: yaz drops
//    that byte and reads the next two as indicators; marcpp keeps the field as
//    control data.
TEST_CASE("marc-dump: byte for byte the same as yaz-marcdump on the corpus") {
  if (!test::have_corpus()) return;
  if (run("command -v yaz-marcdump").status != 0) {
    MESSAGE("yaz-marcdump is not installed (Debian package yaz): skipping the comparison");
    return;
  }
  auto split = [](const std::string& s) {
    std::vector<std::string> blocks;
    std::size_t pos = 0;
    for (;;) {
      auto e = s.find("\n\n", pos);
      if (e == std::string::npos) break;
      blocks.push_back(s.substr(pos, e + 1 - pos));
      pos = e + 2;
    }
    return blocks;
  };
  const std::regex comment(R"((^|\n)\(.*\)\n)");
  std::size_t same = 0, commented = 0, documented = 0;
  for (const char* dir : {"bib-utf8", "bib-marc8", "authority", "holdings", "unimarc", "large"}) {
    for (const auto& e : std::filesystem::directory_iterator(test::corpus_dir() / dir)) {
      auto ext = e.path().extension().string();
      if (ext == ".xml" || ext == ".mrk" || ext == ".json" || ext == ".gz") continue;
      CAPTURE(e.path().string());
      auto yaz = run("yaz-marcdump " + q(e.path()));
      auto ours = run(marc_dump + " --quiet " + q(e.path()));
      auto yb = split(yaz.out), ob = split(ours.out);
      if (yb.size() != ob.size()) {
        // The two files where yaz gives up on a record that marcpp reads
        // with repairs (lengths counted in characters, a lost terminator).
        const auto name = e.path().filename().string();
        CHECK((name == "ruby-marc-cp866_multirecord.marc" || name == "ruby-marc-cp866_unimarc.marc"));
        CHECK(ob.size() > yb.size());
        continue;
      }
      auto records = test::read_all(marcpp::mmap_source{e.path()});
      REQUIRE(records.records.size() == ob.size());
      for (std::size_t i = 0; i < yb.size(); ++i) {
        if (std::regex_search(yb[i], comment)) {
          ++commented;
          continue;
        }
        if (yb[i] == ob[i]) {
          ++same;
          continue;
        }
        // Allowed only where the record has one of the documented shapes.
        const marcpp::record& rec = records.records[i];
        bool shape = false;
        for (const auto& f : rec) {
          if (!f.is_control() && !f.subfields().empty() && !f.subfields()[0].has_delimiter()) shape = true;
          if (f.is_control() && f.tag().is_control() && f.data().find('\x1f') != std::string_view::npos) shape = true;
        }
        CHECK_MESSAGE(shape, "record " << i << " differs:\nyaz:\n" << yb[i] << "marcpp:\n" << ob[i]);
        ++documented;
      }
    }
  }
  MESSAGE(same << " records identical, " << documented << " with documented differences, " << commented
               << " that yaz comments on");
  CHECK(same > 6000);
}

TEST_CASE("marc-dump: --from-encoding and --to-encoding convert the text") {
  const auto utf8_file = q(test::crafted("ok-basic.mrc"));
  SUBCASE("MARC-8 to UTF-8: leader/09 set, text decoded") {
    marcpp::record r;
    r.add(marcpp::field::control("001", "m8-1"));
    r.add(marcpp::field("245", "10", {{'a', "Caf\xE2" "e \x1B(NzIMA\x1B(B"}}));
    const auto path = std::filesystem::temp_directory_path() / ("marcpp-m8-" + std::to_string(::getpid()) + ".mrc");
    {
      std::ofstream f(path, std::ios::binary);
      f << marcpp::to_iso2709(r);
    }
    auto plain = run(marc_dump + " " + q(path));
    CHECK(plain.out.find("Caf\xE2" "e") != std::string::npos);  // by default, the bytes as they are
    for (const char* from : {"marc8", "auto"}) {
      auto conv = run(marc_dump + " --from-encoding " + from + " " + q(path));
      CHECK(conv.status == 0);
      CHECK(conv.err.empty());
      CHECK(conv.out.substr(9, 1) == "a");
      CHECK(conv.out.find("$a Cafe\xCC\x81 \xD0\x97\xD0\xB8\xD0\xBC\xD0\xB0") != std::string::npos);
    }
    auto back = run(marc_dump + " --from-encoding marc8 --to-encoding marc8 " + q(path));
    CHECK(back.out == plain.out);
    std::filesystem::remove(path);
  }
  SUBCASE("UTF-8 to MARC-8") {
    auto r = run(marc_dump + " --to-encoding marc8 " + utf8_file);
    CHECK(r.status == 0);
    auto expected = marcpp::to_marc8(test::one(test::slurp(test::crafted("ok-basic.mrc"))));
    CHECK(r.out == marcpp::to_line(expected));
    CHECK(r.out.substr(9, 1) == " ");
  }
  SUBCASE("faults follow the error policy") {
    marcpp::record bad;
    bad.add(marcpp::field("245", "10", {{'a', "ab\xFF" "c"}}));
    marcpp::record good;
    good.add(marcpp::field("245", "10", {{'a', "fine"}}));
    const auto path = std::filesystem::temp_directory_path() / ("marcpp-m8bad-" + std::to_string(::getpid()) + ".mrc");
    {
      std::ofstream f(path, std::ios::binary);
      f << marcpp::to_iso2709(bad) << marcpp::to_iso2709(good);
    }
    auto lenient = run(marc_dump + " --from-encoding marc8 " + q(path));
    CHECK(lenient.status == 1);
    CHECK(lenient.out.find("ab\xEF\xBF\xBD" "c") != std::string::npos);
    CHECK(lenient.err.find("record 0 (offset 0): field 245 at offset") != std::string::npos);
    CHECK(lenient.err.find("[E901 unmapped_marc8, repair]") != std::string::npos);
    auto skip = run(marc_dump + " --skip --from-encoding marc8 " + q(path));
    CHECK(skip.status == 1);
    CHECK(skip.out.find("ab") == std::string::npos);
    CHECK(skip.out.find("fine") != std::string::npos);
    auto strict = run(marc_dump + " --strict --from-encoding marc8 " + q(path));
    CHECK(strict.status == 1);
    CHECK(strict.out.empty());
    CHECK(strict.err.find("[E901 unmapped_marc8, error]") != std::string::npos);
    auto as_utf8 = run(marc_dump + " --from-encoding utf8 " + q(path));
    CHECK(as_utf8.status == 1);
    CHECK(as_utf8.err.find("E501 invalid_utf8") != std::string::npos);
    std::filesystem::remove(path);
  }
  SUBCASE("a leader/09 that lies is reported, and read as the bytes say") {
    if (!test::have_corpus()) return;
    const auto file = test::corpus_dir() / "bib-marc8/pymarc-utf8_without_leader_flag.dat";
    auto r = run(marc_dump + " --from-encoding auto " + q(file));
    CHECK(r.status == 0);  // a warning
    CHECK(r.err.find("E903 encoding_mismatch, warning") != std::string::npos);
    CHECK(r.err.find("leader/09 is blank (MARC-8) but the data is UTF-8") != std::string::npos);
    // As the bytes say: the UTF-8 text printed as it is.
    auto plain = run(marc_dump + " --quiet " + q(file));
    CHECK(r.out.substr(10) == plain.out.substr(10));
    CHECK(r.out.substr(9, 1) == "a");
  }
  SUBCASE("could not run: exit 2") {
    CHECK(run(marc_dump + " --from-encoding latin1 " + utf8_file).status == 2);
    CHECK(run(marc_dump + " --to-encoding utf16 " + utf8_file).status == 2);
  }
}

// marc-dump --from-encoding marc8 prints what yaz-marcdump -f MARC-8 -t UTF-8
// prints, record for record, on the corpus's MARC-8 files. The records that
// differ are the ones with one of the differences docs/charsets.md lists
// (and tests/charset_differential.cpp checks value by value): MARC-8 faults,
// controls YAZ drops, second halves of double diacritics with no first
// half, marks with no base at the end; or the structural shapes above.
TEST_CASE("marc-dump: MARC-8 to UTF-8 the same as yaz-marcdump -f MARC-8 -t UTF-8 on the corpus") {
  if (!test::have_corpus()) return;
  if (run("command -v yaz-marcdump").status != 0) {
    MESSAGE("yaz-marcdump is not installed (Debian package yaz): skipping the comparison");
    return;
  }
  auto split = [](const std::string& s) {
    std::vector<std::string> blocks;
    std::size_t pos = 0;
    for (;;) {
      auto e = s.find("\n\n", pos);
      if (e == std::string::npos) break;
      blocks.push_back(s.substr(pos, e + 1 - pos));
      pos = e + 2;
    }
    return blocks;
  };
  auto has_documented_difference = [](const marcpp::record_view& v) {
    for (const auto& f : v)
      if (f.raw().find("&#x") != std::string_view::npos) return true;  // references: decoded here, not by YAZ
    marcpp::record u;
    if (marcpp::to_utf8(v, u, {.from = marcpp::source_encoding::marc8})) return true;
    for (const auto& d : u.diagnostics())
      if (d.code == marcpp::errc::unmapped_marc8 || d.code == marcpp::errc::bad_escape_sequence ||
          d.code == marcpp::errc::dangling_combining_mark)
        return true;
    std::string text = marcpp::to_line(u);
    for (std::size_t i = 0; i < text.size(); ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      if ((c < 0x20 && c != '\n') || c == 0x7F) return true;  // controls YAZ drops
    }
    if (text.find("\xEF\xB8\xA1") != std::string::npos || text.find("\xEF\xB8\xA3") != std::string::npos) return true;
    for (const auto& f : u) {  // the structural shapes of the test above
      if (!f.is_control() && !f.subfields().empty() && !f.subfields()[0].has_delimiter()) return true;
      if (f.is_control() && f.tag().is_control() && f.data().find('\x1f') != std::string_view::npos) return true;
    }
    return false;
  };
  const std::regex comment(R"((^|\n)\(.*\)\n)");
  std::size_t same = 0, documented = 0, commented = 0, flagged_utf8 = 0;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(test::corpus_dir() / "bib-marc8")) files.push_back(e.path());
  for (const char* f : {"large/evergreen-jazz_1k.mrc", "large/evergreen-lul_fre_500.mrc", "large/solrmarc-uva_001_2000.mrc"})
    files.push_back(test::corpus_dir() / f);
  for (const auto& path : files) {
    CAPTURE(path.string());
    auto yaz = run("yaz-marcdump -f MARC-8 -t UTF-8 -l 9=97 " + q(path));
    auto ours = run(marc_dump + " --quiet --from-encoding marc8 " + q(path));
    auto yb = split(yaz.out), ob = split(ours.out);
    REQUIRE(yb.size() == ob.size());
    marcpp::reader r{marcpp::mmap_source{path}};
    marcpp::record_view v;
    std::size_t i = 0;
    while (r.next(v)) {
      REQUIRE(i < yb.size());
      if (std::regex_search(yb[i], comment)) {
        ++commented;
      } else if (v.leader().is_unicode()) {
        // YAZ reads a record whose leader/09 is `a` as UTF-8, whatever -f says.
        ++flagged_utf8;
      } else if (yb[i] == ob[i]) {
        ++same;
      } else {
        CHECK_MESSAGE(has_documented_difference(v), "record " << i << " differs:\nyaz:\n" << yb[i] << "marcpp:\n" << ob[i]);
        ++documented;
      }
      ++i;
    }
  }
  MESSAGE(same << " records identical, " << documented << " with documented differences, " << commented
               << " that yaz comments on, " << flagged_utf8 << " flagged UTF-8");
  CHECK(same > 3500);
}

TEST_CASE("read_edit_write: the README example") {
  const auto in = std::filesystem::path(MARCPP_SAMPLE_DIR) / "sample.mrc";
  const auto out = std::filesystem::temp_directory_path() / ("marcpp-rew-" + std::to_string(::getpid()) + ".mrc");
  auto r = run(read_edit_write + " " + q(in) + " " + q(out));
  CHECK(r.status == 0);
  auto before = test::read_all(marcpp::mmap_source{in});
  auto after = test::read_all(marcpp::mmap_source{out}, test::with(marcpp::error_policy::strict));
  REQUIRE(after.records.size() == before.records.size());
  for (std::size_t i = 0; i < after.records.size(); ++i) {
    CHECK(after.records[i].value("590", 'a') == "Checked by marcpp.");
    CHECK(after.records[i].leader().status() == 'c');
    CHECK(after.records[i].size() == before.records[i].size() + 1);
  }
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == static_cast<long>(before.records.size()));
  std::filesystem::remove(out);
  std::filesystem::remove(out.string() + ".bad");
}

TEST_CASE("marc-dump: the same output and diagnostics whatever the number of threads") {
  std::string all;
  for (const auto& e : std::filesystem::directory_iterator(test::data_dir() / "crafted"))
    if (e.path().extension() == ".mrc") all += test::slurp(e.path());
  if (test::have_corpus()) all += test::slurp(test::corpus_dir() / "large/solrmarc-uva_001_2000.mrc");
  const auto file = temp_path("threads.mrc");
  std::ofstream(file, std::ios::binary) << all;
  auto one = run(marc_dump + " --threads 1 " + q(file));
  CHECK(one.status == 1);
  CHECK(!one.out.empty());
  for (const char* n : {"2", "3", "8"}) {
    CAPTURE(n);
    auto many = run(marc_dump + " --threads " + n + " " + q(file));
    CHECK(many.status == one.status);
    CHECK(many.out == one.out);
    CHECK(many.err == one.err);
  }
  SUBCASE("standard input, in parallel") {
    auto piped = run("cat " + q(file) + " | " + marc_dump + " --threads 2");
    CHECK(piped.out == one.out);
  }
  SUBCASE("strict stops at the same place") {
    auto s1 = run(marc_dump + " --strict --threads 1 " + q(file));
    auto s2 = run(marc_dump + " --strict --threads 2 " + q(file));
    CHECK(s1.status == 1);
    CHECK(s2.out == s1.out);
    CHECK(s2.err == s1.err);
  }
  std::filesystem::remove(file);
}

TEST_CASE("marc-dump: compressed input") {
  const auto plain = test::crafted("ok-three.mrc");
  const auto gz = temp_path("three.mrc.gz");
  REQUIRE(run("gzip -c " + q(plain) + " > " + q(gz)).status == 0);
  auto a = run(marc_dump + " " + q(plain));
  auto b = run(marc_dump + " " + q(gz));
  CHECK(b.status == 0);
  CHECK(b.out == a.out);
  auto c = run(marc_dump + " < " + q(gz));
  CHECK(c.out == a.out);
  std::filesystem::remove(gz);
}

TEST_CASE("marc-dump: --range splits a file between processes") {
  const auto file = test::crafted("ok-three.mrc");
  const auto size = std::filesystem::file_size(file);
  auto whole = run(marc_dump + " " + q(file));
  std::string joined;
  for (std::uint64_t a : {std::uint64_t{0}, size / 3, 2 * size / 3}) {
    std::uint64_t b = a == 2 * size / 3 ? size : a + size / 3;
    auto part = run(marc_dump + " --range " + std::to_string(a) + ":" + std::to_string(b) + " " + q(file));
    CHECK(part.status == 0);
    joined += part.out;
  }
  CHECK(joined == whole.out);
  CHECK(run(marc_dump + " --range 10:" + " " + q(file)).out.size() < whole.out.size());
  CHECK(run(marc_dump + " --range nonsense " + q(file)).status == 2);
  CHECK(run(marc_dump + " --range 5:1 " + q(file)).status == 2);

  // A compressed file cannot be split by byte ranges: a clear message, status 2, no output.
  const auto gz = temp_path("range-three.mrc.gz");
  REQUIRE(run("gzip -c " + q(file) + " > " + q(gz)).status == 0);
  auto refused = run(marc_dump + " --range 0: " + q(gz));
  CHECK(refused.status == 2);
  CHECK(refused.out.empty());
  CHECK(refused.err == "marc-dump: " + gz.string() + ": --range needs a plain (uncompressed) file\n");
  std::filesystem::remove(gz);
}

TEST_CASE("marc-index: build, get by number and by 001") {
  const std::string base = test::slurp(test::crafted("ok-three.mrc"));
  const auto file = temp_path("index.mrc");
  std::ofstream(file, std::ios::binary) << base << base;
  auto b = run(marc_index + " build " + q(file));
  CHECK(b.status == 0);
  CHECK(b.err.find("6 records") != std::string::npos);
  CHECK(std::filesystem::exists(marcpp::default_index_path(file)));

  auto n4 = run(marc_index + " get " + q(file) + " --number 4");
  CHECK(n4.status == 0);
  auto expected = test::read_bytes(base + base);
  CHECK(n4.out == expected.raws[4]);
  auto by_id = run(marc_index + " get " + q(file) + " --id ocm00000001");
  CHECK(by_id.status == 0);
  CHECK(by_id.out == expected.raws[0] + expected.raws[1] + expected.raws[2] + expected.raws[3] + expected.raws[4] +
                         expected.raws[5]);
  CHECK(run(marc_index + " get " + q(file) + " --id nothing").status == 1);
  CHECK(run(marc_index + " get " + q(file) + " --number 6").status == 1);
  CHECK(run(marc_index + " get " + q(file)).status == 2);
  CHECK(run(marc_index + " get " + q(test::crafted("ok-basic.mrc")) + " --number 0").status == 2);  // no index

  // A stale index is refused, not trusted.
  std::ofstream(file, std::ios::binary | std::ios::app) << base;
  auto stale = run(marc_index + " get " + q(file) + " --number 0");
  CHECK(stale.status == 2);
  CHECK(stale.err.find("index_stale") != std::string::npos);
  CHECK(stale.out.empty());
  std::filesystem::remove(file);
  std::filesystem::remove(marcpp::default_index_path(file));
}

TEST_CASE("marc-dump: converting character sets gives the same output on one thread and on several") {
  std::string all;
  for (const auto& e : std::filesystem::directory_iterator(test::data_dir() / "crafted"))
    if (e.path().extension() == ".mrc") all += test::slurp(e.path());
  if (test::have_corpus()) all += test::slurp(test::corpus_dir() / "bib-marc8/marc4j-brkrtest.mrc");
  const auto file = temp_path("convert.mrc");
  std::ofstream(file, std::ios::binary) << all;
  for (const char* opt : {"--to-encoding utf8", "--from-encoding marc8 --to-encoding utf8", "--to-encoding marc8",
                          "--strict --to-encoding utf8"}) {
    CAPTURE(opt);
    auto one = run(marc_dump + " --threads 1 " + opt + " " + q(file));
    auto two = run(marc_dump + " --threads 2 " + opt + " " + q(file));
    if (std::string_view(opt).find("strict") == std::string_view::npos) CHECK(!one.out.empty());
    CHECK(two.status == one.status);
    CHECK(two.out == one.out);
    CHECK(two.err == one.err);
  }
  std::filesystem::remove(file);
}

// ---- marc-convert ---------------------------------------------------------------

namespace {

const std::string marc_convert = MARC_CONVERT;
const std::filesystem::path sample_mrc = std::filesystem::path(MARCPP_SAMPLE_DIR) / "sample.mrc";

// A scratch directory, removed at the end of the test.
struct scratch {
  std::filesystem::path dir;
  scratch() : dir(std::filesystem::temp_directory_path() / ("marcpp-convert-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir);
  }
  ~scratch() { std::filesystem::remove_all(dir); }
  std::filesystem::path operator/(const std::string& name) const { return dir / name; }
};

bool have(const std::string& program) { return run("command -v " + program).status == 0; }

// A MARC-8 record (the crafted ok-basic.mrc with leader/09 blank and a title
// in ANSEL and Cyrillic), written the canonical way.
marcpp::record marc8_rec() {
  marcpp::record r = test::one(test::slurp(test::crafted("ok-basic.mrc")));
  r.leader().set_coding_scheme(' ');
  for (auto& f : r)
    if (f.tag() == marcpp::tag("245")) f.subfields()[0].set_value("Caf\xE2" "e \x1B(NzIMA\x1B(B");
  return r;
}
std::string marc8_record() { return marcpp::to_iso2709(marc8_rec()); }

// The same with a byte no MARC-8 set maps (0xFF) in its title.
std::string faulty_marc8_record() {
  marcpp::record r = marc8_rec();
  for (auto& f : r)
    if (f.tag() == marcpp::tag("245")) f.subfields()[0].set_value("ab\xFF" "c");
  return marcpp::to_iso2709(r);
}

// A record .mrk cannot hold (a field tagged LDR), which reads without comment.
std::string unwritable_record() {
  marcpp::record r = test::one(test::slurp(test::crafted("ok-basic.mrc")));
  r.add(marcpp::field("LDR", "  ", {{'a', "x"}}));
  return marcpp::to_iso2709(r);
}

}  // namespace

TEST_CASE("marc-convert: the sample records to MARCXML, the README's main job") {
  auto r = run(marc_convert + " " + q(sample_mrc));
  CHECK(r.status == 0);
  CHECK(r.out.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"http://www.loc.gov/MARC21/slim\">", 0) == 0);
  CHECK(r.err == "marc-convert: 10 records in, 10 out, 0 repaired, 0 skipped\n");
  auto back = test::read_text<marcpp::marcxml_reader>(r.out, test::with(marcpp::error_policy::strict));
  auto original = test::read_all(marcpp::mmap_source{sample_mrc});
  REQUIRE(back.records.size() == 10);
  for (std::size_t i = 0; i < 10; ++i) CHECK(marcpp::to_iso2709(back.records[i]) == original.raws[i]);
  if (!have("xmllint")) {
    MESSAGE("xmllint is not installed (Debian package libxml2-utils): the schema check is skipped");
  } else if (test::have_corpus()) {  // the schema, MARC21slim.xsd, is in the corpus's spec/
    scratch s;
    std::ofstream(s / "sample.xml") << r.out;
    auto v = run("xmllint --noout --schema " + q(test::corpus_dir() / "spec" / "MARC21slim.xsd") + " " + q(s / "sample.xml"));
    CHECK_MESSAGE(v.status == 0, v.err);
  }
}

TEST_CASE("marc-convert: every output format, and back to the same bytes") {
  scratch s;
  const std::string original = test::slurp(sample_mrc);
  SUBCASE("-t names the format; each converts back to ISO 2709 byte for byte") {
    for (const char* f : {"marcxml", "json", "jsonl", "mrk", "iso2709"}) {
      CAPTURE(f);
      auto out = run(marc_convert + " -q -t " + f + " " + q(sample_mrc) + " -o " + q(s / "out"));
      CHECK(out.status == 0);
      CHECK(out.err.empty());
      auto back = run(marc_convert + " -q -t iso2709 " + q(s / "out"));
      CHECK(back.status == 0);
      CHECK(back.out == original);
    }
    auto text = run(marc_convert + " -t text " + q(sample_mrc));
    CHECK(text.out == run(marc_dump + " " + q(sample_mrc)).out);
  }
  SUBCASE("the output format from the extension of -o") {
    const std::pair<const char*, const char*> ext[] = {
        {"a.xml", "<?xml"}, {"a.json", "[\n{\"leader\""}, {"a.jsonl", "{\"leader\""}, {"a.mrk", "=LDR  "},
        {"a.mrc", "01805"}, {"a.txt", "01805nam"}};
    for (const auto& e : ext) {
      const char* name = e.first;
      const char* start = e.second;
      CAPTURE(name);
      CHECK(run(marc_convert + " -q " + q(sample_mrc) + " -o " + q(s / name)).status == 0);
      CHECK(test::slurp(s / name).rfind(start, 0) == 0);
    }
  }
  SUBCASE("standard input and output, '-', detection per input, several inputs into one output") {
    auto piped = run("cat " + q(sample_mrc) + " | " + marc_convert + " -q -t mrk | " + marc_convert +
                     " -q -t json - | " + marc_convert + " -q -t iso2709");
    CHECK(piped.status == 0);
    CHECK(piped.out == original);
    CHECK(run(marc_convert + " -q -t jsonl " + q(sample_mrc) + " -o " + q(s / "a.jsonl")).status == 0);
    CHECK(run(marc_convert + " -q -t mrk " + q(sample_mrc) + " -o " + q(s / "a.mrk")).status == 0);
    auto both = run(marc_convert + " -t iso2709 " + q(s / "a.jsonl") + " " + q(s / "a.mrk"));
    CHECK(both.status == 0);
    CHECK(both.out == original + original);
    CHECK(both.err.find("20 records in, 20 out") != std::string::npos);
    auto named = run(marc_convert + " -q -f mrk -t iso2709 " + q(s / "a.mrk"));
    CHECK(named.out == original);
  }
}

TEST_CASE("marc-convert: policies, the error limit, quarantine and exit status") {
  scratch s;
  const auto truncated = q(test::crafted("truncated-in-directory.mrc"));
  SUBCASE("lenient (the default): the unreadable record is skipped and reported; exit 1") {
    auto r = run(marc_convert + " -t jsonl " + truncated);
    CHECK(r.status == 1);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    CHECK(r.err.find("record 1 (offset 219)") != std::string::npos);
    CHECK(r.err.find("[E101 truncated_record, error]") != std::string::npos);
    CHECK(r.err.find("2 records in, 1 out, 0 repaired, 1 skipped") != std::string::npos);
    CHECK(run(marc_convert + " --lenient -t jsonl " + truncated).out == r.out);
  }
  SUBCASE("repairs count too: exit 1") {
    auto r = run(marc_convert + " -t jsonl " + q(test::crafted("record-length-mismatch.mrc")));
    CHECK(r.status == 1);
    CHECK(r.err.find("2 records in, 2 out, 1 repaired, 0 skipped") != std::string::npos);
  }
  SUBCASE("--skip drops faulty records") {
    auto r = run(marc_convert + " --skip -t jsonl " + q(test::crafted("record-length-mismatch.mrc")));
    CHECK(r.status == 1);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    CHECK(r.err.find("1 skipped") != std::string::npos);
  }
  SUBCASE("--strict stops at the first fault; the output is still a complete document") {
    auto r = run(marc_convert + " --strict " + q(test::crafted("bad-base-address.mrc")));
    CHECK(r.status == 1);
    CHECK(r.err.find("[E201 bad_base_address, error]") != std::string::npos);
    CHECK(r.out.find("</collection>") != std::string::npos);
    CHECK(test::read_text<marcpp::marcxml_reader>(r.out, test::with(marcpp::error_policy::strict)).records.empty());
  }
  SUBCASE("--strict refuses a record the schema's patterns do not allow; lenient writes it with a warning, exit 0") {
    marcpp::record odd = test::one(test::slurp(test::crafted("ok-basic.mrc")));
    for (auto& f : odd)
      if (!f.is_control()) f.set_ind1('-');
    std::ofstream(s / "odd.mrc", std::ios::binary) << marcpp::to_iso2709(odd);
    auto lenient = run(marc_convert + " " + q(s / "odd.mrc"));
    CHECK(lenient.status == 0);
    CHECK(lenient.err.find("E707 schema_pattern, warning") != std::string::npos);
    // A valid substitute (a blank), the original in an instruction; read back, the record.
    CHECK(lenient.out.find("ind1=\" \"") != std::string::npos);
    CHECK(lenient.out.find("ind1=\"-\"") == std::string::npos);
    CHECK(lenient.out.find("<?marcpp data=\"-") != std::string::npos);
    auto back = test::read_text<marcpp::marcxml_reader>(lenient.out, test::with(marcpp::error_policy::strict));
    REQUIRE(back.records.size() == 1);
    CHECK(back.records[0] == odd);
    // --marcxml-as-is: written as it is.
    auto as_is = run(marc_convert + " --marcxml-as-is " + q(s / "odd.mrc"));
    CHECK(as_is.status == 0);
    CHECK(as_is.err.find("E707 schema_pattern, warning") != std::string::npos);
    CHECK(as_is.out.find("ind1=\"-\"") != std::string::npos);
    CHECK(as_is.out.find("<?marcpp") == std::string::npos);
    auto strict = run(marc_convert + " --strict " + q(s / "odd.mrc"));
    CHECK(strict.status == 1);
    CHECK(strict.err.find("E707 schema_pattern, error") != std::string::npos);
    CHECK(strict.err.find("0 out") != std::string::npos);
  }
  SUBCASE("a record the output format cannot hold is refused with its reason; another format takes it") {
    std::ofstream(s / "ldr.mrc", std::ios::binary) << unwritable_record();
    auto r = run(marc_convert + " -t mrk " + q(s / "ldr.mrc"));
    CHECK(r.status == 1);
    CHECK(r.err.find("E706 value_not_representable") != std::string::npos);
    CHECK(r.err.find("1 records in, 0 out, 0 repaired, 1 skipped") != std::string::npos);
    CHECK(run(marc_convert + " -t marcxml " + q(s / "ldr.mrc")).status == 0);
  }
  SUBCASE("--max-errors") {
    std::ofstream(s / "two.mrc", std::ios::binary) << unwritable_record() << unwritable_record() << unwritable_record();
    auto r = run(marc_convert + " -t mrk --max-errors 1 " + q(s / "two.mrc"));
    CHECK(r.status == 1);
    CHECK(r.err.find("stopped: more than 1 faults") != std::string::npos);
    CHECK(r.err.find("2 records in") != std::string::npos);
    auto reader = run(marc_convert + " --max-errors 0 -t jsonl " + q(test::crafted("record-length-mismatch.mrc")));
    CHECK(reader.status == 1);
    CHECK(reader.err.find("E802 too_many_errors") != std::string::npos);
    // Conversion faults count too.
    std::ofstream(s / "faulty.mrc", std::ios::binary) << faulty_marc8_record() << faulty_marc8_record()
                                                      << faulty_marc8_record();
    auto conv = run(marc_convert + " --max-errors 1 " + q(s / "faulty.mrc"));
    CHECK(conv.status == 1);
    CHECK(conv.err.find("stopped: more than 1 faults") != std::string::npos);
    CHECK(conv.err.find("2 records in") != std::string::npos);
  }
  SUBCASE("--quarantine keeps the bytes of the records that could not be converted") {
    std::ofstream(s / "ldr.mrc", std::ios::binary) << unwritable_record();
    auto r = run(marc_convert + " -q -t mrk --quarantine " + q(s / "bad.mrc") + " " + truncated + " " + q(s / "ldr.mrc"));
    CHECK(r.status == 1);
    const std::string bytes = test::slurp(test::crafted("truncated-in-directory.mrc"));
    CHECK(test::slurp(s / "bad.mrc") == bytes.substr(219) + unwritable_record());
    // And those whose text could not be converted (--skip refuses them).
    std::ofstream(s / "faulty.mrc", std::ios::binary) << marc8_record() << faulty_marc8_record();
    auto c = run(marc_convert + " -q --skip --quarantine " + q(s / "bad2.mrc") + " " + q(s / "faulty.mrc"));
    CHECK(c.status == 1);
    CHECK(test::slurp(s / "bad2.mrc") == faulty_marc8_record());
  }
  SUBCASE("--quiet prints nothing; --verbose prints every diagnostic") {
    std::string many;
    for (int i = 0; i < 25; ++i) many += unwritable_record();
    std::ofstream(s / "many.mrc", std::ios::binary) << many;
    auto quiet = run(marc_convert + " -t mrk --quiet " + q(s / "many.mrc"));
    CHECK(quiet.status == 1);
    CHECK(quiet.err.empty());
    auto normal = run(marc_convert + " -t mrk " + q(s / "many.mrc"));
    CHECK(std::count(normal.err.begin(), normal.err.end(), '\n') == 20 + 2);  // 20 shown, a count of the rest, the summary
    CHECK(normal.err.find("5 more E706 value_not_representable diagnostics not shown") != std::string::npos);
    auto verbose = run(marc_convert + " -t mrk --verbose " + q(s / "many.mrc"));
    CHECK(std::count(verbose.err.begin(), verbose.err.end(), '\n') == 25 + 1);
    CHECK(normal.err.find('\r') == std::string::npos);  // no progress line: standard error is not a terminal
  }
  SUBCASE("could not run: exit 2") {
    CHECK(run(marc_convert + " " + q(test::crafted("no-such-file.mrc"))).status == 2);
    CHECK(run(marc_convert + " --no-such-option").status == 2);
    CHECK(run(marc_convert + " -t csv " + q(sample_mrc)).status == 2);
    CHECK(run(marc_convert + " -f text " + q(sample_mrc)).status == 2);
    CHECK(run(marc_convert + " --strict --skip " + q(sample_mrc)).status == 2);
    CHECK(run(marc_convert + " " + q(sample_mrc) + " -o /no/such/dir/out.xml").status == 2);
    CHECK(run(marc_convert + " --quarantine /no/such/dir/q.mrc " + q(sample_mrc)).status == 2);
    std::ofstream(s / "hello.txt") << "Hello, world\n";
    auto unknown = run(marc_convert + " " + q(s / "hello.txt"));
    CHECK(unknown.status == 2);
    CHECK(unknown.err.find("none of ISO 2709, MARCXML, MARC-in-JSON or .mrk") != std::string::npos);
    auto help = run(marc_convert + " --help");
    CHECK(help.status == 0);
    for (const char* o : {"--from", "--to", "--output", "--strict", "--lenient", "--skip", "--max-errors", "--quarantine",
                          "--quiet", "--threads", "--from-encoding", "--to-encoding", "--normalize", "--marcxml-as-is"})
      CHECK_MESSAGE(help.out.find(o) != std::string::npos, o);
  }
}

TEST_CASE("marc-convert: MARC-8 records are converted to UTF-8 for MARCXML and MARC-in-JSON") {
  scratch s;
  const std::string m8 = marc8_record();
  std::ofstream(s / "m8.mrc", std::ios::binary) << m8;
  const marcpp::record utf8 = marcpp::to_utf8(marc8_rec());
  SUBCASE("by default, leader/09 a, text decoded; read back, the record to_utf8 makes") {
    for (const char* f : {"marcxml", "json", "jsonl"}) {
      CAPTURE(f);
      auto r = run(marc_convert + " -t " + f + " " + q(s / "m8.mrc") + " -o " + q(s / "out"));
      CHECK(r.status == 0);
      CHECK(r.err == "marc-convert: 1 records in, 1 out, 0 repaired, 0 skipped\n");
      const std::string text = test::slurp(s / "out");
      CHECK(text.find("Cafe\xCC\x81 \xD0\x97\xD0\xB8\xD0\xBC\xD0\xB0") != std::string::npos);
      auto back = run(marc_convert + " -q -t iso2709 " + q(s / "out"));
      CHECK(back.status == 0);
      CHECK(back.out == marcpp::to_iso2709(utf8));
      CHECK(back.out.substr(9, 1) == "a");
    }
  }
  SUBCASE("MARC-8 -> MARCXML -> ISO 2709 with --to-encoding marc8 gives back the original bytes") {
    std::string original = m8;
    if (test::have_corpus()) {
      // Corpus records written the canonical way (tests/charset.cpp).
      for (const char* f : {"bib-marc8/marc4j-brkrtest.mrc", "bib-marc8/evergreen-hebrew.marc",
                            "bib-marc8/marc-perl-charset-cjk1.marc", "bib-marc8/marc4j-chabon-loc.mrc"})
        original += test::slurp(test::corpus_dir() / f);
    }
    std::ofstream(s / "orig.mrc", std::ios::binary) << original;
    auto xml = run(marc_convert + " -q " + q(s / "orig.mrc") + " -o " + q(s / "orig.xml"));
    CHECK(xml.status == 0);
    CHECK(test::slurp(s / "orig.xml").find("<leader>") != std::string::npos);
    auto back = run(marc_convert + " -q -t iso2709 --to-encoding marc8 " + q(s / "orig.xml"));
    CHECK(back.status == 0);
    CHECK(back.out == original);
    auto json_back = run(marc_convert + " -q -t json " + q(s / "orig.mrc") + " | " + marc_convert +
                         " -q -t iso2709 --to-encoding marc8");
    CHECK(json_back.out == original);
  }
  SUBCASE(".mrk, ISO 2709 and the line format keep MARC-8 as it is") {
    CHECK(run(marc_convert + " -q -t iso2709 " + q(s / "m8.mrc")).out == m8);
    CHECK(run(marc_convert + " -q -t text " + q(s / "m8.mrc")).out == run(marc_dump + " " + q(s / "m8.mrc")).out);
    auto mrk = run(marc_convert + " -q -t mrk " + q(s / "m8.mrc"));
    CHECK(mrk.out.find("Caf{acute}e") != std::string::npos);
  }
  SUBCASE("conversion faults follow the error policy") {
    std::ofstream(s / "faulty.mrc", std::ios::binary) << faulty_marc8_record() << m8;
    auto lenient = run(marc_convert + " -t jsonl " + q(s / "faulty.mrc"));
    CHECK(lenient.status == 1);
    CHECK(lenient.out.find("ab\xEF\xBF\xBD" "c") != std::string::npos);
    CHECK(lenient.err.find("record 0 (001 ocm00000001, offset 0): field 245") != std::string::npos);
    CHECK(lenient.err.find("[E901 unmapped_marc8, repair]") != std::string::npos);
    CHECK(lenient.err.find("2 records in, 2 out, 1 repaired, 0 skipped") != std::string::npos);
    auto skip = run(marc_convert + " --skip -t jsonl " + q(s / "faulty.mrc"));
    CHECK(skip.status == 1);
    CHECK(std::count(skip.out.begin(), skip.out.end(), '\n') == 1);
    CHECK(skip.err.find("[E901 unmapped_marc8, error]") != std::string::npos);
    CHECK(skip.err.find("2 records in, 1 out, 0 repaired, 1 skipped") != std::string::npos);
    auto strict = run(marc_convert + " --strict " + q(s / "faulty.mrc"));
    CHECK(strict.status == 1);
    CHECK(strict.err.find("[E901 unmapped_marc8, error]") != std::string::npos);
    CHECK(strict.err.find("stopped: --strict refuses a record whose text cannot be converted without a fault") !=
          std::string::npos);
    CHECK(strict.err.find("1 records in, 0 out") != std::string::npos);
    CHECK(strict.out.find("</collection>") != std::string::npos);
  }
}

TEST_CASE("marc-convert: --from-encoding, --to-encoding and --normalize") {
  scratch s;
  const std::string m8 = marc8_record();
  const std::string utf8_file = test::crafted("ok-three.mrc").string();
  std::ofstream(s / "m8.mrc", std::ios::binary) << m8;
  std::ofstream(s / "mixed.mrc", std::ios::binary) << m8 << test::slurp(utf8_file) << faulty_marc8_record();
  auto leaders09 = [](const std::string& iso) {
    std::string flags;
    auto o = test::read_bytes(iso);
    for (const auto& raw : o.raws) flags += raw[9];
    return flags;
  };
  SUBCASE("the same records as marc-dump converts, with the same diagnostics") {
    for (const char* opt : {"--to-encoding utf8", "--from-encoding marc8", "--from-encoding utf8",
                            "--from-encoding auto --to-encoding marc8", "--to-encoding marc8", "--skip --to-encoding utf8",
                            "--strict --from-encoding marc8"}) {
      CAPTURE(opt);
      auto conv = run(marc_convert + " --threads 1 -t text " + opt + " " + q(s / "mixed.mrc"));
      auto dump = run(marc_dump + " --threads 1 " + opt + " " + q(s / "mixed.mrc"));
      CHECK(conv.out == dump.out);
      CHECK(conv.status == dump.status);
      // The same diagnostics, but for the program's name and marc-convert's summary.
      std::string conv_diags, dump_diags;
      std::istringstream ce(conv.err), de(dump.err);
      for (std::string l; std::getline(ce, l);)
        if (l.find("[E") != std::string::npos) conv_diags += l.substr(l.find(": ") + 2) + "\n";
      for (std::string l; std::getline(de, l);)
        if (l.find("[E") != std::string::npos) dump_diags += l.substr(l.find(": ") + 2) + "\n";
      CHECK(conv_diags == dump_diags);
    }
  }
  SUBCASE("leader/09 is set on every record written") {
    auto to8 = run(marc_convert + " -q -t iso2709 --to-encoding marc8 " + q(s / "mixed.mrc"));
    CHECK(to8.status == 0);  // MARC-8 text is kept as it is, 0xFF too
    CHECK(leaders09(to8.out) == "     ");
    auto to_u = run(marc_convert + " -q -t iso2709 --to-encoding utf8 " + q(s / "mixed.mrc"));
    CHECK(leaders09(to_u.out) == "aaaaa");
    CHECK(to_u.out.substr(0, marcpp::to_iso2709(marcpp::to_utf8(marc8_rec())).size()) ==
          marcpp::to_iso2709(marcpp::to_utf8(marc8_rec())));
    auto plain = run(marc_convert + " -q -t iso2709 " + q(s / "mixed.mrc"));
    CHECK(leaders09(plain.out) == " aaa ");  // without the options, as they are
    auto three = run(marc_convert + " -q -t iso2709 --to-encoding marc8 " + q(utf8_file));
    std::string expected;
    for (const auto& r : test::read_bytes(test::slurp(utf8_file)).records) expected += marcpp::to_iso2709(marcpp::to_marc8(r));
    CHECK(three.out == expected);
  }
  SUBCASE("--from-encoding utf8 reads MARC-8 bytes as bad UTF-8") {
    auto r = run(marc_convert + " -t jsonl --from-encoding utf8 " + q(s / "mixed.mrc"));
    CHECK(r.status == 1);
    CHECK(r.err.find("E501 invalid_utf8, repair") != std::string::npos);
    CHECK(r.out.find("Caf\xEF\xBF\xBD" "e") != std::string::npos);
  }
  SUBCASE("a leader/09 that lies is reported, and the record read as its bytes say") {
    marcpp::record liar = test::one(test::slurp(test::crafted("ok-basic.mrc")));
    for (auto& f : liar)
      if (f.tag() == marcpp::tag("245")) f.subfields()[0].set_value("Caf\xC3\xA9");
    liar.leader().set_coding_scheme(' ');
    std::ofstream(s / "liar.mrc", std::ios::binary) << marcpp::to_iso2709(liar);
    for (const char* opt : {"", "--from-encoding auto "}) {
      auto r = run(marc_convert + " -t jsonl " + opt + q(s / "liar.mrc"));
      CHECK(r.status == 0);
      CHECK(r.err.find("E903 encoding_mismatch, warning") != std::string::npos);
      CHECK(r.out.find("Caf\xC3\xA9") != std::string::npos);
    }
  }
#if MARCPP_TEST_HAVE_ICU
  SUBCASE("--normalize nfc and nfd") {
    auto nfc = run(marc_convert + " -q -t jsonl --normalize nfc " + q(s / "m8.mrc"));
    CHECK(nfc.status == 0);
    CHECK(nfc.out.find("Caf\xC3\xA9 ") != std::string::npos);  // composed
    std::ofstream(s / "nfc.jsonl", std::ios::binary) << nfc.out;
    auto nfd = run(marc_convert + " -q -t jsonl --normalize nfd " + q(s / "nfc.jsonl"));
    CHECK(nfd.status == 0);
    CHECK(nfd.out.find("Cafe\xCC\x81 ") != std::string::npos);  // decomposed
    auto none = run(marc_convert + " -q -t jsonl " + q(s / "nfc.jsonl"));
    CHECK(none.out.find("Caf\xC3\xA9 ") != std::string::npos);  // left as it is without the option
  }
#endif
  SUBCASE("could not run: exit 2, with a clear message") {
    for (const char* t : {"marcxml", "json", "jsonl"}) {
      auto r = run(marc_convert + " -t " + t + " --to-encoding marc8 " + q(s / "m8.mrc"));
      CHECK(r.status == 2);
      CHECK(r.err.find("--to-encoding marc8 cannot be used with -t " + std::string(t)) != std::string::npos);
      CHECK(r.out.empty());
    }
    auto by_ext = run(marc_convert + " --to-encoding marc8 " + q(s / "m8.mrc") + " -o " + q(s / "x.xml"));
    CHECK(by_ext.status == 2);
    auto by_default = run(marc_convert + " --to-encoding marc8 " + q(s / "m8.mrc"));
    CHECK(by_default.status == 2);
    auto norm = run(marc_convert + " -t iso2709 --to-encoding marc8 --normalize nfc " + q(s / "m8.mrc"));
    CHECK(norm.status == 2);
    CHECK(norm.err.find("--normalize") != std::string::npos);
    CHECK(run(marc_convert + " --from-encoding latin1 " + q(s / "m8.mrc")).status == 2);
    CHECK(run(marc_convert + " --to-encoding utf16 " + q(s / "m8.mrc")).status == 2);
    CHECK(run(marc_convert + " --normalize nfkc " + q(s / "m8.mrc")).status == 2);
    CHECK(run(marc_convert + " --threads x " + q(s / "m8.mrc")).status == 2);
  }
}

TEST_CASE("marc-convert: the same output and diagnostics whatever the number of threads") {
  std::string all;
  for (const auto& e : std::filesystem::directory_iterator(test::data_dir() / "crafted"))
    if (e.path().extension() == ".mrc") all += test::slurp(e.path());
  all += marc8_record() + faulty_marc8_record() + unwritable_record();
  if (test::have_corpus()) {
    all += test::slurp(test::corpus_dir() / "large/solrmarc-uva_001_2000.mrc");
    all += test::slurp(test::corpus_dir() / "bib-marc8/marc4j-brkrtest.mrc");
  }
  scratch s;
  const auto file = s / "threads.mrc";
  std::ofstream(file, std::ios::binary) << all;
  for (const char* to : {"marcxml", "json", "jsonl", "mrk", "text", "iso2709"}) {
    CAPTURE(to);
    const std::string t = std::string(" -t ") + to + " ";
    auto one = run(marc_convert + " --threads 1" + t + q(file));
    CHECK(one.status == 1);
    CHECK(!one.out.empty());
    CHECK(one.err.find("records in") != std::string::npos);
    for (const char* n : {"2", "3", "8"}) {
      CAPTURE(n);
      auto many = run(marc_convert + " --threads " + n + t + q(file));
      CHECK(many.status == one.status);
      CHECK(many.out == one.out);
      CHECK(many.err == one.err);
    }
    auto piped = run("cat " + q(file) + " | " + marc_convert + " --threads 2" + t);
    CHECK(piped.out == one.out);
    CHECK(piped.status == one.status);
    auto s1 = run(marc_convert + " --strict --threads 1" + t + q(file));
    auto s2 = run(marc_convert + " --strict --threads 2" + t + q(file));
    CHECK(s1.status == 1);
    CHECK(s2.out == s1.out);
    CHECK(s2.err == s1.err);
    auto q1 = run(marc_convert + " --quarantine " + q(s / "q1.mrc") + " --threads 1" + t + q(file));
    auto q2 = run(marc_convert + " --quarantine " + q(s / "q2.mrc") + " --threads 2" + t + q(file));
    CHECK(q2.out == q1.out);
    CHECK(q2.err == q1.err);
    CHECK(!test::slurp(s / "q1.mrc").empty());
    CHECK(test::slurp(s / "q2.mrc") == test::slurp(s / "q1.mrc"));
    auto m1 = run(marc_convert + " --max-errors 5 --threads 1" + t + q(file));
    auto m2 = run(marc_convert + " --max-errors 5 --threads 2" + t + q(file));
    CHECK(m2.out == m1.out);
    CHECK(m2.err == m1.err);
  }
  SUBCASE("converting the character sets too") {
    for (const char* opt : {"-t iso2709 --to-encoding marc8", "-t jsonl --from-encoding marc8", "-t mrk --skip --to-encoding utf8"}) {
      CAPTURE(opt);
      auto one = run(marc_convert + " --threads 1 " + opt + " " + q(file));
      auto two = run(marc_convert + " --threads 2 " + opt + " " + q(file));
      CHECK(!one.out.empty());
      CHECK(two.status == one.status);
      CHECK(two.out == one.out);
      CHECK(two.err == one.err);
    }
  }
}

TEST_CASE("marc-convert: compressed input is read as it is, in every format") {
  scratch s;
  const std::string original = test::slurp(sample_mrc);
  REQUIRE(run(marc_convert + " -q -t jsonl " + q(sample_mrc) + " -o " + q(s / "a.jsonl")).status == 0);
  REQUIRE(run(marc_convert + " -q -t marcxml " + q(sample_mrc) + " -o " + q(s / "a.xml")).status == 0);
  std::vector<std::string> inputs = {sample_mrc.string(), (s / "a.jsonl").string(), (s / "a.xml").string()};
  for (const auto& in : inputs) {
    CAPTURE(in);
    REQUIRE(run("gzip -c " + q(in) + " > " + q(s / "in.gz")).status == 0);
    for (const char* threads : {"1", "2"}) {
      auto r = run(marc_convert + " -q --threads " + threads + " -t iso2709 " + q(s / "in.gz"));
      CHECK(r.status == 0);
      CHECK(r.out == original);
      auto piped = run("cat " + q(s / "in.gz") + " | " + marc_convert + " -q --threads " + threads + " -t iso2709");
      CHECK(piped.out == original);
    }
    if (have("zstd")) {
      REQUIRE(run("zstd -q -c " + q(in) + " > " + q(s / "in.zst")).status == 0);
      auto z = run(marc_convert + " -q -t iso2709 " + q(s / "in.zst"));
      CHECK(z.status == 0);
      CHECK(z.out == original);
    } else {
      MESSAGE("zstd is not installed: the Zstandard case is skipped");
    }
  }
  std::ofstream(s / "x.bz2", std::ios::binary) << "BZh91AY&SY";
  auto bz = run(marc_convert + " " + q(s / "x.bz2"));
  CHECK(bz.status == 2);
  CHECK(bz.err.find("bzip2 or xz") != std::string::npos);
}

// MARCXML written by marcpp validates against the LoC schema: every record
// of the corpus, whatever it holds (what the schema refuses has a valid
// substitute, its original in a <?marcpp?> instruction); and marc-convert's
// whole output too. With as_is, what the schema refuses is written as it is:
// well-formed, and the records with schema_pattern warnings break the schema.
TEST_CASE("marc-convert: MARCXML of every record of the corpus is schema-valid; as it is, well-formed") {
  if (!test::have_corpus()) return;
  if (!have("xmllint")) {
    MESSAGE("xmllint is not installed (Debian package libxml2-utils): skipping the schema check");
    return;
  }
  scratch s;
  const std::string open = "<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n";
  std::string valid = open, as_is = open, odd = open;
  std::size_t n = 0, n_substituted = 0, n_odd = 0;
  std::string inputs;
  for (const char* dir : {"bib-utf8", "bib-marc8", "authority", "holdings", "large", "malformed", "unimarc"})
    for (const auto& e : std::filesystem::directory_iterator(test::corpus_dir() / dir)) {
      auto ext = e.path().extension().string();
      if (ext == ".xml" || ext == ".mrk" || ext == ".json" || ext == ".gz") continue;
      inputs += " " + q(e.path());
      marcpp::reader r{marcpp::mmap_source{e.path()}};
      marcpp::record_view v;
      while (r.next(v)) {
        std::vector<marcpp::diagnostic> warnings;
        std::string x;
        if (marcpp::write_iso2709(v, x)) continue;  // what ISO 2709 cannot hold either (records too long)
        x.clear();
        REQUIRE_FALSE(marcpp::write_marcxml(v, x, {}, &warnings));
        valid += x;
        ++n;
        n_substituted += x.find("<?marcpp") != std::string::npos;
        x.clear();
        warnings.clear();
        REQUIRE_FALSE(marcpp::write_marcxml(v, x, {.as_is = true}, &warnings));
        // What the schema refuses is written as it is (schema_pattern);
        // substitutes for what XML cannot hold need not match it either.
        bool schema = false;
        for (const auto& w : warnings)
          schema |= w.code == marcpp::errc::schema_pattern || w.code == marcpp::errc::value_not_representable;
        (schema ? odd : as_is) += x;
        n_odd += schema;
      }
    }
  for (auto* doc : {&valid, &as_is, &odd}) *doc += "</collection>\n";
  std::ofstream(s / "valid.xml") << valid;
  std::ofstream(s / "as_is.xml") << as_is;
  std::ofstream(s / "odd.xml") << odd;
  const std::string schema = "xmllint --noout --schema " + q(test::corpus_dir() / "spec" / "MARC21slim.xsd") + " ";
  auto v = run(schema + q(s / "valid.xml"));
  CHECK_MESSAGE(v.status == 0, v.err.substr(0, 2000));
  auto a = run(schema + q(s / "as_is.xml"));
  CHECK_MESSAGE(a.status == 0, a.err.substr(0, 2000));
  auto w = run("xmllint --noout " + q(s / "odd.xml"));
  CHECK_MESSAGE(w.status == 0, w.err.substr(0, 2000));
  auto o = run(schema + q(s / "odd.xml"));
  CHECK(o.status != 0);  // the warnings were right: these break the schema
  // marc-convert's document, every input file at once.
  REQUIRE(run(marc_convert + " -q -f iso2709 -t marcxml" + inputs + " -o " + q(s / "all.xml")).status < 2);
  auto all = run(schema + q(s / "all.xml"));
  CHECK_MESSAGE(all.status == 0, all.err.substr(0, 2000));
  MESSAGE(n << " records validate against MARC21slim.xsd, " << n_substituted
            << " of them with a substitute and its original in a <?marcpp?> instruction; as it is, " << n_odd
            << " break the schema's patterns (each with a schema_pattern or value_not_representable warning) and "
               "are well-formed");
  CHECK(n > 7800);
  CHECK(n_substituted > 1000);
}

// marcpp's MARCXML and MARC-in-JSON against yaz-marcdump's, for every ISO
// 2709 record of the corpus that both write as it is: the records that read
// without repairs, and whose content both formats hold as it is (marcpp's
// MARCXML compared in its as-is form, --marcxml-as-is: yaz writes what the
// schema refuses as it is; records that need marcpp's original forms, for
// data before the first delimiter or bytes that are no character, are left
// out: yaz drops or garbles that data). Records flagged UTF-8 go to yaz as
// they are, those marcpp repairs or reads as MARC-8 (their bytes are not
// UTF-8) left out. MARC-8 records (any other leader/09) go to yaz with
// `-f MARC-8 -t UTF-8`, and to marc-convert as they are (it converts them by
// default); those whose bytes are UTF-8 despite leader/09 are left out (yaz
// decodes them as MARC-8, marcpp as the UTF-8 they are). Both outputs are put
// in canonical form by tests/canonical.py (Python's own XML and JSON parsers)
// and compared record by record. Where they differ, marcpp keeps data yaz
// changes or drops; each case is a named rule in canonical.py and
// documented in docs/formats.md (and, for the MARC-8 decoders, in
// docs/charsets.md):
//  - entry_map: yaz rewrites leader/20-22 to "450" (the entry map it used);
//  - control_pictures: in MARCXML yaz drops control characters XML cannot
//    hold; marcpp writes their Control Pictures;
//  - empty_no_code: yaz drops a delimiter with neither code nor value;
//  - for MARC-8 records: json_leader09, leader_counts, control_delimiter,
//    escape_code, yaz_not_well_formed, marc8_references, marc8_controls,
//    lone_second_half, dangling_marks, marc8_faults, other_encoding.
TEST_CASE("marc-convert: MARCXML and MARC-in-JSON equal yaz-marcdump's after canonicalisation") {
  if (!test::have_corpus()) return;
  if (!have("yaz-marcdump") || !have("python3")) {
    MESSAGE("yaz-marcdump (Debian package yaz) or python3 is missing: skipping the comparison with yaz");
    return;
  }
  scratch s;
  std::size_t picked_records = 0, picked_marc8 = 0, liars = 0, repaired = 0, originals = 0, not_utf8 = 0;
  std::string picked, picked8;
  for (const char* dir : {"bib-utf8", "bib-marc8", "authority", "holdings", "large", "malformed", "unimarc"})
    for (const auto& e : std::filesystem::directory_iterator(test::corpus_dir() / dir)) {
      auto ext = e.path().extension().string();
      if (ext == ".xml" || ext == ".mrk" || ext == ".json" || ext == ".gz") continue;
      marcpp::reader r{marcpp::mmap_source{e.path()}};
      marcpp::record_view v;
      while (r.next(v)) {
        if (v.repaired()) {
          ++repaired;
          continue;
        }
        std::string x;
        std::vector<marcpp::diagnostic> warnings;
        REQUIRE_FALSE(marcpp::write_marcxml(v, x, {.as_is = true}, &warnings));
        if (std::any_of(warnings.begin(), warnings.end(),
                        [](const auto& w) { return w.code == marcpp::errc::value_not_representable; })) {
          ++originals;
          continue;
        }
        marcpp::record u;
        REQUIRE_FALSE(marcpp::to_utf8(v, u));
        if (v.leader().coding_scheme() == 'a') {
          if (u.diagnostics().size() > v.diagnostics().size()) {
            ++not_utf8;  // repaired or decoded by marcpp; yaz writes the bytes
          } else {
            picked.append(v.raw());
            ++picked_records;
          }
        } else if (!marcpp::check_encoding(v).agrees()) {
          ++liars;
        } else {
          picked8.append(v.raw());
          ++picked_marc8;
        }
      }
    }
  std::ofstream(s / "in.mrc", std::ios::binary) << picked;
  std::ofstream(s / "in8.mrc", std::ios::binary) << picked8;
  for (const bool m8 : {false, true}) {
    for (const std::string kind : {"xml", "json"}) {
      CAPTURE(kind);
      CAPTURE(m8);
      const bool xml = kind == "xml";
      const auto in = q(s / (m8 ? "in8.mrc" : "in.mrc"));
      REQUIRE(run("yaz-marcdump " + std::string(m8 ? "-f MARC-8 -t UTF-8 " : "") + "-o " + (xml ? "marcxml" : "json") +
                  " " + in + " > " + q(s / "yaz.out")).status == 0);
      // (Exit 1 for the MARC-8 records: some have faults, repaired.)
      REQUIRE(run(marc_convert + " -q --marcxml-as-is -t " + (xml ? "marcxml" : "jsonl") + " " + in + " -o " +
                  q(s / "ours.out")).status < (m8 ? 2 : 1));
      auto cmp = run(std::string("python3 ") + q(MARCPP_CANONICAL) + " compare " + kind + " " + q(s / "yaz.out") + " " +
                     q(s / "ours.out") + (m8 ? " --marc8" : ""));
      CHECK_MESSAGE(cmp.status == 0, cmp.out.substr(0, 4000) << cmp.err.substr(0, 2000));
      REQUIRE(cmp.out.find("same ") != std::string::npos);
      MESSAGE(std::string(m8 ? "MARC-8 " : "") << kind << ": " << cmp.out.substr(cmp.out.rfind("same ")));
      CHECK(std::stoul(cmp.out.substr(cmp.out.rfind("same ") + 5)) > (m8 ? 3900u : 2000u));
    }
  }
  MESSAGE(picked_records << " UTF-8 and " << picked_marc8 << " MARC-8 records compared; not compared: " << liars
                         << " records whose leader/09 says MARC-8 and whose bytes are UTF-8, " << not_utf8
                         << " records flagged UTF-8 whose bytes are not, " << repaired << " records read with repairs, "
                         << originals << " records written with marcpp's original forms");
}

// Tags as they are: lower-case tags are ordinary tags, and a tag marcpp::tag
// cannot hold keeps its bytes through every format; marc-dump prints them as
// yaz-marcdump does.
TEST_CASE("marc-convert and marc-dump: every tag as it is") {
  if (!test::have_corpus()) return;
  scratch s;
  SUBCASE("a record with a field tagged m01, from MARCXML to every format and back") {
    const auto xml = test::corpus_dir() / "marcxml" / "openlibrary-abhandlungender01ggoog_marc.xml";
    auto direct = test::read_text<marcpp::marcxml_reader>(test::slurp(xml), test::with(marcpp::error_policy::strict));
    REQUIRE(direct.records.size() == 1);
    CHECK(direct.diags.empty());
    const marcpp::record& rec = direct.records[0];
    REQUIRE(rec.first("m01"));
    CHECK(rec.first("m01")->tag() == marcpp::tag("m01"));
    for (const char* f : {"iso2709", "marcxml", "json", "jsonl", "mrk"}) {
      CAPTURE(f);
      auto out = run(marc_convert + " -t " + f + " " + q(xml) + " -o " + q(s / "out"));
      CHECK(out.status == 0);
      CHECK(out.err.find("marc-convert: 1 records in, 1 out, 0 repaired, 0 skipped\n") != std::string::npos);
      CHECK(out.err.find("E306") == std::string::npos);
      auto back = run(marc_convert + " -q --strict -t iso2709 " + q(s / "out"));
      CHECK(back.status == 0);
      const marcpp::record again = test::one(back.out);
      CHECK(again == rec);
      REQUIRE(again.first("m01"));
      CHECK(again.first("m01")->tag() == marcpp::tag("m01"));
    }
    CHECK(run(marc_convert + " -t text " + q(xml)).out.find("\nm01    $a ") != std::string::npos);
  }
  SUBCASE("ISO 2709 to ISO 2709 keeps every tag's bytes, and marc-dump prints them as yaz-marcdump does") {
    const bool yaz = have("yaz-marcdump");
    if (!yaz) MESSAGE("yaz-marcdump is not installed (Debian package yaz): the comparison with it is skipped");
    const std::pair<const char*, const char*> files[] = {{"file_marc-bad_example.mrc", "30-"},
                                                         {"pymarc-bad_indicator.dat", "0 2"}};
    for (const auto& file : files) {
      const char* name = file.first;
      const char* odd = file.second;
      CAPTURE(name);
      const auto path = test::corpus_dir() / "malformed" / name;
      auto in = test::read_all(marcpp::mmap_source{path});
      REQUIRE(in.records.size() == 1);
      auto out = run(marc_convert + " -q -t iso2709 " + q(path));
      CHECK(out.status == (std::string(name) == "pymarc-bad_indicator.dat" ? 1 : 0));  // that one is repaired
      const marcpp::record back = test::one(out.out);
      REQUIRE(back.size() == in.records[0].size());
      std::string tags_in, tags_out;
      for (std::size_t i = 0; i < back.size(); ++i) {
        tags_in.append(in.records[0][i].tag_chars().data(), 3);
        tags_out.append(back[i].tag_chars().data(), 3);
      }
      CHECK(tags_out == tags_in);
      CHECK(tags_out.find(odd) != std::string::npos);
      // The directory of what was written holds the tag's bytes.
      CHECK(out.out.substr(24, out.out.find('\x1e') - 24).find(odd) != std::string::npos);
      // Through each text format and back, the same tags; the MARCXML is
      // valid (the field tagged so in an instruction).
      for (const char* f : {"marcxml", "json", "mrk"}) {
        CAPTURE(f);
        auto text = run(marc_convert + " -q -t " + f + " " + q(path) + " -o " + q(s / "text"));
        CHECK(text.status < 2);
        auto again = run(marc_convert + " -q -t iso2709 " + q(s / "text"));
        CHECK(again.status < 2);
        const marcpp::record through = test::one(again.out);
        REQUIRE(through.size() == back.size());
        std::string tags_through;
        for (std::size_t i = 0; i < through.size(); ++i) tags_through.append(through[i].tag_chars().data(), 3);
        CHECK(tags_through == tags_in);
        if (std::string(f) == "marcxml" && have("xmllint")) {
          auto valid = run("xmllint --noout --schema " + q(test::corpus_dir() / "spec" / "MARC21slim.xsd") + " " +
                           q(s / "text"));
          CHECK_MESSAGE(valid.status == 0, valid.err);
          CHECK(test::slurp(s / "text").find("<?marcpp tag=\"" + std::string(odd) + "\"") != std::string::npos);
        }
      }

      auto dump = run(marc_dump + " --quiet " + q(path));
      CHECK(dump.out.find("\n" + std::string(odd) + " ") != std::string::npos);
      CHECK(dump.out.find("???") == std::string::npos);
      if (!yaz) continue;
      auto theirs = run("yaz-marcdump " + q(path));
      // yaz reads the indicators of the 0 2 field, whose data starts with a
      // delimiter, otherwise (docs/marc-dump.md): the tags are compared.
      // Each line's tag, in the record (yaz adds comments on the blanks after it).
      auto line_tags = [](const std::string& text) {
        std::vector<std::string> t;
        std::istringstream lines(text.substr(0, text.find("\n\n")));
        for (std::string line; std::getline(lines, line);) t.push_back(line.substr(0, 4));
        return t;
      };
      CHECK(line_tags(dump.out) == line_tags(theirs.out));
      if (std::string(name) == "file_marc-bad_example.mrc") CHECK(dump.out == theirs.out);
    }
  }
}
