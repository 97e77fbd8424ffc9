#include <marcpp/iso2709_writer.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <sstream>

using marcpp::errc;
using marcpp::field;
using marcpp::record;
using marcpp::subfield;

namespace {
record sample() {
  record r;
  r.add(field::control("001", "w-1"));
  r.add(field("245", "10", {{'a', "Title"}}));
  return r;
}
}  // namespace

TEST_CASE("write_iso2709: both flavours write the bytes they read") {
  namespace fs = std::filesystem;
  for (const auto& entry : fs::directory_iterator(test::data_dir() / "crafted")) {
    const auto name = entry.path().filename().string();
    if (name.rfind("ok-", 0) != 0) continue;
    CAPTURE(name);
    const std::string bytes = test::slurp(entry.path());
    marcpp::reader r{marcpp::memory_source{bytes}, test::with(marcpp::error_policy::strict)};
    marcpp::record_view v;
    std::string from_views, from_records;
    while (r.next(v)) {
      CHECK_FALSE(marcpp::write_iso2709(v, from_views));
      CHECK_FALSE(marcpp::write_iso2709(record{v}, from_records));
    }
    CHECK_FALSE(r.failed());
    CHECK(from_views == bytes);
    CHECK(from_records == bytes);
  }
}

TEST_CASE("write_iso2709: lengths, base address and directory are computed") {
  record r = sample();
  r.leader() = marcpp::leader("99999nam a2299999 a 4500");  // lies everywhere
  const std::string bytes = marcpp::to_iso2709(r);
  CHECK(bytes.substr(0, 5) == "00064");
  CHECK(bytes.size() == 64);
  CHECK(bytes.substr(12, 5) == "00049");
  CHECK(bytes.substr(5, 7) == "nam a22");
  CHECK(bytes.substr(17, 7) == " a 4500");
  CHECK(bytes.substr(24, 24) == "001000400000245001000004");
  CHECK(bytes.back() == '\x1d');
  record back = test::one(bytes);
  CHECK(back[1].value('a') == "Title");
}

TEST_CASE("write_iso2709: data kept in its original order") {
  const std::string bytes = test::slurp(test::crafted("ok-data-out-of-order.mrc"));
  record r = test::one(bytes);
  CHECK(marcpp::to_iso2709(r) == bytes);
  SUBCASE("a new field lays the data out in field order") {
    r.add(field("500", "  ", {{'a', "New."}}));
    const std::string out = marcpp::to_iso2709(r);
    record back = test::one(out);
    CHECK(back == r);
    // directory starts now increase with the field order
    for (std::size_t i = 1; i < back.size(); ++i) CHECK(back[i].origin() > back[i - 1].origin());
  }
}

TEST_CASE("write_iso2709: starting positions that the directory's digits cannot say (found by fuzzing)") {
  // A record whose data is not in directory order: 500 and 650 first, the
  // 245 last, at byte 101 of the data.
  const std::string f245 = "10\x1F" "a" + std::string(22, 'a') + "\x1E";   // 27 bytes
  const std::string f500 = "  \x1F" "a" + std::string(46, 'b') + "\x1E";   // 51
  const std::string f650 = " 0\x1F" "a" + std::string(45, 'c') + "\x1E";   // 50
  const std::string bytes = "00190nam a2200061   4500" "245002700101" "500005100000" "650005000051" "\x1E" + f500 + f650 +
                            f245 + "\x1D";
  REQUIRE(bytes.size() == 190);
  const record original = test::one(bytes);
  CHECK(marcpp::to_iso2709(original) == bytes);  // the data order is kept
  auto starts = [](const std::string& out, std::size_t entry, std::size_t digits) {
    std::vector<int> v;
    const std::size_t dir_end = out.find('\x1E', 24);
    for (std::size_t at = 24; at + entry <= dir_end; at += entry) v.push_back(std::stoi(out.substr(at + entry - digits, digits)));
    return v;
  };
  SUBCASE("two-digit starting positions: the data order would put the 245 at 101; the directory order fits") {
    record r = original;
    r.leader().set_entry_map("4200");
    std::string out = "x";
    REQUIRE_FALSE(marcpp::write_iso2709(r, out));
    out.erase(0, 1);
    CHECK(starts(out, 9, 2) == std::vector<int>{0, 27, 78});
    auto back = test::read_bytes(out, test::with(marcpp::error_policy::strict));
    REQUIRE(back.records.size() == 1);
    CHECK(back.records[0] == r);
    CHECK(back.stats.faults == 0);
  }
  SUBCASE("the data order fits where the directory order would not") {
    record r = test::one(test::slurp(test::crafted("ok-data-out-of-order.mrc")));
    r.leader().set_entry_map("4200");  // the 650 would start at 108 in directory order, at 70 in the data's
    std::string out;
    REQUIRE_FALSE(marcpp::write_iso2709(r, out));
    CHECK(starts(out, 9, 2) == std::vector<int>{0, 12, 29, 95, 70});
    auto back = test::read_bytes(out, test::with(marcpp::error_policy::strict));
    REQUIRE(back.records.size() == 1);
    CHECK(back.records[0] == r);
  }
  SUBCASE("neither order fits: refused, naming the first field that cannot be pointed to") {
    record r = original;
    r.leader().set_entry_map("4100");  // starting positions up to 9
    std::string out = "kept";
    auto d = marcpp::write_iso2709(r, out);
    CHECK(d.code == errc::record_too_long);
    CHECK(d.tag == marcpp::tag("500"));
    CHECK(out == "kept");
    marcpp::write_options zero;
    zero.oversize = marcpp::oversize_policy::zero_length;
    REQUIRE_FALSE(marcpp::write_iso2709(r, out, zero));
    auto back = test::read_bytes(out.substr(4), test::with(marcpp::error_policy::lenient));
    REQUIRE(back.records.size() == 1);
    CHECK(test::dump(back.records[0]).substr(25) == test::dump(r).substr(25));
    r.leader().set_entry_map("1500");  // lengths up to 9: every one is written as 0
    out.clear();
    REQUIRE_FALSE(marcpp::write_iso2709(r, out, zero));
    CHECK(starts(out, 9, 5) == std::vector<int>{0, 27, 78});  // in directory order, for readers to follow
    back = test::read_bytes(out, test::with(marcpp::error_policy::lenient));
    REQUIRE(back.records.size() == 1);
    CHECK(test::dump(back.records[0]).substr(25) == test::dump(r).substr(25));
  }
}

TEST_CASE("write_iso2709: what ISO 2709 cannot hold is refused, never corrupted") {
  std::string out = "prefix";
  auto refused = [&](const record& r, errc code) {
    marcpp::diagnostic d = marcpp::write_iso2709(r, out);
    CHECK(d.code == code);
    CHECK(d.level == marcpp::severity::error);
    CHECK(!d.message.empty());
    CHECK(out == "prefix");  // nothing written
    return d;
  };
  SUBCASE("record over 99,999 bytes") {
    record r = sample();
    for (int i = 0; i < 20; ++i) r.add(field("500", "  ", {{'a', std::string(5000, 'x')}}));
    refused(r, errc::record_too_long);
    CHECK_THROWS_AS((void)marcpp::to_iso2709(r), marcpp::error);
  }
  SUBCASE("field over 9,999 bytes") {
    record r = sample();
    r.add(field("505", "0 ", {{'a', std::string(10000, 'x')}}));
    auto d = refused(r, errc::field_too_long);
    CHECK(d.tag == marcpp::tag("505"));
    CHECK(d.field_index == 2);
    CHECK(d.control_number == "w-1");
  }
  SUBCASE("delimiter or terminator bytes inside data") {
    for (const char* bad : {"a\x1f" "b", "a\x1e", "\x1d"}) {
      record r = sample();
      r[1].set_subfield('a', bad);
      refused(r, errc::invalid_data_byte);
    }
    record c = sample();
    c[0].set_data("x\x1ey");
    refused(c, errc::invalid_data_byte);
    record i = sample();
    i[1].set_ind1('\x1f');
    refused(i, errc::invalid_data_byte);
    record k = sample();
    k[1].subfields()[0].set_code('\x1e');
    refused(k, errc::invalid_data_byte);
  }
  SUBCASE("a field without a tag") {
    record r = sample();
    r[1].set_tag(marcpp::tag::invalid());
    auto d = refused(r, errc::invalid_tag);
    CHECK(marcpp::to_string(d).find("field 1 (no valid tag)") != std::string::npos);
  }
  SUBCASE("a tag kept by its bytes is written; one holding a delimiter or terminator is refused") {
    record r = sample();
    r[1].set_tag_chars("a b");
    const std::string bytes = marcpp::to_iso2709(r);
    CHECK(bytes.substr(24, 24) == "001000400000a b001000004");
    record back = test::one(bytes);
    CHECK(back == r);
    for (const char* t : {"\x1d" "45", "2\x1e" "5", "24\x1f"}) {
      r[1].set_tag_chars(std::string_view(t, 3));
      auto d = refused(r, errc::invalid_data_byte);
      CHECK(d.original == std::string(t, 3));
      CHECK(d.field_index == 1);
    }
  }
  SUBCASE("a second indicator where leader/10 declares one (found by fuzzing: it was dropped)") {
    record r = sample();
    r.leader().set_indicator_count(1);
    r[1].set_indicators(marcpp::indicators("10"));
    auto d = refused(r, errc::invalid_subfield_layout);
    CHECK(d.tag == marcpp::tag("245"));
    CHECK(d.message.find("leader/10") != std::string::npos);
    r[1].set_indicators(marcpp::indicators("1 "));
    out.clear();
    REQUIRE_FALSE(marcpp::write_iso2709(r, out));
    CHECK(test::one(out)[1].indicators() == marcpp::indicators("1 "));
    out = "prefix";
  }
  SUBCASE("subfield shapes that would not read back the same") {
    record r = sample();
    r[1].subfields().push_back(subfield::unlabelled("late"));
    refused(r, errc::invalid_subfield_layout);
    record s = sample();
    s[1].subfields().push_back(subfield::without_code("value"));
    refused(s, errc::invalid_subfield_layout);
  }
  SUBCASE("a subfield with a code where leader/11 declares codes of no character (found by fuzzing)") {
    // A record from MARC-in-JSON or MARCXML may say 1 there and still give
    // codes: written, each code would read back as the value's first byte.
    record r = sample();
    r.leader().set(11, '1');
    auto d = refused(r, errc::invalid_subfield_layout);
    CHECK(d.message.find("leader/11") != std::string::npos);
    record s = sample();  // fields without codes are what such a leader describes
    s.leader().set(11, '1');
    for (auto& f : s)
      if (!f.is_control())
        for (auto& sf : f.subfields()) sf = subfield::without_code(std::string(1, sf.code()) + std::string(sf.value()));
    out.clear();
    REQUIRE_FALSE(marcpp::write_iso2709(s, out));
    CHECK(test::one(out) == s);
    out = "prefix";
  }
}

TEST_CASE("write_iso2709: the zero_length oversize policy") {
  record r = sample();
  r.add(field("505", "0 ", {{'a', std::string(12000, 'y')}}));
  for (int i = 0; i < 10; ++i) r.add(field("500", "  ", {{'a', std::string(9000, 'z')}}));
  marcpp::write_options o;
  o.oversize = marcpp::oversize_policy::zero_length;
  std::string out;
  REQUIRE_FALSE(marcpp::write_iso2709(r, out, o));
  CHECK(out.substr(0, 5) == "00000");
  // The lenient reader follows the terminators and gets every field back.
  auto back = test::read_bytes(out, test::with(marcpp::error_policy::lenient));
  REQUIRE(back.records.size() == 1);
  CHECK(test::dump(back.records[0]).substr(25) == test::dump(r).substr(25));  // every field, leader aside
  CHECK(back.records[0].repaired());
  // The strict reader refuses it.
  CHECK(test::read_bytes(out, test::with(marcpp::error_policy::strict)).failed);
}

TEST_CASE("write_iso2709: entry map and indicator count come from the leader") {
  record r = sample();
  r.leader().set_indicator_count(1);
  r[1].set_ind2(' ');  // one indicator: the second is blank (a "0" would be refused)
  r.leader().set_entry_map("3600");
  const std::string bytes = marcpp::to_iso2709(r);
  CHECK(bytes.substr(24, 12) == "001004000000");  // 3-digit length, 6-digit start
  record back = test::one(bytes);
  CHECK(back[1].indicators() == marcpp::indicators("1 "));
  CHECK(marcpp::to_iso2709(back) == bytes);
  r.leader().set_entry_map("4520");  // implementation-defined parts are never written
  CHECK(marcpp::to_iso2709(r)[22] == '0');
}

TEST_CASE("iso2709_writer") {
  std::ostringstream os;
  {
    marcpp::iso2709_writer w{os, {}, 64};
    CHECK_FALSE(w.write(sample()));
    record bad = sample();
    bad[1].set_tag(marcpp::tag::invalid());
    CHECK(w.write(bad).code == errc::invalid_tag);
    const std::string raw = test::slurp(test::crafted("ok-basic.mrc"));
    w.write_raw(raw);
    CHECK(w.count() == 1);
  }
  auto o = test::read_bytes(os.str(), test::with(marcpp::error_policy::strict));
  CHECK(o.records.size() == 2);
  CHECK_FALSE(o.failed);
}
