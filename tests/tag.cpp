#include <marcpp/tag.hpp>  // first: proves it is self-contained

#include <doctest/doctest.h>

#include <sstream>
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

  SUBCASE("alphanumeric tags sort in ASCII order after every numeric tag") {
    CHECK(tag("CAT") < tag("LKR"));
    CHECK(tag("A00") < tag("AZZ"));
    CHECK(tag("Z99") < tag("ZA0"));
    CHECK(tag("999") < tag("0A0"));
    CHECK(tag("100") < tag("245"));
  }

  SUBCASE("what 16 bits cannot hold is invalid") {
    for (const char* s : {"a50", "24a", "2 5", "24-", "\x1f" "ab", "2\x00" "5"}) {
      tag t = tag::from_chars(s[0], s[1], s[2]);
      CHECK_FALSE(t.is_valid());
      CHECK(t == tag::invalid());
    }
    CHECK_FALSE(tag::parse("24").has_value());
    CHECK_FALSE(tag::parse("2450").has_value());
    CHECK_FALSE(tag::parse("cat").has_value());
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
    os << tag("245") << ' ' << tag("ZZ1") << ' ' << tag::invalid();
    CHECK(os.str() == "245 ZZ1 ???");
    CHECK(tag("CAT").str() == "CAT");
    std::hash<tag> h;
    CHECK(h(tag("245")) != h(tag("246")));
    std::unordered_set<tag> set{tag("245"), tag("245"), tag("CAT")};
    CHECK(set.size() == 2);
  }
}
