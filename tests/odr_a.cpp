// Two translation units that include everything must link (no ODR clash).
#include <marcpp/input.hpp>
#include <marcpp/line_writer.hpp>
#include <marcpp/marcpp.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <typeinfo>

std::string odr_b_line();
std::string abi_knobs_parser_type();
std::size_t abi_knobs_parser_size();
std::string abi_knobs_lines(std::string_view iso2709);
std::string view_checks_view_type();
std::size_t view_checks_view_size();

TEST_CASE("odr: both translation units use the library") {
  marcpp::record r;
  r.add(marcpp::field::control("001", "odr"));
  CHECK(marcpp::to_line(r) == odr_b_line());
}

// abi_knobs.cpp is built with MARCPP_AVX2_DISPATCH=0, which changes the
// parser's layout: its types must be other types than these (another inline
// namespace), or the program would hold two definitions of one class.
TEST_CASE("odr: a translation unit built with other layout knobs has types of its own") {
  const std::string here = typeid(marcpp::detail::iso2709_parser).name();
  const std::string there = abi_knobs_parser_type();
  CHECK(here != there);
#if MARCPP_AVX2_DISPATCH
  CHECK(sizeof(marcpp::detail::iso2709_parser) != abi_knobs_parser_size());
#endif
  std::string bytes;
  for (const char* name : {"ok-three.mrc", "oversized-field.mrc", "stray-field-terminator.mrc"}) {
    std::ifstream in(std::string(MARCPP_TEST_DATA_DIR) + "/crafted/" + name, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE(bytes.size() > 10000);
  std::string lines;
  marcpp::reader r{marcpp::memory_source{bytes}};
  marcpp::record_view v;
  while (r.next(v)) lines += marcpp::to_line(v);
  CHECK(!lines.empty());
  CHECK(abi_knobs_lines(bytes) == lines);
}

// view_checks.cpp is built with MARCPP_CHECK_VIEWS=1, which adds to a
// record_view what it needs to find it dangles: where this file is built
// without the check (NDEBUG), its record_view must be another type.
TEST_CASE("odr: the view check is part of the inline namespace") {
  const std::string here = typeid(marcpp::record_view).name();
#if MARCPP_CHECK_VIEWS
  CHECK(here == view_checks_view_type());
  CHECK(sizeof(marcpp::record_view) == view_checks_view_size());
#else
  CHECK(here != view_checks_view_type());
  CHECK(sizeof(marcpp::record_view) < view_checks_view_size());
#endif
}
