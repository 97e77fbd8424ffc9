#include <marcpp/marc8.hpp>  // first: proves it is self-contained
#include <marcpp/charset.hpp>

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <random>
#include <set>

namespace {

namespace m8t = marcpp::detail::marc8_tables;
using marcpp::errc;
using marcpp::error_policy;

const marcpp::marc8::decode_options strict_decode{.policy = error_policy::strict};
const marcpp::marc8::encode_options strict_encode{.policy = error_policy::strict};

std::string dec(std::string_view in) { return marcpp::marc8::to_utf8(in, strict_decode); }
std::string enc(std::string_view in) { return marcpp::marc8::from_utf8(in, strict_encode); }

// The lenient decoding of `in`, with its report.
struct lenient {
  std::string out;
  std::vector<marcpp::diagnostic> report;
  marcpp::diagnostic error;
};
lenient decode_lenient(std::string_view in) {
  lenient r;
  r.error = marcpp::marc8::decode(in, r.out, {}, &r.report);
  return r;
}
lenient encode_lenient(std::string_view in, bool ncr = true) {
  lenient r;
  r.error = marcpp::marc8::encode(in, r.out, {.numeric_references = ncr}, &r.report);
  return r;
}

std::string utf8(std::uint32_t cp) {
  std::string s;
  marcpp::detail::append_utf8(s, cp);
  return s;
}

bool valid_utf8(const std::string& s) { return marcpp::detail::find_invalid_utf8(s.data(), s.size()) == s.size(); }

}  // namespace

TEST_CASE("marc8: decoding every character set") {
  CHECK(dec("Plain ASCII, kept as it is.") == "Plain ASCII, kept as it is.");
  CHECK(dec("") == "");
  SUBCASE("Extended Latin (ANSEL), the default G1 set") {
    CHECK(dec("\xA2") == "\u00D8");                   // O with stroke
    CHECK(dec("Caf\xE2" "e") == "Cafe\u0301");        // acute before its base in MARC-8, after it in Unicode
    CHECK(dec("\xE8" "a\xE1\xE2" "e") == "a\u0308e\u0300\u0301");  // several marks keep their order
  }
  SUBCASE("technique 1 sets: subscripts, superscripts, Greek symbols") {
    CHECK(dec("H\x1B" "b2\x1BsO") == "H\u2082O");
    CHECK(dec("x\x1Bp2\x1Bs") == "x\u00B2");
    CHECK(dec("\x1Bga\x1Bs") == "\u03B1");
  }
  SUBCASE("script sets designated as G0") {
    CHECK(dec("\x1B(NzIMA\x1B(B") == "\u0417\u0438\u043C\u0430");    // Basic Cyrillic
    CHECK(dec("\x1B(2`az\x1B(B") == "\u05D0\u05D1\u05EA");           // Basic Hebrew
    CHECK(dec("\x1B(3GdVQGFH\x1B(B") == "\u0627\u0644\u0636\u0631\u0627\u0626\u0628");  // Basic Arabic
    CHECK(dec("\x1B(SAkjpa\x1B(B") == "\u0391\u03B8\u03B7\u03BD\u03B1");  // Basic Greek
  }
  SUBCASE("extended sets designated as G1") {
    CHECK(dec("\x1B)Q" "C\xC0\x1B)E") == "C\u0491");                  // Extended Cyrillic
    CHECK(dec("\x1B)4\xA1\x1B)E") == "\u06FD");                        // Extended Arabic
    CHECK(dec("\x1B-Q\xC0") == "\u0491");                              // the other G1 intermediate
  }
  SUBCASE("the East Asian set, three bytes per character") {
    CHECK(dec("\x1B$1!0!!0!\x1B(B") == "\u4E00\u4E00");
    CHECK(dec("\x1B$(1!0!") == "\u4E00");
    CHECK(dec("\x1B$,1!0!") == "\u4E00");
    CHECK(dec("\x1B$1!0! !0!") == "\u4E00 \u4E00");                    // a space is a space in any set
    CHECK(dec("\x1B$)1\xA1\xB0\xA1") == "\u4E00");                     // designated as G1: the same codes with the high bit
  }
  SUBCASE("the C1 controls MARC-8 uses, whatever the sets") {
    CHECK(dec("a\x8D" "b\x8E" "c\x88" "d\x89") == "a\u200Db\u200Cc\u0098d\u009C");
    CHECK(dec("\x1B)4\x8D") == "\u200D");
  }
  SUBCASE("C0 controls and DEL are the same in every set") {
    CHECK(dec("a\tb\nc\x01\x7F") == "a\tb\nc\x01\x7F");
  }
  SUBCASE("ANSEL designated as G0 with the intermediate !, ESC ( ! E") {
    CHECK(dec("\x1B(!E" "b\x1B(B" "e") == "e\u0301");  // 0x62 in ANSEL is the acute (0xE2 as G1)
  }
  SUBCASE("every code of every table") {
    // A string per table code decodes to the table's code point (the
    // differential tests run the same strings through YAZ and MARC::Charset).
    std::size_t n = 0;
    for (int s = 0; s < m8t::single_count; ++s) {
      const auto& set = m8t::single_sets[s];
      std::string designate;
      if (s == m8t::ansel || s == m8t::basic_latin) designate = "";
      else if (set.g1) designate = std::string("\x1B)") + set.final_byte;
      else if (marcpp::detail::is_technique1(static_cast<std::uint8_t>(s))) designate = std::string("\x1B") + set.final_byte;
      else designate = std::string("\x1B(") + set.final_byte;
      for (unsigned code = 0x21; code <= 0x7E; ++code) {
        std::uint32_t v = m8t::single[s][code];
        if (!v) continue;
        std::string in = designate + static_cast<char>(set.g1 ? code | 0x80 : code);
        if (v & m8t::combining) in += "\x1B(B\x1B)Eo";
        std::string expected = (v & m8t::combining) ? std::string("o") : std::string();
        expected += utf8(v & ~m8t::combining);
        CAPTURE(marcpp::detail::printable(in));
        CHECK(dec(in) == expected);
        ++n;
      }
    }
    for (int i = 0; i < m8t::eacc_count; ++i) {
      std::uint32_t code = marcpp::detail::eacc_code(static_cast<std::size_t>(i));
      std::string in = "\x1B$1";
      in += static_cast<char>(code >> 16);
      in += static_cast<char>((code >> 8) & 0xFF);
      in += static_cast<char>(code & 0xFF);
      CHECK(dec(in) == utf8(m8t::eacc_ucs[i]));
      ++n;
    }
    CHECK(n == 16389);  // 16,400 codes less Basic Latin's controls and space and the 6 C1 listings
  }
}

TEST_CASE("marc8: double diacritics and lone halves") {
  // LoC: the pair maps to one code point, written after the first character spanned.
  CHECK(dec("\xEBt\xECs") == "t\u0361s");
  CHECK(dec("\xFAn\xFBg") == "n\u0360g");
  CHECK(dec("\xEB\xE2t\xECs") == "t\u0361\u0301s");
  // A second half with no first half: its alternate code point, so nothing is lost.
  CHECK(dec("\xECs") == "s\uFE21");
  CHECK(dec("\xFBs") == "s\uFE23");
  CHECK(dec("\xEBt\xEC\xECs") == "t\u0361s\uFE21");
}

TEST_CASE("marc8: numeric character references") {
  CHECK(dec("&#x41;&#x0358;&#x1F600;") == "A\u0358\U0001F600");
  CHECK(dec("&#xfe20;") == "\uFE20");
  SUBCASE("what is not a reference stays text") {
    CHECK(dec("&#x;") == "&#x;");
    CHECK(dec("&#xD800;") == "&#xD800;");       // a surrogate
    CHECK(dec("&#x110000;") == "&#x110000;");   // beyond Unicode
    CHECK(dec("&#x1234567;") == "&#x1234567;");  // too many digits
    CHECK(dec("&#65;") == "&#65;");             // decimal: not LoC's form
    CHECK(dec("&amp; &#x41") == "&amp; &#x41");
  }
  SUBCASE("read with G0 Basic Latin only") { CHECK(dec("\x1B(2&#x41;\x1B(B") != "A"); }
  SUBCASE("can be turned off") {
    std::string out;
    CHECK_FALSE(marcpp::marc8::decode("&#x41;", out, {.numeric_references = false}));
    CHECK(out == "&#x41;");
  }
}

TEST_CASE("marc8: faults: strict stops naming the byte, its offset and the sets in use; lenient writes U+FFFD") {
  struct row {
    const char* name;
    std::string in;
    errc code;
    std::uint64_t offset;
    const char* says;       // in the message
    std::string repaired;   // lenient output
  };
  const row rows[] = {
      {"a byte with no character in ANSEL", "ab\xAF" "c", errc::unmapped_marc8, 2,
       "the byte 0xAF is no character of Extended Latin (ANSEL), the set in G1 (G0 Basic Latin (ASCII), G1 Extended Latin (ANSEL))",
       "ab\uFFFD" "c"},
      {"a byte with no character in a G0 set", "\x1B" "bx\x1Bs", errc::unmapped_marc8, 2,
       "the byte 0x78 is no character of Subscripts, the set in G0 (G0 Subscripts", "\uFFFD"},
      {"a C1 control MARC-8 does not use", "a\x80", errc::unmapped_marc8, 1, "the byte 0x80 is no MARC-8 character", "a\uFFFD"},
      {"0xFF", "\xFF", errc::unmapped_marc8, 0, "the byte 0xFF is no MARC-8 character", "\uFFFD"},
      {"an escape that designates nothing", "Soci\x1Bt\xE2" "e", errc::bad_escape_sequence, 4,
       "an escape sequence (ESC t) that designates no MARC-8 character set (G0 Basic Latin (ASCII), G1 Extended Latin (ANSEL))",
       "Soci\uFFFDte\u0301"},
      {"an unknown final byte", "\x1B(Xab", errc::bad_escape_sequence, 0, "(ESC ( X)", "\uFFFD(Xab"},
      {"an escape at the end", "ab\x1B", errc::bad_escape_sequence, 2, "the text ends with an escape byte", "ab\uFFFD"},
      {"an escape cut short", "ab\x1B$", errc::bad_escape_sequence, 2, "the text ends inside an escape sequence (ESC $)",
       "ab\uFFFD$"},
      {"three bytes that are no EACC character", "\x1B$1!!!!0!", errc::unmapped_marc8, 3,
       "the bytes 0x21 0x21 0x21 are no character of the East Asian set (G0 Chinese, Japanese, Korean (EACC)",
       "\uFFFD\uFFFD\uFFFD\u4E00"},  // one byte at a time until the bytes make a character again
      {"the text ends inside an EACC character", "\x1B$1!0", errc::unmapped_marc8, 3,
       "the text ends inside an East Asian character (0x21 0x30)", "\uFFFD\uFFFD"},
      {"combining marks with no base at the end", "abc\xE2\xE3", errc::dangling_combining_mark, 3,
       "the combining mark U+0301 and 1 more at the end of the text have no character after them", "abc\u0301\u0302"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    std::string out = "kept";
    auto err = marcpp::marc8::decode(r.in, out, strict_decode);
    CHECK(err.code == r.code);
    CHECK(err.level == marcpp::severity::error);
    CHECK(err.offset == r.offset);
    CHECK(err.message.find(r.says) != std::string::npos);
    CHECK(out == "kept");  // a strict failure leaves the output as it was
    CHECK_FALSE(err.original.empty());
    auto skip = marcpp::marc8::decode(r.in, out, {.policy = error_policy::skip});
    CHECK(skip.code == r.code);

    auto l = decode_lenient(r.in);
    CHECK_FALSE(l.error);
    CHECK(l.out == r.repaired);
    REQUIRE_FALSE(l.report.empty());
    CHECK(l.report.front().code == r.code);
    CHECK(l.report.front().level == marcpp::severity::repair);
    CHECK(l.report.front().offset == r.offset);
    CHECK(l.report.front().message.find(r.says) != std::string::npos);
  }
  SUBCASE("at most 16 faults of a kind are listed, then a count") {
    auto l = decode_lenient(std::string(40, '\xAF'));
    CHECK(l.out.size() == 40 * 3);
    REQUIRE(l.report.size() == 17);
    CHECK(l.report.back().message.find("24 more unmapped_marc8") != std::string::npos);
  }
  SUBCASE("the throwing convenience") {
#if MARCPP_HAS_EXCEPTIONS
    CHECK_THROWS_AS((void)marcpp::marc8::to_utf8("\xFF", strict_decode), marcpp::error);
#endif
    CHECK(marcpp::marc8::to_utf8("\xFF") == "\uFFFD");
  }
}

TEST_CASE("marc8: encoding") {
  CHECK(enc("Plain ASCII") == "Plain ASCII");
  SUBCASE("combining marks go before their base; precomposed letters are decomposed") {
    CHECK(enc("Cafe\u0301") == "Caf\xE2" "e");
    CHECK(enc("Caf\u00E9 na\u00EFve") == "Caf\xE2" "e na\xE8" "ive");
    CHECK(enc("\u1EC7") == "\xF2\xE3" "e");       // e with circumflex and dot below: both marks, canonical order
    CHECK(enc("\u1EDD") == "\xE1\xBC");           // o with horn and grave: the grave, then ANSEL's o with horn
    CHECK(enc("\u00D8") == "\xA2");               // a precomposed letter ANSEL has
  }
  SUBCASE("escape sequences, and back to the default sets at the end") {
    CHECK(enc("\u0417\u0438\u043C\u0430") == "\x1B(NzIMA\x1B(B");
    CHECK(enc("\u0417\u0438\u043C\u0430 : 2010.") == "\x1B(NzIMA : 2010.\x1B(B");  // punctuation and digits stay
    CHECK(enc("\u0417\u0438\u043C\u0430 / Ivanov") == "\x1B(NzIMA / \x1B(BIvanov");  // letters go back
    CHECK(enc("C\u0491") == "C\x1B)Q\xC0\x1B)E");      // Extended Cyrillic is a G1 set
    CHECK(enc("H\u2082O x\u00B2") == "H\x1B" "b2\x1BsO x\x1Bp2\x1Bs");
    CHECK(enc("\u2082\u00B2") == "\x1B" "b2\x1Bp2\x1Bs");  // technique 1 to technique 1
    CHECK(enc("\u03B1") == "\x1B(Sa\x1B(B");         // Basic Greek rather than the Greek Symbols set
    CHECK(enc("\u4E00 \u4E00.") == "\x1B$1!0!\x1B(B \x1B$1!0!\x1B(B.");  // a space between EACC characters is ASCII
    CHECK(enc("\u3000") == "\x1B$1!#!\x1B(B");      // the ideographic space commonly written
    CHECK(enc("a\u200Db\u0098") == "a\x8D" "b\x88");
  }
  SUBCASE("double diacritics") {
    CHECK(enc("t\u0361s") == "\xEBt\xECs");
    CHECK(enc("n\u0360g") == "\xFAn\xFBg");
    CHECK(enc("t\u0361\u0301s\u0301") == "\xEB\xE2t\xEC\xE2s");
    CHECK(enc("s\uFE21") == "\xECs");
  }
  SUBCASE("characters MARC-8 lacks: LoC's numeric character references, reported as warnings") {
    auto l = encode_lenient("a\U0001F600b\u0358");
    CHECK_FALSE(l.error);
    CHECK(l.out == "a&#x1F600;b&#x0358;");
    REQUIRE(l.report.size() == 2);
    CHECK(l.report[0].code == errc::unrepresentable_character);
    CHECK(l.report[0].level == marcpp::severity::warning);
    CHECK(l.report[0].offset == 1);
    CHECK(enc("\u03B1\U0001F600") == "\x1B(Sa\x1B(B&#x1F600;");  // written with G0 Basic Latin
    CHECK(enc("\u00C5\u212B") == "\xEA" "A&#x212B;");  // a singleton decomposition would not come back
  }
  SUBCASE("what would read as something else is escaped") {
    CHECK(enc("&#x41; & &#x; &amp;") == "&#x26;#x41; & &#x; &amp;");
    CHECK(enc("a\x1B" "b") == "a&#x001B;b");
    auto orphan = encode_lenient("\u0301abc");  // a mark with nothing before it
    CHECK(orphan.out == "&#x0301;abc");
    REQUIRE(orphan.report.size() == 1);
    CHECK(orphan.report[0].code == errc::dangling_combining_mark);
    CHECK(orphan.report[0].level == marcpp::severity::warning);
  }
  SUBCASE("invalid UTF-8: strict stops, lenient writes U+FFFD's reference") {
    std::string out = "kept";
    auto err = marcpp::marc8::encode("ab\xFF" "c", out, strict_encode);
    CHECK(err.code == errc::invalid_utf8);
    CHECK(err.offset == 2);
    CHECK(err.message.find("0xFF") != std::string::npos);
    CHECK(out == "kept");
    auto l = encode_lenient("ab\xFF" "c");
    CHECK(l.out == "ab&#xFFFD;c");
    REQUIRE(l.report.size() == 1);
    CHECK(l.report[0].level == marcpp::severity::repair);
  }
  SUBCASE("the replacement of an invalid byte is a character: marks after it combine with it (found by fuzzing)") {
    // As they do with a U+FFFD in the text, so that what is written encodes
    // back to the same bytes once decoded.
    auto l = encode_lenient("a\xFF\u0301b");
    CHECK(l.out == "a\xE2&#xFFFD;b");
    REQUIRE(l.report.size() == 1);
    CHECK(l.report[0].code == errc::invalid_utf8);
    CHECK(enc(dec(l.out)) == l.out);
    CHECK(encode_lenient("a\uFFFD\u0301b").out == l.out);
    auto bar = encode_lenient("\xFF\u0301", false);
    CHECK(bar.out == "\xE2|");
    CHECK(bar.report.size() == 1);
  }
  SUBCASE("without numeric character references: strict refuses, lenient writes | (LoC's lossy conversion)") {
    std::string out;
    auto err = marcpp::marc8::encode("a\U0001F600", out, {.policy = error_policy::strict, .numeric_references = false});
    CHECK(err.code == errc::unrepresentable_character);
    CHECK(err.offset == 1);
    auto l = encode_lenient("a\U0001F600\u0301b\xFF", false);
    CHECK(l.out == "a\xE2|b|");  // the acute stays with the character it was on
    CHECK(l.report.size() == 2);
    for (const auto& d : l.report) CHECK(d.level == marcpp::severity::repair);
  }
}

TEST_CASE("marc8: MARC-8 -> UTF-8 -> MARC-8 gives back the bytes written the canonical way") {
  const char* canonical[] = {
      "Caf\xE2" "e",
      "\x1B(NzIMA : 2010.\x1B(B",
      "\x1B(2qtx hrm xaiz :\x1B(B",
      "\x1B$1!0!!0!\x1B(B \x1B$1!0!\x1B(B.",
      "\x1B$1!9%!F#!#!!4W\x1B(B,",
      "\x1B$1!9%!F#\x1B(B \x1B$1!4W\x1B(B,",
      "H\x1B" "b2\x1BsO x\x1Bp2\x1Bs",
      "\xEBt\xECs \xFAn\xFBg \xECs",
      "C\x1B)Q\xC0\x1B)E",
      "\x1B(3YhOI, eMeO.\x1B(B",
      "a&#x1F600;b &#x26;#x41;",
      "\x1B(SAkjpa\x1B(B",
  };
  for (const char* c : canonical) {
    CAPTURE(marcpp::detail::printable(c));
    CHECK(enc(dec(c)) == c);
  }
  // Written another way, they decode to the same text.
  const char* other[] = {"\x1B(NzIMA\x1B(B : 2010.", "\x1B(NzIMA", "\x1B$1!9%!F#!# !4W\x1B(B,", "\x1Bga\x1Bs",
                         "\x1B)QC\x1B(QA", "&#x0041;"};
  for (const char* c : other) {
    CAPTURE(marcpp::detail::printable(c));
    std::string again = enc(dec(c));
    CHECK(again != c);
    CHECK(dec(again) == dec(c));
  }
}

TEST_CASE("marc8: UTF-8 -> MARC-8 -> UTF-8 gives back every code point") {
  // Every Unicode scalar value alone, and after a base letter: exactly, or,
  // for a precomposed letter MARC-8 holds decomposed, its decomposition
  // (canonically equivalent: tests/normalize.cpp checks it composes back).
  std::size_t direct = 0, decomposed = 0, references = 0;
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s = "o";
    s += utf8(cp);
    std::string m8, back;
    REQUIRE_FALSE(marcpp::marc8::encode(s, m8, strict_encode));
    REQUIRE_FALSE(marcpp::marc8::decode(m8, back, strict_decode));
    if (back == s) {
      (m8.find("&#x") != std::string::npos ? references : direct)++;
      continue;
    }
    auto parts = marcpp::detail::decomposition_find(cp);
    REQUIRE_MESSAGE(parts.first, "U+" << std::hex << cp << " comes back as " << marcpp::detail::printable(back));
    std::string expected = "o";
    for (auto p = parts.first; p != parts.second; ++p) expected += utf8(*p);
    CHECK(back == expected);
    ++decomposed;
  }
  MESSAGE(direct << " code points written as MARC-8 characters, " << decomposed << " decomposed, " << references
                 << " as numeric character references");
  CHECK(decomposed == static_cast<std::size_t>(m8t::decomposition_count));
  CHECK(direct > 16000);
}

TEST_CASE("marc8: random bytes never crash the decoder and always give valid UTF-8") {
  std::mt19937 rng(20240229);
  // Bytes drawn from all 256 values, and from the ones that matter most:
  // escapes and their intermediates, finals, marks, EACC ranges, C1.
  const std::string interesting = "\x1B\x1B\x1B$()-,!1BENQ234Sbpgs&#x;0Aa \xE0\xE1\xEB\xEC\xFA\xFB\xFE\x88\x8D\xA0\xFF\x21\x7E";
  std::size_t faults = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string in(static_cast<std::size_t>(rng() % 64), '\0');
    for (auto& c : in)
      c = (i & 1) ? static_cast<char>(rng() & 0xFF) : interesting[rng() % interesting.size()];
    auto l = decode_lenient(in);
    REQUIRE_FALSE(l.error);
    REQUIRE_MESSAGE(valid_utf8(l.out), marcpp::detail::printable(in));
    faults += !l.report.empty();
    std::string out = "x";
    auto err = marcpp::marc8::decode(in, out, strict_decode);
    std::string expected = "x";
    if (!err) expected += l.out;
    CHECK(out == expected);
  }
  CHECK(faults > 1000);
}

TEST_CASE("marc8: anything the encoder writes is valid MARC-8 that decodes back") {
  std::mt19937 rng(7);
  const std::uint32_t pool[] = {'a', ' ', '&', '#', 'x', ';', '1', 0x1B, 0x301, 0x361, 0xFE21, 0x41F, 0x5D0, 0x627,
                                0x3B1, 0x4E00, 0x3000, 0x2082, 0xE9, 0x1EC7, 0x1F600, 0x358, 0x98, 0x200D};
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      if (rng() % 16 == 0) s += static_cast<char>(0x80 | (rng() & 0x7F));  // a stray byte
      else s += utf8(pool[rng() % std::size(pool)]);
    }
    auto l = encode_lenient(s);
    REQUIRE_FALSE(l.error);
    std::string back;
    auto err = marcpp::marc8::decode(l.out, back, strict_decode);
    REQUIRE_MESSAGE(!err, marcpp::detail::printable(s) << " -> " << marcpp::detail::printable(l.out) << ": "
                                                         << marcpp::to_string(err));
    if (valid_utf8(s)) {
      // Decomposed letters aside, the text comes back as it was.
      std::string expected;
      std::size_t j = 0;
      while (j < s.size()) {
        std::size_t len;
        std::uint32_t cp = marcpp::detail::read_utf8(s.data() + j, s.size() - j, len);
        auto parts = marcpp::detail::decomposition_find(cp);
        if (parts.first)
          for (auto p = parts.first; p != parts.second; ++p) expected += utf8(*p);
        else
          expected += utf8(cp);
        j += len;
      }
      CHECK_MESSAGE(back == expected, marcpp::detail::printable(s));
    }
  }
}

TEST_CASE("marc8: charset names") {
  CHECK(marcpp::marc8::to_string(marcpp::marc8::charset::ansel) == "Extended Latin (ANSEL)");
  CHECK(marcpp::marc8::to_string(marcpp::marc8::charset::eacc) == "Chinese, Japanese, Korean (EACC)");
  CHECK(marcpp::marc8::to_string(marcpp::marc8::charset::subscripts) == "Subscripts");
  CHECK(marcpp::marc8::to_string(static_cast<marcpp::marc8::charset>('Z')) == "unknown");
}

TEST_CASE("marc8: the count of faults not listed one by one has the level of the faults it counts") {
  // Found by fuzzing: 17 leading combining marks gave 16 warnings and a
  // 17th, counted, labelled a repair.
  const std::string marks = test::slurp(test::data_dir() / "fuzz" / "marc8" / "seventeen-leading-marks.bin");
  REQUIRE(marks.size() == 17 * 2);
  auto l = encode_lenient(marks);
  CHECK_FALSE(l.error);
  REQUIRE(l.report.size() == 17);
  for (const auto& d : l.report) {
    CAPTURE(d.message);
    CHECK(d.code == errc::dangling_combining_mark);
    CHECK(d.level == marcpp::severity::warning);
  }
  CHECK(l.report.back().message.find("1 more") == 0);
  // Repairs are counted as repairs, and each kind keeps its own level.
  auto r = encode_lenient(marks + std::string(20, '\xFF'), false);
  std::size_t counted = 0;
  for (const auto& d : r.report) {
    CAPTURE(d.message);
    const bool count = d.message.find(" more ") != std::string::npos;
    counted += count;
    CHECK(d.level == marcpp::severity::repair);  // without references, a dangling mark is written as |
  }
  CHECK(counted == 2);
  auto w = encode_lenient(marks + std::string(20, '\xFF'));
  for (const auto& d : w.report) {
    CAPTURE(d.message);
    CHECK(d.level == (d.code == errc::invalid_utf8 ? marcpp::severity::repair : marcpp::severity::warning));
  }
  // The record conversions count the same way.
  marcpp::record rec{marcpp::leader("00000cam a2200000 a 4500")};
  rec.add(marcpp::field("245", "00", {{'a', marks}}));
  marcpp::record m8;
  REQUIRE_FALSE(marcpp::to_marc8(rec, m8));
  REQUIRE(m8.diagnostics().size() == 17);
  for (const auto& d : m8.diagnostics()) {
    CAPTURE(d.message);
    CHECK(d.level == marcpp::severity::warning);
  }
}
