#include <marcpp/charset.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

namespace {

using marcpp::encoding;
using marcpp::errc;
using marcpp::error_policy;
using marcpp::leader09_policy;

// A record with leader/09 `flag`, an 001 and a 245 holding `title`.
marcpp::record make(char flag, const std::string& title, const std::string& more = "") {
  marcpp::record r;
  r.leader().set_coding_scheme(flag);
  r.add(marcpp::field::control("001", "rec-1"));
  r.add(marcpp::field("100", "1 ", {{'a', "Author."}}));
  r.add(marcpp::field("245", "10", {{'a', title}, {'c', more}}));
  return r;
}

// The ISO 2709 bytes of `r` (written as they are).
std::string bytes_of(const marcpp::record& r) { return marcpp::to_iso2709(r); }

// Reads the records of `bytes` as views, and calls f(view) for each.
template <class F>
void with_views(const std::string& bytes, F&& f) {
  marcpp::reader rd{marcpp::memory_source{bytes}, {.policy = error_policy::lenient, .validate_utf8 = false}};
  marcpp::record_view v;
  while (rd.next(v)) f(v);
}

const marcpp::diagnostic* find(const marcpp::record& r, errc code) {
  for (const auto& d : r.diagnostics())
    if (d.code == code) return &d;
  return nullptr;
}

}  // namespace

TEST_CASE("check_encoding: leader/09 against the bytes") {
  SUBCASE("MARC-8 flagged MARC-8") {
    auto c = marcpp::check_encoding(make(' ', "Caf\xE2" "e"));
    CHECK(c.declared == encoding::marc8);
    CHECK(c.bytes == encoding::marc8);
    CHECK(c.agrees());
    CHECK(c.invalid == 1);
  }
  SUBCASE("UTF-8 flagged UTF-8") {
    auto c = marcpp::check_encoding(make('a', "Caf\xC3\xA9"));
    CHECK(c.declared == encoding::utf8);
    CHECK(c.bytes == encoding::utf8);
    CHECK(c.multibyte == 1);
    CHECK(c.agrees());
  }
  SUBCASE("plain ASCII: the bytes say nothing") {
    auto c = marcpp::check_encoding(make(' ', "Cafe"));
    CHECK_FALSE(c.bytes.has_value());
    CHECK(c.agrees());
    CHECK(marcpp::check_encoding(make('a', "Cafe")).agrees());
  }
  SUBCASE("leader/09 blank, bytes UTF-8: found, with the field and the input offset") {
    const std::string bytes = bytes_of(make(' ', "Na\xC3\xAFve caf\xC3\xA9"));
    with_views(bytes, [&](const marcpp::record_view& v) {
      auto c = marcpp::check_encoding(v);
      CHECK_FALSE(c.agrees());
      CHECK(c.bytes == encoding::utf8);
      CHECK(c.multibyte == 2);
      CHECK(c.tag == marcpp::tag("245"));
      CHECK(c.field_index == 2);
      CHECK(c.offset == bytes.find("\xC3\xAF"));
    });
  }
  SUBCASE("leader/09 a, bytes MARC-8") {
    auto c = marcpp::check_encoding(make('a', "Caf\xE2" "e \x1B(NzIMA\x1B(B"));
    CHECK_FALSE(c.agrees());
    CHECK(c.bytes == encoding::marc8);
    CHECK(c.escapes == 2);
    CHECK(c.offset == marcpp::npos);  // an owning record knows no input offsets
    CHECK(c.tag == marcpp::tag("245"));
  }
  SUBCASE("flagged UTF-8, neither UTF-8 nor MARC-8: the bytes do not tell, the flag stands") {
    // A Latin-1 e with acute at the end: no UTF-8, and in MARC-8 a caron
    // with nothing after it.
    auto c = marcpp::check_encoding(make('a', "Caf\xE9"));
    CHECK_FALSE(c.bytes.has_value());
    CHECK(c.invalid == 1);
    CHECK(c.agrees());
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(make('a', "Caf\xE9"), u));
    CHECK(u.value("245", 'a') == "Caf\uFFFD");
    CHECK(find(u, errc::invalid_utf8));
    CHECK_FALSE(find(u, errc::encoding_mismatch));
  }
  SUBCASE("flagged UTF-8, reads as MARC-8: MARC-8") {
    auto c = marcpp::check_encoding(make('a', "Price \xB9" "0.75"));  // ANSEL's pound sign
    CHECK(c.bytes == encoding::marc8);
    CHECK_FALSE(c.agrees());
    CHECK(marcpp::to_utf8(make('a', "Price \xB9" "0.75")).value("245", 'a') == "Price \u00A30.75");
  }
  SUBCASE("UTF-8 with a few bad bytes is still UTF-8") {
    auto c = marcpp::check_encoding(make('a', "\xC3\xA9t\xC3\xA9 \xC3\xA0 \xFF"));
    CHECK(c.bytes == encoding::utf8);
    CHECK(c.invalid == 1);
    CHECK(c.agrees());
  }
}

TEST_CASE("to_utf8: a MARC-8 record becomes an owning UTF-8 record, leader/09 a") {
  const std::string bytes = bytes_of(make(' ', "Caf\xE2" "e \x1B(NzIMA\x1B(B", "H\x1B" "b2\x1BsO"));
  with_views(bytes, [&](const marcpp::record_view& v) {
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(v, u));
    CHECK(u.leader().coding_scheme() == 'a');
    CHECK(u.value("245", 'a') == "Cafe\u0301 \u0417\u0438\u043C\u0430");
    CHECK(u.value("245", 'c') == "H\u2082O");
    CHECK(u.control_number() == "rec-1");
    CHECK(u.value("100", 'a') == "Author.");
    CHECK(u.diagnostics().empty());
    CHECK(u.index() == v.index());
    // Written and read again, it is the same record.
    auto again = test::one(marcpp::to_iso2709(u));
    CHECK(again == u);
  });
  SUBCASE("an owning record, converted in place") {
    marcpp::record r = make(' ', "Caf\xE2" "e");
    REQUIRE_FALSE(marcpp::to_utf8(r, r));
    CHECK(r.value("245", 'a') == "Cafe\u0301");
    CHECK(r.leader().coding_scheme() == 'a');
  }
  SUBCASE("a UTF-8 record is checked and kept") {
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(make('a', "Caf\xC3\xA9"), u));
    CHECK(u.value("245", 'a') == "Caf\xC3\xA9");
  }
  SUBCASE("the throwing convenience") {
    CHECK(marcpp::to_utf8(make(' ', "\xA2")).value("245", 'a') == "\u00D8");
#if MARCPP_HAS_EXCEPTIONS
    CHECK_THROWS_AS((void)marcpp::to_utf8(make(' ', "\xFF"), {.policy = error_policy::strict}), marcpp::error);
#endif
  }
}

TEST_CASE("to_utf8: the leader/09 policy") {
  // Says MARC-8, holds UTF-8.
  const std::string lying = bytes_of(make(' ', "Na\xC3\xAFve caf\xC3\xA9"));
  with_views(lying, [&](const marcpp::record_view& v) {
    SUBCASE("trust the bytes (default): read as UTF-8, reported as a warning") {
      marcpp::record u;
      REQUIRE_FALSE(marcpp::to_utf8(v, u));
      CHECK(u.value("245", 'a') == "Na\xC3\xAFve caf\xC3\xA9");
      CHECK(u.leader().coding_scheme() == 'a');
      const auto* d = find(u, errc::encoding_mismatch);
      REQUIRE(d);
      CHECK(d->level == marcpp::severity::warning);
      CHECK(d->record_index == 0);
      CHECK(d->offset == lying.find("\xC3\xAF"));
      CHECK(d->tag == marcpp::tag("245"));
      CHECK(d->control_number == "rec-1");
      CHECK(d->message.find("leader/09 is blank (MARC-8) but the data is UTF-8 (2 multibyte UTF-8 characters)") !=
            std::string::npos);
      CHECK(d->message.find("read as UTF-8, as the bytes say") != std::string::npos);
    }
    SUBCASE("trust the flag: read as MARC-8, with the faults that brings") {
      marcpp::record u;
      REQUIRE_FALSE(marcpp::to_utf8(v, u, {.leader09 = leader09_policy::trust_flag}));
      CHECK(u.value("245", 'a') != "Na\xC3\xAFve caf\xC3\xA9");
      const auto* d = find(u, errc::encoding_mismatch);
      REQUIRE(d);
      CHECK(d->message.find("as leader/09 says") != std::string::npos);
      CHECK(find(u, errc::unmapped_marc8));
    }
    SUBCASE("fail: the record is refused") {
      marcpp::record u = make('a', "left over");
      auto err = marcpp::to_utf8(v, u, {.leader09 = leader09_policy::fail});
      CHECK(err.code == errc::encoding_mismatch);
      CHECK(err.level == marcpp::severity::error);
      CHECK(err.offset == lying.find("\xC3\xAF"));
      CHECK(err.message.find("the record is not converted") != std::string::npos);
      CHECK(u.empty());
    }
    SUBCASE("the encoding given: no detection") {
      marcpp::record u;
      REQUIRE_FALSE(marcpp::to_utf8(v, u, {.from = marcpp::source_encoding::utf8, .leader09 = leader09_policy::fail}));
      CHECK(u.value("245", 'a') == "Na\xC3\xAFve caf\xC3\xA9");
      CHECK_FALSE(find(u, errc::encoding_mismatch));
      REQUIRE_FALSE(marcpp::to_utf8(v, u, {.from = marcpp::source_encoding::marc8}));
      CHECK(find(u, errc::unmapped_marc8));
    }
  });
  SUBCASE("says UTF-8, holds MARC-8: read as MARC-8") {
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(make('a', "Caf\xE2" "e"), u));
    CHECK(u.value("245", 'a') == "Cafe\u0301");
    const auto* d = find(u, errc::encoding_mismatch);
    REQUIRE(d);
    CHECK(d->message.find("leader/09 is 'a' (UTF-8) but the data is not UTF-8 (1 byte UTF-8 does not allow): it is MARC-8") !=
          std::string::npos);
    CHECK(d->offset == marcpp::npos);
  }
  SUBCASE("a leader/09 that is neither blank nor a") {
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(make('#', "Caf\xE2" "e"), u));
    CHECK(u.value("245", 'a') == "Cafe\u0301");
    const auto* d = find(u, errc::encoding_mismatch);
    REQUIRE(d);
    CHECK(d->level == marcpp::severity::warning);
    CHECK(d->message.find("leader/09 is \"#\", neither blank (MARC-8) nor 'a' (UTF-8)") != std::string::npos);
  }
}

TEST_CASE("to_utf8: faults, under every policy, with the record, field and input offset") {
  const std::string bytes = bytes_of(make(' ', "ab\xFF" "c", "x\x1Bt"));
  with_views(bytes, [&](const marcpp::record_view& v) {
    SUBCASE("lenient: U+FFFD and a repair for each") {
      marcpp::record u;
      REQUIRE_FALSE(marcpp::to_utf8(v, u));
      CHECK(u.value("245", 'a') == "ab\uFFFDc");
      CHECK(u.value("245", 'c') == "x\uFFFDt");
      CHECK(u.repaired());
      const auto* d = find(u, errc::unmapped_marc8);
      REQUIRE(d);
      CHECK(d->level == marcpp::severity::repair);
      CHECK(d->offset == bytes.find("\xFF"));
      CHECK(d->record_offset == 0);
      CHECK(d->tag == marcpp::tag("245"));
      CHECK(d->field_index == 2);
      CHECK(d->control_number == "rec-1");
      CHECK(d->original == "\xFF");
      CHECK(d->message.find("in subfield $a, the byte 0xFF is no MARC-8 character") != std::string::npos);
      const auto* e = find(u, errc::bad_escape_sequence);
      REQUIRE(e);
      CHECK(e->offset == bytes.find("\x1Bt"));
      CHECK(e->message.find("in subfield $c,") != std::string::npos);
    }
    SUBCASE("strict and skip: the record is refused with the first fault") {
      for (auto p : {error_policy::strict, error_policy::skip}) {
        marcpp::record u = make('a', "left over");
        auto err = marcpp::to_utf8(v, u, {.policy = p});
        CHECK(err.code == errc::unmapped_marc8);
        CHECK(err.level == marcpp::severity::error);
        CHECK(err.offset == bytes.find("\xFF"));
        CHECK(err.message.find("the record is not converted") != std::string::npos);
        CHECK(u.empty());
      }
    }
  });
  SUBCASE("an owning record: no input offsets") {
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(make(' ', "ab\xFF"), u));
    const auto* d = find(u, errc::unmapped_marc8);
    REQUIRE(d);
    CHECK(d->offset == marcpp::npos);
    CHECK(d->tag == marcpp::tag("245"));
  }
  SUBCASE("faults in a control field") {
    marcpp::record r = make(' ', "t");
    r.add(marcpp::field::control("005", "2020\xFF"));
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(r, u));
    const auto* d = find(u, errc::unmapped_marc8);
    REQUIRE(d);
    CHECK(d->message.find("in the control field,") != std::string::npos);
    CHECK(u.first("005")->data() == "2020\uFFFD");
  }
  SUBCASE("invalid UTF-8 in a UTF-8 record: U+FFFD, or refused") {
    marcpp::record r = make('a', "\xC3\xA9t\xC3\xA9 \xFF!");
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(r, u));
    CHECK(u.value("245", 'a') == "\xC3\xA9t\xC3\xA9 \uFFFD!");
    const auto* d = find(u, errc::invalid_utf8);
    REQUIRE(d);
    CHECK(d->level == marcpp::severity::repair);
    CHECK(marcpp::to_utf8(r, u, {.policy = error_policy::strict}).code == errc::invalid_utf8);
  }
  SUBCASE("at most 16 faults of a kind in a record, then a count") {
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(make(' ', std::string(20, '\xFF'), std::string(5, '\xFF')), u));
    std::size_t listed = 0;
    for (const auto& d : u.diagnostics()) listed += d.code == errc::unmapped_marc8;
    CHECK(listed == 17);
    CHECK(u.diagnostics().back().message.find("9 more unmapped_marc8 faults in this record") != std::string::npos);
  }
  SUBCASE("the diagnostics of the record as read come first") {
    std::string damaged = bytes_of(make(' ', "Caf\xE2" "e"));
    damaged[0] = 'X';  // a record length that is no number
    with_views(damaged, [&](const marcpp::record_view& dv) {
      marcpp::record u;
      REQUIRE_FALSE(marcpp::to_utf8(dv, u));
      REQUIRE_FALSE(u.diagnostics().empty());
      CHECK(u.diagnostics()[0].code == errc::bad_record_length);
    });
  }
}

TEST_CASE("to_utf8: a code byte of 0x80 or more is read with its value, as the field's bytes hold them") {
  // The delimiter followed by "Über": the code byte 0xC3 begins the
  // character its value completes. The field's bytes are UTF-8: nothing to
  // repair, in a view or in an owning record.
  marcpp::record r = make('a', "t");
  r[2].subfields().push_back(marcpp::subfield('\xC3', "\x9C" "ber"));
  // A code byte that begins no character: it stays (structure, like an
  // indicator), and the value is checked on its own.
  r[2].subfields().push_back(marcpp::subfield('\xB9', "\xEF\xBF\xBD" "ok \xFF"));
  const std::string bytes = bytes_of(r);
  auto check = [](const marcpp::record& u) {
    const auto subs = u[2].subfields();
    REQUIRE(subs.size() == 4);
    CHECK(subs[2].code() == '\xC3');
    CHECK(subs[2].value() == "\x9C" "ber");
    CHECK(subs[3].code() == '\xB9');
    CHECK(subs[3].value() == "\xEF\xBF\xBD" "ok \xEF\xBF\xBD");
    std::size_t invalid = 0;
    for (const auto& d : u.diagnostics()) invalid += d.code == errc::invalid_utf8;
    CHECK(invalid == 1);  // the 0xFF alone
  };
  marcpp::record owned;
  REQUIRE_FALSE(marcpp::to_utf8(r, owned));
  check(owned);
  with_views(bytes, [&](const marcpp::record_view& v) {
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(v, u));
    check(u);
  });
}

TEST_CASE("to_marc8: an owning MARC-8 record, leader/09 blank") {
  marcpp::record r = make('a', "Cafe\u0301 \u0417\u0438\u043C\u0430", "smile \U0001F600");
  marcpp::record m;
  REQUIRE_FALSE(marcpp::to_marc8(r, m));
  CHECK(m.leader().coding_scheme() == ' ');
  CHECK(m.value("245", 'a') == "Caf\xE2" "e \x1B(NzIMA\x1B(B");
  CHECK(m.value("245", 'c') == "smile &#x1F600;");
  const auto* d = find(m, errc::unrepresentable_character);
  REQUIRE(d);
  CHECK(d->level == marcpp::severity::warning);
  CHECK(d->message.find("in subfield $c, U+1F600 is no MARC-8 character") != std::string::npos);
  SUBCASE("and back") {
    marcpp::record u;
    REQUIRE_FALSE(marcpp::to_utf8(m, u));
    CHECK(u.value("245", 'a') == r.value("245", 'a'));
    CHECK(u.value("245", 'c') == r.value("245", 'c'));
  }
  SUBCASE("a MARC-8 record is kept as it is") {
    marcpp::record mm;
    REQUIRE_FALSE(marcpp::to_marc8(m, mm));
    CHECK(mm == m);
  }
  SUBCASE("without numeric character references, strict refuses the record") {
    auto err = marcpp::to_marc8(r, m, {.policy = error_policy::strict, .numeric_references = false});
    CHECK(err.code == errc::unrepresentable_character);
    CHECK(m.empty());
  }
  SUBCASE("convert_to and the throwing convenience") {
    marcpp::record c;
    REQUIRE_FALSE(marcpp::convert_to(encoding::marc8, r, c));
    CHECK(c == m);
    CHECK(marcpp::to_marc8(r) == m);
  }
}

TEST_CASE("write_iso2709: converting on write sets leader/09") {
  const marcpp::record u = make('a', "Cafe\u0301 \u0417\u0438\u043C\u0430");
  std::string bytes;
  REQUIRE_FALSE(marcpp::write_iso2709(u, bytes, {.to_encoding = encoding::marc8}));
  auto m = test::one(bytes);
  CHECK(m.leader().coding_scheme() == ' ');
  CHECK(m.value("245", 'a') == "Caf\xE2" "e \x1B(NzIMA\x1B(B");
  SUBCASE("and back to UTF-8, by the stream writer") {
    std::ostringstream os;
    {
      marcpp::iso2709_writer w{os, {.to_encoding = encoding::utf8}};
      CHECK_FALSE(w.write(m));
    }
    auto back = test::one(os.str());
    CHECK(back.leader().coding_scheme() == 'a');
    CHECK(back == u);
  }
  SUBCASE("a record that cannot be converted is not written") {
    std::string out = "before";
    auto err = marcpp::write_iso2709(make(' ', "\xFF"), out, {.to_encoding = encoding::utf8});
    CHECK(err.code == errc::unmapped_marc8);
    CHECK(out == "before");
  }
  SUBCASE("without to_encoding the bytes are written as they are") {
    std::string plain;
    REQUIRE_FALSE(marcpp::write_iso2709(u, plain));
    CHECK(test::one(plain).leader().coding_scheme() == 'a');
    CHECK(plain.find("Cafe\xCC\x81") != std::string::npos);
  }
  SUBCASE("the converter is the one charset.hpp installed; without it, an error and nothing written") {
    const bool installed = marcpp::detail::write_converter == &marcpp::detail::convert_for_write;
    REQUIRE(installed);
    marcpp::detail::write_converter = nullptr;
    std::string out = "before";
    auto err = marcpp::write_iso2709(u, out, {.to_encoding = encoding::marc8});
    marcpp::detail::write_converter = &marcpp::detail::convert_for_write;
    CHECK(err.code == errc::component_missing);
    CHECK(err.message.find("<marcpp/charset.hpp>") != std::string::npos);
    CHECK(out == "before");
  }
}

TEST_CASE("charset: names") {
  CHECK(marcpp::to_string(encoding::marc8) == "MARC-8");
  CHECK(marcpp::to_string(encoding::utf8) == "UTF-8");
  CHECK(marcpp::to_string(leader09_policy::trust_bytes) == "trust_bytes");
  CHECK(marcpp::to_string(leader09_policy::trust_flag) == "trust_flag");
  CHECK(marcpp::to_string(leader09_policy::fail) == "fail");
}

TEST_CASE("corpus: MARC-8 -> UTF-8 -> MARC-8 gives back every record's bytes, or the same text") {
  if (!test::have_corpus()) return;
  std::size_t records = 0, identical = 0, same_text = 0;
  for (const char* dir : {"bib-marc8", "large"}) {
    for (const auto& e : std::filesystem::directory_iterator(test::corpus_dir() / dir)) {
      auto ext = e.path().extension().string();
      if (ext == ".xml" || ext == ".mrk" || ext == ".json" || ext == ".gz") continue;
      CAPTURE(e.path().string());
      auto o = test::read_all(marcpp::mmap_source{e.path()}, test::with(error_policy::strict));
      for (std::size_t i = 0; i < o.records.size(); ++i) {
        const marcpp::record& rec = o.records[i];
        if (!marcpp::check_encoding(rec).agrees() || rec.leader().is_unicode()) continue;
        marcpp::record u, m;
        if (marcpp::to_utf8(rec, u, {.policy = error_policy::strict})) continue;  // faulty MARC-8: not canonical
        ++records;
        REQUIRE_FALSE(marcpp::to_marc8(u, m, {.policy = error_policy::strict}));
        std::string bytes = marcpp::to_iso2709(m);
        if (bytes == o.raws[i]) {
          ++identical;
          continue;
        }
        // Written another way: the same text.
        marcpp::record u2;
        REQUIRE_FALSE(marcpp::to_utf8(m, u2, {.policy = error_policy::strict}));
        CHECK(u2 == u);
        ++same_text;
      }
    }
  }
  MESSAGE(records << " MARC-8 records: " << identical << " byte for byte, " << same_text << " with the same text");
  CHECK(records > 3500);
  CHECK(identical * 100 > records * 98);
}
