#include <marcpp/leader.hpp>  // first: proves it is self-contained

#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <type_traits>

using marcpp::leader;

static_assert(sizeof(leader) == 24);

// The parser reads directory numbers one digit wider than leader/20-21
// allow (fields and records written oversized anyway), up to ten digits:
// they are parsed into 64 bits, also where `long` has 32 (a constant
// expression that overflows does not compile).
static_assert(std::is_same_v<decltype(marcpp::detail::parse_digits("", 0)), std::int64_t>);
static_assert(marcpp::detail::parse_digits("9999999999", 10) == 9'999'999'999);
static_assert(marcpp::detail::parse_digits("999999999999999999", 18) == 999'999'999'999'999'999);
static_assert(marcpp::detail::parse_digits("12a", 3) == -1);

TEST_CASE("leader") {
  SUBCASE("named accessors read every position") {
    leader l{"00714cam a2200205 a 4500"};
    CHECK(l.record_length() == 714u);
    CHECK(l.status() == 'c');
    CHECK(l.type() == 'a');
    CHECK(l.bibliographic_level() == 'm');
    CHECK(l.control_type() == ' ');
    CHECK(l.coding_scheme() == 'a');
    CHECK(l.is_unicode());
    CHECK(l.indicator_count() == 2u);
    CHECK(l.subfield_code_length() == 2u);
    CHECK(l.base_address() == 205u);
    CHECK(l.encoding_level() == ' ');
    CHECK(l.cataloging_form() == 'a');
    CHECK(l.multipart_level() == ' ');
    CHECK(l.entry_map() == "4500");
    CHECK(l.length_of_field_length() == 4u);
    CHECK(l.length_of_starting_position() == 5u);
    CHECK(l.length_of_implementation_part() == 0u);
    CHECK(l.str() == "00714cam a2200205 a 4500");
  }

  SUBCASE("numbers that are not digits are nullopt, never guessed") {
    leader l{"0071xcam  2x00205 a 45 0"};
    CHECK_FALSE(l.record_length().has_value());
    CHECK_FALSE(l.subfield_code_length().has_value());
    CHECK_FALSE(l.is_unicode());
    CHECK_FALSE(l.length_of_implementation_part().has_value());
  }

  SUBCASE("setters change exactly their position") {
    leader l;
    CHECK(l.str() == "00000     2200000   4500");
    l.set_record_length(12345);
    l.set_status('n');
    l.set_type('z');
    l.set_bibliographic_level('m');
    l.set_control_type('a');
    l.set_coding_scheme('a');
    l.set_indicator_count(1);
    l.set_subfield_code_length(2);
    l.set_base_address(99);
    l.set_encoding_level('7');
    l.set_cataloging_form('i');
    l.set_multipart_level('a');
    l.set_entry_map("450 ");
    CHECK(l.str() == "12345nzmaa12000997ia450 ");
    l.set(23, '0');
    CHECK(l[23] == '0');
  }

  SUBCASE("short text is padded, long text cut; comparison and printing") {
    CHECK(leader{"0001"}.str() == "0001                    ");
    CHECK(leader{"000000000000000000000000XYZ"}.str() == std::string(24, '0'));
    CHECK(leader{"00714cam a2200205 a 4500"} == leader{"00714cam a2200205 a 4500"});
    CHECK_FALSE(leader{"00714cam a2200205 a 4500"} == leader{"00714nam a2200205 a 4500"});
    std::ostringstream os;
    os << leader{"00714cam a2200205 a 4500"};
    CHECK(os.str() == "00714cam a2200205 a 4500");
  }
}
