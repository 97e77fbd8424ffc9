#include <marcpp/mrk.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <sstream>

using marcpp::errc;
using marcpp::error_policy;
using marcpp::field;
using marcpp::record;
using marcpp::severity;
using marcpp::subfield;

namespace {

record utf8_sample() {
  record r{marcpp::leader("00000cam a2200000 a 4500")};
  r.add(field::control("001", "ocm 123"));
  r.add(field::control("008", "020805s2002    nyu"));
  r.add(field("245", "1 ", {{'a', "Cost: $5 {x} back\\slash"}, {'c', "\xC3\x9Cn\xC3\xAF"}}));
  return r;
}

const marcpp::mrk_options lf{.crlf = false};

test::outcome read(const std::string& text, error_policy p = error_policy::lenient, std::size_t chunk = 0) {
  return test::read_text<marcpp::mrk_reader>(text, test::with(p), chunk);
}

record read_one(const std::string& text) {
  auto o = read(text, error_policy::strict);
  REQUIRE_MESSAGE(o.records.size() == 1, (o.failed ? marcpp::to_string(o.error) : std::string("no record")));
  return o.records.front();
}

}  // namespace

TEST_CASE(".mrk writer") {
  SUBCASE("the MarcEdit layout: blanks as \\ in control fields and indicators, mnemonics for $ { }") {
    CHECK(marcpp::to_mrk(utf8_sample(), lf) ==
          "=LDR  00000cam a2200000 a 4500\n"
          "=001  ocm\\123\n"
          "=008  020805s2002\\\\\\\\nyu\n"
          "=245  1\\$aCost: {dollar}5 {lcub}x{rcub} back\\slash$c\xC3\x9Cn\xC3\xAF\n"
          "\n");
  }
  SUBCASE("CR LF line ends by default, as MarcEdit writes them") {
    CHECK(marcpp::to_mrk(utf8_sample()).substr(0, 32) == "=LDR  00000cam a2200000 a 4500\r\n");
    CHECK(marcpp::to_mrk(utf8_sample()).substr(marcpp::to_mrk(utf8_sample()).size() - 5) == "\xAF\r\n\r\n");
  }
  SUBCASE("a MARC-8 record: ANSEL bytes by their LoC names, escapes as {esc}, other sets in hexadecimal") {
    record r{marcpp::leader("00000cam  2200000 a 4500")};
    r.add(field("245", "00", {{'a', "Caf\xE2" "e \x1B(NABC\x1B(B \x1B)Q\xE2\xC1\x1B)E\xE2"}}));
    CHECK(marcpp::to_mrk(r, lf) ==
          "=LDR  00000cam  2200000 a 4500\n"
          "=245  00$aCaf{acute}e {esc}(NABC{esc}(B {esc})Q{E2}{C1}{esc})E{acute}\n"
          "\n");
    CHECK(read_one(marcpp::to_mrk(r)) == r);
  }
  SUBCASE("control characters and bytes that are not UTF-8 in hexadecimal; backslashes in control data") {
    record r = utf8_sample();
    r[0].set_data("a\\b");
    r[2].set_indicators({'\\', '$'});
    r[2].subfields()[1].set_value("x\ny\x01\xFF");
    std::string text = marcpp::to_mrk(r, lf);
    CHECK(text.find("=001  a{bsol}b\n") != std::string::npos);
    CHECK(text.find("=245  {bsol}{dollar}$a") != std::string::npos);
    CHECK(text.find("$cx{0A}y{01}{FF}\n") != std::string::npos);
    auto o = read(text);
    REQUIRE(o.records.size() == 1);
    CHECK(o.records[0] == r);
    CHECK(o.count(errc::invalid_utf8) == 1);  // the record's own fault, reported as the ISO 2709 reader does
  }
  SUBCASE("every shape round-trips, from either flavour") {
    record r{marcpp::leader("00000cam a2200000 a 4500")};
    r.add(field::control("001", "  "));
    r.add(field::control("007", "x"));
    r.add(field::control("007", "y"));
    r.add(field("001", "  ", {{'a', "danMARC"}}));
    field f("500", "  ", {{'a', ""}});
    f.subfields().insert(f.subfields().begin(), subfield::unlabelled("before"));
    f.subfields().push_back(subfield::without_code());
    r.add(f);
    r.add(field("ZZ1", "a ", {{'$', "code dollar"}, {'{', "brace"}}));
    // Data before the first delimiter that looks like indicators: a stray
    // backslash (Evergreen's acquisitions records), a blank.
    field g("970", "  ", {{'p', "5.99"}});
    g.subfields().insert(g.subfields().begin(), subfield::unlabelled("\\ "));
    r.add(g);
    REQUIRE(marcpp::to_mrk(r, lf).find("=970  \\\\\\ $p5.99\n") != std::string::npos);
    for (const auto& text : {marcpp::to_mrk(r), marcpp::to_mrk(r, lf)}) {
      auto o = read(text);
      REQUIRE(o.records.size() == 1);
      CHECK(o.records[0] == r);
      CHECK(marcpp::to_iso2709(o.records[0]) == marcpp::to_iso2709(r));
    }
    const std::string iso = marcpp::to_iso2709(r);
    marcpp::reader rd{marcpp::memory_source{iso}};
    marcpp::record_view v;
    REQUIRE(rd.next(v));
    CHECK(marcpp::to_mrk(v).substr(32) == marcpp::to_mrk(r).substr(32));  // the leader's length is the ISO writer's
  }
  SUBCASE("refused: an invalid tag, a field tagged LDR, a coded value without a code") {
    record r = utf8_sample();
    r[0].set_tag(marcpp::tag::invalid());
    std::string out = "kept";
    CHECK(marcpp::write_mrk(r, out).code == errc::invalid_tag);
    CHECK(out == "kept");
    record l = utf8_sample();
    l.add(field("LDR", "  ", {{'a', "x"}}));
    CHECK(marcpp::write_mrk(l, out).code == errc::value_not_representable);
    record c = utf8_sample();
    c[2].subfields().push_back(subfield::without_code("value"));
    CHECK(marcpp::write_mrk(c, out).code == errc::invalid_subfield_layout);
    CHECK(out == "kept");
  }
  SUBCASE("the stream writer") {
    std::ostringstream os;
    {
      marcpp::mrk_writer w{os, lf};
      CHECK_FALSE(w.write(utf8_sample()));
      CHECK_FALSE(w.write(utf8_sample()));
      CHECK(w.count() == 2);
    }
    CHECK(os.str() == marcpp::to_mrk(utf8_sample(), lf) + marcpp::to_mrk(utf8_sample(), lf));
  }
}

TEST_CASE(".mrk reader: mnemonics follow the record's character set") {
  SUBCASE("MARC-8: the ANSEL byte") {
    auto r = read_one("=LDR  00000cam  2200000 a 4500\n=245  00$aCaf{acute}e {pound}5{dollar}\n");
    CHECK(r.value("245", 'a') == "Caf\xE2" "e \xB9" "5$");
  }
  SUBCASE("UTF-8: the Unicode character") {
    auto r = read_one("=LDR  00000cam a2200000 a 4500\n=245  00$aCaf{acute}e {pound}5 {eszett}\n");
    CHECK(r.value("245", 'a') == "Caf\xCC\x81" "e \xC2\xA3" "5 \xC3\x9F");
  }
  SUBCASE("hexadecimal, and an unknown name kept as it is") {
    auto o = read("=LDR  00000cam a2200000 a 4500\n=245  00$a{1B}{nosuch}{\n");
    REQUIRE(o.records.size() == 1);
    CHECK(o.records[0].value("245", 'a') == "\x1B{nosuch}{");
    REQUIRE(o.diags.size() == 1);
    CHECK(o.diags[0].code == errc::mrk_syntax);
    CHECK(o.diags[0].level == severity::warning);
  }
  SUBCASE("a backslash is a blank in control fields and indicators, itself in subfields") {
    auto r = read_one("=LDR  00000cam a2200000 a 4500\n=008  a\\\\b\n=245  \\1$aback\\slash\n");
    CHECK(r[0].data() == "a  b");
    CHECK(r[1].ind1() == ' ');
    CHECK(r.value("245", 'a') == "back\\slash");
  }
}

TEST_CASE(".mrk reader: layout") {
  const std::string rec1 = "=LDR  00000cam a2200000 a 4500\n=001  one\n=245  10$aT\n";
  const std::string rec2 = "=LDR  00000cam a2200000 a 4500\n=001  two\n";
  SUBCASE("blank lines, comments, CR LF, a byte order mark") {
    auto o = read("\xEF\xBB\xBF\n# a comment\n" + rec1 + "\n\n\n" + rec2);
    REQUIRE(o.records.size() == 2);
    CHECK(o.diags.empty());
    CHECK(o.records[1].control_number() == "two");
    std::string crlf;
    for (char c : rec1 + "\n" + rec2) {
      if (c == '\n') crlf += '\r';
      crlf += c;
    }
    CHECK(test::text_summary(read(crlf)).size() > 0);
    auto c = read(crlf);
    REQUIRE(c.records.size() == 2);
    CHECK(c.records[0] == o.records[0]);
  }
  SUBCASE("trailing blanks are data") {
    auto r = read_one("=LDR  00000cam a2200000 a 4500\n=245  10$aTitle  \n");
    CHECK(r.value("245", 'a') == "Title  ");
  }
  SUBCASE("a stream read in small pieces gives the same") {
    std::string doc;
    for (int i = 0; i < 30; ++i) doc += rec1 + "\n" + rec2 + "\n";
    CHECK(test::text_summary(read(doc, error_policy::lenient, 64)) == test::text_summary(read(doc)));
  }
}

TEST_CASE(".mrk reader: faults") {
  struct fault_case {
    const char* what;
    std::string text;
    errc code;
    severity level;
    std::size_t records;
  };
  const fault_case cases[] = {
      {"no =LDR line", "=001  x\n=245  10$aT\n", errc::mrk_syntax, severity::repair, 1},
      {"a short leader", "=LDR  00000cam\n", errc::bad_leader_length, severity::repair, 1},
      {"a line that does not begin with '='", "=LDR  00000cam a2200000 a 4500\n=245  10$aT\nwrapped\n",
       errc::mrk_syntax, severity::repair, 1},
      {"one blank after the tag", "=LDR  00000cam a2200000 a 4500\n=245 10$aT\n", errc::mrk_syntax, severity::repair,
       1},
      {"a tag that is no MARC 21 tag", "=LDR  00000cam a2200000 a 4500\n=2-5  10$aT\n", errc::invalid_tag,
       severity::warning, 1},
      {"no indicators", "=LDR  00000cam a2200000 a 4500\n=245  1\n", errc::missing_indicators, severity::repair, 1},
      {"a '$' with no code", "=LDR  00000cam a2200000 a 4500\n=245  10$aT$\n", errc::missing_subfield_code,
       severity::warning, 1},
      {"data before the first '$'", "=LDR  00000cam a2200000 a 4500\n=245  10T$aT\n", errc::data_before_first_subfield,
       severity::warning, 1},
      {"bytes that are not UTF-8 in a UTF-8 record", "=LDR  00000cam a2200000 a 4500\n=245  10$aT\xFF\n",
       errc::invalid_utf8, severity::repair, 1},
      {"no blank line before the next record", "=LDR  00000cam a2200000 a 4500\n=LDR  00000cam a2200000 a 4500\n",
       errc::mrk_syntax, severity::warning, 2},
      {"text between records", "not a field\n\n=LDR  00000cam a2200000 a 4500\n", errc::mrk_syntax, severity::error, 1},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto o = read(c.text);
    CHECK(o.records.size() == c.records);
    REQUIRE(!o.diags.empty());
    CHECK(o.diags[0].code == c.code);
    CHECK(o.diags[0].level == c.level);
    CHECK(o.diags[0].line >= 1);
    auto strict = read(c.text, error_policy::strict);
    CHECK(strict.failed == (c.level != severity::warning));
  }
  SUBCASE("what the repairs give") {
    auto wrapped = read("=LDR  00000cam a2200000 a 4500\n=245  10$aTi\ntle\n");
    CHECK(wrapped.records[0].value("245", 'a') == "Title");
    CHECK(wrapped.diags[0].line == 3);
    auto noldr = read("=001  x\n");
    CHECK(noldr.records[0].leader() == marcpp::leader{});
    auto tag = read("=LDR  00000cam a2200000 a 4500\n=2-5  10$aT\n");
    CHECK(tag.diags[0].original == "2-5");
    CHECK_FALSE(tag.records[0][0].tag().is_valid());
    CHECK(std::string(tag.records[0][0].tag_chars().data(), 3) == "2-5");
    CHECK(tag.records[0][0].value('a') == "T");
    // A line too short for a tag: the field has none, and no writer writes it.
    auto shorter = read("=LDR  00000cam a2200000 a 4500\n=24\n");
    const marcpp::diagnostic* d = nullptr;
    for (const auto& x : shorter.diags)
      if (x.code == errc::invalid_tag) d = &x;
    REQUIRE(d);
    CHECK(d->level == severity::repair);
    CHECK(d->original == "24");
    REQUIRE(shorter.records.size() == 1);
    CHECK_FALSE(shorter.records[0][0].has_tag_chars());
    CHECK(read("=LDR  00000cam a2200000 a 4500\n=24\n", error_policy::strict).failed);
    // Lower-case tags are MARC 21 tags: nothing to report.
    auto lower = read("=LDR  00000cam a2200000 a 4500\n=m01  \\\\$aone\n=abc  \\\\$athree\n");
    CHECK(lower.diags.empty());
    CHECK(lower.records[0][0].tag() == marcpp::tag("m01"));
    CHECK(lower.records[0].value("abc", 'a') == "three");
  }
  SUBCASE("text between records: reported with its line, the records around it read") {
    auto o = read("=LDR  00000cam a2200000 a 4500\n=001  one\n\ngarbage\nmore\n\n=LDR  00000cam a2200000 a 4500\n=001  two\n");
    CHECK(o.records.size() == 2);
    REQUIRE(o.diags.size() == 1);
    CHECK(o.diags[0].line == 4);
    CHECK(o.diags[0].column == 1);
    CHECK(o.diag_raws[0] == "garbage\nmore\n");
  }
  SUBCASE("a record over the size limit, and the error limit") {
    marcpp::read_options opts;
    opts.max_record_size = 64;
    auto o = test::read_text<marcpp::mrk_reader>(
        "=LDR  00000cam a2200000 a 4500\n=500  \\\\$a" + std::string(100, 'x') + "\n\n=LDR  00000cam a2200000 a 4500\n",
        opts);
    CHECK(o.records.size() == 1);
    CHECK(o.count(errc::record_too_large) == 1);
    marcpp::read_options limit;
    limit.max_errors = 0;
    CHECK(test::read_text<marcpp::mrk_reader>("=001  x\n", limit).error.code == errc::too_many_errors);
  }
}

TEST_CASE(".mrk reader: a mnemonic fault in a control field names that field (found by fuzzing)") {
  // The control field's value was decoded before the field was added, so the
  // warning about "{123" named the field after the last one: a read past the
  // end of the record's fields.
  const std::string text = test::slurp(test::data_dir() / "fuzz" / "mrk" / "stray-brace-in-control-field.bin");
  for (std::size_t chunk : {std::size_t{0}, std::size_t{7}}) {
    CAPTURE(chunk);
    auto o = read(text, error_policy::lenient, chunk);
    REQUIRE(o.records.size() == 1);
    REQUIRE(o.records[0].size() == 1);
    CHECK(o.records[0][0].tag() == marcpp::tag("001"));
    CHECK(o.records[0][0].data() == "ocm{123");
    REQUIRE(o.diags.size() == 1);
    CHECK(o.diags[0].code == errc::mrk_syntax);
    CHECK(o.diags[0].level == severity::warning);
    CHECK(o.diags[0].field_index == 0);
    CHECK(o.diags[0].tag == marcpp::tag("001"));
    CHECK(o.diags[0].line == 2);
  }
  // The same in the indicators and subfields of a data field, and in a 00X
  // field that is a data field.
  auto o = read("=LDR  00000nam a2200000 a 4500\n=001  x\n=245  {z}0$a{q}$b{r\n=002  10$a{s}\n\n");
  REQUIRE(o.records.size() == 1);
  REQUIRE(o.records[0].size() == 3);
  for (const auto& d : o.diags) {
    CAPTURE(marcpp::to_string(d));
    REQUIRE(d.field_index >= 1);
    CHECK(d.tag == o.records[0][static_cast<std::size_t>(d.field_index)].tag());
  }
}
