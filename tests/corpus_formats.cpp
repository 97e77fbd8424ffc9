// The other serializations over the shared corpus: every MARCXML, MARC-in-JSON
// and .mrk file read under every policy with a documented expectation, the
// same results from every source, and ISO 2709 -> each format -> ISO 2709
// giving back the expected bytes for every record of the corpus the ISO 2709
// writer writes (MARC-8 records in their UTF-8 form for MARCXML and
// MARC-in-JSON).
// Skipped, with a message, when the corpus is absent.
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>

using marcpp::errc;
using marcpp::error_policy;

namespace {

std::vector<std::string> manifest_column(std::size_t col, const std::string& path) {
  std::istringstream in(test::slurp(test::corpus_dir() / "MANIFEST.tsv"));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (;;) {
      auto tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (cols.size() > col && cols[0] == path) return {cols[col]};
  }
  return {};
}

bool ends_with(const std::string& s, std::string_view e) { return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0; }

// Every file of the corpus in a text format.
std::vector<std::string> text_files() {
  std::vector<std::string> out;
  auto add = [&](const char* dir, std::initializer_list<std::string_view> exts) {
    for (const auto& e : std::filesystem::directory_iterator(test::corpus_dir() / dir)) {
      std::string name = std::string(dir) + "/" + e.path().filename().string();
      for (auto x : exts)
        if (ends_with(name, x)) out.push_back(name);
    }
  };
  add("marcxml", {".xml"});
  add("marc-in-json", {".json", ".ndj"});
  add("mrk", {".mrk"});
  add("large", {".xml", ".mrk"});
  add("authority", {".xml"});
  add("holdings", {".xml"});
  add("malformed", {".xml", ".json"});
  std::sort(out.begin(), out.end());
  return out;
}

struct run_result {
  std::size_t records = 0, skipped = 0;
  bool failed = false;
  marcpp::diagnostic error;
  std::vector<marcpp::diagnostic> diags;
};

run_result read_file(const std::string& rel, error_policy p) {
  run_result out;
  marcpp::with_format_reader((test::corpus_dir() / rel).string(), marcpp::format::unknown, test::with(p), [&](auto& r) {
    r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { out.diags.push_back(d); });
    marcpp::record rec;
    while (r.next(rec)) ++out.records;
    out.skipped = r.stats().skipped;
    out.failed = r.failed();
    out.error = r.error();
    return 0;
  });
  return out;
}

// Files whose records are not all clean, and what each policy makes of them;
// docs/formats.md ("The corpus") says why, file by file.
struct text_case {
  const char* file;
  errc strict_error;  // errc::ok: strict reads the whole file
  std::uint64_t strict_index;
  std::uint32_t strict_line;
  std::size_t strict_records, lenient_records, lenient_skipped, skip_records, skip_skipped;
};
const text_case fault_cases[] = {
    {"marcxml/dojson-authority-ad1xx.xml", errc::xml_not_marcxml, 0, 3, 0, 1, 0, 0, 1},
    {"marcxml/dojson-authority-ad5xx.xml", errc::xml_not_marcxml, 0, 3, 0, 1, 0, 0, 1},
    {"marcxml/dojson-test_14.xml", errc::xml_not_marcxml, 0, 3, 0, 1, 0, 0, 1},
    {"marcxml/dojson-test_6.xml", errc::xml_not_marcxml, 0, 3, 0, 1, 0, 0, 1},
    {"marcxml/dojson-test_cds_marc21.xml", errc::xml_not_marcxml, 0, 3, 0, 1, 0, 0, 1},
    {"marcxml/marc-perl-xml-namespace.xml", errc::xml_not_marcxml, 0, 6, 0, 1, 0, 0, 1},
    {"marcxml/marc2bibframe2-ConvSpec-5XX-marc-paired880s.xml", errc::xml_not_marcxml, 0, 2, 0, 1, 0, 0, 1},
    {"marcxml/marc2bibframe2-ConvSpec-880-marc.xml", errc::xml_not_marcxml, 0, 13, 0, 1, 0, 0, 1},
    {"marcxml/marc4j-1474920681_KOHA_LFL_5.xml", errc::xml_not_marcxml, 0, 1, 0, 1, 0, 0, 1},
    {"marcxml/openlibrary-39002054008678_yale_edu_marc.xml", errc::bad_leader_length, 0, 1, 0, 1, 0, 0, 1},
    {"marcxml/php-marc-oaipmh-bibsys.xml", errc::xml_not_marcxml, 0, 80, 0, 89, 0, 82, 7},
    {"large/marc21go-jove.mrk", errc::bad_leader_length, 0, 1, 0, 2820, 0, 0, 2820},
    {"marc-in-json/catmandu-marc-old_new.json", errc::json_not_marc, 0, 1, 0, 0, 2, 0, 2},
    {"marc-in-json/marc4j-marc-json.json", errc::json_syntax, 0, 1, 0, 0, 1, 0, 1},
    {"marc-in-json/marc4j-summerland-marc-json.json", errc::json_syntax, 0, 1, 0, 0, 1, 0, 1},
    {"marc-in-json/pymarc-test.json", errc::json_syntax, 0, 170, 0, 0, 1, 0, 1},
    {"malformed/file_marc-bad_example.xml", errc::xml_not_marcxml, 0, 44, 0, 1, 0, 0, 1},
    {"malformed/file_marc-bad_leader.xml", errc::bad_leader_length, 0, 2, 0, 1, 0, 0, 1},
    {"malformed/marc-perl-xml-empty-record.xml", errc::xml_not_marcxml, 0, 1, 0, 0, 1, 0, 1},
    {"malformed/marc-perl-xml-invalid.xml", errc::xml_not_marcxml, marcpp::npos, 6, 0, 0, 0, 0, 0},
    {"malformed/marc4j-chabon-missing-subfield-code.xml", errc::xml_not_marcxml, 0, 8, 0, 1, 0, 0, 1},
    {"malformed/marc4j-cruel-cruel-indicatorless-summerland.xml", errc::xml_not_marcxml, 0, 51, 0, 1, 0, 0, 1},
    {"malformed/php-marc-alma-bibs-api-invalid.xml", errc::xml_not_well_formed, marcpp::npos, 1, 0, 1, 0, 1, 0},
    {"malformed/pymarc-bad_tag.xml", errc::bad_leader_length, 0, 3, 0, 1, 0, 0, 1},
    {"malformed/qa-catalogue-wrong-marcxml.xml", errc::bad_leader_length, 2, 110, 2, 3, 0, 2, 1},
    {"malformed/ruby-marc-no-leading-zero.xml", errc::invalid_tag, 0, 1, 0, 1, 0, 0, 1},
    {"malformed/ruby-marc-three-records-second-bad.xml", errc::xml_not_well_formed, 1, 72, 1, 2, 1, 2, 1},
    {"malformed/marc4j-illegal-marc-in-json.json", errc::json_syntax, 0, 170, 0, 0, 1, 0, 1},
};

// Clean files whose record count is not MANIFEST's count of <record>
// elements: the records of SRU and OAI-PMH responses are wrapped in
// <record> elements of other namespaces, which are not MARC records.
const std::map<std::string, std::size_t> wrapped_counts = {
    {"marcxml/php-marc-sru-alma.xml", 3},        {"marcxml/php-marc-sru-bibsys.xml", 117},
    {"marcxml/php-marc-sru-kth.xml", 10},        {"marcxml/php-marc-sru-loc.xml", 10},
    {"marcxml/php-marc-sru-zdb.xml", 8},         {"marcxml/rero-ils-dnb_samuelson.xml", 10},
    {"marcxml/rero-ils-kul_samuelson.xml", 10},  {"marcxml/rero-ils-slsp_anywhere_123.xml", 50},
    {"marcxml/rero-ils-ugent_anywhere_123.xml", 10},
    // Dublin Core or foreign-namespace records: no MARC at all.
    {"marcxml/traject-namespace-test.xml", 0},   {"marcxml/traject-sample-oai-no-namespace.xml", 0},
    {"marcxml/traject-sample-oai-pmh.xml", 0},
};
// Clean JSON and .mrk files (MANIFEST counts no records for them).
const std::map<std::string, std::size_t> text_counts = {
    {"marc-in-json/folio-srm-parsedAuthorityRecord.json", 1}, {"marc-in-json/folio-srm-parsedBibRecord.json", 1},
    {"marc-in-json/folio-srm-parsedHoldingsRecord.json", 1},  {"marc-in-json/marc-perl-mij-test.ndj", 9},
    {"marc-in-json/marc4j-legal-json-marc-in-json.json", 1},  {"marc-in-json/marc4j-marc-in-json.json", 1},
    {"marc-in-json/marc4j-summerland-marc-in-json.json", 1},  {"marc-in-json/pymarc-batch.json", 2},
    {"marc-in-json/pymarc-one.json", 1},                      {"marc-in-json/traject-test_data.utf8.json", 30},
    {"marc-in-json/yaz-marc12.json", 1},                      {"marc-in-json/yaz-marc7.json", 1},
    {"mrk/marc-perl-marcmaker-camel.mrk", 10},                {"mrk/marc4j-brkrtest.mrk", 8},
    {"mrk/pymarc-workshop-marc.mrk", 6},
    // ISO 2709 with an .xml name: detection reads it as what it is.
    {"malformed/marcli-test_bad.xml", 1},
};

std::size_t manifest_records(const std::string& rel) {
  auto c = manifest_column(3, rel);
  if (c.empty()) return marcpp::npos;
  auto of = c[0].find(" of ");
  if (of == std::string::npos) return marcpp::npos;
  return std::stoul(c[0].substr(of + 4));
}

}  // namespace

TEST_CASE("corpus: every MARCXML, MARC-in-JSON and .mrk file, under every policy") {
  if (!test::have_corpus()) return;
  std::set<std::string> faulty;
  for (const auto& c : fault_cases) {
    CAPTURE(c.file);
    faulty.insert(c.file);
    auto strict = read_file(c.file, error_policy::strict);
    CHECK(strict.failed == (c.strict_error != errc::ok));
    if (strict.failed) {
      CHECK(strict.error.code == c.strict_error);
      CHECK(strict.error.record_index == c.strict_index);
      CHECK(strict.error.line == c.strict_line);
      CHECK(strict.error.column >= 1);
    }
    CHECK(strict.records == c.strict_records);
    auto lenient = read_file(c.file, error_policy::lenient);
    CHECK_FALSE(lenient.failed);
    CHECK(lenient.records == c.lenient_records);
    CHECK(lenient.skipped == c.lenient_skipped);
    auto skip = read_file(c.file, error_policy::skip);
    CHECK_FALSE(skip.failed);
    CHECK(skip.records == c.skip_records);
    CHECK(skip.skipped == c.skip_skipped);
  }
  std::size_t files = 0, records = 0;
  for (const auto& f : text_files()) {
    if (faulty.count(f)) continue;
    CAPTURE(f);
    ++files;
    auto strict = read_file(f, error_policy::strict);
    CHECK_FALSE(strict.failed);
    CHECK(strict.skipped == 0);
    std::size_t expected = marcpp::npos;
    if (auto it = wrapped_counts.find(f); it != wrapped_counts.end()) expected = it->second;
    else if (auto jt = text_counts.find(f); jt != text_counts.end()) expected = jt->second;
    else expected = manifest_records(f);
    CHECK_MESSAGE(expected != marcpp::npos, "no expected count for " << f);
    CHECK(strict.records == expected);
    CHECK(read_file(f, error_policy::skip).records == expected);
    records += strict.records;
    // Only warnings: nothing changed.
    for (const auto& d : strict.diags) CHECK(d.level == marcpp::severity::warning);
  }
  MESSAGE(files << " clean text files with " << records << " records, " << std::size(fault_cases)
                << " files with documented faults");
  CHECK(files > 90);
}

TEST_CASE("corpus: the text formats give the same results from memory, a mapped file and a stream") {
  if (!test::have_corpus()) return;
  for (const auto& f : text_files()) {
    CAPTURE(f);
    const std::string bytes = test::slurp(test::corpus_dir() / f);
    auto fmt = marcpp::detect_format(std::string_view(bytes).substr(0, 512));
    if (fmt == marcpp::format::iso2709) continue;
    for (auto p : {error_policy::strict, error_policy::lenient}) {
      auto read = [&](std::size_t chunk) {
        switch (fmt) {
          case marcpp::format::marcxml: return test::read_text<marcpp::marcxml_reader>(bytes, test::with(p), chunk);
          case marcpp::format::mrk: return test::read_text<marcpp::mrk_reader>(bytes, test::with(p), chunk);
          default: return test::read_text<marcpp::json_reader>(bytes, test::with(p), chunk);
        }
      };
      const std::string expected = test::text_summary(read(0));
      CHECK(test::text_summary(read(1000)) == expected);
      CHECK(test::text_summary(read(64)) == expected);
    }
  }
}

TEST_CASE("corpus: the .mrk files that come with their ISO 2709 twin give the same bytes") {
  if (!test::have_corpus()) return;
  const std::pair<const char*, const char*> twins[] = {
      {"mrk/marc4j-brkrtest.mrk", "bib-marc8/marc4j-brkrtest.mrc"},
      {"mrk/marc-perl-marcmaker-camel.mrk", "bib-marc8/marc-perl-camel.usmarc"},
  };
  for (const auto& twin : twins) {
    const char* mrk = twin.first;
    const char* iso = twin.second;
    CAPTURE(mrk);
    const std::string text = test::slurp(test::corpus_dir() / mrk), bytes = test::slurp(test::corpus_dir() / iso);
    auto o = test::read_text<marcpp::mrk_reader>(text, test::with(error_policy::strict));
    REQUIRE_FALSE(o.failed);
    std::string out;
    for (const auto& r : o.records) REQUIRE_FALSE(marcpp::write_iso2709(r, out));
    CHECK(out == bytes);
    // And back: the text MarcEdit or MARCMaker wrote, line ends aside.
    auto isos = test::read_bytes(bytes, test::with(error_policy::strict));
    std::string again;
    const bool crlf = text.find("\r\n") != std::string::npos;
    for (const auto& r : isos.records) REQUIRE_FALSE(marcpp::write_mrk(r, again, {.crlf = crlf}));
    CHECK((again == text || again == text + (crlf ? "\r\n" : "\n")));
  }
}

// Every record of the corpus that the ISO 2709 writer writes is written by
// the three text writers too, and comes back with the same bytes: .mrk keeps
// the record's own bytes; MARCXML and MARC-in-JSON hold Unicode, so they
// write what `to_utf8` makes of the record (a MARC-8 record decoded, whatever
// leader/09 says; invalid UTF-8 repaired), and that form comes back. What
// the formats cannot hold as it is (data before the first delimiter,
// indicator, code and leader bytes that are no character, what
// MARC21slim.xsd refuses) travels in marcpp's reversible forms
// (docs/formats.md). Records are read leniently: repaired records count.
// Every ISO 2709 file of the corpus, large/ included (its ISO 2709 files are
// 5.2 MB of the 9.6 MB): a few seconds in a Debug build.
TEST_CASE("corpus: every record the ISO 2709 writer writes comes back from each text format with the same bytes") {
  if (!test::have_corpus()) return;
  struct tally {
    std::size_t records = 0, same = 0, reordered = 0, converted = 0, marc8_original = 0, refused = 0;
  };
  std::map<std::string, tally> t;
  std::size_t records = 0, not_iso = 0, repaired = 0;
  auto back_to_record = [](marcpp::format f, const std::string& text) {
    test::outcome o;
    switch (f) {
      case marcpp::format::marcxml: o = test::read_text<marcpp::marcxml_reader>(text); break;
      case marcpp::format::mrk: o = test::read_text<marcpp::mrk_reader>(text); break;
      default: o = test::read_text<marcpp::json_reader>(text); break;
    }
    REQUIRE_MESSAGE(o.records.size() == 1, (o.failed ? marcpp::to_string(o.error) : std::string("no record")));
    return o.records[0];
  };
  // The ISO 2709 form of a record's content: the data in directory order (a
  // record read from ISO 2709 remembers where its data lay; the text formats
  // hold the directory's order only).
  auto iso = [](const marcpp::record& r) {
    marcpp::record plain = r;
    for (auto& fl : plain) fl.set_origin(marcpp::field::no_origin);
    return marcpp::to_iso2709(plain);
  };
  std::istringstream manifest(test::slurp(test::corpus_dir() / "MANIFEST.tsv"));
  std::string line;
  std::getline(manifest, line);
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
    if (ends_with(cols[0], ".gz")) continue;
    CAPTURE(cols[0]);
    marcpp::reader r{marcpp::mmap_source{test::corpus_dir() / cols[0]}};
    marcpp::record_view v;
    while (r.next(v)) {
      CAPTURE(v.index());
      std::string original;
      if (marcpp::write_iso2709(v, original)) {
        ++not_iso;
        continue;
      }
      ++records;
      repaired += v.repaired();
      const marcpp::record rec{v};
      marcpp::record utf8;
      REQUIRE_FALSE(marcpp::to_utf8(v, utf8));
      const bool converted = iso(utf8) != iso(rec);
      for (auto f : {marcpp::format::marcxml, marcpp::format::jsonl, marcpp::format::mrk}) {
        tally& ty = t[std::string(marcpp::to_string(f))];
        CAPTURE(marcpp::to_string(f));
        const bool unicode = f != marcpp::format::mrk;
        const marcpp::record& expected = unicode ? utf8 : rec;
        std::string text;
        std::vector<marcpp::diagnostic> warnings;
        marcpp::diagnostic d;
        if (f == marcpp::format::marcxml) d = marcpp::write_marcxml(v, text, {}, &warnings);
        else if (f == marcpp::format::jsonl) d = marcpp::write_json(v, text, &warnings);
        else d = marcpp::write_mrk(v, text);
        CHECK_MESSAGE(!d, marcpp::to_string(d));
        if (d) {
          ++ty.refused;
          continue;
        }
        ++ty.records;
        // Every change the conversion made is among the writer's reports.
        if (unicode)
          for (std::size_t i = v.diagnostics().size(); i < utf8.diagnostics().size(); ++i) {
            const auto code = utf8.diagnostics()[i].code;
            CHECK_MESSAGE(std::any_of(warnings.begin(), warnings.end(), [&](const auto& w) { return w.code == code; }),
                          "not reported: " << marcpp::to_string(utf8.diagnostics()[i]));
          }
        if (f == marcpp::format::marcxml) text = "<collection xmlns=\"http://www.loc.gov/MARC21/slim\">" + text + "</collection>";
        const marcpp::record back = back_to_record(f, text);
        CHECK(back == expected);
        const std::string bytes = iso(back);
        CHECK(bytes == iso(expected));
        if (unicode && converted) {
          ++ty.converted;
          // Back in MARC-8: the original bytes, where they were canonical.
          marcpp::record again;
          if (!marcpp::to_marc8(back, again) && marcpp::to_iso2709(again) == original) ++ty.marc8_original;
        } else if (bytes == original) {
          ++ty.same;
        } else {
          // Only the order of the data area differs: the bytes read lay in
          // another order than the directory's.
          CHECK(iso(rec) != original);
          ++ty.reordered;
        }
      }
    }
  }
  MESSAGE(records << " records the ISO 2709 writer writes (" << repaired << " of them read with repairs); " << not_iso
                  << " it refuses");
  for (const auto& [name, ty] : t)
    MESSAGE(name << ": " << ty.records << " written and read back to the bytes expected; " << ty.same
                 << " of them the very bytes read, " << ty.reordered
                 << " with their data area in the directory's order; " << ty.converted << " converted to UTF-8 on the way ("
                 << ty.marc8_original << " give back their original bytes once converted back to MARC-8); "
                 << ty.refused << " refused");
  for (const auto& entry : t) {
    const std::string& format = entry.first;
    CAPTURE(format);
    CHECK(entry.second.refused == 0);
    CHECK(entry.second.records == records);
  }
  CHECK(records > 7800);
  CHECK(t["mrk"].converted == 0);
  CHECK(t["mrk"].same + t["mrk"].reordered == records);
  CHECK(t["mrk"].reordered <= 3);  // marc4j-unordered-directory-entries.mrc, yaz-marc6.marc, file_marc-bad_example2.mrc
  CHECK(t["marcxml"].converted > 4000);
  CHECK(t["marcxml"].marc8_original > 3900);
  CHECK(t["jsonl"].same == t["marcxml"].same);
  CHECK(t["jsonl"].converted == t["marcxml"].converted);
}
