// The MARC-8 codec against two independent implementations, YAZ
// (yaz-marcdump -f MARC-8 -t UTF-8 and -f UTF-8 -t MARC-8) and Perl's
// MARC::Charset (tests/tools/marc_charset.pl), on every value of every MARC-8
// record in the corpus and on a string for every code of the LoC tables.
//
// Every disagreement must be one of the kinds docs/charsets.md documents
// ("Where other converters differ"); each kind is checked precisely (our
// output, changed the way the other converter is documented to behave, must
// equal its output) and counted. Anything else fails the test. Skipped, with
// a message, when the corpus, yaz-marcdump or MARC::Charset is missing.
#include "test_support.hpp"

#include <marcpp/charset.hpp>
#include <marcpp/marc8.hpp>
#ifdef MARCPP_TEST_HAVE_ICU
#  include <marcpp/normalize.hpp>
#endif

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace {

namespace m8t = marcpp::detail::marc8_tables;

std::filesystem::path temp(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("marcpp-diff-" + std::to_string(::getpid()) + "-" + name);
}

bool have_perl_charset() {
  if (test::run_command("perl -MMARC::Charset -e 1").status == 0) return true;
  MESSAGE("Perl's MARC::Charset is not installed (Debian package libmarc-charset-perl): skipping its comparison");
  return false;
}

bool storable(const std::string& v) {
  return v.size() < 9000 && !marcpp::detail::has_structural_byte(v.data(), v.size());
}

// ISO 2709 records holding each string as the $a of a field 500, in order.
std::string records_holding(const std::vector<std::string>& values, char leader09) {
  std::string out;
  marcpp::record rec;
  std::size_t size = 0;
  auto flush = [&] {
    if (rec.empty()) return;
    rec.leader().set_coding_scheme(leader09);
    REQUIRE_FALSE(marcpp::write_iso2709(rec, out));
    rec = marcpp::record{};
    size = 0;
  };
  for (const auto& v : values) {
    if (size + v.size() > 80000 || rec.size() >= 1000) flush();
    rec.add(marcpp::field("500", "  ", {{'a', v}}));
    size += v.size() + 16;
  }
  flush();
  return out;
}

// What yaz-marcdump makes of each string (converted `from` -> `to`).
std::vector<std::string> yaz_convert(const std::vector<std::string>& values, const char* from, const char* to,
                                     char leader09) {
  const auto in = temp("yaz-in.mrc"), out = temp("yaz-out.mrc");
  {
    std::ofstream f(in, std::ios::binary);
    f << records_holding(values, leader09);
  }
  auto r = test::run_command(std::string("yaz-marcdump -f ") + from + " -t " + to + " -o marc " + test::quote(in) +
                             " > " + test::quote(out));
  REQUIRE(r.status == 0);
  auto o = test::read_all(marcpp::mmap_source{out});
  std::vector<std::string> result;
  for (const auto& rec : o.records)
    for (const auto& f : rec)
      result.emplace_back(f.subfields().empty() ? std::string_view{} : f.subfields()[0].value());
  REQUIRE(result.size() == values.size());
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  return result;
}

// What MARC::Charset makes of each string; empty where it refuses.
std::vector<std::optional<std::string>> perl_convert(const std::vector<std::string>& values, const char* mode) {
  const auto in = temp("perl-in.bin"), out = temp("perl-out.bin");
  {
    std::ofstream f(in, std::ios::binary);
    for (const auto& v : values) {
      auto n = static_cast<std::uint32_t>(v.size());
      char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                     static_cast<char>(n)};
      f.write(len, 4);
      f.write(v.data(), static_cast<std::streamsize>(v.size()));
    }
  }
  auto r = test::run_command("perl " + test::quote(MARCPP_TEST_TOOLS_DIR "/marc_charset.pl") + " " + mode + " " +
                             test::quote(in) + " " + test::quote(out));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  std::string bytes = test::slurp(out);
  std::vector<std::optional<std::string>> result;
  std::size_t i = 0;
  while (i + 5 <= bytes.size()) {
    bool ok = bytes[i] == '1';
    auto b = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1 + k])); };
    std::size_t n = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
    i += 5;
    REQUIRE(i + n <= bytes.size());
    if (ok) result.emplace_back(bytes.substr(i, n));
    else result.emplace_back();
    i += n;
  }
  REQUIRE(result.size() == values.size());
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  return result;
}

// Every value (control data and subfield values) of every MARC-8 record of
// the corpus's ISO 2709 files in bib-marc8/, large/ and malformed/: records
// whose leader/09 is not `a` and whose bytes are not UTF-8, or whose bytes
// are MARC-8 whatever leader/09 says; and pymarc's MARC-8 test vectors.
std::vector<std::string> corpus_marc8_values(std::size_t& records) {
  std::vector<std::string> values;
  records = 0;
  for (const char* dir : {"bib-marc8", "large", "malformed"}) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(test::corpus_dir() / dir)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
      auto ext = path.extension().string();
      if (ext == ".xml" || ext == ".json" || ext == ".mrk" || ext == ".gz") continue;
      auto o = test::read_all(marcpp::mmap_source{path});
      for (const auto& rec : o.records) {
        auto c = marcpp::check_encoding(rec);
        if (c.bytes ? *c.bytes != marcpp::encoding::marc8 : c.declared != marcpp::encoding::marc8) continue;
        ++records;
        for (const auto& f : rec) {
          if (f.is_control()) values.emplace_back(f.data());
          else
            for (const auto& s : f.subfields()) values.emplace_back(s.value());
        }
      }
    }
  }
  // Not a record: a MARC-8 Persian string as MARC::Charset's tests keep it.
  std::string farsi = test::slurp(test::corpus_dir() / "malformed/marc-perl-charset-farsi.marc");
  while (!farsi.empty() && (farsi.back() == '\n' || farsi.back() == '\r')) farsi.pop_back();
  values.push_back(farsi);
  // pymarc's MARC-8 test vectors, a line each.
  std::istringstream vectors(test::slurp(test::corpus_dir() / "marc8-vectors/pymarc-test_marc8.txt"));
  for (std::string line; std::getline(vectors, line);) values.push_back(line);
  std::vector<std::string> kept;
  for (auto& v : values)
    if (storable(v)) kept.push_back(std::move(v));
  return kept;
}

std::vector<std::uint32_t> code_points(std::string_view s) {
  std::vector<std::uint32_t> cps;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len;
    std::uint32_t cp = marcpp::detail::read_utf8(s.data() + i, s.size() - i, len);
    if (!len) {
      cps.push_back(0xFFFFFFFF);
      ++i;
      continue;
    }
    cps.push_back(cp);
    i += len;
  }
  return cps;
}
// Our decoding of one MARC-8 value, with what it reported.
struct decoded {
  std::string text;  // lenient, numeric character references left as text
  std::set<marcpp::errc> faults;
  std::vector<std::uint32_t> cps;
};
decoded ours(const std::string& v) {
  decoded d;
  std::vector<marcpp::diagnostic> report;
  marcpp::marc8::decode_options o;
  o.numeric_references = false;  // neither YAZ nor MARC::Charset reads them
  REQUIRE_FALSE(marcpp::marc8::decode(v, d.text, o, &report));
  for (const auto& r : report) d.faults.insert(r.code);
  d.cps = code_points(d.text);
  return d;
}

bool has_control(const std::string& v, bool perl) {
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (perl && (c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B)) continue;
    if ((c < 0x1D && c != 0x1B) || c == 0x7F) return true;
  }
  return false;
}

// The documented kinds of disagreement, counted.
struct verdicts {
  std::map<std::string, std::size_t> kinds;
  std::size_t same = 0;
  std::vector<std::string> unexplained;
  void add_unexplained(const std::string& what) {
    if (unexplained.size() < 10) unexplained.push_back(what);
    else unexplained.back() = "... and more";
  }
};

bool is_ansel_mark(unsigned char c) { return c >= 0xE0 && c <= 0xFE; }

// The input changed the way the other converter is documented to read it;
// `kinds` gets the name of each change that applied.
struct rewrite {
  std::string input;
  std::set<std::string> kinds;
};

// YAZ drops control characters (C0 but the separators, and DEL), the
// second halves of double diacritics, and 0x8D/0x8E (zero width joiner and
// non-joiner) while G1 holds Extended Arabic (its tables predate LoC's
// listing them in that set).
rewrite as_yaz_reads(const std::string& in, const decoded& d) {
  rewrite r;
  char g1 = 'E';
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char ch = in[i];
    auto c = static_cast<unsigned char>(ch);
    if (c == 0x1B && i + 2 < in.size() && (in[i + 1] == ')' || in[i + 1] == '-')) g1 = in[i + 2];
    if ((c < 0x1D && c != 0x1B) || c == 0x7F) {
      r.kinds.insert("control character dropped by YAZ");
      continue;
    }
    if ((c == 0x8D || c == 0x8E) && g1 == '4') {
      r.kinds.insert("0x8D/0x8E (zero width joiner, non-joiner) with G1 Extended Arabic: dropped by YAZ");
      continue;
    }
    if ((c == 0xEC || c == 0xFB) && (d.text.find("\xEF\xB8\xA1") != std::string::npos ||
                                     d.text.find("\xEF\xB8\xA3") != std::string::npos)) {
      r.kinds.insert("second half of a double diacritic with no first half: dropped by YAZ");
      continue;
    }
    r.input += ch;
  }
  // YAZ holds at most 8 combining marks for one character; it writes longer
  // runs in another order.
  std::size_t run = 0;
  for (char ch : in) {
    run = is_ansel_mark(static_cast<unsigned char>(ch)) ? run + 1 : 0;
    if (run > 8) r.kinds.insert("more than 8 combining marks in a row: reordered by YAZ");
  }
  return r;
}

// MARC::Charset passes white space through without making it the base of
// the combining marks before it (they go to the next character), drops the
// second halves of double diacritics, and drops combining marks left without
// a base at the end.
rewrite as_perl_reads(const std::string& in, const decoded& d) {
  rewrite r;
  std::string pending;
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if ((c == 0xEC || c == 0xFB) && (d.text.find("\xEF\xB8\xA1") != std::string::npos ||
                                     d.text.find("\xEF\xB8\xA3") != std::string::npos)) {
      r.kinds.insert("second half of a double diacritic with no first half: dropped by MARC::Charset");
      continue;
    }
    if (is_ansel_mark(c)) {
      pending += ch;
      continue;
    }
    if ((c == ' ' || c == '\t' || c == '\n' || c == '\r') && !pending.empty()) {
      r.kinds.insert("white space after combining marks: not their base in MARC::Charset");
      r.input += ch;
      continue;
    }
    r.input += pending;
    pending.clear();
    r.input += ch;
  }
  if (!pending.empty()) r.kinds.insert("combining marks with no base at the end: dropped by MARC::Charset");
  return r;
}

// Our text as YAZ would have it (see `as_yaz_reads`).
std::string as_yaz_text(const std::string& in, const decoded& d);

// The code points of `s` that are not combining marks of the MARC-8 tables.
std::vector<std::uint32_t> bases(const std::string& s) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t cp : code_points(s)) {
    auto [first, last] = marcpp::detail::single_find(cp);
    if (first == last || !first->is_combining) out.push_back(cp);
  }
  return out;
}

std::string decode_plain(const std::string& in) {
  std::string out;
  marcpp::marc8::decode_options o;
  o.numeric_references = false;
  (void)marcpp::marc8::decode(in, out, o);
  return out;
}

std::string as_yaz_text(const std::string& in, const decoded& d) { return decode_plain(as_yaz_reads(in, d).input); }

std::vector<std::uint32_t> sorted_code_points(const std::string& s) {
  auto cps = code_points(s);
  std::sort(cps.begin(), cps.end());
  return cps;
}

void compare(const std::vector<std::string>& inputs, const std::vector<std::string>& yaz,
             const std::vector<std::optional<std::string>>* perl, verdicts& vy, verdicts& vp) {
  auto show = [](const std::string& in, const decoded& d, const char* who, const std::string* theirs) {
    return "input \"" + marcpp::detail::printable(in) + "\"\n  ours \"" + marcpp::detail::printable(d.text) + "\"\n  " +
           who + " " + (theirs ? "\"" + marcpp::detail::printable(*theirs) + "\"" : std::string("refused it"));
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string& in = inputs[i];
    decoded d = ours(in);
    const bool fault = d.faults.count(marcpp::errc::unmapped_marc8) || d.faults.count(marcpp::errc::bad_escape_sequence);
    const bool dangling = d.faults.count(marcpp::errc::dangling_combining_mark);
    // YAZ
    if (!fault && d.text == yaz[i]) {
      ++vy.same;
    } else if (fault) {
      // Bytes that map to nothing, bad escapes: U+FFFD here (lenient) or an
      // error (strict); YAZ drops bytes or cuts the value short.
      ++vy.kinds["MARC-8 fault (unmapped byte, bad escape): U+FFFD here, dropped or cut short by YAZ"];
    } else if (dangling && yaz[i].empty()) {
      ++vy.kinds["combining marks with no base at the end: YAZ loses the whole value"];
    } else if (dangling && sorted_code_points(as_yaz_text(in, d)) == sorted_code_points(yaz[i])) {
      ++vy.kinds["combining marks with no base at the end: YAZ writes them in another order"];
    } else {
      rewrite r = as_yaz_reads(in, d);
      std::string theirs_way = decode_plain(r.input);
      // Without a first half, or past 8 marks, YAZ puts the marks elsewhere:
      // the same characters, in another order.
      bool moved = r.kinds.count("second half of a double diacritic with no first half: dropped by YAZ") ||
                   r.kinds.count("more than 8 combining marks in a row: reordered by YAZ");
      if (!r.kinds.empty() && (theirs_way == yaz[i] || (moved && sorted_code_points(theirs_way) == sorted_code_points(yaz[i])))) {
        for (const auto& k : r.kinds) ++vy.kinds[k];
      } else if (r.kinds.count("second half of a double diacritic with no first half: dropped by YAZ") &&
                 r.kinds.count("more than 8 combining marks in a row: reordered by YAZ") &&
                 bases(theirs_way) == bases(yaz[i])) {
        // Both at once overrun YAZ's buffer of marks: the base characters
        // agree, the marks do not.
        ++vy.kinds["more than 8 combining marks and a second half with no first half: marks garbled by YAZ"];
      } else {
        vy.add_unexplained(show(in, d, "yaz ", &yaz[i]));
      }
    }
    if (!perl) continue;
    // MARC::Charset
    const auto& p = (*perl)[i];
    if (!fault && p && *p == d.text) {
      ++vp.same;
    } else if (fault) {
      ++vp.kinds[p ? "MARC-8 fault (unmapped byte, bad escape): U+FFFD here, read otherwise by MARC::Charset"
                   : "MARC-8 fault (unmapped byte, bad escape): U+FFFD here, the value refused by MARC::Charset"];
    } else if (!p) {
      if (has_control(in, true)) ++vp.kinds["control character: kept here, the value refused by MARC::Charset"];
      else vp.add_unexplained(show(in, d, "perl", nullptr));
    } else {
      rewrite r = as_perl_reads(in, d);
      if (!r.kinds.empty() && decode_plain(r.input) == *p) {
        for (const auto& k : r.kinds) ++vp.kinds[k];
      } else {
        vp.add_unexplained(show(in, d, "perl", &*p));
      }
    }
  }
}

std::string summary(const verdicts& v) {
  std::ostringstream s;
  s << v.same << " identical";
  for (const auto& [k, n] : v.kinds) s << "; " << n << " x " << k;
  return s.str();
}

// The canonical decomposition (NFD) of `s`, by ICU where the tests have it.
std::string decomposed(const std::string& s) {
#ifdef MARCPP_TEST_HAVE_ICU
  std::string out;
  REQUIRE(marcpp::nfd.apply(s, out));
  return out;
#else
  return s;
#endif
}

// One MARC-8 string per code of the LoC tables: designation, the code,
// return to the default sets. A combining mark is followed by a base `o`,
// the first half of a double diacritic by `o`, its second half and `o`.
struct probe {
  std::string marc8;
  std::string utf8;  // what the tables say it means
};
std::vector<probe> table_probes() {
  std::vector<probe> probes;
  for (int s = 0; s < m8t::single_count; ++s) {
    const auto& set = m8t::single_sets[s];
    const bool t1 = marcpp::detail::is_technique1(static_cast<std::uint8_t>(s));
    std::string designate, back;
    if (s == m8t::basic_latin) {
    } else if (set.g1) {
      if (s != m8t::ansel) {
        designate = std::string("\x1B)") + set.final_byte;
        back = "\x1B)E";
      }
    } else if (t1) {
      designate = std::string("\x1B") + set.final_byte;
      back = "\x1Bs";
    } else {
      designate = std::string("\x1B(") + set.final_byte;
      back = "\x1B(B";
    }
    for (unsigned code = 0x21; code <= 0x7E; ++code) {
      std::uint32_t v = m8t::single[s][code];
      if (!v) continue;
      const std::uint32_t cp = v & ~m8t::combining;
      const char byte = static_cast<char>(set.g1 ? code | 0x80u : code);
      probe p;
      if (!(v & m8t::combining)) {
        p.marc8 = designate + byte + back;
        marcpp::detail::append_utf8(p.utf8, cp);
      } else if (int k = marcpp::detail::second_half_index(code | 0x80u); k >= 0 && s == m8t::ansel) {
        // A second half alone: its alternate code point (documented).
        p.marc8 = designate + byte + back + "o";
        p.utf8 = "o";
        marcpp::detail::append_utf8(p.utf8, cp);
      } else if (marcpp::detail::double_index(cp) >= 0) {
        p.marc8 = designate + byte + back + "o" + static_cast<char>(m8t::doubles[marcpp::detail::double_index(cp)][1]) + "o";
        p.utf8 = "o";
        marcpp::detail::append_utf8(p.utf8, cp);
        p.utf8 += "o";
      } else {
        p.marc8 = designate + byte + back + "o";
        p.utf8 = "o";
        marcpp::detail::append_utf8(p.utf8, cp);
      }
      probes.push_back(std::move(p));
    }
  }
  for (const auto& e : m8t::c1) {
    probe p;
    p.marc8 = std::string(1, static_cast<char>(e[0]));
    marcpp::detail::append_utf8(p.utf8, e[1]);
    probes.push_back(std::move(p));
  }
  for (int i = 0; i < m8t::eacc_count; ++i) {
    std::uint32_t code = marcpp::detail::eacc_code(static_cast<std::size_t>(i));
    probe p;
    p.marc8 = "\x1B$1";
    p.marc8 += static_cast<char>(code >> 16);
    p.marc8 += static_cast<char>((code >> 8) & 0xFF);
    p.marc8 += static_cast<char>(code & 0xFF);
    p.marc8 += "\x1B(B";
    marcpp::detail::append_utf8(p.utf8, m8t::eacc_ucs[i]);
    probes.push_back(std::move(p));
  }
  return probes;
}

}  // namespace

TEST_CASE("differential: every code of the LoC tables, decoded by marcpp, YAZ and MARC::Charset") {
  auto probes = table_probes();
  // The 16,400 codes of the tables, less the 5 controls and space of Basic
  // Latin, with the C1 controls (listed in two sets) once.
  CHECK(probes.size() == 16393);
  std::vector<std::string> inputs;
  for (const auto& p : probes) {
    CAPTURE(marcpp::detail::printable(p.marc8));
    CHECK(marcpp::marc8::to_utf8(p.marc8, {.policy = marcpp::error_policy::strict}) == p.utf8);
    inputs.push_back(p.marc8);
  }
  if (!test::have_program("yaz-marcdump", "Debian package yaz")) return;
  auto yaz = yaz_convert(inputs, "MARC-8", "UTF-8", ' ');
  std::optional<std::vector<std::optional<std::string>>> perl;
  if (have_perl_charset()) perl = perl_convert(inputs, "to-utf8");
  verdicts vy, vp;
  compare(inputs, yaz, perl ? &*perl : nullptr, vy, vp);
  MESSAGE("table codes, YAZ: " << summary(vy));
  for (const auto& u : vy.unexplained) FAIL_CHECK("YAZ disagrees:\n" << u);
  if (perl) {
    MESSAGE("table codes, MARC::Charset: " << summary(vp));
    for (const auto& u : vp.unexplained) FAIL_CHECK("MARC::Charset disagrees:\n" << u);
  }
  // The lone second halves are the only codes decoded differently.
  CHECK(vy.same == probes.size() - 2);
}

TEST_CASE("differential: every value of every MARC-8 record in the corpus") {
  if (!test::have_corpus()) return;
  if (!test::have_program("yaz-marcdump", "Debian package yaz")) return;
  std::size_t records = 0;
  auto values = corpus_marc8_values(records);
  MESSAGE(records << " MARC-8 records and pymarc's 1,515 vectors: " << values.size() << " values");
  CHECK(records > 3500);
  auto yaz = yaz_convert(values, "MARC-8", "UTF-8", ' ');
  std::optional<std::vector<std::optional<std::string>>> perl;
  if (have_perl_charset()) perl = perl_convert(values, "to-utf8");
  verdicts vy, vp;
  compare(values, yaz, perl ? &*perl : nullptr, vy, vp);
  MESSAGE("corpus values, YAZ: " << summary(vy));
  for (const auto& u : vy.unexplained) FAIL_CHECK("YAZ disagrees:\n" << u);
  if (perl) {
    MESSAGE("corpus values, MARC::Charset: " << summary(vp));
    for (const auto& u : vp.unexplained) FAIL_CHECK("MARC::Charset disagrees:\n" << u);
  }
  CHECK(vy.same > values.size() * 99 / 100);
}

TEST_CASE("differential: every code point marcpp writes in MARC-8 reads back the same in YAZ and MARC::Charset") {
  // One UTF-8 string per code point MARC-8 holds (a combining mark on `o`).
  std::vector<std::string> utf8;
  std::set<std::uint32_t> seen;
  auto add = [&](std::uint32_t cp, bool combining) {
    if (!seen.insert(cp).second) return;
    std::string s;
    if (combining) s = "o";
    marcpp::detail::append_utf8(s, cp);
    utf8.push_back(s);
  };
  for (const auto& e : m8t::encodings) add(e.cp, e.is_combining);
  for (int i = 0; i < m8t::eacc_encoding_count; ++i) add(m8t::eacc_ucs[m8t::eacc_by_ucs[i]], false);
  CHECK(utf8.size() == seen.size());
  std::vector<std::string> marc8;
  for (const auto& s : utf8) {
    CAPTURE(marcpp::detail::printable(s));
    std::string m = marcpp::marc8::from_utf8(s, {.policy = marcpp::error_policy::strict, .numeric_references = false});
    CHECK(marcpp::marc8::to_utf8(m, {.policy = marcpp::error_policy::strict}) == s);
    marc8.push_back(std::move(m));
  }
  if (!test::have_program("yaz-marcdump", "Debian package yaz")) return;
  auto yaz = yaz_convert(marc8, "MARC-8", "UTF-8", ' ');
  std::size_t yaz_same = 0;
  std::map<std::string, std::size_t> yaz_kinds;
  for (std::size_t i = 0; i < marc8.size(); ++i) {
    if (yaz[i] == utf8[i]) {
      ++yaz_same;
    } else if (utf8[i] == "o\xEF\xB8\xA1" || utf8[i] == "o\xEF\xB8\xA3") {
      ++yaz_kinds["lone second half of a double diacritic dropped"];
      CHECK(yaz[i] == "o");
    } else {
      FAIL_CHECK("YAZ reads " << marcpp::detail::printable(marc8[i]) << " as " << marcpp::detail::printable(yaz[i])
                              << ", not " << marcpp::detail::printable(utf8[i]));
    }
  }
  MESSAGE("marcpp's MARC-8 read by YAZ: " << yaz_same << " of " << marc8.size() << " identical");
  if (have_perl_charset()) {
    auto perl = perl_convert(marc8, "to-utf8");
    std::size_t perl_same = 0;
    for (std::size_t i = 0; i < marc8.size(); ++i) {
      if (perl[i] && *perl[i] == utf8[i]) {
        ++perl_same;
      } else if (utf8[i] == "o\xEF\xB8\xA1" || utf8[i] == "o\xEF\xB8\xA3") {
        CHECK(perl[i] == std::optional<std::string>("o"));
      } else {
        FAIL_CHECK("MARC::Charset reads " << marcpp::detail::printable(marc8[i]) << " as "
                                          << (perl[i] ? marcpp::detail::printable(*perl[i]) : "nothing") << ", not "
                                          << marcpp::detail::printable(utf8[i]));
      }
    }
    MESSAGE("marcpp's MARC-8 read by MARC::Charset: " << perl_same << " of " << marc8.size() << " identical");
  }
}

TEST_CASE("differential: MARC-8 written by YAZ and MARC::Charset reads back the same in marcpp") {
  std::vector<std::string> utf8;
  std::set<std::uint32_t> seen;
  for (const auto& e : m8t::encodings)
    if (seen.insert(e.cp).second) {
      std::string s = e.is_combining ? "o" : "";
      marcpp::detail::append_utf8(s, e.cp);
      utf8.push_back(s);
    }
  for (int i = 0; i < m8t::eacc_encoding_count; ++i) {
    std::string s;
    marcpp::detail::append_utf8(s, m8t::eacc_ucs[m8t::eacc_by_ucs[i]]);
    utf8.push_back(s);
  }
  if (!test::have_program("yaz-marcdump", "Debian package yaz")) return;
  auto yaz = yaz_convert(utf8, "UTF-8", "MARC-8", 'a');
  std::size_t same = 0;
  std::map<std::string, std::size_t> kinds;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    std::string back;
    std::vector<marcpp::diagnostic> report;
    (void)marcpp::marc8::decode(yaz[i], back, {}, &report);
    if (back == utf8[i]) {
      ++same;
    } else if (utf8[i] == "o\xEF\xB8\xA1" || utf8[i] == "o\xEF\xB8\xA3") {
      ++kinds["lone second half: YAZ writes it as a second half after the character"];
    } else if (utf8[i] == "\xE3\x80\x93") {
      // U+3013 GETA MARK: LoC's code is 212A46; YAZ writes 6F7624, a code
      // LoC maps to U+E8B0 and gives U+3013 only as its alternate.
      ++kinds["U+3013 written by YAZ as EACC 6F7624 (LoC: U+E8B0)"];
      CHECK(back == "\xEE\xA2\xB0");
    } else if (code_points(utf8[i]).front() > 0xFFFF) {
      ++kinds["a character beyond U+FFFF: dropped by YAZ"];
      CHECK(yaz[i].empty());
    } else {
      FAIL_CHECK("YAZ writes " << marcpp::detail::printable(utf8[i]) << " as " << marcpp::detail::printable(yaz[i])
                               << ", which marcpp reads as " << marcpp::detail::printable(back));
    }
  }
  MESSAGE("YAZ's MARC-8 read by marcpp: " << same << " of " << utf8.size() << " identical");
  for (const auto& [k, n] : kinds) MESSAGE(n << " x " << k);
  if (have_perl_charset()) {
    auto perl = perl_convert(utf8, "to-marc8");
    std::size_t psame = 0;
    std::map<std::string, std::size_t> pkinds;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
      const auto cps = code_points(utf8[i]);
      const std::uint32_t cp = cps.back();
      const bool decomposes = decomposed(utf8[i]) != utf8[i];
      if (!perl[i]) {
        auto [first, last] = marcpp::detail::single_find(cp);
        if (decomposes) {
          // MARC::Charset decomposes (NFD) before it looks characters up, and
          // refuses those MARC-8 holds only precomposed (Hangul syllables...).
          ++pkinds["precomposed in MARC-8, decomposed (NFD) and then refused by MARC::Charset"];
        } else if (first != last && first->set == m8t::c1_set) {
          ++pkinds["C1 controls and joiners (U+0098, U+009C, U+200C, U+200D): refused by MARC::Charset"];
        } else {
          FAIL_CHECK("MARC::Charset refuses " << marcpp::detail::printable(utf8[i]));
        }
        continue;
      }
      std::string back;
      (void)marcpp::marc8::decode(*perl[i], back);
      if (back == utf8[i]) {
        ++psame;
        continue;
      }
      auto [first, last] = marcpp::detail::single_find(cp);
      if (first != last && first->is_combining && !m8t::single_sets[first->set].g1 &&
          *perl[i] == std::string(1, static_cast<char>(first->code)) + "o") {
        // The mark's code without the escape sequence of its set.
        ++pkinds["combining mark of Greek, Hebrew or Arabic: written by MARC::Charset without its escape sequence"];
      } else if (decomposes && back == decomposed(utf8[i])) {
        ++pkinds["a singleton decomposition (U+0374, U+037E, U+0387): written by MARC::Charset as its NFD"];
      } else {
        FAIL_CHECK("MARC::Charset writes " << marcpp::detail::printable(utf8[i]) << " as "
                                           << marcpp::detail::printable(*perl[i]) << ", which marcpp reads as "
                                           << marcpp::detail::printable(back));
      }
    }
    MESSAGE("MARC::Charset's MARC-8 read by marcpp: " << psame << " of " << utf8.size() << " identical");
    for (const auto& [k, n] : pkinds) MESSAGE(n << " x " << k);
  }
}
