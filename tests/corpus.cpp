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
    if (row.path.rfind("malformed/", 0) == 0) continue;  // see the malformed test below
    // with_reader maps plain files and decompresses compressed ones.
    auto o = marcpp::with_reader((test::corpus_dir() / row.path).string(), {}, [](auto& r) {
      test::outcome out;
      marcpp::record_view v;
      while (r.next(v)) out.records.emplace_back(v);
      out.stats = r.stats();
      out.failed = r.failed();
      return out;
    });
    CHECK_FALSE(o.failed);
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

namespace {
struct malformed_case {
  const char* file;
  marcpp::errc strict_error;   // errc::ok: strict reads the whole file (only warnings)
  std::uint64_t strict_index;  // record index and byte offset of the strict error
  std::uint64_t strict_offset;
  std::size_t strict_records;  // records delivered before strict stops
  std::size_t lenient_records, lenient_skipped;
  std::size_t skip_records, skip_skipped;
};
using marcpp::errc;
// What marcpp does with each malformed file of the corpus; docs/malformed.md
// says why, file by file.
const malformed_case malformed_cases[] = {
    {"catmandu-marc-bu_bibs.mrc", errc::record_length_mismatch, 2, 4435, 2, 100, 0, 84, 16},
    {"file_marc-bad_example.mrc", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"file_marc-bad_example2.mrc", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"file_marc-music.mrc", errc::ok, 0, 0, 3, 3, 0, 3, 0},
    {"file_marc-wronglen.mrc", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"marc-perl-baddir.usmarc", errc::bad_base_address, 0, 144, 0, 1, 0, 0, 1},
    {"marc-perl-badind.usmarc", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"marc-perl-badldr.usmarc", errc::truncated_record, 6, 1717, 6, 6, 1, 6, 1},
    {"marc-perl-cameleof.usmarc", errc::ok, 0, 0, 10, 10, 0, 10, 0},
    {"marc-perl-charset-farsi.marc", errc::bad_directory, 0, 24, 0, 0, 1, 0, 1},
    {"marc-perl-filler.usmarc", errc::ok, 0, 0, 3, 3, 0, 3, 0},
    {"marc-perl-sample1eof.usmarc", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"marc21-rs-invalid.mrc", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"marc21go-r2.mrc", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"marc4j-008008027.mrc", errc::truncated_record, 18, 65536, 18, 19, 0, 18, 1},
    {"marc4j-bad-characters-in-various-fields.mrc", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"marc4j-bad_hathi_records.mrc", errc::record_length_mismatch, 3, 6343, 3, 5, 0, 4, 1},
    {"marc4j-bad_leaders_10_11.mrc", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"marc4j-bad_oversize_field_bad_directory.mrc", errc::bad_directory, 1, 1595, 1, 5, 0, 4, 1},
    {"marc4j-bad_too_long_plus_2.mrc", errc::record_length_mismatch, 0, 0, 0, 3, 0, 2, 1},
    {"marc4j-chinese_mangled_multibyte.mrc", errc::ok, 0, 0, 4, 4, 0, 4, 0},
    {"marc4j-datos-20161010-slice.mrc", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"marc4j-incomplete_esc_seq.mrc", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"marc4j-not_unimarc_errors_3.mrc", errc::invalid_utf8, 0, 1091, 0, 3, 0, 0, 3},
    {"marc4j-pride-and-prejudice-with-many-errors.mrc", errc::invalid_utf8, 1, 1234, 1, 383, 0, 298, 85},
    {"marc4j-samples-error.mrc", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"metafacture-10.marc21", errc::ok, 0, 0, 10, 10, 0, 10, 0},
    {"openlibrary-dasrmischepriv00rein_meta.mrc", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"openlibrary-lesabndioeinas00sche_meta.mrc", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"openlibrary-poganucpeoplethe00stowuoft_meta.mrc", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"openlibrary-upei_short_008.mrc", errc::bad_base_address, 0, 12, 0, 1, 0, 0, 1},
    {"pymarc-bad_eacc_encoding.dat", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"pymarc-bad_indicator.dat", errc::missing_indicators, 0, 325, 0, 1, 0, 0, 1},
    {"pymarc-bad_marc8_escape.dat", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"pymarc-bad_records.mrc", errc::bad_base_address, 1, 139, 1, 8, 0, 3, 5},
    {"pymarc-bad_subfield_code.dat", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"pymarc-utf8_errors.dat", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"pymarc-utf8_invalid.mrc", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"qa-catalogue-000-line-seperated.mrc", errc::ok, 0, 0, 20, 20, 0, 20, 0},
    {"ruby-marc-marc_with_bad_utf8.utf8.marc", errc::record_length_mismatch, 0, 0, 0, 1, 0, 0, 1},
    {"ruby-marc-utf8_with_bad_bytes.marc", errc::invalid_utf8, 0, 718, 0, 1, 0, 0, 1},
    {"solrmarc-errorRecs.mrc", errc::ok, 0, 0, 5, 5, 0, 5, 0},
    {"traject-bad_subfield_code.marc", errc::ok, 0, 0, 1, 1, 0, 1, 0},
    {"traject-bad_utf_byte.utf8.marc", errc::invalid_utf8, 0, 62, 0, 1, 0, 0, 1},
    {"yaz-marc4.marc", errc::truncated_record, 0, 5, 0, 1, 1, 1, 1},
};
}  // namespace

TEST_CASE("corpus: malformed files: strict stops with a documented kind and offset, lenient recovers, skip goes on") {
  if (!test::have_corpus()) return;
  std::set<std::string> listed;
  for (const auto& c : malformed_cases) {
    CAPTURE(c.file);
    listed.insert(c.file);
    const auto path = test::corpus_dir() / "malformed" / c.file;
    auto strict = test::read_all(marcpp::mmap_source{path}, test::with(marcpp::error_policy::strict));
    CHECK(strict.failed == (c.strict_error != errc::ok));
    if (strict.failed) {
      CHECK(strict.error.code == c.strict_error);
      CHECK(strict.error.record_index == c.strict_index);
      CHECK(strict.error.offset == c.strict_offset);
      CHECK(!strict.error.message.empty());
    }
    CHECK(strict.records.size() == c.strict_records);
    auto lenient = test::read_all(marcpp::mmap_source{path}, test::with(marcpp::error_policy::lenient));
    CHECK_FALSE(lenient.failed);
    CHECK(lenient.records.size() == c.lenient_records);
    CHECK(lenient.stats.skipped == c.lenient_skipped);
    auto skip = test::read_all(marcpp::mmap_source{path}, test::with(marcpp::error_policy::skip));
    CHECK_FALSE(skip.failed);
    CHECK(skip.records.size() == c.skip_records);
    CHECK(skip.stats.skipped == c.skip_skipped);
  }
  // Every ISO 2709 file of malformed/ is in the table.
  for (const auto& row : iso2709_files())
    if (row.path.rfind("malformed/", 0) == 0) CHECK_MESSAGE(listed.count(row.path.substr(10)), row.path);
}

namespace {
// A record's fields one line each, as MARC4J prints them and as
// tests/corpus.cpp compares them with MARC4J's and MARC::Record's readings:
// "001 value" for control fields, "245 10$aTitle$cName" for data fields.
// Subfields with empty values are left out, as MARC4J leaves them out.
std::vector<std::string> peer_lines(const marcpp::record& r) {
  std::vector<std::string> lines;
  for (const auto& f : r) {
    std::string l = f.tag().str() + ' ';
    if (f.is_control()) {
      l += f.data();
    } else {
      l += f.indicators().str();
      for (const auto& sf : f.subfields()) {
        if (sf.value().empty()) continue;
        l += '$';
        if (sf.code()) l += sf.code();
        l += sf.value();
      }
    }
    lines.push_back(std::move(l));
  }
  return lines;
}
// FNV-1a of the lines joined by newlines: the readings of long records are
// compared by this number (the expected ones made from the peers' output).
std::uint64_t fnv1a(const std::vector<std::string>& lines) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) h = (h ^ std::uint64_t{'\n'}) * 0x100000001b3ull;
    for (char c : lines[i]) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  return h;
}
}  // namespace

TEST_CASE("corpus: records a peer reads correctly are read as the peer reads them") {
  if (!test::have_corpus()) return;
  const auto malformed = test::corpus_dir() / "malformed";

  SUBCASE("marc-perl-baddir.usmarc: a base address kept although the directory ends in 0x1F") {
    // MARC::Record's reading (yaz-marcdump's is the same).
    auto o = test::read_all(marcpp::mmap_source{malformed / "marc-perl-baddir.usmarc"});
    REQUIRE(o.records.size() == 1);
    CHECK(peer_lines(o.records[0]) ==
          std::vector<std::string>{"001     2000932", "005 20020221152100.00",
                                   "008 020221 1988                            d", "020   $a0394800168$c$7.99",
                                   "091   $aChild. Lit. E SEU", "100   $aSeuss, Dr.", "245 00$aGreen Eggs and Ham",
                                   "260   $bRandom House$c1988", "300   $a62p.",
                                   "852   $aCT$d2/21/02$fGEN$hE SEU$l220$p2200001741$97.99"});
    CHECK(o.count(errc::bad_base_address) == 1);
    CHECK(o.stats.faults == 1);
  }

  SUBCASE("catmandu-marc-bu_bibs.mrc: lengths counted in characters, stray terminators inside fields") {
    // MARC4J's MarcPermissiveStreamReader (permissive, UTF-8), each record
    // read alone: the number of fields and the FNV-1a of their lines.
    struct expected {
      std::size_t record, fields;
      std::uint64_t hash;
    };
    const expected peers[] = {{14, 26, 0x54bef5bbdbc09d21ull}, {33, 26, 0x448c53e9344e37c2ull},
                              {44, 21, 0x971bc974d78e87c4ull}, {50, 28, 0xe57b7ce243371d25ull},
                              {61, 30, 0xf7381f31c325d07bull}, {71, 17, 0x45841c704eff840eull},
                              {76, 26, 0x7e32e1d859e3383eull}};
    auto o = test::read_all(marcpp::mmap_source{malformed / "catmandu-marc-bu_bibs.mrc"});
    REQUIRE(o.records.size() == 100);
    for (const auto& e : peers) {
      CAPTURE(e.record);
      const auto lines = peer_lines(o.records[e.record]);
      CHECK(lines.size() == e.fields);
      CHECK(fnv1a(lines) == e.hash);
    }
    // The field the damage first reaches in record 14, as MARC4J gives it.
    CHECK(peer_lines(o.records[14])[15] == "260   $aOxford, England :$bArchaeopress,$c2004");
    CHECK(peer_lines(o.records[14])[25] == "999   $aE0$bBOS$amugar$b1$c0505");
    // No data left out any longer: every terminator is in a field or
    // reported with the field it lies in.
    CHECK(o.count(errc::unreferenced_data) == 0);
  }

  SUBCASE("marc4j-008008027.mrc: the last record, cut at 65,536 bytes, gives up its complete fields") {
    // MARC::Record's reading of the record's first 24 fields (it keeps
    // the cut 856 too; marcpp leaves it out and says so).
    auto o = test::read_all(marcpp::mmap_source{malformed / "marc4j-008008027.mrc"});
    REQUIRE(o.records.size() == 19);
    const auto lines = peer_lines(o.records[18]);
    CHECK(lines.size() == 24);
    CHECK(fnv1a(lines) == 0x50b313edab87bf24ull);
    CHECK(lines.back() == "651  4$aUSA");
    const marcpp::diagnostic* d = o.find(errc::truncated_record);
    REQUIRE(d);
    CHECK(d->level == marcpp::severity::repair);
    CHECK(d->control_number == "58-008008027");
    CHECK(d->message.find("856 is cut") != std::string::npos);
  }
}
