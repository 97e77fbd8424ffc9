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
