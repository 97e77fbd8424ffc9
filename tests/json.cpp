#include <marcpp/json.hpp>  // first: proves it is self-contained

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

record sample() {
  record r{marcpp::leader("00000cam a2200000 a 4500")};
  r.add(field::control("001", "ocm123"));
  r.add(field("245", "10", {{'a', "Say \"hi\" \\ there"}, {'c', "\xC3\x9Cn\xC3\xAF"}}));
  return r;
}

const std::string sample_json =
    R"({"leader":"00000cam a2200000 a 4500","fields":[{"001":"ocm123"},{"245":{"ind1":"1","ind2":"0",)"
    R"("subfields":[{"a":"Say \"hi\" \\ there"},{"c":"Ünï"}]}}]})";

test::outcome read(const std::string& json, error_policy p = error_policy::lenient, std::size_t chunk = 0) {
  return test::read_text<marcpp::json_reader>(json, test::with(p), chunk);
}

}  // namespace

TEST_CASE("MARC-in-JSON writer") {
  SUBCASE("one object on one line") {
    std::string out;
    REQUIRE_FALSE(marcpp::write_json(sample(), out));
    CHECK(out == std::string(R"({"leader":"00000cam a2200000 a 4500","fields":[{"001":"ocm123"},{"245":{"ind1":"1",)"
                             R"("ind2":"0","subfields":[{"a":"Say \"hi\" \\ there"},{"c":")") +
                     "\xC3\x9Cn\xC3\xAF" + R"("}]}}]})");
    CHECK(marcpp::to_json(sample()) == out);
  }
  SUBCASE("every control character is escaped, so every line is valid JSON") {
    record r = sample();
    std::string all;
    for (int c = 0; c < 0x20; ++c) all += static_cast<char>(c);
    all += '\x7F';
    r[1].subfields()[0].set_value(all);
    r[1].set_indicators({'\n', '\x01'});
    std::string out;
    REQUIRE_FALSE(marcpp::write_json(r, out));
    CHECK(out.find(R"({"a":"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010)"
                   R"(\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f)"
                   "\x7F\"}") != std::string::npos);
    CHECK(out.find(R"("ind1":"\n","ind2":"\u0001")") != std::string::npos);
    CHECK(out.find('\n') == std::string::npos);
    auto back = read(out, error_policy::strict);
    REQUIRE(back.records.size() == 1);
    CHECK(back.records[0] == r);
  }
  SUBCASE("a delimiter without a code: an empty key, with a warning") {
    record r = sample();
    r[1].subfields().push_back(subfield::without_code());
    std::string out;
    std::vector<marcpp::diagnostic> warnings;
    REQUIRE_FALSE(marcpp::write_json(r, out, &warnings));
    CHECK(out.find(R"({"":""})") != std::string::npos);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].code == errc::schema_pattern);
    auto back = read(out);
    REQUIRE(back.records.size() == 1);
    CHECK(back.records[0] == r);
  }
  SUBCASE("what the format cannot hold is refused, naming the record") {
    auto refused = [](const record& r, errc code, marcpp::json_options o = {}) {
      std::string out = "kept";
      auto d = marcpp::write_json(r, out, o);
      CHECK(d.code == code);
      CHECK(d.control_number == "ocm123");
      CHECK(out == "kept");
    };
    record m8 = sample();
    m8.leader().set_coding_scheme(' ');
    std::string kept = "kept";
    auto off = marcpp::write_json(m8, kept, {.convert_marc8 = false});
    CHECK(off.code == errc::marc8_needs_conversion);
    CHECK(off.control_number == "ocm123");
    CHECK(kept == "kept");
    record bad = sample();
    bad[1].subfields()[0].set_value("\xFF");
    refused(bad, errc::value_not_representable, {.convert_marc8 = false});
    record tag = sample();
    tag[1].set_tag(marcpp::tag::invalid());
    refused(tag, errc::invalid_tag);
    // A tag kept by bytes that are not UTF-8: a key is text, and the bytes
    // are structure, which no conversion touches.
    record not_text = sample();
    REQUIRE(not_text[1].set_tag_chars("\xE9" "45"));
    refused(not_text, errc::value_not_representable);
    record layout = sample();
    layout[1].set_ind1('\xA0');
    layout[1].subfields().push_back(subfield::without_code("value"));
    refused(layout, errc::invalid_subfield_layout);
  }
  SUBCASE("bytes that are not UTF-8 are repaired, as to_utf8 repairs them") {
    record bad = sample();
    bad[1].subfields()[0].set_value("a\xFF");
    std::string out;
    std::vector<marcpp::diagnostic> warnings;
    REQUIRE_FALSE(marcpp::write_json(bad, out, &warnings));
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].code == errc::invalid_utf8);
    CHECK(warnings[0].level == severity::repair);
    CHECK(out.find("{\"a\":\"a\xEF\xBF\xBD\"}") != std::string::npos);
    auto back = read(out, error_policy::strict);
    REQUIRE(back.records.size() == 1);
    CHECK(back.records[0] == marcpp::to_utf8(bad));
  }
  SUBCASE("what the layout cannot hold as it is: a substitute, and the original in a marcpp_ member") {
    struct odd {
      const char* what;
      void (*edit)(record&);
      const char* written;
    };
    const odd cases[] = {
        {"an indicator byte that is no character", [](record& r) { r[1].set_ind2('\xA0'); },
         R"({"245":{"ind1":"1","ind2":" ","subfields":[{"a":"Say \"hi\" \\ there"},{"c":")" "\xC3\x9Cn\xC3\xAF"
         R"("}],"marcpp_data":"1%A0%1FaSay %22hi%22 \\ there%1Fc)" "\xC3\x9Cn\xC3\xAF" R"("}})"},
        {"data before the first delimiter",
         [](record& r) { r[1].subfields().insert(r[1].subfields().begin(), subfield::unlabelled("x>")); },
         R"("subfields":[{"a":"Say \"hi\" \\ there"},{"c":")" "\xC3\x9Cn\xC3\xAF" R"("}],"marcpp_data":"10x%3E%1Fa)"},
        {"a code byte that is no character", [](record& r) { r[1].subfields()[0].set_code('\xE9'); },
         R"("subfields":[{"c":")" "\xC3\x9Cn\xC3\xAF" R"("}],"marcpp_data":"10%1F%E9Say)"},
        {"a code byte that begins the character its value completes",
         [](record& r) { r[1].subfields()[0] = subfield('\xC3', "\x9C" "ber"); },
         R"("subfields":[{"c":")" "\xC3\x9Cn\xC3\xAF" R"("}],"marcpp_data":"10%1F)" "\xC3\x9C" "ber%1Fc"},
        {"a tag kept by its bytes, and an indicator byte that is no character",
         [](record& r) {
           r[1].set_tag("abc");
           r[1].set_ind2('\xA0');
         },
         R"({"abc":{"ind1":"1","ind2":" ","subfields":)"},
        {"a leader byte that is no character", [](record& r) { r.leader().set(22, '\x92'); },
         R"({"leader":"00000cam a2200000 a 45 0","marcpp_leader":"00000cam a2200000 a 45%920","fields":)"},
    };
    // A MARC-8 record, decoded as it is written: the substitute holds the
    // decoded text too (0xB9, the pound sign, is U+00A3).
    record m8{marcpp::leader("00000cam  2200000 a 4500")};
    m8.add(field::control("001", "ocm123"));
    m8.add(field("245", "10", {{'a', "10 \xB9"}}));
    m8[1].set_ind1('\xB2');
    std::string m8_out;
    REQUIRE_FALSE(marcpp::write_json(m8, m8_out));
    CHECK(m8_out.find(R"("subfields":[{"a":"10 )" "\xC2\xA3" R"("}],"marcpp_data":"%B20%1Fa10 )" "\xC2\xA3" R"("})") != std::string::npos);
    auto m8_back = read(m8_out, error_policy::strict);
    REQUIRE(m8_back.records.size() == 1);
    CHECK(m8_back.diags.empty());
    CHECK(m8_back.records[0] == marcpp::to_utf8(m8));
    for (const auto& c : cases) {
      CAPTURE(std::string(c.what));
      record r = sample();
      c.edit(r);
      std::string out;
      std::vector<marcpp::diagnostic> warnings;
      REQUIRE_FALSE(marcpp::write_json(r, out, &warnings));
      CHECK_MESSAGE(out.find(c.written) != std::string::npos, out);
      REQUIRE(warnings.size() == 1);
      CHECK(warnings[0].code == errc::value_not_representable);
      CHECK(warnings[0].level == severity::warning);
      CHECK(warnings[0].control_number == "ocm123");
      auto back = read(out, error_policy::strict);
      REQUIRE(back.records.size() == 1);
      CHECK(back.diags.empty());
      CHECK(back.records[0] == r);
    }
  }
  SUBCASE("JSON Lines and a JSON array") {
    std::ostringstream lines, array, empty;
    {
      marcpp::json_writer w{lines};
      CHECK_FALSE(w.write(sample()));
      record bad = sample();
      bad[1].set_tag(marcpp::tag::invalid());
      CHECK(w.write(bad));
      CHECK_FALSE(w.write(sample()));
      CHECK(w.count() == 2);
    }
    {
      marcpp::json_writer w{array, marcpp::json_layout::array};
      CHECK_FALSE(w.write(sample()));
      CHECK_FALSE(w.write(sample()));
    }
    { marcpp::json_writer w{empty, marcpp::json_layout::array}; }
    const std::string one = marcpp::to_json(sample());
    CHECK(lines.str() == one + "\n" + one + "\n");
    CHECK(array.str() == "[\n" + one + ",\n" + one + "\n]\n");
    CHECK(empty.str() == "[\n]\n");
    CHECK(read(array.str(), error_policy::strict).records.size() == 2);
  }
}

namespace {
// JSON string escaping, one byte at a time; false for bytes that are not UTF-8.
bool reference_json_text(std::string_view v, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x80) {
      const std::size_t len = marcpp::detail::utf8_sequence(reinterpret_cast<const unsigned char*>(v.data() + i),
                                                            v.size() - i);
      if (len == 0) return false;
      out.append(v.substr(i, len));
      i += len - 1;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      switch (c) {
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: out += std::string("\\u00") + hex[c >> 4] + hex[c & 15];
      }
    } else {
      out += static_cast<char>(c);
    }
  }
  return true;
}
}  // namespace

TEST_CASE("MARC-in-JSON writer: every special byte at every place in values of 0-70 bytes") {
  const std::string_view specials[] = {"\"", "\\", "\r", "\t", "\x01", "\x1F", "\x7F", "<", "&",
                                       "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xFF", "\xC3"};
  std::size_t cases = 0;
  for (std::size_t len = 1; len <= 70; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      for (std::string_view sp : specials) {
        std::string value(len, 'x');
        for (std::size_t k = 0; k < len; ++k) value[k] = static_cast<char>('a' + k % 26);
        value.replace(at, 1, sp);
        record r{marcpp::leader("00000cam a2200000 a 4500")};
        r.add(field("245", "10", {{'a', value}}));
        // What is written is the record to_utf8 makes (bytes that are not
        // UTF-8 repaired).
        const record u = marcpp::to_utf8(r);
        std::string expect;
        REQUIRE(reference_json_text(u[0].subfields()[0].value(), expect));
        std::string out;
        auto d = marcpp::write_json(r, out);
        CAPTURE(len);
        CAPTURE(at);
        CAPTURE(marcpp::detail::printable(sp));
        ++cases;
        REQUIRE_FALSE(d);
        CHECK(out.find("{\"a\":\"" + expect + "\"}") != std::string::npos);
        auto back = read(out, error_policy::strict);
        REQUIRE(back.records.size() == 1);
        CHECK(back.records[0] == u);
      }
    }
  }
  CHECK(cases > 30000);
}

TEST_CASE("MARC-in-JSON writer: the text is written as to_utf8 reads it, whatever leader/09 says") {
  for (const char flag : {'^', 'a', ' ', '0'}) {
    CAPTURE(flag);
    record r = sample();
    r.leader().set_coding_scheme(flag);
    r[1].subfields()[1].set_value("A\x1Bp4\x1B(B");
    std::string out;
    std::vector<marcpp::diagnostic> warnings;
    REQUIRE_FALSE(marcpp::write_json(r, out, &warnings));
    CHECK(out.find("{\"c\":\"A\u2074\"}") != std::string::npos);
    CHECK(out.find(R"({"leader":"00000cam a2200000 a 4500")") == 0);
    CHECK(warnings.size() == (flag == ' ' ? 0u : 1u));
    auto back = read(out, error_policy::strict);
    REQUIRE(back.records.size() == 1);
    CHECK(back.records[0] == marcpp::to_utf8(r));
  }
}

TEST_CASE("MARC-in-JSON writer: a MARC-8 record is converted to UTF-8 on the way") {
  record m8{marcpp::leader("00000cam  2200000 a 4500")};
  m8.add(field::control("001", "ocm123"));
  m8.add(field("245", "10", {{'a', "Caf\xE2" "e \x1B(NzIMA\x1B(B"}, {'c', "H\x1B" "b2\x1BsO"}}));
  const std::string bytes = marcpp::to_iso2709(m8);
  SUBCASE("read back, it is the record to_utf8 makes, leader/09 a; back in MARC-8, the original bytes") {
    std::string out;
    std::vector<marcpp::diagnostic> warnings;
    REQUIRE_FALSE(marcpp::write_json(m8, out, &warnings));
    CHECK(warnings.empty());
    CHECK(out.rfind(R"({"leader":"00000cam a2200000 a 4500")", 0) == 0);
    auto back = read(out, error_policy::strict);
    REQUIRE(back.records.size() == 1);
    CHECK(back.records[0] == marcpp::to_utf8(m8));
    CHECK(marcpp::to_iso2709(back.records[0], {.to_encoding = marcpp::encoding::marc8}) == bytes);
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    REQUIRE(r.next(v));
    auto from_view = read(marcpp::to_json(v), error_policy::strict);
    REQUIRE(from_view.records.size() == 1);
    CHECK(from_view.records[0] == marcpp::to_utf8(v));
  }
  SUBCASE("decoded as it is written, the record gives the bytes of its to_utf8 form") {
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    REQUIRE(r.next(v));
    CHECK(marcpp::to_json(v) == marcpp::to_json(marcpp::to_utf8(v)));
    CHECK(marcpp::to_json(m8) == marcpp::to_json(marcpp::to_utf8(m8)));
    CHECK(marcpp::to_json(m8).find("\"Cafe\xCC\x81 \xD0\x97\xD0\xB8\xD0\xBC\xD0\xB0\"") != std::string::npos);
  }
  SUBCASE("conversion repairs are warnings of the writer; strict refuses the record") {
    record bad = m8;
    bad[1].subfields()[0].set_value("ab\xFF" "c");
    std::string out;
    std::vector<marcpp::diagnostic> warnings;
    REQUIRE_FALSE(marcpp::write_json(bad, out, &warnings));
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].code == errc::unmapped_marc8);
    CHECK(warnings[0].level == severity::repair);
    CHECK(out.find("ab\xEF\xBF\xBD" "c") != std::string::npos);
    std::string kept = "kept";
    warnings.clear();
    auto d = marcpp::write_json(bad, kept, {.charset = {.policy = error_policy::strict}}, &warnings);
    CHECK(d.code == errc::unmapped_marc8);
    CHECK(d.level == severity::error);
    CHECK(kept == "kept");
    CHECK(warnings.empty());
  }
  SUBCASE("the stream writer takes the options") {
    std::ostringstream on, off;
    {
      marcpp::json_writer w{on};
      CHECK_FALSE(w.write(m8));
    }
    {
      marcpp::json_writer w{off, marcpp::json_layout::lines, {.convert_marc8 = false}};
      CHECK(w.write(m8).code == errc::marc8_needs_conversion);
      CHECK(w.count() == 0);
    }
    CHECK(on.str() == marcpp::to_json(m8) + "\n");
    CHECK(off.str().empty());
  }
}

TEST_CASE("MARC-in-JSON reader: layouts") {
  const std::string one = sample_json;
  auto check = [](const test::outcome& o, std::size_t n) {
    CHECK_FALSE(o.failed);
    CHECK(o.diags.empty());
    REQUIRE(o.records.size() == n);
    for (const auto& r : o.records) CHECK(r == sample());
  };
  SUBCASE("JSON Lines, LF or CRLF") {
    check(read(one + "\n" + one + "\n" + one), 3);
    check(read(one + "\r\n" + one + "\r\n"), 2);
  }
  SUBCASE("a JSON array, compact or spread over lines") {
    check(read("[" + one + "," + one + "]"), 2);
    check(read("[\n  " + one + ",\n  " + one + "\n]\n"), 2);
  }
  SUBCASE("objects one after another, pretty-printed (as yaz-marcdump writes them)") {
    check(read("{\n  \"leader\": \"00000cam a2200000 a 4500\",\n  \"fields\": [\n    {\n      \"001\": \"ocm123\"\n    },\n"
               "    {\n      \"245\": {\n        \"subfields\": [\n          {\n            \"a\": \"Say \\\"hi\\\" \\\\ "
               "there\"\n          },\n          {\n            \"c\": \"\\u00dcn\\u00ef\"\n          }\n        ],\n"
               "        \"ind1\": \"1\",\n        \"ind2\": \"0\"\n      }\n    }\n  ]\n}\n" +
               one),
          2);
  }
  SUBCASE("a byte order mark, and braces inside strings") {
    check(read("\xEF\xBB\xBF" + one), 1);
    auto o = read(R"({"leader":"00000cam a2200000 a 4500","fields":[{"500":{"ind1":" ","ind2":" ","subfields":)"
                  R"([{"a":"{not} \"a} brace"}]}}]})");
    REQUIRE(o.records.size() == 1);
    CHECK(o.records[0].value("500", 'a') == "{not} \"a} brace");
  }
  SUBCASE("a stream read in small pieces gives the same") {
    const std::string doc = "[\n" + one + ",\n" + one + "\n]\n" + one + "\n";
    CHECK(test::text_summary(read(doc, error_policy::lenient, 64)) == test::text_summary(read(doc)));
  }
}

TEST_CASE("MARC-in-JSON reader: marcpp_ members put the original back, unless the record was changed") {
  record r = sample();
  r[1].set_ind1('\xB2');
  r.leader().set(22, '\x01');
  r.leader().set(23, '\xE0');
  std::string out;
  REQUIRE_FALSE(marcpp::write_json(r, out));
  REQUIRE(out.find(R"("marcpp_leader":"00000cam a2200000 a 45%01%E0")") != std::string::npos);
  REQUIRE(out.find(R"("marcpp_data":"%B20%1Fa)") != std::string::npos);
  auto o = read(out, error_policy::strict);
  REQUIRE(o.records.size() == 1);
  CHECK(o.records[0] == r);
  CHECK(o.diags.empty());
  SUBCASE("changed since: read as it now is, with a warning") {
    std::string edited = out;
    edited.replace(edited.find(R"("ind1":" ")"), 10, R"("ind1":"0")");
    edited.replace(edited.find("00000cam"), 8, "00000nam");
    auto e = read(edited);
    REQUIRE(e.records.size() == 1);
    CHECK(e.records[0][1].ind1() == '0');
    CHECK(e.records[0].leader().str().substr(0, 8) == "00000nam");
    REQUIRE(e.diags.size() == 2);
    for (const auto& d : e.diags) {
      CHECK(d.code == errc::json_not_marc);
      CHECK(d.level == severity::warning);
      CHECK(d.message.find("changed") != std::string::npos);
    }
  }
}

TEST_CASE("MARC-in-JSON reader: faults") {
  const std::string one = sample_json;
  SUBCASE("a line that is not JSON, in JSON Lines: reported with line and column, the others read") {
    const std::string doc = one + "\n{\"leader\": \"x\", ]\n" + one + "\n";
    auto o = read(doc);
    CHECK(o.records.size() == 2);
    CHECK(o.stats.skipped == 1);
    REQUIRE(o.diags.size() == 1);
    CHECK(o.diags[0].code == errc::json_syntax);
    CHECK(o.diags[0].record_index == 1);
    CHECK(o.diags[0].line == 2);
    CHECK(o.diags[0].column == 18);  // the end of the line that leaves the record open
    CHECK(o.diags[0].message.find("not closed") != std::string::npos);
    CHECK(o.diag_raws[0] == "{\"leader\": \"x\", ]\n");
    auto strict = read(doc, error_policy::strict);
    CHECK(strict.failed);
    CHECK(strict.records.size() == 1);
    CHECK(strict.error.code == errc::json_syntax);
  }
  SUBCASE("a string broken across lines inside a pretty array: the next record at the same indentation") {
    const std::string doc = "[\n{\n  \"leader\": \"00000cam a2200000 a 4500\",\n  \"fields\": [{\"500\": {\"ind1\": \" \", "
                            "\"ind2\": \" \", \"subfields\": [{\"a\": \"broken\nline\"}]}}]\n},\n" + one + "\n]\n";
    auto o = read(doc);
    REQUIRE(o.records.size() == 1);
    CHECK(o.records[0] == sample());
    CHECK(o.count(errc::json_syntax) == 1);
    CHECK(o.find(errc::json_syntax)->line == 4);
  }
  SUBCASE("valid JSON that is not MARC-in-JSON") {
    struct structure_case {
      const char* what;
      std::string json;
      errc code;
      severity level;
    };
    const structure_case cases[] = {
        {"no leader", R"({"fields":[{"001":"x"}]})", errc::json_not_marc, severity::repair},
        {"neither leader nor fields", R"({"record":[["LDR"]]})", errc::json_not_marc, severity::error},
        {"a short leader", R"({"leader":"00000cam","fields":[]})", errc::bad_leader_length, severity::repair},
        {"leader/09 blank", R"({"leader":"00000cam  2200000 a 4500","fields":[]})", errc::coding_scheme_set,
         severity::warning},
        {"an unknown member", R"({"leader":"00000cam a2200000 a 4500","fields":[],"id":7})", errc::json_not_marc,
         severity::repair},
        {"a field that is not an object", R"({"leader":"00000cam a2200000 a 4500","fields":["245"]})",
         errc::json_not_marc, severity::repair},
        {"a control field holding a number", R"({"leader":"00000cam a2200000 a 4500","fields":[{"001":12}]})",
         errc::json_not_marc, severity::repair},
        {"no ind2",
         R"({"leader":"00000cam a2200000 a 4500","fields":[{"245":{"ind1":"1","subfields":[{"a":"x"}]}}]})",
         errc::json_not_marc, severity::repair},
        {"an indicator of two characters",
         R"({"leader":"00000cam a2200000 a 4500","fields":[{"245":{"ind1":"10","ind2":" ","subfields":[{"a":"x"}]}}]})",
         errc::json_not_marc, severity::repair},
        {"a subfield that is not an object",
         R"({"leader":"00000cam a2200000 a 4500","fields":[{"245":{"ind1":" ","ind2":" ","subfields":["x"]}}]})",
         errc::json_not_marc, severity::repair},
        {"a code of two characters",
         R"({"leader":"00000cam a2200000 a 4500","fields":[{"245":{"ind1":" ","ind2":" ","subfields":[{"ab":"x"}]}}]})",
         errc::json_not_marc, severity::repair},
        {"a field object with two fields",
         R"({"leader":"00000cam a2200000 a 4500","fields":[{"001":"a","003":"b"}]})", errc::json_not_marc,
         severity::warning},
        {"a tag of two characters", R"({"leader":"00000cam a2200000 a 4500","fields":[{"24":"x"}]})",
         errc::invalid_tag, severity::repair},
        {"a tag that is no MARC 21 tag", R"({"leader":"00000cam a2200000 a 4500","fields":[{"3-0":"x"}]})",
         errc::invalid_tag, severity::warning},
        {"a record that is an array", R"([[1,2]])", errc::json_not_marc, severity::error},
    };
    for (const auto& c : cases) {
      CAPTURE(c.what);
      auto o = read(c.json);
      REQUIRE(!o.diags.empty());
      CHECK(o.diags[0].code == c.code);
      CHECK(o.diags[0].level == c.level);
      CHECK(o.diags[0].line == 1);
      CHECK(o.records.size() == (c.level == severity::error ? 0u : 1u));
      CHECK(read(c.json, error_policy::strict).failed == (c.level != severity::warning));
    }
  }
  SUBCASE("what lies between records") {
    auto garbage = read(one + "\nnot json\n" + one);
    CHECK(garbage.records.size() == 2);
    REQUIRE(garbage.diags.size() == 1);
    CHECK(garbage.diags[0].code == errc::json_not_marc);
    CHECK(garbage.diags[0].line == 2);
    CHECK(garbage.diag_raws[0] == "not json");
    auto missing = read("[" + one + one + "]");
    CHECK(missing.records.size() == 2);
    CHECK(missing.count(errc::json_syntax) == 1);
    auto trailing = read("[" + one + ",]");
    CHECK(trailing.records.size() == 1);
    CHECK(trailing.count(errc::json_syntax) == 1);
    CHECK(read("[" + one + ",]", error_policy::strict).failed);
    auto unclosed = read("[" + one);
    CHECK(unclosed.records.size() == 1);
    CHECK(unclosed.count(errc::json_syntax) == 1);
    auto cut = read(one + "\n" + one.substr(0, 40));
    CHECK(cut.records.size() == 1);
    CHECK(cut.stats.skipped == 1);
    CHECK(cut.find(errc::json_syntax)->message.find("cut short") != std::string::npos);
  }
  SUBCASE("a record over the size limit, and the error limit") {
    marcpp::read_options opts;
    opts.max_record_size = 100;
    auto o = test::read_text<marcpp::json_reader>(one + "\n" + R"({"leader":"00000cam a2200000 a 4500","fields":[]})", opts);
    CHECK(o.records.size() == 1);
    CHECK(o.count(errc::record_too_large) == 1);
    marcpp::read_options limit;
    limit.max_errors = 0;
    auto l = test::read_text<marcpp::json_reader>("x\n" + one, limit);
    CHECK(l.failed);
    CHECK(l.error.code == errc::too_many_errors);
  }
}

TEST_CASE("MARC-in-JSON reader: memory stays bounded by the record") {
  std::string doc;
  const std::string one = marcpp::to_json(sample());
  for (int i = 0; i < 20000; ++i) doc += one + "\n";
  std::istringstream in(doc);
  marcpp::json_reader rd{marcpp::stream_source{in}};
  record rec;
  std::size_t n = 0, most = 0;
  while (rd.next(rec)) {
    ++n;
    most = std::max(most, rd.source().capacity());
  }
  CHECK(n == 20000);
  CHECK(most < 300'000);
  CHECK(doc.size() > 2'000'000);
}
