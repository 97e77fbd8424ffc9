#include <marcpp/line_writer.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

using marcpp::field;
using marcpp::record;
using marcpp::subfield;

TEST_CASE("line format") {
  SUBCASE("leader, control fields, data fields, blank line") {
    record r{marcpp::leader("00714cam a2200205 a 4500")};
    r.add(field::control("001", "12883376"));
    r.add(field("245", "10", {{'a', "Summerland /"}, {'c', "Michael Chabon."}}));
    CHECK(marcpp::to_line(r) ==
          "00714cam a2200205 a 4500\n"
          "001 12883376\n"
          "245 10 $a Summerland / $c Michael Chabon.\n"
          "\n");
  }
  SUBCASE("bytes pass through unchanged, whatever the encoding") {
    record r;
    r.add(field("245", "00", {{'a', "Caf\xc3\xa9 \xe2" "Ecole \xff"}}));
    CHECK(marcpp::to_line(r).find("245 00 $a Caf\xc3\xa9 \xe2" "Ecole \xff\n") != std::string::npos);
  }
  SUBCASE("unusual shapes") {
    record r;
    field f("500", "  ");
    f.subfields().push_back(subfield::unlabelled("raw"));
    f.add_subfield('a', "x");
    f.subfields().push_back(subfield::without_code());
    r.add(f);
    CHECK(marcpp::to_line(r).substr(25) == "500    raw $a x\n\n");
  }
  SUBCASE("one indicator, and three (the third kept as unlabelled data)") {
    record one = test::one(test::slurp(test::crafted("ok-unimarc-one-indicator.mrc")));
    CHECK(marcpp::to_line(one).find("\n200 1 $a Titre\n") != std::string::npos);
    record three = test::one(test::slurp(test::crafted("indicator-count-three.mrc")), marcpp::error_policy::lenient);
    CHECK(marcpp::to_line(three).find("\n245 000 $a Tre indikatorer\n") != std::string::npos);
  }
  SUBCASE("the view and the owning record print the same") {
    const std::string bytes = test::slurp(test::crafted("ok-local-tags.mrc"));
    marcpp::reader rd{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    REQUIRE(rd.next(v));
    CHECK(marcpp::to_line(v) == marcpp::to_line(record{v}));
    CHECK(marcpp::to_line(v).find("\nCAT    $a BATCH $c 20260101\n") != std::string::npos);
  }
  SUBCASE("the view and the owning record print the same, every crafted record, every shape") {
    // A view's output is sized from its bytes, a record's exactly: both
    // must give the same lines, for fields the reader cut as for the rest.
    std::size_t records = 0;
    for (const auto& entry : std::filesystem::directory_iterator(test::data_dir() / "crafted")) {
      if (entry.path().extension() != ".mrc") continue;
      CAPTURE(entry.path().filename().string());
      const std::string bytes = test::slurp(entry.path());
      marcpp::reader rd{marcpp::memory_source{bytes}, test::with(marcpp::error_policy::lenient)};
      marcpp::record_view v;
      while (rd.next(v)) {
        ++records;
        std::string from_view = "prefix";  // appended to, as marc-dump's buffer is
        marcpp::write_line(v, from_view);
        CHECK(from_view == "prefix" + marcpp::to_line(record{v}));
      }
    }
    CHECK(records >= 40);
  }
}

TEST_CASE("line format: a tag is printed as its bytes, as yaz-marcdump prints it") {
  const std::string bytes = test::slurp(test::crafted("ok-lower-case-tags.mrc")) +
                            test::slurp(test::crafted("invalid-tag.mrc"));
  auto o = test::read_bytes(bytes, test::with(marcpp::error_policy::lenient));
  REQUIRE(o.records.size() == 2);
  const std::string lower = marcpp::to_line(o.records[0]);
  CHECK(lower.find("\nm01    $a one letter\n") != std::string::npos);
  CHECK(lower.find("\nabc    $a three letters\n") != std::string::npos);
  CHECK(lower.find("\na1b 10 $a two letters\n") != std::string::npos);
  CHECK(marcpp::to_line(o.records[1]).find("\na5X  0 $a Cataloging $v Testing.\n") != std::string::npos);
  // The view prints the same.
  marcpp::reader rd{marcpp::memory_source{bytes}};
  marcpp::record_view v;
  REQUIRE(rd.next(v));
  CHECK(marcpp::to_line(v) == lower);
  // A field with no tag at all (made so by hand) prints ???.
  record r;
  r.add(field(marcpp::tag::invalid(), "  ", {{'a', "x"}}));
  CHECK(marcpp::to_line(r).substr(25) == "???    $a x\n\n");
}
