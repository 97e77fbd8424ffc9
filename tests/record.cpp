#include <marcpp/record.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

using marcpp::field;
using marcpp::record;
using marcpp::subfield;

namespace {
std::string tags(const record& r) {
  std::string s;
  for (const auto& f : r) {
    if (!s.empty()) s += ' ';
    s += f.tag().str();
  }
  return s;
}
}  // namespace

TEST_CASE("record: an owning copy of a view") {
  const std::string bytes = test::slurp(test::crafted("ok-basic.mrc"));
  marcpp::reader rd{marcpp::memory_source{bytes}};
  marcpp::record_view v;
  REQUIRE(rd.next(v));
  record r{v};
  v.clear();  // the copy does not depend on the view
  CHECK(r.size() == 5);
  CHECK(r.control_number() == "ocm00000001");
  CHECK(r.value("245", 'a') == "A crafted record /");
  CHECK(r[3].indicators() == marcpp::indicators("10"));
  CHECK(r.offset() == 0);
  CHECK(r.index() == 0);
  CHECK(r.leader().str() == bytes.substr(0, 24));
  CHECK(marcpp::to_iso2709(r) == bytes);

  SUBCASE("assignment from a view replaces everything") {
    const std::string three = test::slurp(test::crafted("ok-three.mrc"));
    marcpp::reader rd3{marcpp::memory_source{three}};
    marcpp::record_view w;
    REQUIRE(rd3.next(w));
    REQUIRE(rd3.next(w));  // the second record has no 008
    record other;
    other.add(field::control("009", "x"));
    other = w;
    CHECK(other.size() == 4);
    CHECK(other.index() == 1);
    CHECK(other.offset() == bytes.size());
    CHECK(other.count("008") == 0);
    CHECK(marcpp::to_iso2709(other) == w.raw());
  }
}

TEST_CASE("record: editing") {
  record r;
  r.add(field::control("001", "ed-1"));
  r.add(field("245", "10", {{'a', "Title /"}, {'c', "Author."}}));
  r.add(field("650", " 0", {{'a', "Subject."}}));
  CHECK(tags(r) == "001 245 650");

  SUBCASE("insert before, after and in tag order") {
    r.insert_before(1, field::control("008", "fixed"));
    CHECK(tags(r) == "001 008 245 650");
    r.insert_after(2, field("246", "3 ", {{'a', "Other title"}}));
    CHECK(tags(r) == "001 008 245 246 650");
    r.insert_ordered(field("500", "  ", {{'a', "Note."}}));
    CHECK(tags(r) == "001 008 245 246 500 650");
    r.insert_ordered(field("CAT", "  ", {{'a', "local"}}));
    CHECK(tags(r) == "001 008 245 246 500 650 CAT");
    r.insert_ordered(field::control("003", "DLC"));
    CHECK(tags(r) == "001 003 008 245 246 500 650 CAT");
    r.insert(99, field("999", "  ", {}));  // past the end: appended
    CHECK(tags(r) == "001 003 008 245 246 500 650 CAT 999");
  }

  SUBCASE("remove and reorder") {
    r.add(field("650", " 0", {{'a', "Second."}}));
    CHECK(r.erase("650") == 2);
    CHECK(tags(r) == "001 245");
    r.add(field("500", "  ", {{'a', "n"}}));
    r.move_field(2, 0);
    CHECK(tags(r) == "500 001 245");
    r.move_field(0, 2);
    CHECK(tags(r) == "001 245 500");
    r.erase(1);
    CHECK(tags(r) == "001 500");
    r.erase(17);  // no effect
    CHECK(r.remove_if([](const field& f) { return f.is_control(); }) == 1);
    CHECK(tags(r) == "500");
  }

  SUBCASE("sort keeps the order of equal tags") {
    r.add(field("100", "1 ", {{'a', "First"}}));
    r.add(field("650", " 0", {{'a', "Later."}}));
    r.sort_fields();
    CHECK(tags(r) == "001 100 245 650 650");
    CHECK(r[3].value('a') == "Subject.");
    CHECK(r[4].value('a') == "Later.");
  }

  SUBCASE("subfields: add, insert, set, remove, reorder in place") {
    field& f = r[1];
    f.add_subfield('b', "subtitle").insert_subfield(1, subfield('h', "[text]"));
    CHECK(f.subfields().size() == 4);
    CHECK(f.subfields()[1].code() == 'h');
    f.set_subfield('c', "Someone else.");
    CHECK(f.value('c') == "Someone else.");
    f.set_subfield('n', "Part 1");  // absent: appended
    CHECK(f.subfields().back().code() == 'n');
    CHECK(f.remove_subfields('h') == 1);
    f.erase_subfield(0);
    CHECK(f.subfields().front().code() == 'c');
    std::swap(f.subfields()[0], f.subfields()[1]);
    CHECK(f.subfields().front().code() == 'b');
    f.subfields()[0].value_ref() += "!";
    CHECK(f.value('b') == "subtitle!");
    f.subfields()[0].set_code('p');
    CHECK(f.has_subfield('p'));
  }

  SUBCASE("indicators, tags, control data, leader positions") {
    r[1].set_indicators("04");
    r[1].set_ind1('1');
    CHECK(r[1].indicators() == marcpp::indicators("14"));
    r[2].set_ind2('7');
    CHECK(r[2].ind2() == '7');
    r[2].set_tag("651");
    CHECK(r.count("651") == 1);
    r[0].set_data("ed-2");
    CHECK(r.control_number() == "ed-2");
    r.leader().set_status('c');
    r.leader().set_type('g');
    CHECK(r.leader().status() == 'c');
    CHECK(r.leader().type() == 'g');
    field g("500", "  ", {{'a', "x"}});
    g.set_data("now a control field");
    CHECK(g.is_control());
    CHECK(g.subfields().empty());
  }

  SUBCASE("edits survive a write and a read") {
    r.insert_ordered(field("500", "  ", {{'a', "Added note."}}));
    r[1].set_subfield('c', "Edited.");
    r.leader().set_status('c');
    const std::string bytes = marcpp::to_iso2709(r);
    record back = test::one(bytes);
    CHECK(back == r);
    CHECK(back.leader().status() == 'c');
    CHECK(back.value("245", 'c') == "Edited.");
    CHECK(back.leader().record_length() == bytes.size());
  }

  SUBCASE("equality") {
    record s = r;
    CHECK(s == r);
    s[1].set_ind2('4');
    CHECK_FALSE(s == r);
    CHECK(field::control("001", "a") == field::control("001", "a"));
    CHECK_FALSE(field::control("001", "a") == field::control("001", "b"));
    CHECK(subfield('a', "x") == subfield('a', "x"));
    CHECK_FALSE(subfield('a', "x") == subfield::unlabelled("x"));
    CHECK(subfield::without_code().shape() == marcpp::subfield_shape::no_code);
  }
}

TEST_CASE("record: tags marcpp::tag cannot hold are kept by their bytes") {
  SUBCASE("set_tag_chars holds what tag holds, and keeps the bytes of anything else") {
    field f("245", "10", {{'a', "x"}});
    CHECK(f.set_tag_chars("m01"));
    CHECK(f.tag() == marcpp::tag("m01"));
    CHECK(f.tag_chars() == std::array<char, 3>{'m', '0', '1'});
    CHECK(f.set_tag_chars("abc"));
    CHECK_FALSE(f.tag().is_valid());
    CHECK(f.has_tag_chars());
    CHECK(f.tag_chars() == std::array<char, 3>{'a', 'b', 'c'});
    CHECK_FALSE(f.set_tag_chars("42"));  // not three bytes: nothing changes
    CHECK_FALSE(f.set_tag_chars("2450"));
    CHECK(f.tag_chars() == std::array<char, 3>{'a', 'b', 'c'});
    CHECK(f.set_tag_chars(std::string_view("\0" "0-", 3)));
    CHECK(f.tag_chars() == std::array<char, 3>{'\0', '0', '-'});
    f.set_tag("650");  // a tag: the bytes are forgotten
    CHECK(f.tag() == marcpp::tag("650"));
    f.set_tag(marcpp::tag::invalid());
    CHECK_FALSE(f.has_tag_chars());
    CHECK(f.tag_chars() == std::array<char, 3>{'?', '?', '?'});
    CHECK_FALSE(field().has_tag_chars());
  }
  SUBCASE("a literal keeps them too") {
    CHECK(field("abc", "  ").tag_chars() == std::array<char, 3>{'a', 'b', 'c'});
    CHECK(field("30-", "  ").has_tag_chars());
    CHECK(field("245", "  ").tag() == marcpp::tag("245"));
    CHECK(field::control("00-", "x").tag_chars() == std::array<char, 3>{'0', '0', '-'});
    CHECK(field::control("00a", "x").tag() == marcpp::tag("00a"));
    field f("245", "  ");
    f.set_tag("a1b");
    CHECK(f.tag_chars() == std::array<char, 3>{'a', '1', 'b'});
    // Through a `tag` the bytes are lost: the conversion is the tag's.
    f.set_tag(marcpp::tag("a1b"));
    CHECK_FALSE(f.has_tag_chars());
  }
  SUBCASE("equality, lookups, erasing and sorting see the bytes") {
    record r;
    r.add(field("abc", "  ", {{'a', "one"}}));
    r.add(field("245", "10", {{'a', "Title"}}));
    r.add(field("30-", "  ", {{'a', "two"}}));
    r.add(field("abc", "  ", {{'a', "three"}}));
    CHECK(field("abc", "  ") != field("abd", "  "));
    CHECK(field("abc", "  ") != field(marcpp::tag::invalid(), "  "));
    CHECK(field("abc", "  ") == field("abc", "  "));
    CHECK(r.count("abc") == 2);
    CHECK(r.count("30-") == 1);
    CHECK(r.count("abd") == 0);
    CHECK(r.count(marcpp::tag::invalid()) == 3);  // every tag `tag` cannot hold
    CHECK(r.first("30-") == &r[2]);
    CHECK(r.value("abc", 'a') == "one");
    std::string values;
    for (const auto& f : r.fields("abc")) values += f.value('a').value_or("?");
    CHECK(values == "onethree");
    record sorted = r;
    sorted.sort_fields();  // the invalid tag sorts last; equal ones keep their order
    CHECK(tags(sorted) == "245 ??? ??? ???");
    CHECK(sorted[1].value('a') == "one");
    CHECK(sorted[2].value('a') == "two");
    CHECK(r.erase("abc") == 2);
    REQUIRE(r.size() == 2);
    CHECK(r[1].value('a') == "two");
  }
  SUBCASE("a copy of a view keeps the bytes; assigning a tag drops them") {
    const std::string bytes = test::slurp(test::crafted("ok-lower-case-tags.mrc"));
    marcpp::reader rd{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    REQUIRE(rd.next(v));
    record r{v};
    CHECK(r[5].tag() == marcpp::tag("m01"));
    CHECK(r[6].tag_chars() == std::array<char, 3>{'a', 'b', 'c'});
    CHECK(r[7].tag_chars() == std::array<char, 3>{'a', '1', 'b'});
    CHECK(marcpp::to_iso2709(r) == bytes);
    r[6].set_tag("500");
    CHECK(marcpp::to_iso2709(r).find("a1b") != std::string::npos);
    CHECK(marcpp::to_iso2709(r).find("abc") == std::string::npos);
  }
}
