#include <marcpp/reader.hpp>  // first: proves it is self-contained

#include <marcpp/iso2709_writer.hpp>
#include <marcpp/line_writer.hpp>
#include <marcpp/record.hpp>

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

using marcpp::errc;
using marcpp::error_policy;
using marcpp::severity;

namespace {

struct expectation {
  const char* file;
  errc code;
  severity lenient_level;  // level of the diagnostic under the lenient policy
  std::size_t records;     // records in the file (sound or not)
  std::size_t bad_record;  // index of the record with the fault
};

// One crafted file per error kind the reader can meet (tests/data/crafted/README.md).
const expectation cases[] = {
    {"truncated.mrc", errc::truncated_record, severity::repair, 2, 1},
    {"truncated-in-directory.mrc", errc::truncated_record, severity::error, 2, 1},
    {"truncated-before-next.mrc", errc::truncated_record, severity::repair, 3, 1},
    {"bad-record-length.mrc", errc::bad_record_length, severity::repair, 2, 0},
    {"record-length-mismatch.mrc", errc::record_length_mismatch, severity::repair, 2, 0},
    {"missing-record-terminator.mrc", errc::missing_record_terminator, severity::repair, 2, 0},
    {"bytes-between-records.mrc", errc::bytes_between_records, severity::warning, 3, 1},
    {"record-too-short.mrc", errc::record_too_short, severity::error, 3, 1},
    {"bad-base-address.mrc", errc::bad_base_address, severity::repair, 1, 0},
    {"directory-terminator-wrong.mrc", errc::bad_base_address, severity::repair, 1, 0},
    {"bad-indicator-count.mrc", errc::bad_indicator_count, severity::warning, 1, 0},
    {"bad-subfield-code-length.mrc", errc::bad_subfield_code_length, severity::warning, 1, 0},
    {"bad-entry-map.mrc", errc::bad_entry_map, severity::warning, 1, 0},
    {"unsupported-entry-map.mrc", errc::unsupported_entry_map, severity::repair, 1, 0},
    {"bad-directory.mrc", errc::bad_directory, severity::repair, 1, 0},
    {"no-directory-terminator.mrc", errc::bad_directory, severity::error, 1, 0},
    {"bad-directory-entry.mrc", errc::bad_directory_entry, severity::repair, 1, 0},
    {"oversized-field.mrc", errc::bad_directory, severity::repair, 1, 0},
    {"wrapped-positions.mrc", errc::field_length_mismatch, severity::repair, 1, 0},
    {"field-out-of-bounds.mrc", errc::field_out_of_bounds, severity::repair, 1, 0},
    {"field-length-mismatch.mrc", errc::field_length_mismatch, severity::repair, 1, 0},
    {"stray-field-terminator.mrc", errc::field_length_mismatch, severity::repair, 1, 0},
    {"missing-field-terminator.mrc", errc::missing_field_terminator, severity::repair, 1, 0},
    {"invalid-tag.mrc", errc::invalid_tag, severity::warning, 1, 0},
    {"unreferenced-data.mrc", errc::unreferenced_data, severity::repair, 1, 0},
    {"overlapping-fields.mrc", errc::overlapping_fields, severity::repair, 1, 0},
    {"missing-indicators.mrc", errc::missing_indicators, severity::repair, 1, 0},
    {"data-before-first-subfield.mrc", errc::data_before_first_subfield, severity::warning, 1, 0},
    {"missing-subfield-code.mrc", errc::missing_subfield_code, severity::warning, 1, 0},
    {"unexpected-terminator.mrc", errc::unexpected_terminator, severity::repair, 1, 0},
    {"indicator-count-three.mrc", errc::indicator_count_unsupported, severity::warning, 1, 0},
    {"subfield-code-length-three.mrc", errc::subfield_code_length_unsupported, severity::warning, 1, 0},
    {"invalid-utf8.mrc", errc::invalid_utf8, severity::repair, 1, 0},
};

}  // namespace

TEST_CASE("reader: every error kind under every policy") {
  for (const auto& c : cases) {
    CAPTURE(c.file);
    const std::string bytes = test::slurp(test::crafted(c.file));

    auto lenient = test::read_bytes(bytes, test::with(error_policy::lenient));
    const marcpp::diagnostic* d = lenient.find(c.code);
    REQUIRE_MESSAGE(d != nullptr, "no " << marcpp::to_string(c.code) << " reported");
    CHECK(d->level == c.lenient_level);
    CHECK(!d->message.empty());
    CHECK(d->offset != marcpp::npos);
    if (c.code != errc::bytes_between_records) {
      CHECK(d->record_index == c.bad_record);
      CHECK(d->record_offset != marcpp::npos);
      CHECK(d->offset >= d->record_offset);
    }
    CHECK_FALSE(lenient.failed);
    const bool unreadable = c.lenient_level == severity::error;
    const bool cosmetic = c.lenient_level == severity::warning;
    CHECK(lenient.records.size() == c.records - (unreadable ? 1 : 0));
    CHECK(lenient.stats.skipped == (unreadable ? 1u : 0u));

    // strict: cosmetic deviations read on; anything else stops at the fault.
    auto strict = test::read_bytes(bytes, test::with(error_policy::strict));
    if (cosmetic) {
      CHECK_FALSE(strict.failed);
      CHECK(strict.records.size() == c.records);
    } else {
      REQUIRE(strict.failed);
      CHECK(strict.error.level == severity::error);
      CHECK(strict.error.record_index == c.bad_record);
      CHECK(strict.records.size() == c.bad_record);  // the records before it were delivered
      // The stopping error is the first structural fault of the record.
      CHECK(strict.diags.back().code == strict.error.code);
    }

    // skip: every faulty record is dropped, the others delivered.
    auto skip = test::read_bytes(bytes, test::with(error_policy::skip));
    CHECK_FALSE(skip.failed);
    CHECK(skip.records.size() == c.records - (cosmetic ? 0 : 1));
    if (!cosmetic) {
      const marcpp::diagnostic* s = skip.find(c.code);
      REQUIRE(s != nullptr);
      CHECK(s->level == severity::error);
      CHECK(skip.stats.skipped == 1);
    }
  }
}

TEST_CASE("reader: the strict error names the first structural fault precisely") {
  SUBCASE("missing field terminator in the 245") {
    auto o = test::read_bytes(test::slurp(test::crafted("missing-field-terminator.mrc")), test::with(error_policy::strict));
    REQUIRE(o.failed);
    CHECK(o.error.code == errc::missing_field_terminator);
    CHECK(o.error.tag == marcpp::tag("245"));
    CHECK(o.error.field_index == 3);
    CHECK(o.error.control_number == "ocm00000001");
    CHECK(o.error.record_offset == 0);
    CHECK(o.error.offset == 191);  // the byte where the terminator should be
  }
  SUBCASE("truncated second record") {
    const std::string bytes = test::slurp(test::crafted("truncated.mrc"));
    auto o = test::read_bytes(bytes, test::with(error_policy::strict));
    REQUIRE(o.failed);
    CHECK(o.error.code == errc::truncated_record);
    CHECK(o.error.record_index == 1);
    CHECK(o.error.record_offset == 219);
    CHECK(o.error.offset == bytes.size());
    CHECK(o.error.control_number == "ocm00000001");  // its 001 is whole
  }
}

TEST_CASE("reader: what lenient repairs produce") {
  const marcpp::record good = test::one(test::slurp(test::crafted("ok-basic.mrc")));
  auto lenient = [](const char* f) { return test::one(test::slurp(test::crafted(f)), error_policy::lenient); };

  SUBCASE("lengths that lie: the record is recovered whole") {
    for (const char* f : {"bad-record-length.mrc", "record-length-mismatch.mrc", "missing-record-terminator.mrc",
                          "bad-base-address.mrc", "directory-terminator-wrong.mrc", "bad-directory-entry.mrc",
                          "field-out-of-bounds.mrc",
                          "missing-field-terminator.mrc", "bad-directory.mrc", "unsupported-entry-map.mrc"}) {
      CAPTURE(f);
      auto o = test::read_bytes(test::slurp(test::crafted(f)), test::with(error_policy::lenient));
      REQUIRE(!o.records.empty());
      marcpp::record r = o.records.front();
      CHECK(r.repaired());
      CHECK(test::dump(r).substr(25) == test::dump(good).substr(25));  // same fields
      // and it can be written: lengths and directory are computed anew
      std::string out;
      CHECK_FALSE(marcpp::write_iso2709(r, out));
      CHECK(test::one(out) == r);
    }
  }
  SUBCASE("oversized fields and records written anyway are read exactly") {
    marcpp::record r = lenient("oversized-field.mrc");
    REQUIRE(r.value("520", 'a').has_value());
    CHECK(r.value("520", 'a')->size() == 10495);
    CHECK(r.value("650", 'a') == "Cataloging");
    std::string out;
    CHECK(marcpp::write_iso2709(r, out).code == errc::field_too_long);
    marcpp::record big = lenient("wrapped-positions.mrc");
    CHECK(big.count("500") == 26);
    CHECK(big.fields("500").begin()->value('a')->substr(0, 5) == "0000 ");
    CHECK(big.value("650", 'v') == "Testing.");
    CHECK(marcpp::write_iso2709(big, out).code == errc::record_too_long);
  }
  SUBCASE("directory lengths counted in characters") {
    marcpp::record r = lenient("field-length-mismatch.mrc");
    CHECK(r.value("245", 'a') == "A crafted r\xc3\xa9" "cord /");
    CHECK(r.value("650", 'a') == "Cataloging");
  }
  SUBCASE("missing indicators are set blank") {
    marcpp::record r = lenient("missing-indicators.mrc");
    CHECK(r[4].indicators() == marcpp::indicators("  "));
    CHECK(r[4].value('a') == "Cataloging");
  }
  SUBCASE("a tag that is no MARC 21 tag is kept, reported, and written back") {
    const std::string bytes = test::slurp(test::crafted("invalid-tag.mrc"));
    auto o = test::read_bytes(bytes, test::with(error_policy::lenient));
    REQUIRE(o.records.size() == 1);
    const marcpp::record& r = o.records[0];
    CHECK_FALSE(r[4].tag().is_valid());
    CHECK(r[4].has_tag_chars());
    CHECK(std::string(r[4].tag_chars().data(), 3) == "a5X");
    CHECK(r[4].value('a') == "Cataloging");
    CHECK(r.first("a5X") == &r[4]);
    CHECK(r.first("a5x") == nullptr);
    const marcpp::diagnostic* d = o.find(errc::invalid_tag);
    REQUIRE(d);
    CHECK(d->level == severity::warning);
    CHECK(d->original == "a5X");
    CHECK(d->field_index == 4);
    CHECK(d->offset == 24 + 4 * 12);  // the directory entry
    CHECK_FALSE(r.repaired());
    // The record is written back as it was read, from the view and from the
    // owning copy.
    CHECK(marcpp::to_iso2709(r) == bytes);
    marcpp::reader rd{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    REQUIRE(rd.next(v));
    CHECK(std::string(v[4].tag_chars().data(), 3) == "a5X");
    CHECK(marcpp::to_iso2709(v) == bytes);
    // Under strict, a warning: the record is read.
    CHECK(test::read_bytes(bytes, test::with(error_policy::strict)).records.size() == 1);
    // Given a tag, the field forgets the bytes.
    marcpp::record fixed = r;
    fixed[4].set_tag("650");
    CHECK(fixed[4].tag() == marcpp::tag("650"));
    CHECK(test::dump(test::one(marcpp::to_iso2709(fixed))).substr(25) == test::dump(good).substr(25));
  }
  SUBCASE("a field without a tag is refused by the writer") {
    marcpp::record r = lenient("ok-basic.mrc");
    r[4].set_tag(marcpp::tag::invalid());
    CHECK_FALSE(r[4].has_tag_chars());
    std::string out;
    marcpp::diagnostic w = marcpp::write_iso2709(r, out);
    CHECK(w.code == errc::invalid_tag);
    CHECK(w.field_index == 4);
    CHECK(w.original.empty());
    CHECK(out.empty());
  }
  SUBCASE("lower-case tags are read as they are, without a report") {
    const std::string bytes = test::slurp(test::crafted("ok-lower-case-tags.mrc"));
    auto o = test::read_bytes(bytes, test::with(error_policy::strict));
    REQUIRE(o.records.size() == 1);
    CHECK(o.diags.empty());
    const marcpp::record& r = o.records[0];
    REQUIRE(r.size() == 8);
    CHECK(r[5].tag() == marcpp::tag("m01"));
    CHECK(r.value("m01", 'a') == "one letter");
    CHECK_FALSE(r[6].tag().is_valid());
    CHECK(std::string(r[6].tag_chars().data(), 3) == "abc");
    CHECK(r.value("abc", 'a') == "three letters");
    CHECK(r.value("a1b", 'a') == "two letters");
    CHECK(r.count(marcpp::tag::invalid()) == 2);
    CHECK(r[7].indicators() == marcpp::indicators("10"));
    CHECK(marcpp::to_iso2709(r) == bytes);
  }
  SUBCASE("unreferenced bytes are reported with their content") {
    auto o = test::read_bytes(test::slurp(test::crafted("unreferenced-data.mrc")), test::with(error_policy::lenient));
    const marcpp::diagnostic* d = o.find(errc::unreferenced_data);
    REQUIRE(d);
    CHECK(d->original == "JUNK!\x1e");
  }
  SUBCASE("a record terminator inside a field is kept, and writing refuses it") {
    marcpp::record r = lenient("unexpected-terminator.mrc");
    CHECK(r.value("245", 'a') == std::string_view("A crafted\x1drecord"));
    std::string out;
    CHECK(marcpp::write_iso2709(r, out).code == errc::invalid_data_byte);
  }
  SUBCASE("invalid UTF-8 is flagged and kept as it is") {
    marcpp::record r = lenient("invalid-utf8.mrc");
    CHECK(r.value("245", 'a') == "Caf\xff");
    REQUIRE(r.diagnostics().size() == 1);
    CHECK(r.diagnostics()[0].tag == marcpp::tag("245"));
    CHECK(r.diagnostics()[0].offset == 162);
  }
  SUBCASE("invalid UTF-8 is not checked when asked not to") {
    marcpp::read_options o;
    o.validate_utf8 = false;
    auto out = test::read_bytes(test::slurp(test::crafted("invalid-utf8.mrc")), o);
    CHECK(out.diags.empty());
  }
}

namespace {
// The fields of a record, one line each, after its leader.
std::string fields_of(const marcpp::record& r) { return test::dump(r).substr(25); }
std::vector<std::string> tags_of(const marcpp::record& r) {
  std::vector<std::string> t;
  for (const auto& f : r) t.push_back(f.tag().str());
  return t;
}
}  // namespace

TEST_CASE("reader: a base address the directory agrees with is kept when the byte before it is wrong") {
  // The directory ends in 0x1F instead of 0x1E, as in marc-perl's
  // baddir.usmarc: taking the first field terminator for the directory's
  // end would shift every field by a whole entry (tests/corpus.cpp checks
  // that file against MARC::Record's reading).
  const std::string bytes = test::slurp(test::crafted("directory-terminator-wrong.mrc"));
  const marcpp::record good = test::one(test::slurp(test::crafted("ok-basic.mrc")));
  auto o = test::read_bytes(bytes, test::with(error_policy::lenient));
  REQUIRE(o.records.size() == 1);
  CHECK(fields_of(o.records[0]) == fields_of(good));
  REQUIRE(o.diags.size() == 1);
  const marcpp::diagnostic& d = o.diags[0];
  CHECK(d.code == errc::bad_base_address);
  CHECK(d.level == severity::repair);
  CHECK(d.offset == 84);  // the byte before the base address, 85
  CHECK(d.original == "\x1f");
  CHECK(d.control_number == "ocm00000001");
  CHECK(d.message.find("kept") != std::string::npos);
  auto strict = test::read_bytes(bytes, test::with(error_policy::strict));
  CHECK(strict.failed);
  CHECK(strict.error.code == errc::bad_base_address);
  CHECK(strict.error.offset == 84);
  auto skip = test::read_bytes(bytes, test::with(error_policy::skip));
  CHECK(skip.records.empty());
  CHECK(skip.stats.skipped == 1);
  // A base address the directory does not agree with is still recomputed
  // from the first field terminator.
  auto other = test::read_bytes(test::slurp(test::crafted("bad-base-address.mrc")));
  REQUIRE(other.records.size() == 1);
  CHECK(fields_of(other.records[0]) == fields_of(good));
  REQUIRE(other.find(errc::bad_base_address));
  CHECK(other.find(errc::bad_base_address)->offset == 12);
}

TEST_CASE("reader: lengths counted in characters, and a stray terminator, re-synchronised on the terminators") {
  // Modelled on record 14 of Catmandu's bu_bibs.mrc (tests/corpus.cpp reads
  // that record too): every length counts UTF-8 characters, and the 999's
  // length runs over a stray field terminator and the two indicator bytes
  // after it. The fields are what MARC4J's permissive reader gives for
  // that record: each field ends on the terminator its length points to,
  // the stray terminator and its indicators left out of the 999.
  const std::string bytes = test::slurp(test::crafted("stray-field-terminator.mrc"));
  auto o = test::read_bytes(bytes, test::with(error_policy::lenient));
  REQUIRE(o.records.size() == 1);
  const marcpp::record& r = o.records[0];
  CHECK(tags_of(r) == std::vector<std::string>{"001", "005", "008", "245", "260", "300", "650", "999"});
  CHECK(r.value("245", 'a') == "The presence of Teotihuacan in Michoaca\xcc\x81n, Mexico /");
  CHECK(r.value("245", 'c') == "Agapi Filini.");
  CHECK(r[4].indicators() == marcpp::indicators("  "));
  CHECK(r.value("260", 'a') == "Oxford, England :");
  CHECK(r.value("260", 'b') == "Archaeopress,");
  CHECK(r.value("260", 'c') == "2004.");
  CHECK(r.value("300", 'c') == "30 cm.");
  CHECK(r[6].indicators() == marcpp::indicators(" 0"));
  CHECK(r.value("650", 'a') == "Excavations (Archaeology)");
  std::vector<std::pair<char, std::string>> subs;
  for (const auto& sf : r[7].subfields()) subs.emplace_back(sf.code(), std::string(sf.value()));
  CHECK(subs == std::vector<std::pair<char, std::string>>{{'a', "E0"}, {'b', "BOS"}, {'a', "mugar"}, {'b', "1"}});
  CHECK(o.count(errc::field_length_mismatch) == 1);
  CHECK(o.count(errc::unreferenced_data) == 0);
  CHECK(o.count(errc::missing_indicators) == 0);
  REQUIRE(o.count(errc::unexpected_terminator) == 1);
  const marcpp::diagnostic* t = o.find(errc::unexpected_terminator);
  CHECK(t->tag == marcpp::tag("999"));
  CHECK(t->original == "\x1e  ");
  CHECK(o.find(errc::field_length_mismatch)->message.find("count UTF-8 characters") != std::string::npos);
  // What was read can be written, and reads back the same.
  std::string out;
  REQUIRE_FALSE(marcpp::write_iso2709(r, out));
  CHECK(fields_of(test::one(out)) == fields_of(r));

  SUBCASE("a piece of data no length claims belongs to no field") {
    // field-length-mismatch.mrc (lengths counted in characters, as many
    // terminators as entries) with six bytes of junk and a terminator
    // before the 650's data: no field's length covers them.
    std::string junky = test::slurp(test::crafted("field-length-mismatch.mrc"));
    const std::size_t at = junky.find(" 0\x1f" "aCataloging");
    REQUIRE(at != std::string::npos);
    junky.insert(at, "JUNK!\x1e");
    auto j = test::read_bytes(junky, test::with(error_policy::lenient));
    REQUIRE(j.records.size() == 1);
    CHECK(j.records[0].value("245", 'a') == "A crafted r\xc3\xa9" "cord /");
    CHECK(j.records[0].value("650", 'a') == "Cataloging");
    CHECK(j.records[0].value("650", 'v') == "Testing.");
    const marcpp::diagnostic* u = j.find(errc::unreferenced_data);
    REQUIRE(u);
    CHECK(u->original == "JUNK!\x1e");
    CHECK(j.count(errc::unexpected_terminator) == 0);
  }
  SUBCASE("a stray terminator not followed by indicators and a delimiter stays in the field as data") {
    std::string odd = bytes;
    const std::size_t at = odd.find("BOS\x1e  \x1f");
    REQUIRE(at != std::string::npos);
    odd[at + 6] = 'X';  // no delimiter after the indicators: not where a field begins
    auto k = test::read_bytes(odd, test::with(error_policy::lenient));
    REQUIRE(k.records.size() == 1);
    CHECK(k.records[0].value("999", 'b') == "BOS\x1e  Xamugar");
    REQUIRE(k.find(errc::unexpected_terminator));
    CHECK(k.find(errc::unexpected_terminator)->original.empty());
    std::string w;
    CHECK(marcpp::write_iso2709(k.records[0], w).code == errc::invalid_data_byte);
  }
}

TEST_CASE("reader: a record cut short gives up the fields that end before the cut") {
  const std::string good = test::slurp(test::crafted("ok-basic.mrc"));
  const std::size_t base = 85;  // 24 + 5 entries of 12 + the directory terminator

  SUBCASE("the input ends inside the 005: the 001 is kept") {
    const std::string bytes = test::slurp(test::crafted("truncated.mrc"));  // ok-basic, then its first 109 bytes
    auto o = test::read_bytes(bytes, test::with(error_policy::lenient));
    REQUIRE(o.records.size() == 2);
    CHECK(tags_of(o.records[1]) == std::vector<std::string>{"001"});
    CHECK(o.records[1].control_number() == "ocm00000001");
    REQUIRE(o.diags.size() == 1);
    const marcpp::diagnostic& d = o.diags[0];
    CHECK(d.code == errc::truncated_record);
    CHECK(d.level == severity::repair);
    CHECK(d.record_index == 1);
    CHECK(d.offset == bytes.size());
    CHECK(d.control_number == "ocm00000001");
    CHECK(d.original == "202601011200");  // what is there of the 005
    CHECK(d.message.find("005 is cut after 12 of its 17 bytes") != std::string::npos);
    CHECK(d.message.find("(008, 245, 650)") != std::string::npos);
    // The record as kept can be written.
    std::string out;
    CHECK_FALSE(marcpp::write_iso2709(o.records[1], out));
    auto skip = test::read_bytes(bytes, test::with(error_policy::skip));
    CHECK(skip.records.size() == 1);
    CHECK(skip.stats.skipped == 1);
    REQUIRE(skip.find(errc::truncated_record));
    CHECK(skip.find(errc::truncated_record)->level == severity::error);
    CHECK(skip.find(errc::truncated_record)->control_number == "ocm00000001");
  }
  SUBCASE("the input ends right after a field: every field before it is whole") {
    const std::size_t end_008 = good.find("eng d\x1e") + 6;
    auto o = test::read_bytes(good.substr(0, end_008), test::with(error_policy::lenient));
    REQUIRE(o.records.size() == 1);
    CHECK(tags_of(o.records[0]) == std::vector<std::string>{"001", "005", "008"});
    REQUIRE(o.find(errc::truncated_record));
    CHECK(o.find(errc::truncated_record)->message.find("2 fields are missing (245, 650)") != std::string::npos);
    CHECK(o.find(errc::truncated_record)->original.empty());
  }
  SUBCASE("no field is whole, or the directory is cut: the record cannot be read") {
    for (std::size_t n : {base + 5, std::size_t{50}, std::size_t{20}}) {
      CAPTURE(n);
      auto o = test::read_bytes(good.substr(0, n), test::with(error_policy::lenient));
      CHECK(o.records.empty());
      CHECK(o.stats.skipped == 1);
      REQUIRE(o.diags.size() == 1);  // the one reason, whatever else was found
      CHECK(o.diags[0].code == errc::truncated_record);
      CHECK(o.diags[0].level == severity::error);
      CHECK(o.diags[0].control_number.empty());
      CHECK(o.diag_raws[0] == good.substr(0, n));
    }
  }
}

TEST_CASE("reader: a record cut short, running into the next, ends where the next begins") {
  // The second of three records was cut inside its 260 and the third
  // follows without a terminator between them. The third is read whole,
  // the second gives up its complete fields, and the diagnostic names both.
  const std::string bytes = test::slurp(test::crafted("truncated-before-next.mrc"));
  const std::size_t a_len = std::stoul(bytes.substr(0, 5));
  const std::size_t c_at = bytes.find("00261ncm");
  REQUIRE(c_at != std::string::npos);
  REQUIRE(bytes.size() - c_at == 261);
  const std::string third = bytes.substr(c_at);
  auto o = test::read_bytes(bytes, test::with(error_policy::lenient));
  REQUIRE(o.records.size() == 3);
  CHECK(o.raws[0] == bytes.substr(0, a_len));
  CHECK(o.raws[1] == bytes.substr(a_len, c_at - a_len));
  CHECK(o.raws[2] == third);
  CHECK(tags_of(o.records[1]) == std::vector<std::string>{"001", "005", "008", "100", "245"});
  CHECK(o.records[1].value("245", 'a') == "Songs of the river /");
  CHECK(fields_of(o.records[2]) == fields_of(test::one(third)));  // the third as if it were alone
  CHECK(o.records[2].value("100", 'a') == "Lindqvist, Maria,");
  CHECK(o.records[2].diagnostics().empty());
  REQUIRE(o.diags.size() == 1);
  const marcpp::diagnostic& d = o.diags[0];
  CHECK(d.code == errc::truncated_record);
  CHECK(d.level == severity::repair);
  CHECK(d.record_index == 1);
  CHECK(d.record_offset == a_len);
  CHECK(d.offset == c_at);
  CHECK(d.control_number == "ocm00023456");
  CHECK(d.original == "  \x1f" "aWash");
  CHECK(d.message.find("the next record (record 2) begins, at offset " + std::to_string(c_at)) != std::string::npos);
  CHECK(d.message.find("260 is cut after 8 of its 39 bytes") != std::string::npos);

  auto skip = test::read_bytes(bytes, test::with(error_policy::skip));
  REQUIRE(skip.records.size() == 2);
  CHECK(skip.raws[0] == bytes.substr(0, a_len));
  CHECK(skip.raws[1] == third);
  CHECK(skip.stats.skipped == 1);
  REQUIRE(skip.find(errc::truncated_record));
  CHECK(skip.diag_raws[0] == bytes.substr(a_len, c_at - a_len));
  CHECK(skip.find(errc::truncated_record)->control_number == "ocm00023456");

  auto strict = test::read_bytes(bytes, test::with(error_policy::strict));
  CHECK(strict.records.size() == 1);
  CHECK(strict.failed);
  CHECK(strict.error.code == errc::truncated_record);
  CHECK(strict.error.record_index == 1);

  // Read through a stream whose chunks end anywhere, the same.
  for (std::size_t chunk : {std::size_t{7}, std::size_t{64}, std::size_t{300}}) {
    std::istringstream in(bytes);
    auto s = test::read_all(marcpp::stream_source{in, chunk}, test::with(error_policy::lenient));
    CHECK(s.raws == o.raws);
  }
}

TEST_CASE("reader: limits, handler, iteration") {
  const std::string good = test::slurp(test::crafted("ok-basic.mrc"));

  SUBCASE("a record without terminator within max_record_size is skipped, and reading goes on") {
    std::string bytes = good + "99999" + std::string(5000, 'x') + "\x1d" + good;
    marcpp::read_options o;
    o.max_record_size = 1000;
    auto out = test::read_bytes(bytes, o);
    CHECK(out.records.size() == 2);
    const marcpp::diagnostic* d = out.find(errc::record_too_large);
    REQUIRE(d);
    CHECK(d->record_index == 1);
    CHECK(d->record_offset == good.size());
    CHECK(out.records[1].index() == 2);
    o.policy = error_policy::strict;
    out = test::read_bytes(bytes, o);
    CHECK(out.failed);
    CHECK(out.error.code == errc::record_too_large);
    CHECK(out.records.size() == 1);
  }

  SUBCASE("a max_record_size above what a view's 32-bit positions hold is taken as record_size_limit") {
    static_assert(marcpp::record_size_limit < std::numeric_limits<std::uint32_t>::max());
    for (const std::size_t asked : {std::numeric_limits<std::size_t>::max(), marcpp::record_size_limit + 1,
                                    std::size_t{std::numeric_limits<std::uint32_t>::max()} + 1}) {
      marcpp::read_options o;
      o.max_record_size = asked;
      marcpp::reader r{marcpp::memory_source{good}, o};
      CHECK(r.options().max_record_size == marcpp::record_size_limit);
      marcpp::record_view v;
      CHECK(r.next(v));
      CHECK(v.raw() == good);
      marcpp::memory_source m{good};
      CHECK(marcpp::detail::scanner<marcpp::memory_source>(m, asked).max_record_size() == marcpp::record_size_limit);
    }
    // Limits it holds are kept as they are.
    for (const std::size_t asked : {marcpp::record_size_limit, std::size_t{1000}, std::size_t{16} << 20}) {
      marcpp::read_options o;
      o.max_record_size = asked;
      marcpp::reader r{marcpp::memory_source{good}, o};
      CHECK(r.options().max_record_size == asked);
      marcpp::memory_source m{good};
      CHECK(marcpp::detail::scanner<marcpp::memory_source>(m, asked).max_record_size() == asked);
    }
  }

  SUBCASE("max_errors stops reading once exceeded") {
    const std::string bad = test::slurp(test::crafted("record-length-mismatch.mrc"));  // 1 fault, then a good record
    std::string bytes = bad + bad + bad;
    marcpp::read_options o;
    o.max_errors = 2;
    auto out = test::read_bytes(bytes, o);
    CHECK(out.failed);
    CHECK(out.error.code == errc::too_many_errors);
    CHECK(out.error.record_index == 4);  // the third faulty record
    CHECK(out.records.size() == 4);
    o.max_errors = 3;
    out = test::read_bytes(bytes, o);
    CHECK_FALSE(out.failed);
    CHECK(out.records.size() == 6);
    o.max_errors = 0;
    out = test::read_bytes(bytes, o);
    CHECK(out.failed);
    CHECK(out.records.empty());
  }

  SUBCASE("skipped records' raw bytes reach the handler, for quarantine") {
    const std::string bytes = test::slurp(test::crafted("record-too-short.mrc"));
    auto out = test::read_bytes(bytes, test::with(error_policy::lenient));
    REQUIRE(out.records.size() == 2);
    std::string quarantine;
    for (std::size_t i = 0; i < out.diags.size(); ++i)
      if (out.diags[i].level == severity::error) quarantine += out.diag_raws[i];
    CHECK(quarantine == std::string("00012xxxxxx\x1d"));
    // delivered + quarantined + filler = the whole input
    CHECK(out.raws[0].size() + quarantine.size() + out.raws[1].size() == bytes.size());
  }

  SUBCASE("stats") {
    const std::string bytes = test::slurp(test::crafted("bytes-between-records.mrc")) +
                              test::slurp(test::crafted("bad-base-address.mrc")) +
                              test::slurp(test::crafted("no-directory-terminator.mrc"));
    auto out = test::read_bytes(bytes);
    CHECK(out.stats.records == 4);
    CHECK(out.stats.repaired == 1);
    CHECK(out.stats.skipped == 1);
    CHECK(out.stats.warnings == 2);
    CHECK(out.stats.faults == 2);
  }

  SUBCASE("range-for iteration, and a strict stop throws") {
    const std::string two = good + good;
    marcpp::reader r{marcpp::memory_source{two}};
    int n = 0;
    for (const marcpp::record_view& rec : r) {
      CHECK(rec.control_number() == "ocm00000001");
      ++n;
    }
    CHECK(n == 2);
    const std::string bad = test::slurp(test::crafted("truncated.mrc"));
    marcpp::reader s{marcpp::memory_source{bad}, test::with(error_policy::strict)};
    n = 0;
    try {
      for (const auto& rec : s) {
        (void)rec;
        ++n;
      }
      FAIL("no exception");
    } catch (const marcpp::error& e) {
      CHECK(e.code() == errc::truncated_record);
      CHECK(e.diagnostic().record_index == 1);
    }
    CHECK(n == 1);
  }

  SUBCASE("next() into an owning record") {
    marcpp::reader r{marcpp::memory_source{good}};
    marcpp::record rec;
    REQUIRE(r.next(rec));
    CHECK(rec.control_number() == "ocm00000001");
    CHECK_FALSE(r.next(rec));
    CHECK_FALSE(r.failed());
    CHECK_FALSE(r.next(rec));  // stays at the end
  }

  SUBCASE("empty input") {
    auto out = test::read_bytes("");
    CHECK(out.records.empty());
    CHECK(out.diags.empty());
    CHECK_FALSE(out.failed);
  }
}

namespace {
// A device that fails (the stream's badbit) once `n` bytes have been read.
class failing_buf : public std::streambuf {
 public:
  failing_buf(std::string data, std::size_t n) : data_(std::move(data)), n_(n) {}

 protected:
  std::streamsize xsgetn(char* s, std::streamsize count) override {
    auto c = static_cast<std::size_t>(count);
    if (pos_ + c > n_) throw std::runtime_error("device error");
    data_.copy(s, c, pos_);
    pos_ += c;
    return count;
  }
  int_type underflow() override { throw std::runtime_error("device error"); }

 private:
  std::string data_;
  std::size_t n_, pos_ = 0;
};
}  // namespace

TEST_CASE("reader: an input that fails is an io_error") {
  const std::string good = test::slurp(test::crafted("ok-basic.mrc"));
  // The device fails within the second record: the first is read whole.
  failing_buf buf(good + good, 2 * good.size() - 10);
  std::istream in(&buf);
  auto out = test::read_all(marcpp::stream_source{in, 64});
  CHECK(out.records.size() == 1);
  CHECK(out.failed);
  CHECK(out.error.code == errc::io_error);
  CHECK(out.error.message.find("failed") != std::string::npos);
  CHECK_THROWS_AS(marcpp::mmap_source{test::crafted("no-such-file.mrc")}, marcpp::error);
}

TEST_CASE("reader: a delimiter in control data is kept as data, whichever path reads the record") {
  using marcpp::field;
  const field title("245", "10", {{'a', "Title"}});
  const field long_title("245", "10", {{'a', std::string(80, 't')}});
  // Short areas and ones of a 64-byte block or more; a control field
  // first, after a data field, and ending in its delimiter (which no code
  // follows, so the record is cut by the sweep).
  const std::vector<std::vector<field>> records = {
      {field::control("001", "abc\x1F" "def"), title},
      {field::control("001", std::string(70, 'z') + "\x1F" "q"), long_title},
      {field::control("001", "abc"), title, field::control("005", "1234\x1F" "5")},
      {field::control("001", "abc"), field::control("008", "abc\x1F"), long_title},
  };
  for (const auto& fields : records) {
    marcpp::record r{marcpp::leader("00000nam a2200000 a 4500")};
    for (const auto& f : fields) r.add(f);
    const std::string bytes = marcpp::to_iso2709(r);
    CAPTURE(bytes);
    const test::outcome o = test::read_bytes(bytes, test::with(error_policy::strict));
    CHECK(o.diags.empty());
    CHECK(o.records.size() == 1);
    marcpp::reader rd{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    REQUIRE(rd.next(v));
    REQUIRE(v.fields().size() == fields.size());
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const auto& f = v.fields()[i];
      CHECK(f.tag() == fields[i].tag());
      CHECK(f.is_control() == fields[i].is_control());
      if (fields[i].is_control()) {
        CHECK(f.data() == fields[i].data());
      } else {
        REQUIRE(f.subfields().size() == 1);
        CHECK((*f.subfields().begin()).code() == 'a');
        CHECK((*f.subfields().begin()).value() == (*fields[i].subfields().begin()).value());
      }
    }
    CHECK(marcpp::to_line(v) == marcpp::to_line(marcpp::record{v}));
  }
}

TEST_CASE("reader: a directory entry of digits is decoded at once as it is digit by digit") {
  // The twelve-byte decoding the parser's regular path takes, against the
  // digits read one by one; any byte that is no digit sends the entry to
  // the byte-by-byte reading.
  std::mt19937_64 rng(2709);
  char e[12];
  for (int round = 0; round < 200000; ++round) {
    for (char& c : e) c = static_cast<char>('0' + rng() % 10);
    if (round < 10)
      for (char& c : e) c = static_cast<char>('0' + round);
    marcpp::tag t;
    std::int64_t len = -1, start = -1;
    REQUIRE(marcpp::detail::entry12(e, t, len, start));
    std::int64_t want_len = 0, want_start = 0;
    for (int i = 3; i < 7; ++i) want_len = want_len * 10 + (e[i] - '0');
    for (int i = 7; i < 12; ++i) want_start = want_start * 10 + (e[i] - '0');
    CAPTURE(std::string(e, 12));
    REQUIRE(t == marcpp::tag::from_chars(e[0], e[1], e[2]));
    REQUIRE(len == want_len);
    REQUIRE(start == want_start);
  }
  for (std::size_t pos = 0; pos < 12; ++pos) {
    for (int c = 0; c < 256; ++c) {
      if (c >= '0' && c <= '9') continue;
      std::memcpy(e, "245001200000", 12);
      e[pos] = static_cast<char>(c);
      marcpp::tag t;
      std::int64_t len = 0, start = 0;
      CAPTURE(pos);
      CAPTURE(c);
      CHECK_FALSE(marcpp::detail::entry12(e, t, len, start));
    }
  }
}

#if MARCPP_AVX2_DISPATCH
TEST_CASE("reader: directories decoded two entries at a time match the entries read one by one") {
  // The vector decoding of the usual map against entry12: it decodes the
  // entries before the first that is not twelve digits, in pairs whose
  // 28 bytes lie before the limit, and reads no byte past it (the buffer
  // ends at the limit, which AddressSanitizer checks).
  if (!marcpp::detail::cpu_has_avx2) {
    MESSAGE("skipped: this processor has no AVX2");
    return;
  }
  std::mt19937_64 rng(1968);
  for (int round = 0; round < 20000; ++round) {
    const std::size_t n = rng() % 40;
    const std::size_t slack = rng() % 30;
    std::vector<char> buf(12 * n + slack);
    for (char& c : buf) c = static_cast<char>('0' + rng() % 10);
    std::size_t bad = n;  // the first entry that is not all digits
    if (n > 0 && rng() % 2) {
      bad = rng() % n;
      int c;
      do c = static_cast<int>(rng() % 256); while (c >= '0' && c <= '9');
      buf[12 * bad + rng() % 12] = static_cast<char>(c);
    }
    const std::size_t room = buf.size();
    const std::size_t pairs = room < 28 ? 0 : std::min(n / 2, (room - 28) / 24 + 1);
    std::vector<marcpp::detail::entry_digits> out(n + 1);
    const std::size_t m = marcpp::detail::decode_entries_avx2(buf.data(), n, buf.data() + buf.size(), out.data());
    CAPTURE(n);
    CAPTURE(slack);
    CAPTURE(bad);
    REQUIRE(m == std::min(bad, 2 * pairs));
    for (std::size_t i = 0; i < m; ++i) {
      marcpp::tag t;
      std::int64_t len = -1, start = -1;
      REQUIRE(marcpp::detail::entry12(buf.data() + 12 * i, t, len, start));
      CAPTURE(i);
      CHECK(marcpp::tag::numeric(out[i].tag) == t);
      CHECK(std::int64_t{out[i].len} == len);
      CHECK(std::int64_t{out[i].start_hi} + out[i].start_lo == start);
    }
  }
}
#endif

TEST_CASE("reader: leader faults that records repeat are reported for each as if it were alone") {
  // The messages of leader/10-11 and 20-22 faults are kept from one record
  // to the next while those bytes stay the same: each record's diagnostics
  // must still be exactly those it gets when read on its own.
  marcpp::record r{marcpp::leader("00000nz  a2200000n  4500")};
  r.add(marcpp::field::control("001", "n 123"));
  r.add(marcpp::field("100", "1 ", {{'a', "Name"}}));
  const std::string clean = marcpp::to_iso2709(r);
  auto patched = [&](std::string_view at10_11, std::string_view at20_22) {
    std::string b = clean;
    b.replace(10, 2, at10_11);
    b.replace(20, 3, at20_22);
    return b;
  };
  // Each fault or pair of faults twice in a row, and neighbours that differ
  // from each other in one of the five bytes only.
  const std::vector<std::string> records = {
      patched("22", "45 "), patched("22", "45 "), patched("22", "x5 "), patched("22", "x5 "),
      patched("x2", "x5 "), patched("22", "450"), patched("22", "45 "), patched("32", "45 "),
      patched("32", "45 "), patched("2y", "4x "), patched("22", "4x ")};
  std::string all;
  for (const auto& b : records) all += b;
  const test::outcome together = test::read_bytes(all);
  REQUIRE(together.records.size() == records.size());
  std::size_t next = 0, with_faults = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const test::outcome alone = test::read_bytes(records[i]);
    CAPTURE(i);
    with_faults += !alone.diags.empty();
    for (const auto& d : alone.diags) {
      REQUIRE(next < together.diags.size());
      const auto& e = together.diags[next++];
      CHECK(e.code == d.code);
      CHECK(e.level == d.level);
      CHECK(e.message == d.message);
      CHECK(e.record_index == i);
      CHECK(e.record_offset == i * clean.size());
      CHECK(e.offset - e.record_offset == d.offset - d.record_offset);
    }
  }
  CHECK(next == together.diags.size());
  CHECK(with_faults == 10);
}

namespace {
// Every member of a diagnostic, for comparing two whole.
std::string every_member(const marcpp::diagnostic& d) {
  std::ostringstream s;
  s << static_cast<int>(d.code) << '|' << static_cast<int>(d.level) << '|' << d.record_index << '|'
    << d.record_offset << '|' << d.offset << '|' << d.tag.str() << '|' << d.field_index << '|' << d.line << '|'
    << d.column << '|' << d.control_number << '|' << d.original << '|' << d.message;
  return s.str();
}
// The diagnostics of each record `r` delivers into `v`, and all those its
// handler sees.
std::vector<std::string> diagnostics_into(marcpp::record_view& v, const std::string& bytes) {
  std::vector<std::string> out;
  marcpp::reader r{marcpp::memory_source{bytes}};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { out.push_back("seen " + every_member(d)); });
  while (r.next(v)) {
    out.push_back("record " + std::to_string(v.index()));
    for (const auto& d : v.diagnostics()) out.push_back(every_member(d));
  }
  return out;
}
}  // namespace

TEST_CASE("reader: a record_view read into again holds only the new record's diagnostics") {
  // A view keeps its diagnostics, and their strings' room, from one record
  // to the next. Whatever an earlier record left there (a tag, a field
  // index, the bytes of a bad tag, a control number, another message), the
  // next record's diagnostics must be exactly those it has in a new view.
  std::size_t compared = 0;
  for (const auto& a : cases) {
    const std::string first = test::slurp(test::crafted(a.file));
    for (const auto& b : cases) {
      CAPTURE(a.file);
      CAPTURE(b.file);
      const std::string second = test::slurp(test::crafted(b.file));
      marcpp::record_view used;
      (void)diagnostics_into(used, first);
      marcpp::record_view fresh;
      const std::vector<std::string> want = diagnostics_into(fresh, second);
      CHECK(diagnostics_into(used, second) == want);
      compared += want.size();
    }
  }
  CHECK(compared > 1000);
}
