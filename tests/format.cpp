#include <marcpp/format.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <unistd.h>

using marcpp::errc;
using marcpp::format;

namespace {

marcpp::record sample() {
  marcpp::record r{marcpp::leader("00000cam a2200000 a 4500")};
  r.add(marcpp::field::control("001", "ocm123"));
  r.add(marcpp::field("245", "10", {{'a', "Title"}}));
  return r;
}

struct temp_file {
  std::filesystem::path path;
  explicit temp_file(const std::string& name, std::string_view bytes)
      : path(std::filesystem::temp_directory_path() / ("marcpp-format-" + std::to_string(::getpid()) + "-" + name)) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  ~temp_file() { std::filesystem::remove(path); }
};

// The records of `path`, read with detection.
std::vector<marcpp::record> read_any(const std::string& path, format fmt = format::unknown) {
  return marcpp::with_format_reader(path, fmt, test::with(marcpp::error_policy::strict), [](auto& r) {
    std::vector<marcpp::record> out;
    marcpp::record rec;
    while (r.next(rec)) out.push_back(rec);
    REQUIRE_FALSE(r.failed());
    return out;
  });
}

}  // namespace

TEST_CASE("format names") {
  for (auto f : {format::iso2709, format::marcxml, format::json, format::jsonl, format::mrk, format::text})
    CHECK(marcpp::parse_format(marcpp::to_string(f)) == f);
  CHECK(marcpp::parse_format("xml") == format::marcxml);
  CHECK(marcpp::parse_format("marc") == format::iso2709);
  CHECK_FALSE(marcpp::parse_format("csv"));
  CHECK(marcpp::to_string(format::unknown) == "unknown");
}

TEST_CASE("format detection from the first bytes") {
  CHECK(marcpp::detect_format("00714cam a2200205 a 4500") == format::iso2709);
  CHECK(marcpp::detect_format(std::string_view("\n\n\0" "00714cam", 11)) == format::iso2709);
  CHECK(marcpp::detect_format("<?xml version=\"1.0\"?><collection>") == format::marcxml);
  CHECK(marcpp::detect_format("\xEF\xBB\xBF  <record>") == format::marcxml);
  CHECK(marcpp::detect_format("[{\"leader\":") == format::json);
  CHECK(marcpp::detect_format("{\"leader\":") == format::jsonl);
  CHECK(marcpp::detect_format("=LDR  00714cam") == format::mrk);
  CHECK(marcpp::detect_format("=001  x") == format::mrk);
  CHECK(marcpp::detect_format("# a MarcEdit comment\n=LDR") == format::mrk);
  CHECK(marcpp::detect_format("") == format::unknown);
  CHECK(marcpp::detect_format("Hello") == format::unknown);
  CHECK(marcpp::detect_format("=xyz") == format::unknown);
  CHECK(marcpp::detect_compression("\x1F\x8B\x08") == marcpp::compression::gzip);
  CHECK(marcpp::detect_compression("\x28\xB5\x2F\xFD") == marcpp::compression::zstd);
  CHECK(marcpp::detect_compression("00714") == marcpp::compression::none);
}

TEST_CASE("with_format_reader: every format, detected or named") {
  const marcpp::record r = sample();
  std::string xml, json, mrk;
  {
    std::ostringstream os;
    { marcpp::marcxml_writer w{os}; REQUIRE_FALSE(w.write(r)); }
    xml = os.str();
  }
  json = "[" + marcpp::to_json(r) + "]";
  mrk = marcpp::to_mrk(r);
  temp_file fiso("a.mrc", marcpp::to_iso2709(r)), fxml("a.xml", xml), fjson("a.json", json), fmrk("a.mrk", mrk),
      fjsonl("a.jsonl", marcpp::to_json(r) + "\n" + marcpp::to_json(r) + "\n");
  for (const auto* f : {&fiso, &fxml, &fjson, &fmrk}) {
    CAPTURE(f->path.string());
    auto got = read_any(f->path.string());
    REQUIRE(got.size() == 1);
    CHECK(got[0] == r);
  }
  CHECK(read_any(fjsonl.path.string()).size() == 2);
  CHECK(read_any(fxml.path.string(), format::marcxml).size() == 1);
  SUBCASE("the reader type tells the format") {
    marcpp::with_format_reader(fmrk.path.string(), format::unknown, {}, [](auto& rd) {
      CHECK(marcpp::reader_format<std::remove_cvref_t<decltype(rd)>> == format::mrk);
      return 0;
    });
    marcpp::with_format_reader(fiso.path.string(), format::unknown, {}, [](auto& rd) {
      CHECK(marcpp::reader_format<std::remove_cvref_t<decltype(rd)>> == format::iso2709);
      return 0;
    });
  }
  SUBCASE("what cannot be read is an error with a kind") {
    temp_file unknown("a.txt", "Hello, world\n"), gz("a.gz", "\x1F\x8B\x08\x00rest"), empty("empty", ""),
        bz("a.bz2", "BZh91AY&SY"), xz("a.xz", std::string("\xFD" "7zXZ\0\0", 8));
    auto kind = [](const std::string& path, format f = format::unknown) {
      try {
        (void)read_any(path, f);
      } catch (const marcpp::error& e) {
        return e.code();
      }
      return errc::ok;
    };
    CHECK(kind(unknown.path.string()) == errc::unknown_format);
    CHECK(kind(gz.path.string()) == errc::io_error);  // gzip magic, then corrupt data
    CHECK(kind(bz.path.string()) == errc::unknown_format);
    CHECK(kind(xz.path.string()) == errc::unknown_format);
    CHECK(kind(empty.path.string()) == errc::unknown_format);
    CHECK(kind(fiso.path.string(), format::text) == errc::unknown_format);
    CHECK(kind("/no/such/file.mrc") == errc::io_error);
  }
}

TEST_CASE("record_writer: text serialised elsewhere, written in order, is what write writes") {
  marcpp::record m8{marcpp::leader("00000cam  2200000 a 4500")};
  m8.add(marcpp::field::control("001", "m8"));
  m8.add(marcpp::field("245", "10", {{'a', "Caf\xE2" "e \xFF"}}));
  marcpp::record bad = sample();
  bad[1].set_tag(marcpp::tag::invalid());
  const marcpp::record records[] = {sample(), m8, bad, sample()};
  for (auto f : {format::iso2709, format::marcxml, format::json, format::jsonl, format::mrk, format::text}) {
    CAPTURE(marcpp::to_string(f));
    marcpp::writer_options wo;
    wo.marcxml.indent = false;
    std::ostringstream direct, serialised;
    std::vector<marcpp::diagnostic> direct_warnings, serialised_warnings;
    std::size_t refused_direct = 0, refused_serialised = 0;
    {
      marcpp::record_writer w{direct, f, wo};
      w.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { direct_warnings.push_back(d); });
      for (const auto& r : records) refused_direct += static_cast<bool>(w.write(r));
    }
    {
      marcpp::record_writer w{serialised, f, wo};
      CHECK(w.options().marcxml.indent == false);
      for (const auto& r : records) {
        std::string text = "x";
        auto d = marcpp::record_writer::serialize(f, r, text, wo, &serialised_warnings);
        CHECK(text.front() == 'x');
        if (d) {
          CHECK(text == "x");  // left as it was
          ++refused_serialised;
          continue;
        }
        w.write_serialized(std::string_view(text).substr(1));
      }
      CHECK(w.count() == std::size(records) - refused_serialised);
    }
    CHECK(serialised.str() == direct.str());
    CHECK(refused_serialised == refused_direct);
    if (f != format::json) {
      // The texts of consecutive records in one piece, through a small buffer
      // (so that the piece goes to the stream as it is).
      std::ostringstream joined;
      std::string all;
      std::uint64_t n = 0;
      for (const auto& r : records) n += !marcpp::record_writer::serialize(f, r, all, wo);
      {
        marcpp::record_writer w{joined, f, wo, 16};
        w.write_serialized(all, n);
        CHECK(w.count() == n);
      }
      CHECK(joined.str() == direct.str());
    }
    CHECK(serialised_warnings.size() == direct_warnings.size());
    CHECK(refused_direct == (f == format::text ? 0u : 1u));  // the invalid tag, but in the line format
    if (f == format::marcxml || f == format::json || f == format::jsonl) {
      // The MARC-8 record is converted, its unmapped byte repaired and reported.
      REQUIRE(direct_warnings.size() == 1);
      CHECK(direct_warnings[0].code == errc::unmapped_marc8);
    } else {
      CHECK(direct_warnings.empty());
    }
  }
}

TEST_CASE("record_writer: each format as its own writer writes it") {
  const marcpp::record r = sample();
  auto via = [&](format f) {
    std::ostringstream os;
    {
      marcpp::record_writer w{os, f};
      CHECK(w.output_format() == f);
      CHECK_FALSE(w.write(r));
      CHECK_FALSE(w.write(r));
      CHECK(w.count() == 2);
    }
    return os.str();
  };
  std::ostringstream xml, json;
  {
    marcpp::marcxml_writer w{xml};
    (void)w.write(r);
    (void)w.write(r);
  }
  {
    marcpp::json_writer w{json, marcpp::json_layout::array};
    (void)w.write(r);
    (void)w.write(r);
  }
  CHECK(via(format::marcxml) == xml.str());
  CHECK(via(format::json) == json.str());
  CHECK(via(format::jsonl) == marcpp::to_json(r) + "\n" + marcpp::to_json(r) + "\n");
  CHECK(via(format::mrk) == marcpp::to_mrk(r) + marcpp::to_mrk(r));
  CHECK(via(format::text) == marcpp::to_line(r) + marcpp::to_line(r));
  CHECK(via(format::iso2709) == marcpp::to_iso2709(r) + marcpp::to_iso2709(r));
  SUBCASE("a refused record leaves no trace in a JSON array") {
    std::ostringstream os;
    {
      marcpp::record_writer w{os, format::json};
      marcpp::record bad = r;
      bad[1].set_tag(marcpp::tag::invalid());
      CHECK(w.write(bad).code == errc::invalid_tag);
      CHECK_FALSE(w.write(r));
    }
    CHECK(os.str() == "[\n" + marcpp::to_json(r) + "\n]\n");
  }
  SUBCASE("warnings reach the handler") {
    std::ostringstream os;
    std::vector<marcpp::diagnostic> warnings;
    marcpp::record odd = r;
    odd[1].set_ind1('-');
    {
      marcpp::record_writer w{os, format::marcxml};
      w.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { warnings.push_back(d); });
      CHECK_FALSE(w.write(odd));
    }
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].code == errc::schema_pattern);
  }
}

TEST_CASE("every format writes each tag as it is, and reads it back") {
  // Tags of every kind: held by `tag` (upper and lower case), legal but kept
  // by their bytes (two or three lower-case letters), and no MARC 21 tag at
  // all (punctuation, a blank, mixed case, a control character, `{`, bytes
  // of a UTF-8 character, XML markup), one of them on a control field.
  marcpp::record r{marcpp::leader("00000cam a2200000 a 4500")};
  r.add(marcpp::field::control("001", "tags-1"));
  r.add(marcpp::field::control("00-", "odd control"));
  r.add(marcpp::field("245", "10", {{'a', "Title"}}));
  r.add(marcpp::field("CAT", "  ", {{'a', "upper"}}));
  r.add(marcpp::field("m01", "  ", {{'a', "one letter"}}));
  r.add(marcpp::field("abc", "  ", {{'a', "three letters"}}));
  r.add(marcpp::field("a1b", "  ", {{'a', "two letters"}}));
  r.add(marcpp::field("30-", "  ", {{'a', "punctuation"}}));
  r.add(marcpp::field("0 2", "  ", {{'a', "a blank"}}));
  r.add(marcpp::field("Ab1", "  ", {{'a', "mixed case"}}));
  r.add(marcpp::field("\t{1", "  ", {{'a', "a tab and a brace"}}));
  r.add(marcpp::field("\xC3\xA9" "1", "  ", {{'a', "UTF-8"}}));
  r.add(marcpp::field("<&\"", "  ", {{'a', "markup"}}));
  REQUIRE(r[4].tag() == marcpp::tag("m01"));
  for (std::size_t i : {1u, 5u, 6u, 7u, 8u, 9u, 10u, 11u, 12u}) {
    CAPTURE(i);
    CHECK_FALSE(r[i].tag().is_valid());
    CHECK(r[i].has_tag_chars());
  }
  const std::size_t illegal = 7;  // 00-, 30-, 0 2, Ab1, \t{1, é1, <&"

  for (format f : {format::iso2709, format::marcxml, format::json, format::jsonl, format::mrk}) {
    const std::string name(marcpp::to_string(f));
    CAPTURE(name);
    std::ostringstream os;
    {
      marcpp::record_writer w{os, f};
      REQUIRE_FALSE(w.write(r));
    }
    const std::string text = os.str();
    std::vector<marcpp::record> got;
    std::vector<marcpp::diagnostic> diags;
    temp_file file("tags", text);
    marcpp::with_format_reader(file.path.string(), f, test::with(marcpp::error_policy::strict), [&](auto& rd) {
      rd.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { diags.push_back(d); });
      marcpp::record rec;
      while (rd.next(rec)) got.push_back(rec);
      CHECK_FALSE(rd.failed());
      return 0;
    });
    REQUIRE(got.size() == 1);
    CHECK(got[0] == r);
    for (std::size_t i = 0; i < r.size(); ++i) {
      CAPTURE(i);
      CHECK(got[0][i].tag_chars() == r[i].tag_chars());
      CHECK(got[0][i].is_control() == r[i].is_control());
    }
    // Only the tags that are no MARC 21 tag are reported, as warnings.
    std::size_t tags = 0;
    for (const auto& d : diags) {
      CHECK(d.level == marcpp::severity::warning);
      if (d.code != errc::invalid_tag) continue;
      ++tags;
      REQUIRE(d.field_index >= 0);
      CHECK(d.original == std::string(r[static_cast<std::size_t>(d.field_index)].tag_chars().data(), 3));
    }
    CHECK(tags == illegal);
  }
  SUBCASE("the line format prints the bytes") {
    const std::string line = marcpp::to_line(r);
    CHECK(line.find("\n00- odd control\n") != std::string::npos);
    CHECK(line.find("\nm01    $a one letter\n") != std::string::npos);
    CHECK(line.find("\nabc    $a three letters\n") != std::string::npos);
    CHECK(line.find("\n0 2    $a a blank\n") != std::string::npos);
    CHECK(line.find("\n\t{1    $a a tab and a brace\n") != std::string::npos);
  }
  SUBCASE("MARCXML keeps those the schema refuses in instructions (as it is: escaped), .mrk writes {XX}") {
    // Valid MARCXML: legal tags as they are, the others with their fields in
    // instructions, their bytes escaped as in every instruction.
    const std::string xml = marcpp::to_marcxml(r);
    CHECK(xml.find("<datafield tag=\"m01\"") != std::string::npos);
    CHECK(xml.find("<datafield tag=\"abc\"") != std::string::npos);
    CHECK(xml.find("<datafield tag=\"a1b\"") != std::string::npos);
    CHECK(xml.find("<?marcpp tag=\"00-\" control=\"odd control\"?>") != std::string::npos);
    CHECK(xml.find("<?marcpp tag=\"0 2\" data=\"  %1Faa blank\"?>") != std::string::npos);
    CHECK(xml.find("<?marcpp tag=\"Ab1\" data=") != std::string::npos);
    CHECK(xml.find("<?marcpp tag=\"%09{1\" data=") != std::string::npos);
    CHECK(xml.find("<?marcpp tag=\"<&%22\" data=") != std::string::npos);
    CHECK(xml.find("<?marcpp tag=\"\xC3\xA9" "1\" data=") != std::string::npos);
    for (const char* t : {"00-", "30-", "0 2", "Ab1"}) CHECK(xml.find(std::string("field tag=\"") + t) == std::string::npos);
    // As it is: escaped attribute values.
    marcpp::marcxml_options as_is;
    as_is.as_is = true;
    const std::string raw = marcpp::to_marcxml(r, as_is);
    CHECK(raw.find("<?marcpp") == std::string::npos);
    CHECK(raw.find("<controlfield tag=\"00-\">") != std::string::npos);
    CHECK(raw.find("tag=\"&#9;{1\"") != std::string::npos);
    CHECK(raw.find("tag=\"&lt;&amp;&quot;\"") != std::string::npos);
    CHECK(raw.find("tag=\"\xC3\xA9" "1\"") != std::string::npos);
    const auto back = test::read_text<marcpp::marcxml_reader>(raw, test::with(marcpp::error_policy::strict));
    REQUIRE(back.records.size() == 1);
    CHECK(back.records[0] == r);
    const std::string mrk = marcpp::to_mrk(r);
    CHECK(mrk.find("\n={09}{7B}1  ") != std::string::npos);
    CHECK(mrk.find("\n={C3}{A9}1  ") != std::string::npos);
    CHECK(mrk.find("\n=0 2  ") != std::string::npos);
    CHECK(marcpp::to_json(r).find("{\"\\t{1\":{") != std::string::npos);
  }
}

TEST_CASE("every reader is a range of records") {
  const marcpp::record r = sample();
  const std::string iso = marcpp::to_iso2709(r);
  const std::string xml = std::string(marcpp::marcxml_collection_open) + [&] {
    std::string s;
    REQUIRE_FALSE(marcpp::write_marcxml(r, s));
    return s + s;
  }() + std::string(marcpp::marcxml_collection_close);
  const std::string jsonl = marcpp::to_json(r) + "\n" + marcpp::to_json(r) + "\n";
  const std::string mrk = marcpp::to_mrk(r) + "\n" + marcpp::to_mrk(r);
  auto each = [&](auto&& reader) {
    std::vector<std::string> got;
    for (const auto& rec : reader) got.push_back(marcpp::to_iso2709(rec));
    return got;
  };
  const std::vector<std::string> two{iso, iso};
  const std::string isos = iso + iso;
  CHECK(each(marcpp::reader{marcpp::memory_source{isos}}) == two);
  CHECK(each(marcpp::marcxml_reader{marcpp::memory_source{xml}}) == two);
  CHECK(each(marcpp::json_reader{marcpp::memory_source{jsonl}}) == two);
  CHECK(each(marcpp::mrk_reader{marcpp::memory_source{mrk}}) == two);
  // A strict stop ends the range with the error.
  const std::string broken = jsonl + "{\"leader\": \n";
  marcpp::json_reader strict{marcpp::memory_source{broken}, test::with(marcpp::error_policy::strict)};
  CHECK_THROWS_AS(each(strict), marcpp::error);
}
