#include <marcpp/marcxml.hpp>  // first: proves it is self-contained

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

const std::string ns = "http://www.loc.gov/MARC21/slim";

record sample() {
  record r{marcpp::leader("00000cam a2200000 a 4500")};
  r.add(field::control("001", "ocm123"));
  r.add(field("245", "10", {{'a', "Tom & Jerry <1> \"x\""}, {'c', "\xC3\x9Cn\xC3\xAF"}}));
  return r;
}

struct written {
  marcpp::diagnostic error;
  std::string xml;
  std::vector<marcpp::diagnostic> warnings;
};

template <class R>
written write(const R& rec, marcpp::marcxml_options o = {}) {
  written w;
  w.xml = "before";
  w.error = marcpp::write_marcxml(rec, w.xml, o, &w.warnings);
  w.xml.erase(0, 6);
  return w;
}

std::string collection(const std::string& records) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"" + ns + "\">\n" + records + "</collection>\n";
}

test::outcome read(const std::string& xml, error_policy p = error_policy::lenient, std::size_t chunk = 0) {
  return test::read_text<marcpp::marcxml_reader>(xml, test::with(p), chunk);
}

// Reads `xml` back as the one record it holds.
record read_one(const std::string& xml) {
  auto o = read(xml, error_policy::strict);
  REQUIRE_MESSAGE(o.records.size() == 1, (o.failed ? marcpp::to_string(o.error) : std::string("no record")));
  return o.records.front();
}

}  // namespace

TEST_CASE("MARCXML writer: layout and escaping") {
  SUBCASE("one element per line, indented as yaz-marcdump writes it") {
    auto w = write(sample());
    REQUIRE_FALSE(w.error);
    CHECK(w.xml ==
          "<record>\n"
          "  <leader>00000cam a2200000 a 4500</leader>\n"
          "  <controlfield tag=\"001\">ocm123</controlfield>\n"
          "  <datafield tag=\"245\" ind1=\"1\" ind2=\"0\">\n"
          "    <subfield code=\"a\">Tom &amp; Jerry &lt;1&gt; \"x\"</subfield>\n"
          "    <subfield code=\"c\">\xC3\x9Cn\xC3\xAF</subfield>\n"
          "  </datafield>\n"
          "</record>\n");
    CHECK(w.warnings.empty());
  }
  SUBCASE("compact: a record per line") {
    auto w = write(sample(), {.strict_schema = false, .indent = false});
    CHECK(w.xml ==
          "<record><leader>00000cam a2200000 a 4500</leader><controlfield tag=\"001\">ocm123</controlfield>"
          "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">Tom &amp; Jerry &lt;1&gt; \"x\"</subfield>"
          "<subfield code=\"c\">\xC3\x9Cn\xC3\xAF</subfield></datafield></record>\n");
  }
  SUBCASE("a standalone document declares the namespace on the record") {
    std::string doc = marcpp::to_marcxml(sample());
    CHECK(doc.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<record xmlns=\"" + ns + "\">\n  <leader>", 0) == 0);
    CHECK(read_one(doc) == sample());
  }
  SUBCASE("attribute values escape quotes, ampersands and angle brackets") {
    record r = sample();
    r[1].set_indicators({'"', '<'});
    r[1].subfields()[0].set_code('&');
    auto w = write(r, {.as_is = true});
    REQUIRE_FALSE(w.error);
    CHECK(w.xml.find("ind1=\"&quot;\" ind2=\"&lt;\"") != std::string::npos);
    CHECK(w.xml.find("<subfield code=\"&amp;\">") != std::string::npos);
    CHECK(read_one(collection(w.xml)) == r);
    // The schema allows '&' as a code, not '"' or '<' as indicators: by
    // default they are blanks, and the original in an instruction, escaped.
    auto v = write(r);
    REQUIRE_FALSE(v.error);
    CHECK(v.xml.find("<?marcpp data=\"%22<%1F&Tom & Jerry <1%3E %22x%22%1Fc\xC3\x9Cn\xC3\xAF\"?>\n"
                     "  <datafield tag=\"245\" ind1=\" \" ind2=\" \">\n"
                     "    <subfield code=\"&amp;\">") != std::string::npos);
    CHECK(read_one(collection(v.xml)) == r);
  }
  SUBCASE("the view and the owning record write the same bytes") {
    const std::string bytes = test::slurp(test::crafted("ok-local-tags.mrc"));
    marcpp::reader rd{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    REQUIRE(rd.next(v));
    auto a = write(v), b = write(record{v});
    REQUIRE_FALSE(a.error);
    CHECK(a.xml == b.xml);
    CHECK(a.xml.find("<datafield tag=\"CAT\"") != std::string::npos);
  }
}

TEST_CASE("MARCXML writer: control characters") {
  record r = sample();
  r[1].subfields()[0].set_value("a\x01" "b\tc\nd\re\x1F");
  auto w = write(r);
  REQUIRE_FALSE(w.error);
  SUBCASE("forbidden ones become Control Pictures; CR a character reference; tab and LF stay") {
    CHECK(w.xml.find(">a\xE2\x90\x81" "b\tc\nd&#13;e\xE2\x90\x9F</subfield>") != std::string::npos);
    REQUIRE(w.warnings.size() == 1);
    CHECK(w.warnings[0].code == errc::control_character_mapped);
    CHECK(w.warnings[0].level == severity::warning);
    CHECK(w.warnings[0].tag == marcpp::tag("245"));
  }
  SUBCASE("and read back as they were") { CHECK(read_one(collection(w.xml)) == r); }
  SUBCASE("in attributes too (as is; the schema allows no control character there)") {
    record s = sample();
    s[1].set_indicators({'\t', '\x02'});
    auto ws = write(s, {.as_is = true});
    REQUIRE_FALSE(ws.error);
    CHECK(ws.xml.find("ind1=\"&#9;\" ind2=\"\xE2\x90\x82\"") != std::string::npos);
    CHECK(read_one(collection(ws.xml)) == s);
    auto wv = write(s);
    REQUIRE_FALSE(wv.error);
    CHECK(wv.xml.find("<?marcpp data=\"%09%02%1Fa") != std::string::npos);
    CHECK(wv.xml.find("ind1=\" \" ind2=\" \"") != std::string::npos);
    CHECK(read_one(collection(wv.xml)) == s);
  }
  SUBCASE("a Control Picture of the record's own is kept in an instruction, and read back as itself") {
    record s = sample();
    s[1].subfields()[0].set_value("\xE2\x90\x80");
    for (const bool as_is : {false, true}) {
      auto ws = write(s, {.as_is = as_is});
      REQUIRE_FALSE(ws.error);
      CHECK(ws.xml.find("<?marcpp data=\"10%1Fa\xE2\x90\x80%1Fc") != std::string::npos);
      CHECK(ws.xml.find("<subfield code=\"a\">\xE2\x90\x80</subfield>") != std::string::npos);
      CHECK(read_one(collection(ws.xml)) == s);
      // Without the instruction, marcpp's reader takes the picture for the control character.
      std::string bare = ws.xml;
      bare.erase(bare.find("  <?marcpp"), bare.find("?>\n") + 3 - bare.find("  <?marcpp"));
      CHECK(read_one(collection(bare))[1].subfields()[0].value() == std::string_view("\0", 1));
    }
  }
}

namespace {
// The escaping rules, one byte at a time: what the writer's block loops
// must agree with. Returns false for bytes MARCXML cannot hold.
bool reference_xml_text(std::string_view v, std::string& out) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x80) {
      const std::size_t len = marcpp::detail::utf8_sequence(reinterpret_cast<const unsigned char*>(v.data() + i),
                                                            v.size() - i);
      if (len == 0 || v.substr(i, 3) == "\xEF\xBF\xBE" || v.substr(i, 3) == "\xEF\xBF\xBF") return false;
      out.append(v.substr(i, len));
      i += len - 1;
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else if (c == '\r') {
      out += "&#13;";
    } else if (c < 0x20 && c != '\t' && c != '\n') {
      out += "\xE2\x90";
      out += static_cast<char>(0x80 + c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return true;
}
}  // namespace

TEST_CASE("MARCXML writer: every special byte at every place in values of 0-70 bytes, from both record flavours") {
  const std::string_view specials[] = {"<",  ">",  "&",  "\r", "\t", "\n", "\x01", "\x1B", "\xC3\xA9", "\xE2\x82\xAC",
                                       "\xF0\x9F\x98\x80", "\xE2\x90\x81", "\xFF", "\xC3", "\xEF\xBF\xBE", "\"", "'"};
  std::size_t cases = 0;
  for (std::size_t len = 0; len <= 70; ++len) {
    for (std::size_t at = 0; at <= len; ++at) {
      for (std::string_view sp : specials) {
        if (len == 0 && sp != specials[0]) continue;
        std::string value(len, 'x');
        for (std::size_t k = 0; k < len; ++k) value[k] = static_cast<char>('a' + k % 26);
        if (len) value.replace(at == len ? len - 1 : at, 1, sp);
        record r{marcpp::leader("00000cam a2200000 a 4500")};
        r.add(field::control("001", value));
        r.add(field("245", "10", {{'a', value}, {'b', "x"}}));
        const std::string raw = marcpp::to_iso2709(r);
        marcpp::reader rd{marcpp::memory_source{raw}};
        marcpp::record_view v;
        REQUIRE(rd.next(v));
        // What is written is the record to_utf8 makes (bytes that are not
        // UTF-8 repaired); U+FFFE, which XML cannot hold, is U+FFFD in the
        // element and kept in an instruction.
        // A Control Picture of the value's own is written as it is, and kept
        // in an instruction too, so that it does not read back as a control.
        const record u = marcpp::to_utf8(r);
        std::string expect;
        const bool plain = reference_xml_text(u[0].data(), expect);
        if (!plain) {
          expect.clear();
          REQUIRE(reference_xml_text(marcpp::detail::sanitized_text(u[0].data(), true), expect));
        }
        const bool instruction = !plain || sp == "\xE2\x90\x81";
        for (int flavour = 0; flavour < 2; ++flavour) {
          CAPTURE(len);
          CAPTURE(at);
          CAPTURE(marcpp::detail::printable(sp));
          CAPTURE(flavour);
          auto w = flavour == 0 ? write(r) : write(v);
          ++cases;
          REQUIRE_FALSE(w.error);
          CHECK(w.xml.find("<controlfield tag=\"001\">" + expect + "</controlfield>") != std::string::npos);
          CHECK(w.xml.find("<subfield code=\"a\">" + expect + "</subfield>") != std::string::npos);
          CHECK((w.xml.find("<?marcpp") != std::string::npos) == instruction);
          CHECK(read_one(collection(w.xml)) == u);
        }
      }
    }
  }
  CHECK(cases > 80000);
  // Values longer than the steps the output grows by.
  for (std::size_t len : {std::size_t{4095}, std::size_t{4096}, std::size_t{20000}}) {
    CAPTURE(len);
    std::string value(len, 'y');
    value[len / 2] = '&';
    value.back() = '<';
    record r{marcpp::leader("00000cam a2200000 a 4500")};
    r.add(field("245", "10", {{'a', value}, {'b', value}}));
    std::string expect;
    REQUIRE(reference_xml_text(value, expect));
    auto w = write(r);
    REQUIRE_FALSE(w.error);
    CHECK(w.xml.find("<subfield code=\"a\">" + expect + "</subfield>\n    <subfield code=\"b\">" + expect +
                     "</subfield>") != std::string::npos);
  }
}

TEST_CASE("MARCXML writer: what MARCXML cannot hold is refused, naming the record") {
  auto refused = [](const record& r, errc code, marcpp::marcxml_options o = {}) {
    std::string out = "kept";
    auto d = marcpp::write_marcxml(r, out, o);
    CHECK(d.code == code);
    CHECK(d.level == severity::error);
    CHECK(out == "kept");
    CHECK(d.control_number == "ocm123");
    CHECK(!d.message.empty());
    return d;
  };
  SUBCASE("a MARC-8 record, with conversion turned off") {
    record r = sample();
    r.leader().set_coding_scheme(' ');
    std::string out = "kept";
    auto d = marcpp::write_marcxml(r, out, {.convert_marc8 = false});
    CHECK(d.code == errc::marc8_needs_conversion);
    CHECK(d.level == severity::error);
    CHECK(d.control_number == "ocm123");
    CHECK(out == "kept");
    CHECK(d.message.find("MARC-8") != std::string::npos);
    CHECK(d.message.find("convert_marc8") != std::string::npos);
    CHECK_FALSE(marcpp::write_marcxml(r, out));  // converted by default
  }
  SUBCASE("bytes that are not UTF-8, with conversion turned off") {
    record r = sample();
    r[1].subfields()[1].set_value("caf\xE9");
    auto d = refused(r, errc::value_not_representable, {.convert_marc8 = false});
    CHECK(d.tag == marcpp::tag("245"));
    CHECK(d.field_index == 1);
    CHECK(d.message.find("\\xE9") != std::string::npos);
    std::string out;
    CHECK_FALSE(marcpp::write_marcxml(r, out));  // repaired by default
  }
  SUBCASE("an invalid tag") {
    record r = sample();
    r[1].set_tag(marcpp::tag::invalid());
    refused(r, errc::invalid_tag);
  }
  SUBCASE("a field ISO 2709 cannot hold either, where it needs its original form") {
    record r = sample();
    r[1].subfields().insert(r[1].subfields().begin(), subfield::unlabelled("raw"));
    r[1].subfields()[1].set_value("a\x1F" "b");
    refused(r, errc::invalid_data_byte);
    record s = sample();
    s[1].set_ind1('-');
    s[1].subfields().push_back(subfield::without_code("value"));
    refused(s, errc::invalid_subfield_layout);
    record t = sample();  // found by fuzzing: the code would read back as data
    t.leader().set(11, '1');
    t[1].set_ind1('-');
    refused(t, errc::invalid_subfield_layout);
  }
}

TEST_CASE("MARCXML writer: what XML cannot hold is written as a substitute, its original in an instruction") {
  struct odd {
    const char* what;
    void (*edit)(record&);
    const char* instruction;  // what the instruction holds
    const char* element;      // what other readers see
    errc code;
  };
  const odd cases[] = {
      {"U+FFFE, which XML forbids", [](record& r) { r[1].subfields()[1].set_value("x\xEF\xBF\xBE"); },
       "<?marcpp data=\"10%1FaTom & Jerry <1%3E %22x%22%1Fcx%EF%BF%BE\"?>", "<subfield code=\"c\">x\xEF\xBF\xBD</subfield>",
       errc::value_not_representable},
      {"U+FFFF in a control field",
       [](record& r) { r.fields().insert(r.fields().begin() + 1, field::control("005", "x\xEF\xBF\xBF")); },
       "<?marcpp control=\"x%EF%BF%BF\"?>", "<controlfield tag=\"005\">x\xEF\xBF\xBD</controlfield>",
       errc::value_not_representable},
      {"an indicator byte that is no character", [](record& r) { r[1].set_ind1('\xC3'); },
       "<?marcpp data=\"%C30%1Fa", "<datafield tag=\"245\" ind1=\" \" ind2=\"0\">", errc::value_not_representable},
      {"a code byte that is no character", [](record& r) { r[1].subfields()[0].set_code('\xE9'); },
       "<?marcpp data=\"10%1F%E9Tom", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\">\n    <subfield code=\"c\">",
       errc::value_not_representable},
      {"a code byte that begins the character its value completes",
       [](record& r) { r[1].subfields()[0] = subfield('\xC3', "\x9C" "ber"); }, "<?marcpp data=\"10%1F\xC3\x9C" "ber%1Fc",
       "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\">\n    <subfield code=\"c\">", errc::value_not_representable},
      {"data before the first subfield delimiter",
       [](record& r) { r[1].subfields().insert(r[1].subfields().begin(), subfield::unlabelled("raw")); },
       "<?marcpp data=\"10raw%1FaTom", "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\">\n    <subfield code=\"a\">Tom",
       errc::value_not_representable},
      {"a leader byte that is no character", [](record& r) { r.leader().set(22, '\x92'); },
       "<?marcpp leader=\"00000cam a2200000 a 45%920\"?>", "<leader>00000cam a2200000 a 4500</leader>",
       errc::schema_pattern},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    record r = sample();
    c.edit(r);
    for (const bool as_is : {false, true}) {
      CAPTURE(as_is);
      auto w = write(r, {.as_is = as_is});
      REQUIRE_FALSE(w.error);
      CHECK_MESSAGE(w.xml.find(c.instruction) != std::string::npos, w.xml);
      if (!as_is || c.code != errc::schema_pattern) CHECK_MESSAGE(w.xml.find(c.element) != std::string::npos, w.xml);
      REQUIRE(w.warnings.size() == 1);
      CHECK(w.warnings[0].code == (as_is ? errc::value_not_representable : c.code));
      CHECK(w.warnings[0].level == severity::warning);
      CHECK(w.warnings[0].control_number == "ocm123");
      CHECK(w.warnings[0].message.find("<?marcpp?>") != std::string::npos);
      CHECK(read_one(collection(w.xml)) == r);
      std::string out = "kept";
      auto strict = marcpp::write_marcxml(r, out, {.strict_schema = true, .as_is = as_is});
      CHECK(strict.code == w.warnings[0].code);
      CHECK(strict.level == severity::error);
      CHECK(out == "kept");
    }
  }
  SUBCASE("bytes that are not UTF-8 are repaired, as to_utf8 repairs them") {
    record r = sample();
    r[1].subfields()[1].set_value("caf\xE9");
    auto w = write(r);
    REQUIRE_FALSE(w.error);
    REQUIRE(w.warnings.size() == 1);
    CHECK(w.warnings[0].code == errc::invalid_utf8);
    CHECK(w.warnings[0].level == severity::repair);
    CHECK(w.warnings[0].tag == marcpp::tag("245"));
    CHECK(w.xml.find("caf\xEF\xBF\xBD") != std::string::npos);
    CHECK(read_one(collection(w.xml)) == marcpp::to_utf8(r));
  }
}

namespace {

// A MARC-8 record: ANSEL, Cyrillic, subscripts, a numeric character reference.
record marc8_sample() {
  record r{marcpp::leader("00000cam  2200000 a 4500")};
  r.add(field::control("001", "ocm123"));
  r.add(field("245", "10", {{'a', "Caf\xE2" "e \x1B(NzIMA\x1B(B"}, {'c', "H\x1B" "b2\x1BsO &#x263A;"}}));
  return r;
}

}  // namespace

TEST_CASE("MARCXML writer: a MARC-8 record is converted to UTF-8 on the way") {
  const record m8 = marc8_sample();
  REQUIRE(m8.leader().coding_scheme() == ' ');
  const std::string bytes = marcpp::to_iso2709(m8);
  SUBCASE("read back, it is the record to_utf8 makes, with leader/09 a, from either flavour") {
    auto w = write(m8);
    REQUIRE_FALSE(w.error);
    CHECK(w.warnings.empty());
    CHECK(w.xml.find("<leader>00000cam a2200000 a 4500</leader>") != std::string::npos);
    CHECK(w.xml.find("Cafe\xCC\x81 \xD0\x97\xD0\xB8\xD0\xBC\xD0\xB0") != std::string::npos);
    const record back = read_one(collection(w.xml));
    CHECK(back == marcpp::to_utf8(m8));
    CHECK(back.value("245", 'c') == "H\u2082O \u263A");
    auto view = test::read_bytes(bytes, test::with(error_policy::strict));
    REQUIRE(view.records.size() == 1);
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    REQUIRE(r.next(v));
    auto wv = write(v);
    REQUIRE_FALSE(wv.error);
    CHECK(read_one(collection(wv.xml)) == marcpp::to_utf8(v));
    // And back to MARC-8: the original bytes.
    CHECK(marcpp::to_iso2709(back, {.to_encoding = marcpp::encoding::marc8}) == bytes);
  }
  SUBCASE("decoded as it is written, the record gives the bytes of its to_utf8 form") {
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    REQUIRE(r.next(v));
    const auto from_view = write(v), from_record = write(m8);
    REQUIRE_FALSE(from_view.error);
    CHECK(from_view.xml == write(marcpp::to_utf8(v)).xml);
    CHECK(from_record.xml == write(marcpp::to_utf8(m8)).xml);
  }
  SUBCASE("plain ASCII text needs no conversion: only leader/09 changes") {
    record a = sample();
    a[1].subfields()[1].set_value("Unit & <two> &amp; done");
    a.leader().set_coding_scheme(' ');
    auto w = write(a);
    REQUIRE_FALSE(w.error);
    CHECK(w.warnings.empty());
    const record u = marcpp::to_utf8(a);
    CHECK(w.xml == write(u).xml);
    CHECK(read_one(collection(w.xml)) == u);
  }
  SUBCASE("what the conversion reports goes to the warnings, not the record's own diagnostics") {
    record bad = marc8_sample();
    bad[1].subfields()[0].set_value("ab\xFF" "c");
    bad.leader().set(10, 'x');  // read back: a bad_indicator_count warning of the reader's
    const std::string b = marcpp::to_iso2709(bad);
    marcpp::reader r{marcpp::memory_source{b}};
    marcpp::record_view v;
    REQUIRE(r.next(v));
    REQUIRE(v.diagnostics().size() == 1);
    CHECK(v.diagnostics()[0].code == errc::bad_indicator_count);
    auto w = write(v);
    REQUIRE_FALSE(w.error);
    // The conversion's repair, and the writer's own schema warning (leader/10 'x'); not the reader's warning.
    REQUIRE(w.warnings.size() == 2);
    CHECK(w.warnings[0].code == errc::unmapped_marc8);
    CHECK(w.warnings[0].level == severity::repair);
    CHECK(w.warnings[0].tag == marcpp::tag("245"));
    CHECK(w.warnings[0].record_index == 0);
    CHECK(w.warnings[0].offset == v.raw().find("ab\xFF") + 2);  // the byte, in the input
    CHECK(w.warnings[1].code == errc::schema_pattern);
    CHECK(w.xml.find("ab\xEF\xBF\xBD" "c") != std::string::npos);
  }
  SUBCASE("a leader/09 that lies: the bytes are UTF-8, read as such, with a warning") {
    record liar = sample();
    liar.leader().set_coding_scheme(' ');
    auto w = write(liar);
    REQUIRE_FALSE(w.error);
    REQUIRE(w.warnings.size() == 1);
    CHECK(w.warnings[0].code == errc::encoding_mismatch);
    CHECK(w.warnings[0].level == severity::warning);
    record expected = sample();
    CHECK(read_one(collection(w.xml)) == expected);
  }
  SUBCASE("strict or skip charset policy: the fault refuses the record and nothing is written") {
    record bad = marc8_sample();
    bad[1].subfields()[0].set_value("ab\xFF" "c");
    for (auto p : {error_policy::strict, error_policy::skip}) {
      std::string out = "kept";
      std::vector<marcpp::diagnostic> warnings;
      auto d = marcpp::write_marcxml(bad, out, {.charset = {.policy = p}}, &warnings);
      CHECK(d.code == errc::unmapped_marc8);
      CHECK(d.level == severity::error);
      CHECK(d.control_number == "ocm123");
      CHECK(d.message.find("the record is not converted") != std::string::npos);
      CHECK(out == "kept");
      CHECK(warnings.empty());
    }
  }
  SUBCASE("the charset options apply: numeric references, the leader/09 policy") {
    auto w = write(m8, {.charset = {.numeric_references = false}});
    REQUIRE_FALSE(w.error);
    CHECK(read_one(collection(w.xml)).value("245", 'c') == "H\u2082O &#x263A;");
    record liar = sample();
    liar.leader().set_coding_scheme(' ');
    std::string out;
    auto d = marcpp::write_marcxml(liar, out, {.charset = {.leader09 = marcpp::leader09_policy::fail}});
    CHECK(d.code == errc::encoding_mismatch);
    CHECK(d.level == severity::error);
    CHECK(out.empty());
  }
  SUBCASE("the stream writer and to_marcxml convert too") {
    std::ostringstream os;
    std::vector<marcpp::diagnostic> warnings;
    {
      marcpp::marcxml_writer w{os};
      w.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { warnings.push_back(d); });
      CHECK_FALSE(w.write(m8));
      record bad = marc8_sample();
      bad[1].subfields()[0].set_value("\xFF");
      CHECK_FALSE(w.write(bad));
      CHECK(w.count() == 2);
    }
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].code == errc::unmapped_marc8);
    auto o = read(os.str(), error_policy::strict);
    REQUIRE(o.records.size() == 2);
    CHECK(o.records[0] == marcpp::to_utf8(m8));
    CHECK(marcpp::to_marcxml(m8).find("Cafe\xCC\x81") != std::string::npos);
#if MARCPP_HAS_EXCEPTIONS
    record bad = marc8_sample();
    bad[1].subfields()[0].set_value("\xFF");
    CHECK_THROWS_AS((void)marcpp::to_marcxml(bad, {.charset = {.policy = error_policy::strict}}), marcpp::error);
#endif
  }
}

TEST_CASE("MARCXML writer: the text is written as to_utf8 reads it, whatever leader/09 says") {
  // MARC-8 escapes (superscripts) and ANSEL.
  const std::string marc8_text = "A\x1Bp4\x1B(B B\x1Bp2\x1Bs Caf\xE2" "e";
  const std::string utf8_text = "A\u2074 B\u00B2 Cafe\u0301";
  struct flag_case {
    char flag;
    errc warning;  // what the conversion reports
  };
  for (const flag_case c : {flag_case{'^', errc::encoding_mismatch}, flag_case{'a', errc::encoding_mismatch},
                            flag_case{'p', errc::encoding_mismatch}, flag_case{' ', errc::ok}}) {
    CAPTURE(c.flag);
    record r = sample();
    r.leader().set_coding_scheme(c.flag);
    r[1].subfields()[1].set_value(marc8_text);
    const std::string bytes = marcpp::to_iso2709(r);
    marcpp::reader rd{marcpp::memory_source{bytes}, {.validate_utf8 = false}};
    marcpp::record_view v;
    REQUIRE(rd.next(v));
    for (int flavour = 0; flavour < 2; ++flavour) {
      auto w = flavour == 0 ? write(r) : write(v);
      REQUIRE_FALSE(w.error);
      CHECK(w.xml.find("<subfield code=\"c\">" + utf8_text + "</subfield>") != std::string::npos);
      CHECK(w.xml.find("cam a2200") == w.xml.find("<leader>") + 13);  // leader/09 a
      if (c.warning == errc::ok) {
        CHECK(w.warnings.empty());
      } else {
        REQUIRE(w.warnings.size() == 1);
        CHECK(w.warnings[0].code == c.warning);
        CHECK(w.warnings[0].level == severity::warning);
      }
      CHECK(read_one(collection(w.xml)) == marcpp::to_utf8(r));
    }
    // Told to trust nothing but the bytes as MARC-8, or as UTF-8.
    auto m8 = write(r, {.charset = {.from = marcpp::source_encoding::marc8}});
    CHECK(m8.xml.find(utf8_text) != std::string::npos);
    CHECK(m8.warnings.empty());
  }
  SUBCASE("with conversion off, leader/09 other than blank is written as it is") {
    record r = sample();
    r.leader().set_coding_scheme('^');
    r[1].subfields()[1].set_value("A\x1Bp4\x1B(B");
    auto w = write(r, {.convert_marc8 = false});
    REQUIRE_FALSE(w.error);
    CHECK(w.xml.find("A\xE2\x90\x9Bp4") != std::string::npos);
  }
  SUBCASE("a UTF-8 record holding an escape but UTF-8 characters too stays as it is") {
    record r = sample();
    r[1].subfields()[1].set_value("\xC3\x9C \x1B(B");
    auto w = write(r);
    REQUIRE_FALSE(w.error);
    CHECK(w.xml.find("\xC3\x9C \xE2\x90\x9B(B") != std::string::npos);
    CHECK(read_one(collection(w.xml)) == r);
  }
}

TEST_CASE("MARCXML writer: what the schema does not allow has a valid substitute, or is kept as it is; strict refuses it") {
  struct deviation {
    const char* what;
    void (*edit)(record&);
    const char* instruction;  // in the valid form
    const char* element;      // what other readers see in the valid form
  };
  const deviation cases[] = {
      {"an indicator '-'", [](record& r) { r[1].set_ind1('-'); }, "<?marcpp data=\"-0%1Fa",
       "<datafield tag=\"245\" ind1=\" \" ind2=\"0\">"},
      {"an upper-case indicator", [](record& r) { r[1].set_ind2('A'); }, "<?marcpp data=\"1A%1Fa",
       "<datafield tag=\"245\" ind1=\"1\" ind2=\" \">"},
      {"the subfield code '@'", [](record& r) { r[1].subfields()[0].set_code('@'); }, "<?marcpp data=\"10%1F@Tom",
       "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\">\n    <subfield code=\"c\">"},
      {"a blank subfield code", [](record& r) { r[1].subfields()[0].set_code(' '); }, "<?marcpp data=\"10%1F Tom",
       "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\">\n    <subfield code=\"c\">"},
      {"a data field tagged 00X", [](record& r) { r.add(field("003", "  ", {{'a', "x"}})); },
       "<?marcpp at=\"2\" data=\"  %1Fax\"?>\n  <controlfield tag=\"003\">  \xE2\x90\x9F" "ax</controlfield>\n  <datafield",
       "<controlfield tag=\"003\">"},
      {"a control field tagged 500", [](record& r) { r.add(field::control("500", "x")); },
       "<?marcpp tag=\"500\" control=\"x\"?>", "</datafield>\n  <?marcpp tag=\"500\""},
      {"a control field tagged 000", [](record& r) { r.add(field::control("000", "x")); },
       "<?marcpp tag=\"000\" control=\"x\"?>", "</datafield>\n  <?marcpp tag=\"000\""},
      {"a control field tagged abc (legal, kept by its bytes)", [](record& r) { r.add(field::control("abc", "x")); },
       "<?marcpp tag=\"abc\" control=\"x\"?>", "</datafield>\n  <?marcpp tag=\"abc\""},
      {"a data field tagged 30- (no MARC 21 tag)", [](record& r) { r.add(field("30-", "  ", {{'a', "x"}})); },
       "<?marcpp tag=\"30-\" data=\"  %1Fax\"?>", "</datafield>\n  <?marcpp tag=\"30-\""},
      {"a data field tagged 0 2", [](record& r) { r.add(field("0 2", "  ", {{'a', "x"}})); },
       "<?marcpp tag=\"0 2\" data=\"  %1Fax\"?>", "</datafield>\n  <?marcpp tag=\"0 2\""},
      {"a data field tagged Ab1 (mixed case)", [](record& r) { r.add(field("Ab1", "  ", {{'a', "x"}})); },
       "<?marcpp tag=\"Ab1\" data=\"  %1Fax\"?>", "</datafield>\n  <?marcpp tag=\"Ab1\""},
      {"a control field tagged 00-", [](record& r) { r.add(field::control("00-", "x")); },
       "<?marcpp tag=\"00-\" control=\"x\"?>", "</datafield>\n  <?marcpp tag=\"00-\""},
      {"a data field without subfields", [](record& r) { r.add(field("500", "  ")); }, "<?marcpp tag=\"500\" data=\"  \"?>",
       "</datafield>\n  <?marcpp tag=\"500\""},
      {"a leader the pattern refuses", [](record& r) { r.leader().set(20, 'x'); },
       "<?marcpp leader=\"00000cam a2200000 a x500\"?>", "<leader>00000cam a2200000 a 4500</leader>"},
      {"a delimiter without a code", [](record& r) { r[1].subfields().push_back(subfield::without_code()); },
       "<?marcpp data=\"10%1FaTom & Jerry <1%3E %22x%22%1Fc\xC3\x9Cn\xC3\xAF%1F\"?>", "<subfield code=\"c\">"},
      {"a control field after a data field", [](record& r) { r.add(field::control("005", "20240101000000.0")); },
       "<?marcpp at=\"2\"?>\n  <controlfield tag=\"005\">20240101000000.0</controlfield>\n  <datafield tag=\"245\"",
       "<controlfield tag=\"005\">"},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    record r = sample();
    c.edit(r);
    // The valid form (the default): a substitute, the original in an instruction.
    auto v = write(r);
    REQUIRE_FALSE(v.error);
    CHECK_MESSAGE(v.xml.find(c.instruction) != std::string::npos, v.xml);
    CHECK_MESSAGE(v.xml.find(c.element) != std::string::npos, v.xml);
    REQUIRE(v.warnings.size() == 1);
    CHECK(v.warnings[0].code == errc::schema_pattern);
    CHECK(v.warnings[0].level == severity::warning);
    CHECK(read_one(collection(v.xml)) == r);
    // As it is.
    auto w = write(r, {.as_is = true});
    REQUIRE_FALSE(w.error);
    CHECK(w.xml.find("<?marcpp") == std::string::npos);
    REQUIRE(w.warnings.size() == 1);
    CHECK(w.warnings[0].code == errc::schema_pattern);
    CHECK(w.warnings[0].level == severity::warning);
    CHECK(w.warnings[0].message.find("written as it is") != std::string::npos);
    CHECK(read_one(collection(w.xml)) == r);
    // Strict: refused, whichever form.
    for (const bool as_is : {false, true}) {
      std::string out = "kept";
      auto strict = marcpp::write_marcxml(r, out, {.strict_schema = true, .as_is = as_is});
      CHECK(strict.code == errc::schema_pattern);
      CHECK(strict.level == severity::error);
      CHECK(out == "kept");
    }
  }
  SUBCASE("upper-case subfield codes are allowed (schema 1.2)") {
    record r = sample();
    r[1].subfields()[0].set_code('A');
    CHECK(write(r).warnings.empty());
  }
  SUBCASE("a control field after the data fields goes back to its place") {
    record r = sample();
    r.add(field::control("005", "1"));
    r.add(field("500", "  ", {{'a', "n"}}));
    r.add(field("004", "  ", {{'a', "d"}}));
    r.add(field::control("000", "z"));
    r.add(field::control("006", "2"));
    for (const bool indent : {true, false}) {
      auto v = write(r, {.indent = indent});
      REQUIRE_FALSE(v.error);
      // Before the first <datafield>: 001, then 005, 004 and 006 with their places.
      const auto first_data = v.xml.find("<datafield");
      CHECK(v.xml.find("<?marcpp at=\"2\"?>") < first_data);
      CHECK(v.xml.find("<?marcpp at=\"4\" data=\"  %1Fad\"?>") < first_data);
      CHECK(v.xml.find("<?marcpp at=\"6\"?>") < first_data);
      CHECK(v.xml.find("<?marcpp tag=\"000\" control=\"z\"?>") > first_data);
      CHECK(read_one(collection(v.xml)) == r);
    }
  }
}

TEST_CASE("MARCXML writer: tags marcpp::tag cannot hold are written as their bytes") {
  SUBCASE("legal lower-case tags are valid as they are: no instruction, no warning") {
    record r = sample();
    r.add(field("m01", "  ", {{'a', "one letter"}}));
    r.add(field("abc", "  ", {{'a', "three letters"}}));
    REQUIRE_FALSE(r[3].tag().is_valid());
    auto v = write(r);
    REQUIRE_FALSE(v.error);
    CHECK(v.warnings.empty());
    CHECK(v.xml.find("<?marcpp") == std::string::npos);
    CHECK(v.xml.find("<datafield tag=\"m01\" ind1=\" \" ind2=\" \">") != std::string::npos);
    CHECK(v.xml.find("<datafield tag=\"abc\" ind1=\" \" ind2=\" \">") != std::string::npos);
    const record back = read_one(collection(v.xml));
    CHECK(back == r);
    CHECK(back[3].tag_chars() == r[3].tag_chars());
  }
  SUBCASE("a substitute keeps the tag's bytes, and its original comes back") {
    record r = sample();
    r.add(field("abc", "# ", {{'a', "x"}}));
    auto v = write(r);
    REQUIRE_FALSE(v.error);
    CHECK(v.xml.find("<?marcpp data=\"# %1Fax\"?>\n  <datafield tag=\"abc\" ind1=\" \" ind2=\" \">") !=
          std::string::npos);
    REQUIRE(v.warnings.size() == 1);
    CHECK(v.warnings[0].code == errc::schema_pattern);
    CHECK(read_one(collection(v.xml)) == r);
    // The instruction holds what follows the tag: the element's tag is the
    // field's, changed since or not...
    std::string edited = v.xml;
    edited.replace(edited.find("tag=\"abc\""), 9, "tag=\"abd\"");
    auto o = read(collection(edited), error_policy::strict);
    REQUIRE(o.records.size() == 1);
    CHECK(o.records[0][2] == field("abd", "# ", {{'a', "x"}}));
    CHECK(o.diags.empty());
    // ... unless the writer would not write that element for it (the schema
    // refuses the tag): then the element is read as it is.
    edited = v.xml;
    edited.replace(edited.find("tag=\"abc\""), 9, "tag=\"a-c\"");
    o = read(collection(edited));
    REQUIRE(o.records.size() == 1);
    CHECK(o.records[0][2] == field("a-c", "  ", {{'a', "x"}}));
    REQUIRE(o.diags.size() == 2);
    CHECK(o.diags[0].code == errc::invalid_tag);
    CHECK(o.diags[0].level == severity::warning);
    CHECK(o.diags[1].code == errc::xml_not_marcxml);
    CHECK(o.diags[1].message.find("changed") != std::string::npos);
  }
  SUBCASE("as it is: escaped; a tag an attribute cannot hold has its field in an instruction") {
    record r = sample();
    r.add(field("\x01" "12", "  ", {{'a', "control"}}));
    r.add(field("\xE9" "12", "  ", {{'a', "not UTF-8"}}));
    r.add(field("\xE2\x90\x81", "  ", {{'a', "a Control Picture"}}));
    r.add(field::control("\xFF" "01", "not UTF-8"));
    auto w = write(r, {.as_is = true});
    REQUIRE_FALSE(w.error);
    CHECK(w.xml.find("<datafield tag=\"\xE2\x90\x81" "12\"") != std::string::npos);  // U+2401
    CHECK(w.xml.find("<?marcpp tag=\"%E912\" data=\"  %1Fanot UTF-8\"?>") != std::string::npos);
    CHECK(w.xml.find("<?marcpp tag=\"\xE2\x90\x81\" data=") != std::string::npos);
    CHECK(w.xml.find("<?marcpp tag=\"%FF01\" control=\"not UTF-8\"?>") != std::string::npos);
    std::size_t unheld = 0, mapped = 0;
    for (const auto& d : w.warnings) {
      CHECK(d.level == severity::warning);
      if (d.code == errc::value_not_representable) {
        ++unheld;
        CHECK(d.message.find("XML attribute cannot hold") != std::string::npos);
      } else if (d.code == errc::control_character_mapped) {
        ++mapped;
      }
    }
    CHECK(unheld == 3);
    CHECK(mapped == 1);
    CHECK(read_one(collection(w.xml)) == r);
    // The valid form: none of them is a tag the schema allows.
    auto v = write(r);
    REQUIRE_FALSE(v.error);
    CHECK(v.xml.find("<?marcpp tag=\"%0112\" data=") != std::string::npos);
    CHECK(v.warnings.size() == 4);
    CHECK(read_one(collection(v.xml)) == r);
    // Strict: refused.
    record n = sample();
    n.add(field("\xE9" "12", "  ", {{'a', "not UTF-8"}}));
    std::string out = "kept";
    auto strict = marcpp::write_marcxml(n, out, {.strict_schema = true, .as_is = true});
    CHECK(strict.code == errc::value_not_representable);
    CHECK(strict.field_index == 2);
    CHECK(strict.original == "\xE9" "12");
    CHECK(out == "kept");
  }
}

TEST_CASE("MARCXML writer: the stream writer makes a complete collection") {
  std::ostringstream os;
  {
    marcpp::marcxml_writer w{os};
    std::vector<marcpp::diagnostic> warnings;
    w.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { warnings.push_back(d); });
    CHECK_FALSE(w.write(sample()));
    record bad = sample();
    bad[1].set_tag(marcpp::tag::invalid());
    CHECK(w.write(bad).code == errc::invalid_tag);
    record odd = sample();
    odd[1].set_ind1('-');
    CHECK_FALSE(w.write(odd));
    CHECK(warnings.size() == 1);
    CHECK(w.count() == 2);
  }
  const std::string doc = os.str();
  CHECK(doc.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"" + ns + "\">\n<record>", 0) == 0);
  CHECK(doc.substr(doc.size() - 24) == "</record>\n</collection>\n");
  CHECK(read(doc, error_policy::strict).records.size() == 2);
  SUBCASE("with no records it is still a document") {
    std::ostringstream empty;
    { marcpp::marcxml_writer w{empty}; }
    CHECK(empty.str() == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"" + ns + "\">\n</collection>\n");
  }
}

TEST_CASE("MARCXML reader: namespaces and wrappers") {
  const std::string body =
      "<leader>00000cam a2200000 a 4500</leader><controlfield tag=\"001\">x1</controlfield>"
      "<datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">T</subfield></datafield>";
  auto one_title = [](const test::outcome& o, std::size_t n) {
    REQUIRE(o.records.size() == n);
    for (const auto& r : o.records) CHECK(r.value("245", 'a') == "T");
    CHECK(o.diags.empty());
  };
  SUBCASE("a collection in the default namespace") { one_title(read(collection("<record>" + body + "</record>")), 1); }
  SUBCASE("the marc: prefix") {
    std::string p;
    for (char c : body) {
      p += c;
      if (c == '<') p += "marc:";
    }
    for (std::size_t k = 0; (k = p.find("<marc:/", k)) != std::string::npos;) p.replace(k, 7, "</marc:");
    one_title(read("<marc:collection xmlns:marc=\"" + ns + "\"><marc:record>" + p + "</marc:record><marc:record>" + p +
                   "</marc:record></marc:collection>"),
              2);
  }
  SUBCASE("no namespace at all, and a bare record") {
    one_title(read("<collection><record>" + body + "</record></collection>"), 1);
    one_title(read("<record>" + body + "</record>"), 1);
  }
  SUBCASE("MarcXchange") {
    one_title(read("<collection xmlns=\"info:lc/xmlns/marcxchange-v1\"><record format=\"MARC21\">" + body +
                   "</record></collection>"),
              1);
  }
  SUBCASE("records inside an SRU response, not the SRU records themselves") {
    one_title(read("<zs:searchRetrieveResponse xmlns:zs=\"http://www.loc.gov/zing/srw/\"><zs:records><zs:record>"
                   "<zs:recordData><record xmlns=\"" + ns + "\">" + body +
                   "</record></zs:recordData></zs:record></zs:records></zs:searchRetrieveResponse>"),
              1);
  }
  SUBCASE("an OAI-PMH response in no namespace holding no MARC: no records") {
    auto o = read("<OAI-PMH><ListRecords><record><header><identifier>x</identifier></header><metadata><dc><title>T"
                  "</title></dc></metadata></record></ListRecords></OAI-PMH>");
    CHECK(o.records.empty());
    CHECK(o.diags.empty());
  }
  SUBCASE("entities, character references, CDATA, comments and processing instructions") {
    auto r = read_one(collection("<record><leader>00000cam a2200000 a 4500</leader><datafield tag=\"245\" ind1=\" \" "
                                 "ind2=\" \"><subfield code=\"a\">a&amp;b&#233;<![CDATA[<c>]]><!-- no -->d<?pi x?>e"
                                 "</subfield></datafield></record>"));
    CHECK(r.value("245", 'a') == "a&b\xC3\xA9<c>de");
  }
  SUBCASE("a declared 8-bit encoding") {
    auto r = read_one("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><record><leader>00000cam a2200000 a 4500</leader>"
                      "<datafield tag=\"245\" ind1=\" \" ind2=\" \"><subfield code=\"a\">caf\xE9</subfield></datafield>"
                      "</record>");
    CHECK(r.value("245", 'a') == "caf\xC3\xA9");
  }
  SUBCASE("a UTF-16 declaration on a document written in single bytes (as Alma's API wrote it)") {
    // malformed/php-marc-alma-bibs-api-invalid.xml: MARC::File::XML reads the
    // record; a parser that believes the declaration reads nothing.
    const std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?> <record><leader>00000cam a2200000 a 4500"
                            "</leader><controlfield tag=\"001\">99011</controlfield><datafield tag=\"245\" ind1=\"1\" "
                            "ind2=\"0\"><subfield code=\"a\">Caf\xC3\xA9</subfield></datafield></record>\n";
    for (std::size_t chunk : {std::size_t{0}, std::size_t{7}}) {
      CAPTURE(chunk);
      auto o = read(doc, error_policy::lenient, chunk);
      REQUIRE(o.records.size() == 1);
      CHECK(o.records[0].control_number() == "99011");
      CHECK(o.records[0].value("245", 'a') == "Caf\xC3\xA9");
      REQUIRE(o.diags.size() == 1);
      CHECK(o.diags[0].code == errc::xml_not_well_formed);
      CHECK(o.diags[0].message.find("declaration says the document is in UTF-16") != std::string::npos);
      CHECK(o.diags[0].line == 1);
      auto strict = read(doc, error_policy::strict, chunk);
      CHECK(strict.failed);
      CHECK(strict.records.empty());
    }
  }
  SUBCASE("a UTF-16 document with its byte order mark is read as UTF-16") {
    const std::string text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><record><leader>00000cam a2200000 a 4500"
                             "</leader><controlfield tag=\"001\">7</controlfield></record>";
    std::string doc = "\xFF\xFE";  // UTF-16LE
    for (char c : text) {
      doc += c;
      doc += '\0';
    }
    auto r = read_one(doc);
    CHECK(r.control_number() == "7");
  }
}

TEST_CASE("MARCXML reader: round trips through the writer") {
  record r{marcpp::leader("01234nam a2200289 i 4500")};
  r.add(field::control("001", " lead and trail "));
  r.add(field::control("007", "ta"));
  r.add(field::control("007", "cr"));
  r.add(field("001", "  ", {{'a', "danMARC style"}}));
  r.add(field("245", "  ", {{'a', "  two blanks  "}, {'b', ""}}));
  r.add(field("CAT", "  ", {{'a', "local"}}));
  field f("500", "  ", {{'a', "x"}});
  f.subfields().push_back(subfield::without_code());
  r.add(f);
  std::ostringstream os;
  {
    marcpp::marcxml_writer w{os};
    REQUIRE_FALSE(w.write(r));
  }
  auto back = read(os.str(), error_policy::strict);
  REQUIRE(back.records.size() == 1);
  CHECK(back.records[0] == r);
  CHECK(marcpp::to_iso2709(back.records[0]) == marcpp::to_iso2709(r));
}

TEST_CASE("MARCXML reader: repairs and their reports") {
  auto rec = [](const std::string& inner) { return collection("<record>" + inner + "</record>\n"); };
// A leader, joined to the literals below at compile time.
#define LDR "<leader>00000cam a2200000 a 4500</leader>"
  struct repair_case {
    const char* what;
    std::string xml;
    errc code;
    severity level;
  };
  const repair_case cases[] = {
      {"no leader", rec("<controlfield tag=\"001\">x</controlfield>"), errc::xml_not_marcxml, severity::repair},
      {"a short leader", rec("<leader>00000cam a22</leader>"), errc::bad_leader_length, severity::repair},
      {"leader/09 blank", rec("<leader>00000cam  2200000 a 4500</leader>"), errc::coding_scheme_set, severity::warning},
      {"an element that is not MARCXML", rec(LDR "<note>lost</note>"), errc::xml_not_marcxml, severity::repair},
      {"text outside any subfield",
       rec(LDR "<datafield tag=\"245\" ind1=\" \" ind2=\" \">stray<subfield code=\"a\">x</subfield></datafield>"),
       errc::xml_not_marcxml, severity::repair},
      {"no ind1", rec(LDR "<datafield tag=\"245\" ind2=\" \"><subfield code=\"a\">x</subfield></datafield>"),
       errc::xml_not_marcxml, severity::repair},
      {"ind2 of two characters",
       rec(LDR "<datafield tag=\"245\" ind1=\" \" ind2=\"10\"><subfield code=\"a\">x</subfield></datafield>"),
       errc::xml_not_marcxml, severity::repair},
      {"no tag", rec(LDR "<datafield ind1=\" \" ind2=\" \"><subfield code=\"a\">x</subfield></datafield>"),
       errc::invalid_tag, severity::repair},
      {"a tag of two characters", rec(LDR "<controlfield tag=\"01\">x</controlfield>"), errc::invalid_tag,
       severity::repair},
      {"a tag that is no MARC 21 tag",
       rec(LDR "<datafield tag=\"30-\" ind1=\" \" ind2=\" \"><subfield code=\"a\">x</subfield></datafield>"),
       errc::invalid_tag, severity::warning},
      {"a subfield without code",
       rec(LDR "<datafield tag=\"245\" ind1=\" \" ind2=\" \"><subfield>x</subfield></datafield>"),
       errc::xml_not_marcxml, severity::repair},
      {"a two-character code",
       rec(LDR "<datafield tag=\"245\" ind1=\" \" ind2=\" \"><subfield code=\"ab\">x</subfield></datafield>"),
       errc::xml_not_marcxml, severity::repair},
      {"an empty code (a delimiter without a code)",
       rec(LDR "<datafield tag=\"245\" ind1=\" \" ind2=\" \"><subfield code=\"\">x</subfield></datafield>"),
       errc::schema_pattern, severity::warning},
      {"a second leader", rec(LDR LDR), errc::xml_not_marcxml, severity::repair},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    auto o = read(c.xml);
    REQUIRE(o.records.size() == 1);
    REQUIRE(o.diags.size() == 1);
    CHECK(o.diags[0].code == c.code);
    CHECK(o.diags[0].level == c.level);
    CHECK(o.diags[0].record_index == 0);
    CHECK(o.diags[0].line == 3);
    CHECK(o.diags[0].column >= 1);
    CHECK(o.stats.repaired == (c.level == severity::repair ? 1u : 0u));
    auto strict = read(c.xml, error_policy::strict);
    CHECK(strict.failed == (c.level != severity::warning));
    auto skip = read(c.xml, error_policy::skip);
    CHECK(skip.records.size() == (c.level == severity::warning ? 1u : 0u));
  }
  SUBCASE("what the repairs give") {
    auto o = read(rec("<controlfield tag=\"001\">x</controlfield>"));
    CHECK(o.records[0].leader().str() == "00000    a2200000   4500");  // a blank leader, Unicode
    auto blank = read(rec("<leader>00000cam  2200000 a 4500</leader>"));
    CHECK(blank.records[0].leader().coding_scheme() == 'a');
    auto tag = read(rec(LDR "<controlfield tag=\"01\">x</controlfield>"));
    CHECK(tag.diags[0].original == "01");
    CHECK_FALSE(tag.records[0][0].tag().is_valid());
    CHECK_FALSE(tag.records[0][0].has_tag_chars());  // no bytes are invented
    std::string refused;
    CHECK(marcpp::write_marcxml(tag.records[0], refused).code == errc::invalid_tag);
    CHECK(refused.empty());
    auto odd = read(rec(LDR "<datafield tag=\"30-\" ind1=\" \" ind2=\" \"><subfield code=\"a\">x</subfield></datafield>"));
    CHECK(odd.diags[0].original == "30-");
    CHECK(std::string(odd.records[0][0].tag_chars().data(), 3) == "30-");
    // Lower-case tags are MARC 21 tags: nothing to report.
    auto lower = read(rec(LDR "<controlfield tag=\"00a\">x</controlfield>"
                              "<datafield tag=\"abc\" ind1=\" \" ind2=\" \"><subfield code=\"a\">y</subfield></datafield>"));
    CHECK(lower.diags.empty());
    CHECK(lower.records[0][0].tag() == marcpp::tag("00a"));
    CHECK(lower.records[0][0].is_control());
    CHECK(lower.records[0].value("abc", 'a') == "y");
  }
#undef LDR
}

TEST_CASE("MARCXML reader: marcpp's instructions put the original back, unless the document was changed") {
  record r = sample();
  r[1].set_ind1('#');
  r[1].subfields().insert(r[1].subfields().begin(), subfield::unlabelled("\\"));
  r.leader().set(22, ' ');
  auto w = write(r);
  REQUIRE_FALSE(w.error);
  REQUIRE(w.xml.find("<?marcpp leader=\"00000cam a2200000 a 45 0\"?>") != std::string::npos);
  REQUIRE(w.xml.find("<?marcpp data=\"#0\\%1Fa") != std::string::npos);
  SUBCASE("as written: the record, with no report") {
    auto o = read(collection(w.xml), error_policy::strict);
    REQUIRE(o.records.size() == 1);
    CHECK(o.records[0] == r);
    CHECK(o.diags.empty());
  }
  SUBCASE("an element changed since: read as it now is, the instruction left out, with a warning") {
    std::string edited = w.xml;
    edited.replace(edited.find("Tom &amp; Jerry"), 3, "Tim");
    edited.replace(edited.find("<leader>00000cam"), 16, "<leader>00000nam");
    auto o = read(collection(edited));
    REQUIRE(o.records.size() == 1);
    CHECK(o.records[0].leader().str() == "00000nam a2200000 a 4500");
    CHECK(o.records[0][1].ind1() == ' ');
    CHECK(o.records[0][1].subfields()[0].value() == "Tim & Jerry <1> \"x\"");
    REQUIRE(o.diags.size() == 2);
    for (const auto& d : o.diags) {
      CHECK(d.code == errc::xml_not_marcxml);
      CHECK(d.level == severity::warning);
      CHECK(d.message.find("changed") != std::string::npos);
      CHECK(d.line >= 3);
    }
    CHECK_FALSE(read(collection(edited), error_policy::strict).failed);
  }
  SUBCASE("an instruction marcpp cannot read, or with no element after it: left out, a repair") {
    const std::string bad[] = {"<?marcpp data=\"%G1\"?>", "<?marcpp data=\"x\" control=\"y\"?>",
                               "<?marcpp size=\"1\"?>", "<?marcpp tag=\"245\"?>", "<?marcpp at=\"x\"?>",
                               "<?marcpp data=\"unclosed?>"};
    for (const auto& pi : bad) {
      CAPTURE(pi);
      std::string xml = w.xml;
      xml.insert(xml.find("</record>"), pi);
      auto o = read(collection(xml));
      REQUIRE(o.records.size() == 1);
      CHECK(o.records[0] == r);
      REQUIRE(o.diags.size() == 1);
      CHECK(o.diags[0].code == errc::xml_not_marcxml);
      CHECK(o.diags[0].level == severity::repair);
      CHECK(read(collection(xml), error_policy::strict).failed);
    }
    // In a document without namespaces too.
    std::string bare = w.xml;
    const std::size_t pi = bare.find("  <?marcpp leader");
    bare.erase(pi, bare.find("?>\n", pi) + 3 - pi);
    bare.insert(bare.find("<record>") + 8, "<?marcpp leader=\"00000cam a2200000 a 45 0\"?>");
    auto plain = read("<collection>" + bare + "</collection>", error_policy::strict);
    REQUIRE(plain.records.size() == 1);
    CHECK(plain.records[0] == r);
    // A tag that is not three bytes cannot be read.
    std::string short_tag = w.xml;
    short_tag.insert(short_tag.find("</record>"), "<?marcpp tag=\"30\" data=\"  %1Fax\"?>");
    auto st = read(collection(short_tag));
    REQUIRE(st.records.size() == 1);
    CHECK(st.records[0] == r);
    REQUIRE(st.diags.size() == 1);
    CHECK(st.diags[0].code == errc::xml_not_marcxml);
    // Not marcpp's: not read at all.
    std::string other = w.xml;
    other.insert(other.find("</record>"), "<?other data=\"x\"?>");
    CHECK(read(collection(other), error_policy::strict).records.at(0) == r);
  }
}

TEST_CASE("MARCXML reader: the tag of a field in an instruction is read as a tag attribute is") {
  const std::string body = "<leader>00000cam a2200000 a 4500</leader><controlfield tag=\"001\">1</controlfield>";
  auto one = [&](const std::string& pi) {
    auto o = read(collection("<record>" + body + pi + "</record>"), error_policy::strict);
    REQUIRE(o.records.size() == 1);
    REQUIRE(o.records[0].size() == 2);
    return o;
  };
  SUBCASE("a legal tag: kept, nothing to report") {
    auto o = one("<?marcpp tag=\"abc\" data=\"  %1Fax\"?>");
    CHECK(o.diags.empty());
    CHECK(o.records[0][1] == field("abc", "  ", {{'a', "x"}}));
  }
  SUBCASE("no MARC 21 tag: kept, a warning (E306) with its bytes") {
    auto o = one("<?marcpp tag=\"3%220\" control=\"y\"?>");
    CHECK(o.records[0][1] == field::control("3\"0", "y"));
    REQUIRE(o.diags.size() == 1);
    CHECK(o.diags[0].code == errc::invalid_tag);
    CHECK(o.diags[0].level == severity::warning);
    CHECK(o.diags[0].field_index == 1);
    CHECK(o.diags[0].original == "3\"0");
  }
}

TEST_CASE("MARCXML reader: a malformed record in a collection") {
  const std::string good1 = "<record>" "<leader>00000cam a2200000 a 4500</leader><controlfield tag=\"001\">one</controlfield></record>";
  const std::string bad =
      "<record><leader>00000cam a2200000 a 4500</leader><datafield tag=\"245\" ind1=\"1\" ind2=\"0\">"
      "<subfield code=\"a\">x</datafield></record>";
  const std::string good3 = "<record><leader>00000cam a2200000 a 4500</leader><controlfield tag=\"001\">three</controlfield></record>";
  const std::string doc = "<collection xmlns=\"" + ns + "\">\n" + good1 + "\n" + bad + "\n" + good3 + "\n</collection>\n";
  // expat places a mismatched end tag's error at its name, after "</".
  const std::size_t bad_at = doc.find(bad), err_at = doc.find("</datafield>", bad_at) + 2;
  for (std::size_t chunk : {std::size_t{0}, std::size_t{64}, std::size_t{100}}) {
    CAPTURE(chunk);
    SUBCASE("lenient and skip: reported with index, line and column; reading goes on") {
      for (auto p : {error_policy::lenient, error_policy::skip}) {
        auto o = read(doc, p, chunk);
        CHECK_FALSE(o.failed);
        REQUIRE(o.records.size() == 2);
        CHECK(o.records[0].control_number() == "one");
        CHECK(o.records[1].control_number() == "three");
        CHECK(o.records[1].index() == 2);
        CHECK(o.stats.skipped == 1);
        REQUIRE(o.diags.size() == 1);
        const auto& d = o.diags[0];
        CHECK(d.code == errc::xml_not_well_formed);
        CHECK(d.level == severity::error);
        CHECK(d.record_index == 1);
        CHECK(d.record_offset == bad_at);
        CHECK(d.offset == err_at);
        CHECK(d.line == 3);
        CHECK(d.column == err_at - bad_at + 1);
        CHECK(d.message.find("mismatched tag") != std::string::npos);
        // The raw bytes: the broken record, up to the next record.
        CHECK(o.diag_raws[0] == bad + "\n");
        CHECK(o.raws[1] == good3);
      }
    }
    SUBCASE("strict stops at it") {
      auto o = read(doc, error_policy::strict, chunk);
      CHECK(o.failed);
      CHECK(o.records.size() == 1);
      CHECK(o.error.code == errc::xml_not_well_formed);
      CHECK(o.error.record_index == 1);
      CHECK(o.error.line == 3);
    }
  }
  SUBCASE("with a prefix declared on the collection, the next record still resolves") {
    std::string pdoc = "<m:collection xmlns:m=\"" + ns + "\"><m:record><m:leader>00000cam a2200000 a 4500</m:leader>"
                       "<m:datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><m:subfield code=\"a\">x</m:datafield></m:record>"
                       "<m:record><m:leader>00000cam a2200000 a 4500</m:leader><m:controlfield tag=\"001\">two"
                       "</m:controlfield></m:record></m:collection>";
    auto o = read(pdoc);
    REQUIRE(o.records.size() == 1);
    CHECK(o.records[0].control_number() == "two");
    CHECK(o.diags.size() == 1);
  }
  SUBCASE("a record with a repair before it breaks: both faults have their lines") {
    auto o = read("<collection>\n<record>\n<datafield tag=\"245\" ind2=\" \">\n<subfield code=\"a\">x</datafield>\n"
                  "</record>\n</collection>\n");
    CHECK(o.records.empty());
    REQUIRE(o.diags.size() == 2);
    CHECK(o.diags[0].code == errc::xml_not_marcxml);
    CHECK(o.diags[0].line == 3);
    CHECK(o.diags[0].column == 1);
    CHECK(o.diags[1].code == errc::xml_not_well_formed);
    CHECK(o.diags[1].line == 4);
    CHECK(o.diags[1].column == 23);  // the name in "</datafield>", which starts at column 21
    for (std::size_t chunk : {std::size_t{64}, std::size_t{70}})
      CHECK(test::text_summary(read("<collection>\n<record>\n<datafield tag=\"245\" ind2=\" \">\n<subfield code=\"a\">x"
                                    "</datafield>\n</record>\n</collection>\n", error_policy::lenient, chunk)) ==
            test::text_summary(o));
  }
  SUBCASE("several broken records in a row") {
    auto o = read("<collection>" + bad + bad + good1 + bad + "</collection>");
    CHECK(o.records.size() == 1);
    CHECK(o.stats.skipped == 3);
    CHECK(o.count(errc::xml_not_well_formed) == 3);
  }
  SUBCASE("the error limit") {
    marcpp::read_options opts;
    opts.max_errors = 1;
    auto o = test::read_text<marcpp::marcxml_reader>("<collection>" + bad + bad + good1 + "</collection>", opts);
    CHECK(o.failed);
    CHECK(o.error.code == errc::too_many_errors);
    CHECK(o.records.empty());
  }
  SUBCASE("the iterator throws when strict reading stops") {
    marcpp::marcxml_reader r{marcpp::memory_source{doc}, test::with(error_policy::strict)};
    std::size_t n = 0;
    CHECK_THROWS_AS(
        for (const record& rec : r) {
          (void)rec;
          ++n;
        },
        marcpp::error);
    CHECK(n == 1);
  }
}

TEST_CASE("MARCXML reader: faults outside records, empty and unreadable records") {
  SUBCASE("junk after the document") {
    auto o = read(collection("<record><leader>00000cam a2200000 a 4500</leader></record>") + "<junk");
    CHECK(o.records.size() == 1);
    REQUIRE(o.count(errc::xml_not_well_formed) == 1);
    CHECK(o.find(errc::xml_not_well_formed)->record_index == marcpp::npos);
    CHECK(read(collection("<record><leader>00000cam a2200000 a 4500</leader></record>") + "<junk", error_policy::strict).failed);
  }
  SUBCASE("MARCXML elements outside any record") {
    auto o = read("<collection xmlns=\"" + ns + "\"><datafield tag=\"952\" ind1=\" \" ind2=\" \"><subfield code=\"a\">x"
                  "</subfield></datafield></collection>");
    CHECK(o.records.empty());
    REQUIRE(o.diags.size() == 1);
    CHECK(o.diags[0].code == errc::xml_not_marcxml);
  }
  SUBCASE("an empty record") {
    auto o = read("<record xmlns=\"" + ns + "\" />");
    CHECK(o.records.empty());
    CHECK(o.stats.skipped == 1);
    REQUIRE(o.diags.size() == 1);
    CHECK(o.diags[0].code == errc::xml_not_marcxml);
    CHECK(o.diags[0].record_index == 0);
  }
  SUBCASE("not XML at all") {
    auto o = read("00714cam a2200205 a 4500");
    CHECK(o.records.empty());
    REQUIRE(o.diags.size() == 1);
    CHECK(o.diags[0].code == errc::xml_not_well_formed);
    CHECK(o.diags[0].line == 1);
    CHECK(o.diags[0].column == 1);
  }
  SUBCASE("a record over the size limit") {
    marcpp::read_options opts;
    opts.max_record_size = 200;
    std::string big(400, 'x');
    auto o = test::read_text<marcpp::marcxml_reader>(
        collection("<record><leader>00000cam a2200000 a 4500</leader><controlfield tag=\"001\">" + big +
                   "</controlfield></record><record><leader>00000cam a2200000 a 4500</leader></record>"),
        opts, 64);
    CHECK(o.records.size() == 1);
    CHECK(o.count(errc::record_too_large) == 1);
  }
}

TEST_CASE("MARCXML reader: memory stays bounded by the record, not the input") {
  std::string records;
  record r = sample();
  for (int i = 0; i < 200; ++i) REQUIRE_FALSE(marcpp::write_marcxml(r, records));
  std::string doc;
  for (int i = 0; i < 50; ++i) doc += records;  // 10,000 records, about 3 MB
  doc = collection(doc);
  std::istringstream in(doc);
  marcpp::marcxml_reader rd{marcpp::stream_source{in}};
  record rec;
  std::size_t n = 0, most = 0;
  while (rd.next(rec)) {
    ++n;
    most = std::max(most, rd.source().capacity());
  }
  CHECK(n == 10000);
  CHECK(most < 300'000);
  CHECK(doc.size() > 2'000'000);
}

TEST_CASE("MARCXML reader: lines and columns are the same from memory, a stream and a file (found by fuzzing)") {
  // After a fault outside any record, the reader resumes at the next
  // <record>; a stream drops the bytes before it. A fault inside that record
  // on the line before a later one was then reported without its position.
  const auto path = test::data_dir() / "fuzz" / "marcxml" / "stream-loses-position.bin";
  const std::string xml = test::slurp(path);
  auto check = [](const test::outcome& o) {
    const marcpp::diagnostic* d = o.find(errc::xml_not_marcxml);
    REQUIRE(d);
    CHECK(d->offset == 53);
    CHECK(d->line == 1);
    CHECK(d->column == 54);
    for (const auto& e : o.diags) {
      CAPTURE(marcpp::to_string(e));
      CHECK(e.line >= 1);
    }
  };
  const test::outcome memory = read(xml);
  check(memory);
  for (std::size_t chunk : {std::size_t{7}, std::size_t{64}, std::size_t{1} << 16}) {
    CAPTURE(chunk);
    const test::outcome stream = read(xml, error_policy::lenient, chunk);
    check(stream);
    CHECK(test::text_summary(stream) == test::text_summary(memory));
  }
  test::outcome file;
  marcpp::marcxml_reader r{marcpp::file_source{path}};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    file.diags.push_back(d);
    file.diag_raws.emplace_back(raw);
  });
  marcpp::record rec;
  while (r.next(rec)) {
    file.records.push_back(rec);
    file.raws.emplace_back(r.raw());
  }
  file.failed = r.failed();
  file.error = r.error();
  check(file);
  CHECK(test::text_summary(file) == test::text_summary(memory));
}

TEST_CASE("text locator: going back to a line whose start a stream has dropped") {
  // Lines and columns of offsets reported out of order, from a window that
  // begins mid-line after the locator passed over the bytes before it.
  const std::string text = "ab\ncdefgh\nij\nkl";
  marcpp::detail::text_locator loc;
  loc.pass(5, text.data(), 0, text.size());  // the source drops "ab\ncd"
  const char* w = text.data() + 5;
  const std::size_t n = text.size() - 5;
  auto at = [&](std::uint64_t off) { return loc.locate(off, w, 5, n); };
  auto p = at(11);  // "j": line 3, column 2
  CHECK(p.line == 3);
  CHECK(p.column == 2);
  p = at(7);  // "g", on the line the window begins in the middle of
  CHECK(p.line == 2);
  CHECK(p.column == 5);
  p = at(10);  // "i"
  CHECK(p.line == 3);
  CHECK(p.column == 1);
  p = at(5);
  CHECK(p.line == 2);
  CHECK(p.column == 3);
  p = at(4);  // dropped
  CHECK(p.line == 0);
}
