#include <marcpp/record_view.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <iterator>
#include <memory>
#include <ranges>
#include <string>
#include <type_traits>
#include <vector>

using marcpp::record_view;

namespace {
// Reads the first record of `bytes` into `v` (strict policy).
void view_of(const std::string& bytes, record_view& v) {
  marcpp::reader r{marcpp::memory_source{bytes}, test::with(marcpp::error_policy::strict)};
  REQUIRE(r.next(v));
}
bool inside(std::string_view part, const std::string& whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}
}  // namespace

TEST_CASE("record_view") {
  const std::string bytes = test::slurp(test::crafted("ok-basic.mrc"));
  record_view v;
  view_of(bytes, v);

  SUBCASE("leader, fields in directory order, provenance") {
    CHECK(v.leader().str() == bytes.substr(0, 24));
    REQUIRE(v.size() == 5);
    CHECK_FALSE(v.empty());
    CHECK(v[0].tag() == marcpp::tag("001"));
    CHECK(v[3].tag() == marcpp::tag("245"));
    CHECK(v[4].tag() == marcpp::tag("650"));
    CHECK(v.offset() == 0);
    CHECK(v.index() == 0);
    CHECK(v.raw() == bytes);
    CHECK(v.indicator_count() == 2);
    CHECK(v.diagnostics().empty());
    CHECK_FALSE(v.repaired());
  }

  SUBCASE("control fields and data fields") {
    CHECK(v[0].is_control());
    CHECK(v[0].data() == "ocm00000001");
    CHECK(v[0].subfields().empty());
    const auto& f = v[3];
    CHECK_FALSE(f.is_control());
    CHECK(f.data().empty());
    CHECK(f.indicators() == marcpp::indicators("10"));
    CHECK(f.ind1() == '1');
    CHECK(f.ind2() == '0');
    REQUIRE(f.subfields().size() == 2);
    CHECK(test::list(f.subfields())[0].code() == 'a');
    CHECK(test::list(f.subfields())[0].value() == "A crafted record /");
    CHECK(test::list(f.subfields())[0].shape() == marcpp::subfield_shape::normal);
    CHECK(test::list(f.subfields())[1].code() == 'c');
    CHECK(f.raw() == "10\x1f" "aA crafted record /\x1f" "cmarcpp tests.");
  }

  SUBCASE("every string views the input: nothing is copied") {
    for (const auto& f : v) {
      CHECK(inside(f.raw(), bytes));
      for (const auto& s : f.subfields()) CHECK(inside(s.value(), bytes));
    }
  }

  SUBCASE("read helpers") {
    CHECK(v.control_number() == "ocm00000001");
    REQUIRE(v.first("245") != nullptr);
    CHECK(v.first("245")->value('a') == "A crafted record /");
    CHECK(v.first("246") == nullptr);
    CHECK(v.value("650", 'v') == "Testing.");
    CHECK_FALSE(v.value("650", 'z').has_value());
    CHECK(v.count("650") == 1);
    CHECK(v.fields("650").size() == 1);
    CHECK(v.fields("999").empty());
    CHECK(v.fields_between("001", "009").size() == 3);
    CHECK(v[3].has_subfield('c'));
    CHECK_FALSE(v[3].has_subfield('b'));
    CHECK(v[3].subfields('a').size() == 1);
  }

  SUBCASE("copies and moves keep their subfields valid") {
    auto heap = std::make_unique<record_view>(v);
    record_view copy = *heap;
    heap.reset();
    CHECK(copy[3].value('c') == "marcpp tests.");
    record_view moved = std::move(copy);
    CHECK(test::list(moved[3].subfields())[0].value() == "A crafted record /");
    CHECK(moved[4].value('a') == "Cataloging");
    record_view assigned;
    assigned = moved;
    CHECK(assigned[4].value('v') == "Testing.");
    assigned = std::move(moved);
    CHECK(assigned[3].value('a') == "A crafted record /");
  }

  SUBCASE("moves cannot throw, so a growing vector moves its views") {
    static_assert(std::is_nothrow_move_constructible_v<record_view>);
    static_assert(std::is_nothrow_move_assignable_v<record_view>);
    static_assert(std::is_nothrow_move_constructible_v<marcpp::record>);
    static_assert(std::is_nothrow_move_assignable_v<marcpp::record>);
    static_assert(std::is_nothrow_move_constructible_v<marcpp::field>);
    static_assert(std::is_nothrow_move_assignable_v<marcpp::field>);
    // Fields past the inline room, whose storage a move takes over, and
    // fields within it, which a move copies.
    record_view many;
    {
      marcpp::record r;
      for (int i = 0; i < MARCPP_VIEW_FIELDS_INLINE + 8; ++i)
        r.add(marcpp::field("500", "  ", {{'a', "note " + std::to_string(i)}}));
      static std::string held;
      held = marcpp::to_iso2709(r);
      marcpp::reader rd{marcpp::memory_source{held}};
      REQUIRE(rd.next(many));
    }
    std::vector<record_view> kept;
    for (int i = 0; i < 20; ++i) kept.push_back(i % 2 ? v : many);
    CHECK(kept[0][MARCPP_VIEW_FIELDS_INLINE + 7].value('a') == "note " + std::to_string(MARCPP_VIEW_FIELDS_INLINE + 7));
    CHECK(kept[19][3].value('c') == "marcpp tests.");
    record_view to = kept[1];
    to = std::move(kept[0]);
    CHECK(to.size() == MARCPP_VIEW_FIELDS_INLINE + 8);
    CHECK(kept[0].empty());
    to = std::move(kept[1]);
    CHECK(to[3].value('a') == "A crafted record /");
  }

  SUBCASE("clear keeps nothing") {
    v.clear();
    CHECK(v.empty());
    CHECK(v.raw().empty());
    CHECK(v.offset() == marcpp::npos);
    CHECK(v.control_number().empty());
  }
}

TEST_CASE("record_view: real-world shapes") {
  SUBCASE("repeated control fields and local tags keep their order") {
    const std::string bytes = test::slurp(test::crafted("ok-local-tags.mrc"));
    record_view v;
    view_of(bytes, v);
    REQUIRE(v.size() == 9);
    CHECK(v[3].tag() == marcpp::tag("007"));
    CHECK(v[3].data() == "ta");
    CHECK(v[4].tag() == marcpp::tag("007"));
    CHECK(v[4].data() == "cr");
    CHECK(v[6].tag() == marcpp::tag("CAT"));
    CHECK_FALSE(v[6].is_control());
    CHECK(v[6].value('c') == "20260101");
    CHECK(v[8].tag() == marcpp::tag("ZZ1"));
    CHECK(v.count("007") == 2);
  }

  SUBCASE("a 00X field with indicators and subfields is a data field") {
    const std::string bytes = test::slurp(test::crafted("ok-danmarc-00x-subfields.mrc"));
    record_view v;
    view_of(bytes, v);
    CHECK_FALSE(v[0].is_control());
    CHECK(v[0].value('a') == "12345");
    CHECK(v.control_number().empty());  // no 001 control field
  }

  SUBCASE("one indicator (leader/10 = 1)") {
    const std::string bytes = test::slurp(test::crafted("ok-unimarc-one-indicator.mrc"));
    record_view v;
    view_of(bytes, v);
    CHECK(v.indicator_count() == 1);
    CHECK(v[1].ind1() == '1');
    CHECK(v[1].ind2() == ' ');
    CHECK(v[1].value('a') == "Titre");
  }

  SUBCASE("unlabelled data and a delimiter without code are kept, with their shapes") {
    record_view v;
    const std::string a = test::slurp(test::crafted("data-before-first-subfield.mrc"));
    view_of(a, v);
    auto s = test::list(v[4].subfields());
    REQUIRE(s.size() == 2);
    CHECK(s[0].shape() == marcpp::subfield_shape::unlabelled);
    CHECK_FALSE(s[0].has_delimiter());
    CHECK(s[0].value() == "xy");
    CHECK(s[1].code() == 'a');
    const std::string b = test::slurp(test::crafted("missing-subfield-code.mrc"));
    view_of(b, v);
    s = test::list(v[4].subfields());
    REQUIRE(s.size() == 2);
    CHECK(s[1].shape() == marcpp::subfield_shape::no_code);
    CHECK(s[1].has_delimiter());
    CHECK_FALSE(s[1].has_code());
    CHECK(s[1].value().empty());
  }

  SUBCASE("records larger than the inline capacities spill and stay correct") {
    marcpp::record r;
    r.add(marcpp::field::control("001", "big"));
    for (int i = 0; i < 300; ++i) {
      marcpp::field f("500", "  ");
      for (int k = 0; k < 3; ++k) f.add_subfield('a', "note " + std::to_string(i) + "." + std::to_string(k));
      r.add(std::move(f));
    }
    const std::string bytes = marcpp::to_iso2709(r);
    record_view v;
    view_of(bytes, v);
    REQUIRE(v.size() == 301);
    CHECK(test::list(v[300].subfields())[2].value() == "note 299.2");
    record_view copy = v;
    CHECK(copy[150].value('a') == "note 149.0");
    CHECK(test::dump(copy).substr(25) == test::dump(r).substr(25));
  }
}

TEST_CASE("subfield_view and field_view defaults") {
  marcpp::subfield_view s{'a', "x"};
  CHECK(s.code() == 'a');
  CHECK(s.value() == "x");
  CHECK(s.has_code());
  marcpp::subfield_view u{0, "raw", marcpp::subfield_shape::unlabelled};
  CHECK_FALSE(u.has_delimiter());
  marcpp::field_view f;
  CHECK_FALSE(f.tag().is_valid());
  CHECK(f.subfields().empty());
  CHECK(f.indicators() == marcpp::indicators("  "));
}

TEST_CASE("record_view: subfields are found as they are iterated") {
  static_assert(std::forward_iterator<marcpp::subfield_range::iterator>);
  static_assert(std::ranges::forward_range<marcpp::subfield_range>);

  SUBCASE("values of every length, at every alignment of the input, up to its last byte") {
    // One record whose subfields have values of 0 to 70 bytes; read from
    // 16 positions in a buffer that ends with the record, so that the
    // search for delimiters meets every alignment and the end of the input.
    marcpp::record r;
    r.add(marcpp::field::control("001", "lengths"));
    for (int len = 0; len <= 70; ++len) {
      marcpp::field f("500", "1 ");
      f.add_subfield('a', std::string(static_cast<std::size_t>(len), 'x'));
      f.add_subfield(static_cast<char>('0' + len % 10), std::string(static_cast<std::size_t>(70 - len), 'y'));
      f.add_subfield('z', std::string(static_cast<std::size_t>(len % 17), '\x1C'));  // 0x1C is data
      r.add(std::move(f));
    }
    const std::string bytes = marcpp::to_iso2709(r);
    for (std::size_t shift = 0; shift < 16; ++shift) {
      auto buf = std::make_unique<char[]>(shift + bytes.size());
      std::memcpy(buf.get() + shift, bytes.data(), bytes.size());
      marcpp::reader rd{marcpp::memory_source{std::string_view(buf.get() + shift, bytes.size())},
                        test::with(marcpp::error_policy::strict)};
      record_view v;
      REQUIRE(rd.next(v));
      CHECK(v.is_canonical());
      REQUIRE(v.size() == r.size());
      for (std::size_t i = 1; i < v.size(); ++i) {
        const auto got = test::list(v[i].subfields());
        const auto& want = r[i].subfields();
        REQUIRE(got.size() == want.size());
        CHECK(v[i].subfields().size() == want.size());
        for (std::size_t k = 0; k < got.size(); ++k) {
          CHECK(got[k].code() == want[k].code());
          CHECK(got[k].value() == want[k].value());
          CHECK(got[k].shape() == marcpp::subfield_shape::normal);
          CHECK(got[k].value().data() >= buf.get() + shift);
          CHECK(got[k].value().data() + got[k].value().size() <= buf.get() + shift + bytes.size());
        }
      }
    }
  }

  SUBCASE("the range: empty, size, front, iterators") {
    const std::string bytes = test::slurp(test::crafted("ok-basic.mrc"));
    record_view v;
    view_of(bytes, v);
    const auto s = v[3].subfields();
    CHECK_FALSE(s.empty());
    CHECK(s.size() == 2);
    CHECK(s.front().code() == 'a');
    auto it = s.begin();
    CHECK(it->value() == "A crafted record /");
    auto old = it++;
    CHECK((*old).code() == 'a');
    CHECK(it->code() == 'c');
    CHECK(++it == s.end());
    CHECK(std::ranges::distance(s) == 2);
    CHECK(v[0].subfields().empty());
    CHECK(v[0].subfields().size() == 0);
    CHECK(v[0].subfields().begin() == v[0].subfields().end());
    const marcpp::subfield_range none;
    CHECK(none.empty());
    CHECK(none.size() == 0);
    // The helpers of the read API go through the range.
    CHECK(v[3].subfields('c').size() == 1);
    CHECK(v[3].subfields('c').begin()->value() == "marcpp tests.");
    CHECK(v[3].value('c') == "marcpp tests.");
  }

  SUBCASE("a field of another shape, cut by the reader, reads through the same range") {
    const std::string bytes = test::slurp(test::crafted("missing-subfield-code.mrc"));
    record_view v;
    marcpp::reader rd{marcpp::memory_source{bytes}, test::with(marcpp::error_policy::lenient)};
    REQUIRE(rd.next(v));
    const auto s = v[4].subfields();
    CHECK(s.size() == 2);
    CHECK(s.front().code() == 'a');
    CHECK(std::ranges::distance(s) == 2);
    CHECK_FALSE(v.is_canonical());
  }
}

TEST_CASE("record_view: a canonical record is written as its bytes") {
  // The writer copies a canonical view's bytes; the field-by-field writer,
  // given the owning copy, must write the same bytes.
  for (const char* name : {"ok-basic.mrc", "ok-three.mrc", "ok-local-tags.mrc", "ok-danmarc-00x-subfields.mrc",
                           "ok-unimarc-one-indicator.mrc"}) {
    const std::string file = name;
    CAPTURE(file);
    const std::string bytes = test::slurp(test::crafted(name));
    marcpp::reader rd{marcpp::memory_source{bytes}, test::with(marcpp::error_policy::strict)};
    record_view v;
    std::size_t canonical = 0;
    while (rd.next(v)) {
      canonical += v.is_canonical();
      std::string from_view, from_record;
      REQUIRE_FALSE(marcpp::write_iso2709(v, from_view));
      REQUIRE_FALSE(marcpp::write_iso2709(marcpp::record{v}, from_record));
      CHECK(from_view == from_record);
      if (v.is_canonical()) CHECK(from_view == v.raw());
    }
    CHECK(canonical > 0);
  }
  {
    // Fields whose data is not in directory order: written back in their
    // data order, field by field.
    const std::string bytes = test::slurp(test::crafted("ok-data-out-of-order.mrc"));
    record_view v;
    view_of(bytes, v);
    CHECK(v.diagnostics().empty());
    CHECK_FALSE(v.is_canonical());
    std::string from_view, from_record;
    REQUIRE_FALSE(marcpp::write_iso2709(v, from_view));
    REQUIRE_FALSE(marcpp::write_iso2709(marcpp::record{v}, from_record));
    CHECK(from_view == from_record);
  }
  // Records the reader repaired or reported on are never canonical.
  for (const char* name : {"record-length-mismatch.mrc", "bad-base-address.mrc", "unsupported-entry-map.mrc",
                           "data-before-first-subfield.mrc", "invalid-utf8.mrc", "bad-indicator-count.mrc"}) {
    const std::string file = name;
    CAPTURE(file);
    const std::string bytes = test::slurp(test::crafted(name));
    marcpp::reader rd{marcpp::memory_source{bytes}, test::with(marcpp::error_policy::lenient)};
    record_view v;
    bool any = false;
    while (rd.next(v)) {
      if (v.diagnostics().empty()) continue;
      any = true;
      CHECK_FALSE(v.is_canonical());
      std::string from_view, from_record;
      REQUIRE_FALSE(marcpp::write_iso2709(v, from_view));
      REQUIRE_FALSE(marcpp::write_iso2709(marcpp::record{v}, from_record));
      CHECK(from_view == from_record);
    }
    CHECK(any);
  }
}

TEST_CASE("record_view: copies and moves carry the diagnostics of the record, and only those") {
  // A view keeps diagnostics for reuse past those of its record; a copy or
  // a move must hold the record's own, however many the view kept.
  std::string two = test::slurp(test::crafted("invalid-tag.mrc"));
  const std::string one = test::slurp(test::crafted("bad-entry-map.mrc"));
  record_view many;
  {
    marcpp::reader r{marcpp::memory_source{two}};
    REQUIRE(r.next(many));
  }
  const std::size_t before = many.diagnostics().size();
  REQUIRE(before >= 1);
  record_view few = many;  // same record, then read again with fewer diagnostics
  {
    marcpp::reader r{marcpp::memory_source{one}};
    REQUIRE(r.next(few));
  }
  REQUIRE(few.diagnostics().size() == 1);
  CHECK(few.diagnostics()[0].code == marcpp::errc::bad_entry_map);

  record_view copied = few;
  REQUIRE(copied.diagnostics().size() == 1);
  CHECK(copied.diagnostics()[0].message == few.diagnostics()[0].message);
  copied = many;  // assigned over: the record's diagnostics replace them
  CHECK(copied.diagnostics().size() == before);
  copied = few;
  CHECK(copied.diagnostics().size() == 1);
  CHECK(copied.diagnostics()[0].code == marcpp::errc::bad_entry_map);
  record_view moved = std::move(copied);
  CHECK(moved.diagnostics().size() == 1);
  CHECK(copied.diagnostics().empty());
  few.clear();
  CHECK(few.diagnostics().empty());
  record_view after_clear = few;
  CHECK(after_clear.diagnostics().empty());
}

TEST_CASE("record_view: a view that holds the diagnostics of earlier records shows only its record's") {
  // The parallel reader's workers parse a batch's records into one view
  // whose list holds every record's diagnostics until the batch is handed
  // on. The view, its copies and its moves must still show only the
  // diagnostics of the record it holds.
  const std::string tags = test::slurp(test::crafted("invalid-tag.mrc"));
  const std::string map = test::slurp(test::crafted("bad-entry-map.mrc"));
  const std::string clean = test::slurp(test::crafted("ok-basic.mrc"));
  const std::string all = tags + map + clean + map;
  record_view v;
  auto& list = marcpp::detail::record_view_access::diagnostics(v);
  list.hold_on_clear(true);

  // What a fresh view shows for each record, read on its own.
  std::vector<std::vector<marcpp::diagnostic>> expected;
  std::vector<bool> canonical;
  std::size_t total = 0;
  for (const std::string* bytes : {&tags, &map, &clean, &map}) {
    record_view fresh;
    marcpp::reader r{marcpp::memory_source{*bytes}};
    REQUIRE(r.next(fresh));
    expected.emplace_back(fresh.diagnostics().begin(), fresh.diagnostics().end());
    canonical.push_back(fresh.is_canonical());
    total += fresh.diagnostics().size();
  }
  REQUIRE(expected[0].size() >= 1);
  REQUIRE(expected[1].size() == 1);
  REQUIRE(expected[2].empty());

  const auto same = [](std::span<const marcpp::diagnostic> got, const std::vector<marcpp::diagnostic>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      CHECK(marcpp::to_string(got[i]) == marcpp::to_string(want[i]));
      CHECK(got[i].offset == want[i].offset);
      CHECK(got[i].control_number == want[i].control_number);
      CHECK(got[i].original == want[i].original);
    }
  };
  std::vector<marcpp::diagnostic> last_want;
  const auto run = [&] {
    marcpp::reader r{marcpp::memory_source{all}};
    std::vector<std::size_t> starts;
    for (std::size_t k = 0; k < expected.size(); ++k) {
      CAPTURE(k);
      REQUIRE(r.next(v));
      starts.push_back(static_cast<std::size_t>(v.diagnostics().data() - list.held().data()));
      // Offsets differ from a fresh read by where the record starts in `all`.
      std::vector<marcpp::diagnostic> want = expected[k];
      for (auto& d : want) {
        if (d.offset != marcpp::npos) d.offset += v.offset();
        d.record_offset = v.offset();
        d.record_index = k;
      }
      same(v.diagnostics(), want);
      CHECK(v.is_canonical() == canonical[k]);
      last_want = want;
      record_view copied = v;
      same(copied.diagnostics(), want);
      record_view assigned;
      assigned = v;
      same(assigned.diagnostics(), want);
      // A copy does not hold: cleared, it shows nothing and holds nothing.
      copied.clear();
      CHECK(copied.diagnostics().empty());
      CHECK(marcpp::detail::record_view_access::diagnostics(copied).held().empty());
    }
    // Every record's diagnostics are still there, one after the other.
    CHECK(list.held().size() == total);
    for (std::size_t k = 0; k < expected.size(); ++k) {
      const std::size_t end = k + 1 < starts.size() ? starts[k + 1] : total;
      CHECK(end - starts[k] == expected[k].size());
      if (!expected[k].empty()) CHECK(list.held()[starts[k]].code == expected[k][0].code);
    }
  };
  run();
  // Forgotten, the slots are written over by the next records, and nothing
  // of the earlier diagnostics shows through.
  list.forget_held();
  CHECK(list.held().empty());
  CHECK(v.diagnostics().empty());
  run();

  // A move carries the record's diagnostics; the moved-from view has none.
  const std::size_t last = v.diagnostics().size();
  REQUIRE(last == 1);
  record_view moved = std::move(v);
  same(moved.diagnostics(), last_want);
  CHECK(moved.diagnostics()[0].record_index == 3);
  CHECK(v.diagnostics().empty());
  CHECK(list.held().empty());
  moved.clear();
  CHECK(moved.diagnostics().empty());
}

TEST_CASE("record_view: a tag marcpp::tag cannot hold keeps its bytes in the view") {
  static_assert(sizeof(void*) != 8 || sizeof(marcpp::field_view) == 32);
  const std::string bytes = test::slurp(test::crafted("ok-lower-case-tags.mrc"));
  marcpp::reader rd{marcpp::memory_source{bytes}, test::with(marcpp::error_policy::strict)};
  record_view v;
  REQUIRE(rd.next(v));
  CHECK(v.diagnostics().empty());
  REQUIRE(v.size() == 8);
  CHECK(v[5].tag() == marcpp::tag("m01"));
  CHECK(v[5].tag_chars() == std::array<char, 3>{'m', '0', '1'});
  CHECK_FALSE(v[6].tag().is_valid());
  CHECK(v[6].has_tag_chars());
  CHECK(v[6].tag_chars() == std::array<char, 3>{'a', 'b', 'c'});
  CHECK(v[7].tag_chars() == std::array<char, 3>{'a', '1', 'b'});
  CHECK(v[7].indicators() == marcpp::indicators("10"));
  CHECK(v.value("abc", 'a') == "three letters");
  CHECK(v.first("a1b") == &v[7]);
  CHECK(v.count(marcpp::tag::invalid()) == 2);
  CHECK_FALSE(marcpp::field_view().has_tag_chars());
  CHECK(marcpp::field_view().tag_chars() == std::array<char, 3>{'?', '?', '?'});
  // Copies and moves of the view keep the bytes.
  record_view copy = v;
  record_view moved = std::move(copy);
  CHECK(moved[6].tag_chars() == std::array<char, 3>{'a', 'b', 'c'});
  std::string out;
  REQUIRE_FALSE(marcpp::write_iso2709(moved, out));
  CHECK(out == bytes);
}
