#include <marcpp/normalize.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <sstream>

// Unicode normalisation, and the checks that need it: the canonical
// equivalence of UTF-8 -> MARC-8 -> UTF-8, and pymarc's MARC-8 test vectors
// (whose UTF-8 side is in NFC). Built only where ICU is found.

namespace {

std::string nfc(std::string_view s) {
  std::string out;
  REQUIRE(marcpp::nfc.apply(s, out));
  return out;
}
std::string nfd(std::string_view s) {
  std::string out;
  REQUIRE(marcpp::nfd.apply(s, out));
  return out;
}

}  // namespace

TEST_CASE("normalize: NFC and NFD by ICU") {
  CHECK(nfc("e\u0301") == "\u00E9");
  CHECK(nfd("\u00E9") == "e\u0301");
  CHECK(nfc("plain") == "plain");
  CHECK(nfd("\u1EC7") == "e\u0323\u0302");
  CHECK(nfc("\u212B") == "\u00C5");  // a singleton
  std::string out = "kept:";
  REQUIRE(marcpp::nfc.apply("a\u0308", out));
  CHECK(out == "kept:\u00E4");  // appends
  CHECK(std::string_view(marcpp::nfc.name) == "NFC");
  CHECK(std::string_view(marcpp::nfd.name) == "NFD");
  CHECK(static_cast<bool>(marcpp::nfc));
  CHECK_FALSE(static_cast<bool>(marcpp::normalization{}));
}

TEST_CASE("normalize: to_utf8 with a normalisation form") {
  marcpp::record r;
  r.add(marcpp::field("245", "10", {{'a', "Caf\xE2" "e \xF2\xE3" "e"}}));
  SUBCASE("as decoded (default): MARC-8's order, base then marks") {
    CHECK(marcpp::to_utf8(r).value("245", 'a') == "Cafe\u0301 e\u0323\u0302");
  }
  SUBCASE("NFC") {
    marcpp::charset_options o;
    o.normalize = marcpp::nfc;
    CHECK(marcpp::to_utf8(r, o).value("245", 'a') == "Caf\u00E9 \u1EC7");
  }
  SUBCASE("NFD") {
    marcpp::record u;
    r[0].subfields()[0].set_value("\xE3\xF2" "e");  // marks in another order than NFD's
    REQUIRE_FALSE(marcpp::to_utf8(r, u, {.normalize = marcpp::nfd}));
    CHECK(u.value("245", 'a') == "e\u0323\u0302");
  }
  SUBCASE("a UTF-8 record is normalised too") {
    marcpp::record v;
    v.leader().set_coding_scheme('a');
    v.add(marcpp::field("245", "10", {{'a', "Cafe\u0301"}}));
    CHECK(marcpp::to_utf8(v, {.normalize = marcpp::nfc}).value("245", 'a') == "Caf\u00E9");
  }
}

TEST_CASE("normalize: every precomposed character MARC-8 holds decomposed composes back") {
  namespace m8t = marcpp::detail::marc8_tables;
  for (int i = 0; i < m8t::decomposition_count; ++i) {
    const auto& d = m8t::decompositions[i];
    std::string cp;
    marcpp::detail::append_utf8(cp, d.cp);
    const std::string back = marcpp::marc8::to_utf8(marcpp::marc8::from_utf8(cp));
    CAPTURE(d.cp);
    CHECK(back != cp);
    CHECK(nfd(back) == nfd(cp));  // canonically equivalent...
    CHECK(nfc(back) == cp);       // ...and NFC composes it back
  }
}

TEST_CASE("normalize: pymarc's MARC-8 test vectors") {
  if (!test::have_corpus()) return;
  std::istringstream m8(test::slurp(test::corpus_dir() / "marc8-vectors/pymarc-test_marc8.txt"));
  std::istringstream u8(test::slurp(test::corpus_dir() / "marc8-vectors/pymarc-test_utf8.txt"));
  std::string a, b;
  std::size_t lines = 0, identical_bytes = 0, outside_loc = 0;
  while (std::getline(m8, a) && std::getline(u8, b)) {
    ++lines;
    CAPTURE(lines);
    if (a.find("\x7F") != std::string::npos) {
      // One vector uses codes LoC's East Asian table does not have (0x21203D
      // for U+2026, 0x7F2014 for U+2014...), which pymarc maps on its own;
      // YAZ and MARC::Charset do not map them either.
      std::vector<marcpp::diagnostic> report;
      std::string out;
      CHECK_FALSE(marcpp::marc8::decode(a, out, {}, &report));
      REQUIRE_FALSE(report.empty());
      CHECK(report.front().code == marcpp::errc::unmapped_marc8);
      ++outside_loc;
      continue;
    }
    const std::string decoded = marcpp::marc8::to_utf8(a, {.policy = marcpp::error_policy::strict});
    CHECK(nfc(decoded) == b);
    // And back: the vectors' UTF-8 written as MARC-8 reads as the same text.
    const std::string encoded = marcpp::marc8::from_utf8(b, {.policy = marcpp::error_policy::strict});
    CHECK(nfc(marcpp::marc8::to_utf8(encoded)) == b);
    identical_bytes += encoded == a;
  }
  CHECK(lines == 1515);
  CHECK(outside_loc == 1);
  CHECK_FALSE(std::getline(u8, b));
  MESSAGE(lines << " vectors, " << outside_loc << " outside LoC's tables; " << identical_bytes
                << " written back byte for byte (the others place escapes around spaces another way)");
}

TEST_CASE("normalize: corpus: UTF-8 -> MARC-8 -> UTF-8 gives back every UTF-8 record, canonically equivalent") {
  if (!test::have_corpus()) return;
  std::size_t records = 0, values = 0, references = 0;
  for (const char* dir : {"bib-utf8", "authority", "large"}) {
    for (const auto& e : std::filesystem::directory_iterator(test::corpus_dir() / dir)) {
      auto ext = e.path().extension().string();
      if (ext == ".xml" || ext == ".mrk" || ext == ".json" || ext == ".gz") continue;
      CAPTURE(e.path().string());
      auto o = test::read_all(marcpp::mmap_source{e.path()});
      for (const auto& rec : o.records) {
        if (marcpp::check_encoding(rec).bytes != marcpp::encoding::utf8) continue;
        marcpp::record u, m, back;
        if (marcpp::to_utf8(rec, u, {.policy = marcpp::error_policy::strict})) continue;  // invalid UTF-8
        ++records;
        REQUIRE_FALSE(marcpp::to_marc8(u, m, {.policy = marcpp::error_policy::strict}));
        CHECK(m.leader().coding_scheme() == ' ');
        REQUIRE_FALSE(marcpp::to_utf8(m, back, {.policy = marcpp::error_policy::strict, .normalize = marcpp::nfc}));
        for (const auto& d : m.diagnostics()) references += d.code == marcpp::errc::unrepresentable_character;
        REQUIRE(back.size() == u.size());
        for (std::size_t f = 0; f < u.size(); ++f) {
          if (u[f].is_control()) {
            CHECK(back[f].data() == nfc(u[f].data()));
            ++values;
            continue;
          }
          REQUIRE(back[f].subfields().size() == u[f].subfields().size());
          for (std::size_t s = 0; s < u[f].subfields().size(); ++s) {
            CHECK(back[f].subfields()[s].value() == nfc(u[f].subfields()[s].value()));
            ++values;
          }
        }
      }
    }
  }
  MESSAGE(records << " UTF-8 records with non-ASCII text, " << values << " values; " << references
                  << " characters MARC-8 lacks written as numeric character references");
  CHECK(records > 500);
}
