#include <marcpp/tag.hpp>  // first: proves it is self-contained

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
#include <unordered_set>

using marcpp::tag;
using namespace marcpp::literals;

// Compile-time properties.
static_assert(sizeof(tag) == 2);
static_assert(tag("245").number() == 245);
static_assert(tag("001").is_control() && !tag("010").is_control());
static_assert(tag("CAT").is_alphanumeric() && !tag("CAT").is_numeric());
static_assert("650"_tag == tag::numeric(650));
static_assert(tag("999") < tag("00A"), "numeric tags sort before alphanumeric ones");
static_assert("m01"_tag.is_lower_case() && "m01"_tag.is_alphanumeric() && !"M01"_tag.is_lower_case());
static_assert(tag("ZZZ") < tag("00a") && tag("z99") < tag::invalid(), "lower-case tags sort after upper-case ones");
static_assert(tag::lower_base + tag::lower_count < tag::invalid_value);

TEST_CASE("tag") {
  SUBCASE("numeric tags hold their number") {
    for (unsigned n = 0; n < 1000; ++n) {
      tag t = tag::numeric(n);
      CHECK(t.is_valid());
      CHECK(t.is_numeric());
      CHECK(t.value() == n);
      CHECK(t.number() == static_cast<int>(n));
      CHECK(t.is_control() == (n < 10));
      auto c = t.chars();
      CHECK(tag::from_chars(c[0], c[1], c[2]) == t);
    }
    CHECK_FALSE(tag::numeric(1000).is_valid());
  }

  SUBCASE("every tag of three digits and upper-case letters round-trips") {
    const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::unordered_set<tag::value_type> seen;
    for (char a : alphabet)
      for (char b : alphabet)
        for (char c : alphabet) {
          tag t = tag::from_chars(a, b, c);
          REQUIRE(t.is_valid());
          auto back = t.chars();
          REQUIRE(back[0] == a);
          REQUIRE(back[1] == b);
          REQUIRE(back[2] == c);
          REQUIRE(seen.insert(t.value()).second);  // distinct values
          REQUIRE(tag::from_value(t.value()) == t);
        }
    CHECK(seen.size() == 36u * 36u * 36u);
  }

  SUBCASE("every lower-case tag with one letter round-trips, distinct from every other tag") {
    const std::string digits = "0123456789", letters = "abcdefghijklmnopqrstuvwxyz",
                      all = digits + letters;
    std::set<std::string> texts;
    for (char a : all)
      for (char b : all)
        for (char c : all) {
          const int n = (a >= 'a') + (b >= 'a') + (c >= 'a');
          tag t = tag::from_chars(a, b, c);
          const std::string text{a, b, c};
          CAPTURE(text);
          REQUIRE(tag::is_legal(a, b, c));
          if (n != 1) {
            // Digits only are the numeric tags; two or three letters are legal
            // but not held.
            REQUIRE(t.is_valid() == (n == 0));
            continue;
          }
          REQUIRE(t.is_valid());
          REQUIRE(t.is_lower_case());
          REQUIRE(t.value() >= tag::lower_base);
          REQUIRE(t.value() < tag::lower_base + tag::lower_count);
          auto back = t.chars();
          REQUIRE(std::string(back.data(), 3) == std::string{a, b, c});
          REQUIRE(tag::from_value(t.value()) == t);
          REQUIRE(tag::parse(std::string{a, b, c}) == t);
          // Upper case is another tag.
          auto up = [](char x) { return x >= 'a' ? static_cast<char>(x - 'a' + 'A') : x; };
          tag u = tag::from_chars(up(a), up(b), up(c));
          REQUIRE(u.is_valid());
          REQUIRE(u != t);
          REQUIRE_FALSE(u.is_lower_case());
          texts.insert(std::string{a, b, c});
        }
    CHECK(texts.size() == tag::lower_count);
    // Every value of the range is one of them, and no other value is a tag.
    std::set<std::string> decoded;
    for (unsigned v = tag::lower_base; v < tag::lower_base + tag::lower_count; ++v) {
      tag t = tag::from_value(static_cast<tag::value_type>(v));
      REQUIRE(t.is_valid());
      auto c = t.chars();
      decoded.insert(std::string(c.data(), 3));
    }
    CHECK(decoded == texts);
    for (unsigned v = tag::lower_base + tag::lower_count; v < tag::invalid_value; v += 97)
      CHECK_FALSE(tag::from_value(static_cast<tag::value_type>(v)).is_valid());
    CHECK_FALSE(tag::from_value(tag::lower_base + tag::lower_count).is_valid());
  }

  SUBCASE("lower-case tags sort in ASCII order, after the upper-case ones") {
    // The values follow the ASCII order of the text, as the upper-case ones do.
    std::vector<std::pair<std::string, tag>> all;
    for (unsigned v = tag::lower_base; v < tag::lower_base + tag::lower_count; ++v) {
      tag t = tag::from_value(static_cast<tag::value_type>(v));
      all.emplace_back(t.str(), t);
    }
    std::vector<std::pair<std::string, tag>> by_text = all;
    std::sort(by_text.begin(), by_text.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    CHECK(by_text == all);
    CHECK(tag("00a") < tag("00b"));
    CHECK(tag("00z") < tag("01a"));
    CHECK(tag("09z") < tag("0a0"));
    CHECK(tag("9z9") < tag("a00"));
    CHECK(tag("ZZZ") < tag("00a"));
    CHECK(tag("z99") < tag::invalid());
    // The first and last values, which docs/record-model.md gives.
    CHECK(tag("00a").value() == 47656);
    CHECK(tag("z99").value() == 55455);
    CHECK(tag("m01").value() == 47656 + 5200 + 12 * 100 + 1);
    CHECK(tag("ZZZ").value() == 47655);
    CHECK(tag("00A").value() == 1010);
    CHECK(tag("CAT").value() == 16941);
    CHECK(tag("m01").value() == 54057);
  }

  SUBCASE("legal tags") {
    for (const char* s : {"245", "CAT", "m01", "abc", "a1b", "zzz", "00a", "ZZ1"}) CHECK(tag::is_legal(s[0], s[1], s[2]));
    for (const char* s : {"Ab1", "aB1", "30-", "0 2", "2\x1f" "5", "\xe9" "01", "24."}) CHECK_FALSE(tag::is_legal(s[0], s[1], s[2]));
  }

  SUBCASE("alphanumeric tags sort in ASCII order after every numeric tag") {
    CHECK(tag("CAT") < tag("LKR"));
    CHECK(tag("A00") < tag("AZZ"));
    CHECK(tag("Z99") < tag("ZA0"));
    CHECK(tag("999") < tag("0A0"));
    CHECK(tag("100") < tag("245"));
  }

  SUBCASE("what 16 bits cannot hold is invalid") {
    for (const char* s : {"ab0", "2ab", "abc", "Ab1", "2 5", "24-", "\x1f" "ab", "2\x00" "5"}) {
      tag t = tag::from_chars(s[0], s[1], s[2]);
      CHECK_FALSE(t.is_valid());
      CHECK(t == tag::invalid());
    }
    CHECK_FALSE(tag::parse("24").has_value());
    CHECK_FALSE(tag::parse("2450").has_value());
    CHECK_FALSE(tag::parse("cat").has_value());
    CHECK(tag::parse("c45") == tag("c45"));
    CHECK(tag::parse("c45")->str() == "c45");
    CHECK_FALSE(tag::parse("c4t").has_value());  // legal, but two letters
    CHECK(tag::parse("LKR") == tag("LKR"));
    CHECK(tag().str() == "???");
    CHECK_FALSE(tag::from_value(tag::invalid_value).is_valid());
    CHECK_FALSE(tag::from_value(tag::alpha_base + 2 * 1296 + 4 * 36 + 5).is_valid());  // would duplicate "245"
    CHECK(tag::from_value(tag::alpha_base + 245) == tag("06T"));
  }

  SUBCASE("range tests") {
    CHECK(tag("650").in_range(600, 699));
    CHECK_FALSE(tag("700").in_range(600, 699));
    CHECK_FALSE(tag("6AB").in_range(600, 699));
    CHECK(tag("6AB").number() == -1);
  }

  SUBCASE("printing and hashing") {
    std::ostringstream os;
    os << tag("245") << ' ' << tag("ZZ1") << ' ' << tag("m01") << ' ' << tag::invalid();
    CHECK(os.str() == "245 ZZ1 m01 ???");
    CHECK(tag("CAT").str() == "CAT");
    std::hash<tag> h;
    CHECK(h(tag("245")) != h(tag("246")));
    std::unordered_set<tag> set{tag("245"), tag("245"), tag("CAT")};
    CHECK(set.size() == 2);
  }
}
